"""Cosignatures of checkpoints, and the policy that says how many a reader requires.

Spec: https://c2sp.org/tlog-cosignature (v1, the Ed25519 type). A cosigner is an organization
independent of the authority that checks each checkpoint of the board is consistent with every one
it saw before and signs it; C2SP calls it a *witness*, a word that means a party's witness at a mesa
in actas. A cosignature is a signed-note signature line on the checkpoint:

    — <cosigner name> base64(key id || timestamp || Ed25519 signature)

    key id    = SHA-256(<name> || "\\n" || 0x04 || public key)[:4]
    timestamp = 8 bytes, big-endian, POSIX seconds (below 2^63)
    message   = "cosignature/v1\\n" || "time <timestamp>\\n" || the checkpoint's text

Readers hold a policy: the cosigners they trust (name, key, and where each answers) and a quorum K.
A checkpoint counts only with valid cosignatures of K of them, so an authority that shows one
history to some and another to others (a split view) would need K cosigners to sign both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import nacl.exceptions
import nacl.signing

from actas.errors import FormatError, KeyFileError, VerificationError
from actas.signed_note import (
    ED25519_KEY_BYTES,
    ED25519_SIGNATURE_BYTES,
    NoteSignature,
    PublicKey,
    SignedNote,
    private_key_text,
    read_private_key_text,
)

ALG_COSIGNATURE_V1 = 0x04
"""The signature type of a tlog-cosignature/v1 Ed25519 key, in its key id and its written form."""
HEADER = "cosignature/v1\n"
TIMESTAMP_BYTES = 8
MAX_TIMESTAMP = 2**63 - 1
POLICY_HEADER = "actas cosigner policy v1"
MAX_POLICY_BYTES = 64 * 1024
MAX_COSIGNERS = 64

_URL_RE = re.compile(r"https?://[^\s/?#]+(?:/[^\s?#]*)?")


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What a cosigner signs: the header line, the time line and the checkpoint's whole text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise FormatError(f"a cosignature's time is between 0 and 2^63 - 1, found {timestamp}")
    return f"{HEADER}time {timestamp}\n{checkpoint_text}".encode()


@dataclass(frozen=True)
class CosignerKey(PublicKey):
    """A cosigner's public key with its name: checks its cosignatures."""

    algorithm: ClassVar[int] = ALG_COSIGNATURE_V1
    what: ClassVar[str] = "cosigner key"

    def timestamp(self, checkpoint_text: str, signature: NoteSignature) -> int | None:
        """The time of this cosigner's valid cosignature, or None if the line is not one."""
        if signature.name != self.name or signature.key_id != self.key_id:
            return None
        blob = signature.signature
        if len(blob) != TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES:
            return None
        timestamp = int.from_bytes(blob[:TIMESTAMP_BYTES], "big")
        if timestamp > MAX_TIMESTAMP:
            return None
        try:
            nacl.signing.VerifyKey(self.public_key).verify(
                cosigned_message(checkpoint_text, timestamp), blob[TIMESTAMP_BYTES:]
            )
        except (nacl.exceptions.BadSignatureError, ValueError):
            return None
        return timestamp

    def find(self, note: SignedNote) -> int | None:
        """The time of this cosigner's valid cosignature among a note's signature lines, if there is one."""
        for signature in note.signatures:
            if signature.name == self.name and signature.key_id == self.key_id:
                return self.timestamp(note.text, signature)
        return None


class Cosigner:
    """A cosigner's private key. Its repr never shows the key."""

    __slots__ = ("_key", "key")

    def __init__(self, name: str, seed: bytes) -> None:
        if len(seed) != ED25519_KEY_BYTES:
            raise KeyFileError(f"Ed25519 private key must be 32 bytes, found {len(seed)}")
        self._key = nacl.signing.SigningKey(seed)
        self.key = CosignerKey(name, bytes(self._key.verify_key))

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, bytes(nacl.signing.SigningKey.generate()))

    @property
    def name(self) -> str:
        return self.key.name

    def __repr__(self) -> str:
        return f"Cosigner(name={self.name!r})"

    def cosign(self, checkpoint_text: str, timestamp: int) -> NoteSignature:
        signature = self._key.sign(cosigned_message(checkpoint_text, timestamp)).signature
        return NoteSignature(self.name, self.key.key_id, timestamp.to_bytes(TIMESTAMP_BYTES, "big") + signature)

    def to_text(self) -> str:
        return private_key_text(self.name, ALG_COSIGNATURE_V1, self.key.key_id, bytes(self._key))

    @classmethod
    def from_text(cls, text: str) -> Cosigner:
        name, seed, hex_id = read_private_key_text(text, ALG_COSIGNATURE_V1, "cosigner's private key")
        cosigner = cls(name, seed)
        if cosigner.key.key_id.hex() != hex_id:
            raise KeyFileError(f"cosigner's private key of {name}: the key id does not match the key")
        return cosigner


@dataclass(frozen=True)
class PolicyCosigner:
    key: CosignerKey
    url: str
    """Where the cosigner answers tlog-witness's add-checkpoint (and actas's read of its latest)."""

    def to_line(self) -> str:
        return f"cosigner {self.key.to_text()} {self.url}"


@dataclass(frozen=True)
class QuorumCheck:
    """Which of a policy's cosigners validly cosigned a checkpoint, and whether that is a quorum."""

    quorum: int
    signed: tuple[tuple[str, int], ...]
    """(name, time) of each cosigner whose cosignature is valid, in the policy's order."""
    missing: tuple[str, ...]

    @property
    def met(self) -> bool:
        return len(self.signed) >= self.quorum

    def describe(self) -> str:
        names = ", ".join(name for name, _ in self.signed) or "none"
        return f"{len(self.signed)} valid cosignatures where {self.quorum} are required ({names})"

    def require(self, what: str = "the checkpoint") -> None:
        """VerificationError naming the cosigners missing when there is no quorum."""
        if not self.met:
            raise VerificationError(f"{what} has {self.describe()}; missing or invalid: {', '.join(self.missing)}")


@dataclass(frozen=True)
class CosignerPolicy:
    """The cosigners a reader trusts and how many of them must have cosigned a checkpoint."""

    cosigners: tuple[PolicyCosigner, ...]
    quorum: int

    def __post_init__(self) -> None:
        if not self.cosigners or len(self.cosigners) > MAX_COSIGNERS:
            raise FormatError(f"a cosigner policy names between 1 and {MAX_COSIGNERS} cosigners")
        if not 1 <= self.quorum <= len(self.cosigners):
            raise FormatError(
                f"a cosigner policy's quorum is between 1 and its {len(self.cosigners)} cosigners, found {self.quorum}"
            )
        names = [c.key.name for c in self.cosigners]
        keys = [c.key.public_key for c in self.cosigners]
        if len(set(names)) != len(names) or len(set(keys)) != len(keys):
            raise FormatError("a cosigner policy names each cosigner, and each key, once")

    def with_quorum(self, quorum: int) -> CosignerPolicy:
        return CosignerPolicy(self.cosigners, quorum)

    def check(self, note: SignedNote) -> QuorumCheck:
        signed, missing = [], []
        for cosigner in self.cosigners:
            timestamp = cosigner.key.find(note)
            if timestamp is None:
                missing.append(cosigner.key.name)
            else:
                signed.append((cosigner.key.name, timestamp))
        return QuorumCheck(self.quorum, tuple(signed), tuple(missing))

    def lines(self) -> list[str]:
        """The policy as lines of a key registry or of a policy file (after the header)."""
        return [f"quorum {self.quorum}", *(c.to_line() for c in self.cosigners)]

    def to_text(self) -> str:
        return "\n".join([POLICY_HEADER, *self.lines()]) + "\n"

    @classmethod
    def from_text(cls, text: str) -> CosignerPolicy:
        if len(text) > MAX_POLICY_BYTES:
            raise FormatError(f"a cosigner policy is at most {MAX_POLICY_BYTES} bytes")
        lines = text.split("\n")
        if lines[-1] != "" or lines[0] != POLICY_HEADER:
            raise FormatError(f"a cosigner policy starts with {POLICY_HEADER!r} and ends with a newline")
        return cls.from_lines(lines[1:-1], 2)

    @classmethod
    def from_lines(cls, lines: list[str], first_line: int) -> CosignerPolicy:
        """A policy from its lines: `quorum K`, then one `cosigner <key> <url>` line per cosigner."""
        if not lines or not lines[0].startswith("quorum "):
            raise FormatError(f"line {first_line}: expected 'quorum <K>'")
        quorum_text = lines[0][len("quorum ") :]
        if not quorum_text.isdigit() or quorum_text != str(int(quorum_text)) or len(quorum_text) > 3:
            raise FormatError(f"line {first_line}: the quorum is a number, found {quorum_text[:10]!r}")
        cosigners = []
        for number, line in enumerate(lines[1:], start=first_line + 1):
            parts = line.split(" ")
            if len(parts) != 3 or parts[0] != "cosigner" or not _URL_RE.fullmatch(parts[2]):
                raise FormatError(f"line {number}: expected 'cosigner <name+id+key> <http(s) URL>'")
            cosigners.append(PolicyCosigner(CosignerKey.from_text(parts[1]), parts[2].rstrip("/")))
        return cls(tuple(cosigners), int(quorum_text))


def with_cosignatures(note: SignedNote, added: list[NoteSignature]) -> SignedNote:
    """A checkpoint's note with cosignature lines added after its own, each (name, key id) once."""
    lines = list(note.signatures)
    seen = {(s.name, s.key_id) for s in lines}
    for signature in added:
        if (signature.name, signature.key_id) not in seen:
            seen.add((signature.name, signature.key_id))
            lines.append(signature)
    return SignedNote(note.text, tuple(lines))
