"""Signed notes and Ed25519 keys, against published vectors.

- RFC 8032 section 7.1, TEST 1 and TEST 2 (Ed25519 key pairs and signatures).
- The example key and note of Go's golang.org/x/mod/sumdb/note (note_test.go), the reference
  implementation of the C2SP signed-note format: our keys, key ids and signatures must match it
  byte for byte, so that any note implementation can check actas' signatures.
"""

from __future__ import annotations

import nacl.signing
import pytest

from actas.errors import FormatError, KeyFileError
from actas.signed_note import SignedNote, Signer, Verifier, key_id

RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(seed: str, public: str, message: str, signature: str) -> None:
    key = nacl.signing.SigningKey(bytes.fromhex(seed))
    assert bytes(key.verify_key).hex() == public
    assert key.sign(bytes.fromhex(message)).signature.hex() == signature


def test_go_note_vector_signs_byte_for_byte() -> None:
    signer = Signer.from_text(GO_SKEY)
    assert signer.verifier.to_text() == GO_VKEY
    assert signer.to_text() == GO_SKEY
    assert signer.sign(GO_TEXT).to_text() == GO_TEXT + "\n" + GO_SIG


def test_go_note_vector_verifies_and_rejects_a_changed_text() -> None:
    verifier = Verifier.from_text(GO_VKEY)
    note = SignedNote.from_text(GO_TEXT + "\n" + GO_SIG)
    assert verifier.verifies(note)
    changed = SignedNote.from_text(GO_TEXT.replace("cryptography", "cryptographY") + "\n" + GO_SIG)
    assert not verifier.verifies(changed)


def test_key_id_is_sha256_of_name_newline_type_and_key() -> None:
    verifier = Verifier.from_text(GO_VKEY)
    assert key_id(verifier.name, verifier.public_key).hex() == "c74f20a3"


def test_every_mangling_of_the_go_verifier_key_is_refused() -> None:
    # As Go's TestNewVerifier does: every proper substring and every single-byte change fails.
    for i in range(len(GO_VKEY)):
        changed = GO_VKEY[:i] + chr(ord(GO_VKEY[i]) + 1) + GO_VKEY[i + 1 :]
        with pytest.raises(FormatError):
            Verifier.from_text(changed)
    for i in range(len(GO_VKEY)):
        for j in range(i + 1, len(GO_VKEY) + 1):
            if (i, j) != (0, len(GO_VKEY)):
                with pytest.raises(FormatError):
                    Verifier.from_text(GO_VKEY[i:j])


def test_a_key_whose_base64_holds_a_plus_sign_round_trips() -> None:
    # The key material is base64, which may contain '+': only the first two '+' separate fields.
    for _ in range(50):
        signer = Signer.generate("authority")
        assert Verifier.from_text(signer.verifier.to_text()) == signer.verifier
        assert Signer.from_text(signer.to_text()).verifier == signer.verifier


@pytest.mark.parametrize(
    "note",
    [
        "no blank line\n— a AAAA\n",
        "text\n\n— a not*base64\n",
        "text\n\n- a AAAAAAAAAAAA\n",
        "text\n\n— a AAAAAAAAAAAA",
        "text\x07\n\n— a AAAAAAAAAAAA\n",
        "text\n\n— bad+name AAAAAAAAAAAA\n",
        "text\n\n— a AAAA\n",
    ],
)
def test_malformed_notes_are_refused_with_a_format_error(note: str) -> None:
    with pytest.raises(FormatError):
        SignedNote.from_text(note)


def test_signer_never_shows_its_key() -> None:
    signer = Signer.from_text(GO_SKEY)
    assert "PRIVATE" not in repr(signer) and GO_SKEY.split("+")[-1] not in repr(signer)


@pytest.mark.parametrize(
    "text",
    ["PRIVATE+KEY+x+00000000+AAAA", "not a key", "PRIVATE+KEY+PeterNeumann+c74f20a4+" + GO_SKEY.split("+", 5)[5]],
)
def test_bad_private_keys_are_refused(text: str) -> None:
    with pytest.raises(KeyFileError):
        Signer.from_text(text)
