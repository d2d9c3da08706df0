"""Signed notes: text signed by Ed25519 keys, in the C2SP signed-note format.

Spec: https://c2sp.org/signed-note (the format of Go's golang.org/x/mod/sumdb/note).
A note is UTF-8 text ending in a newline, a blank line, then one signature line per key:
``— <key name> <base64(key id || signature)>``.  For Ed25519 (RFC 8032) the key id is the first
four bytes of SHA-256(key name || 0x0A || 0x01 || public key), and the signature covers the text.

Actas, key registries and (later) bulletin-board checkpoints are all signed notes, so any
implementation of the format can check them. Keys are written as in Go's note package:
verifier ``<name>+<hex key id>+<base64(0x01 || public key)>`` and signer
``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Self

import nacl.exceptions
import nacl.signing

from actas.errors import FormatError, KeyFileError

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
KEY_ID_BYTES = 4
ED25519_SIGNATURE_BYTES = 64
ED25519_KEY_BYTES = 32
MAX_SIGNATURES = 100

_NAME_RE = re.compile(r"[^\s+]+")
_CONTROL_RE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def check_key_name(name: str) -> str:
    """A key name is non-empty and has no white space and no '+'."""
    if not _NAME_RE.fullmatch(name):
        raise FormatError(f"key name {name!r} is not valid: expected no spaces and no '+'")
    return name


def key_id(name: str, public_key: bytes, algorithm: int = ALG_ED25519) -> bytes:
    """The four-byte key id of a key (C2SP signed-note, 'Signatures'): SHA-256 of the name, a newline,
    the signature type's byte and the public key, cut to four bytes."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()
    return digest[:KEY_ID_BYTES]


def read_key_text(text: str, algorithm: int, what: str, error: type[FormatError | KeyFileError]) -> tuple[str, bytes]:
    """(name, 32 bytes of key) of a key written `<name>+<hex key id>+<base64(type || key)>`, the type
    byte being `algorithm`. The key id is checked by the caller, who knows which id the key has."""
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise error(f"{what} should be '<name>+<key id hex>+<base64 key>', found {text[:60]!r}")
    name, _, blob = parts
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{what} of {name} is not valid base64") from None
    if len(raw) != 1 + ED25519_KEY_BYTES or raw[0] != algorithm:
        raise error(f"{what} of {name} is not an Ed25519 key of type 0x{algorithm:02x} and 32 bytes")
    return name, raw[1:]


def private_key_text(name: str, algorithm: int, key_id: bytes, seed: bytes) -> str:
    """A private key as written to its file: `PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>`."""
    blob = base64.b64encode(bytes([algorithm]) + seed).decode()
    return f"{PRIVATE_KEY_PREFIX}{name}+{key_id.hex()}+{blob}"


def read_private_key_text(text: str, algorithm: int, what: str) -> tuple[str, bytes, str]:
    """(name, seed, key id in hex) of a private key written by `private_key_text`. The key id is checked
    by the caller, who knows which id the key has."""
    if not text.startswith(PRIVATE_KEY_PREFIX):
        raise KeyFileError("not a private key: expected a line starting with PRIVATE+KEY+")
    body = text[len(PRIVATE_KEY_PREFIX) :]
    name, seed = read_key_text(body, algorithm, what, KeyFileError)
    return name, seed, body.split("+", 2)[1]


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class SignedNote:
    """A note's text (ending in a newline) and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_text(self) -> str:
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)

    @classmethod
    def from_text(cls, note: str) -> SignedNote:
        if _CONTROL_RE.search(note):
            raise FormatError("signed note contains a control character other than newline")
        split = note.rfind("\n\n")
        if split < 0:
            raise FormatError("signed note has no blank line before its signatures")
        text, sig_block = note[: split + 1], note[split + 2 :]
        if not sig_block.endswith("\n"):
            raise FormatError("signed note does not end with a newline after its last signature")
        lines = sig_block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise FormatError(f"signed note has {len(lines)} signatures, at most {MAX_SIGNATURES} allowed")
        return cls(text, tuple(parse_signature_line(line) for line in lines))


def parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise FormatError(f"signature line should start with an em dash and a space, found {line[:20]!r}")
    parts = line[len(SIGNATURE_PREFIX) :].split(" ")
    if len(parts) != 2:
        raise FormatError("signature line should be '— <key name> <base64 signature>'")
    name, blob = parts
    check_key_name(name)
    raw = _b64decode(blob, "signature")
    if len(raw) <= KEY_ID_BYTES:
        raise FormatError(f"signature of {name} is {len(raw)} bytes, too short to hold a key id")
    return NoteSignature(name, raw[:KEY_ID_BYTES], raw[KEY_ID_BYTES:])


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{what} is not valid base64") from None


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key with its name, of one signature type (its key id and written form say which)."""

    name: str
    public_key: bytes
    algorithm: ClassVar[int] = ALG_ED25519
    what: ClassVar[str] = "verifier key"

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != ED25519_KEY_BYTES:
            raise FormatError(f"Ed25519 public key must be 32 bytes, found {len(self.public_key)}")

    @cached_property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key, self.algorithm)

    def to_text(self) -> str:
        blob = base64.b64encode(bytes([self.algorithm]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def from_text(cls, text: str) -> Self:
        name, public_key = read_key_text(text, cls.algorithm, cls.what, FormatError)
        hex_id = text.split("+", 2)[1]
        key = cls(name, public_key)
        if key.key_id.hex() != hex_id:
            raise FormatError(
                f"{cls.what} of {name}: key id {hex_id} does not match the key (expected {key.key_id.hex()})"
            )
        return key


@dataclass(frozen=True)
class Verifier(PublicKey):
    """An Ed25519 public key with its name: checks signatures on notes."""

    def verifies(self, note: SignedNote) -> bool:
        """True when one of the note's signatures is by this key and is valid."""
        kid = self.key_id
        vk = nacl.signing.VerifyKey(self.public_key)
        message = note.text.encode()
        for sig in note.signatures:
            if sig.name == self.name and sig.key_id == kid:
                try:
                    vk.verify(message, sig.signature)
                    return True
                except (nacl.exceptions.BadSignatureError, ValueError):
                    return False
        return False


class Signer:
    """An Ed25519 private key with its name. Its repr never shows the key."""

    __slots__ = ("name", "_key", "_verifier")

    def __init__(self, name: str, seed: bytes) -> None:
        self.name = check_key_name(name)
        if len(seed) != ED25519_KEY_BYTES:
            raise KeyFileError(f"Ed25519 private key must be 32 bytes, found {len(seed)}")
        self._key = nacl.signing.SigningKey(seed)
        self._verifier = Verifier(name, bytes(self._key.verify_key))

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, bytes(nacl.signing.SigningKey.generate()))

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r})"

    @property
    def verifier(self) -> Verifier:
        return self._verifier

    def private_bytes(self) -> bytes:
        """The 32-byte seed, for handing the key to a worker process; never print or log it."""
        return bytes(self._key)

    def sign(self, text: str) -> SignedNote:
        """Sign a note text, which must end with a newline."""
        if not text.endswith("\n"):
            raise FormatError("note text must end with a newline")
        if _CONTROL_RE.search(text):
            raise FormatError("note text contains a control character other than newline")
        signature = self._key.sign(text.encode()).signature
        return SignedNote(text, (NoteSignature(self.name, self._verifier.key_id, signature),))

    def to_text(self) -> str:
        return private_key_text(self.name, ALG_ED25519, self.verifier.key_id, bytes(self._key))

    @classmethod
    def from_text(cls, text: str) -> Signer:
        name, seed, hex_id = read_private_key_text(text, ALG_ED25519, "private key")
        signer = cls(name, seed)
        if signer.verifier.key_id.hex() != hex_id:
            raise KeyFileError(f"private key of {name}: key id {hex_id} does not match the key")
        return signer
