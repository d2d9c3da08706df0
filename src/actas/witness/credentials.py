"""Witnesses' credentials: the organization gives each witness a secret token and a mesa or more to report on,
and publishes, signed with its own key, only the token's hash and the mesas.

The witness list is a C2SP signed note (like the key registry), one witness a line with the
SHA-256 of the witness's token and the mesas the witness is assigned to:

    actas witness list v2
    organization <the organization's verifier key>
    witnesses <count>
    witness W-0001 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 R01.001.0001.01
    witness W-0002 ... R01.001.0001.02,R01.001.0002.01

The observer server checks the signature at start and publishes the list on its board, so anyone
can check that every report on the board came from a witness the organization registered, on a
mesa it assigned them (or was shown as a roving witness's), and no one can use the list to send a
report or change whom it lists. A token is 256 random bits, which makes its hash safe to publish.
The list names its own organization key, so it proves only that it is consistent; trust comes from
pinning that key (`--organization`), as the registry's authority key is pinned.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from actas.election import TOKEN_RE
from actas.errors import FormatError, VerificationError
from actas.signed_note import SignedNote, Signer, Verifier

FORMAT_LINE = "actas witness list v2"
MAX_WITNESSES = 1_000_000
MAX_MESAS_PER_WITNESS = 1000
MAX_WITNESS_LIST_BYTES = 100 * MAX_WITNESSES
_LINE = re.compile(r"witness ([A-Za-z0-9][A-Za-z0-9._-]{0,63}) ([0-9a-f]{64}) (\S+)")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ListedWitness:
    token_hash: str
    mesas: tuple[str, ...]
    """The mesas the witness is assigned to, in code order."""


@dataclass(frozen=True)
class WitnessList:
    organization: Verifier
    witnesses: Mapping[str, ListedWitness]
    """Witness id -> token hash and mesas, in id order."""

    def text(self) -> str:
        lines = [
            FORMAT_LINE,
            f"organization {self.organization.to_text()}",
            f"witnesses {len(self.witnesses)}",
            *(f"witness {w} {listed.token_hash} {','.join(listed.mesas)}" for w, listed in self.witnesses.items()),
        ]
        return "\n".join(lines) + "\n"

    def sign(self, organization: Signer) -> str:
        if organization.verifier != self.organization:
            raise VerificationError("the witness list names another organization key than the one signing it")
        return organization.sign(self.text()).to_text()

    def witness_of(self) -> dict[str, str]:
        """Token hash -> witness id."""
        return {listed.token_hash: w for w, listed in self.witnesses.items()}

    def assignments(self) -> dict[str, frozenset[str]]:
        """Witness id -> the mesas assigned to them."""
        return {w: frozenset(listed.mesas) for w, listed in self.witnesses.items()}

    @classmethod
    def of(cls, organization: Verifier, witnesses: Mapping[str, ListedWitness]) -> WitnessList:
        """A list in its canonical order (ids and mesas sorted), checked as `from_text` checks it."""
        ordered = {w: ListedWitness(listed.token_hash, tuple(sorted(set(listed.mesas)))) for w, listed in
                   sorted(witnesses.items())}  # fmt: skip
        return parse_witness_list_text(cls(organization, ordered).text(), organization)

    @classmethod
    def from_note(cls, note_text: str, organization: Verifier | None = None) -> WitnessList:
        """A signed list, refused unless signed by the organization key it names (and pinned, if given)."""
        if len(note_text) > MAX_WITNESS_LIST_BYTES:
            raise FormatError(f"witness list: larger than {MAX_WITNESS_LIST_BYTES:,} bytes")
        try:
            note = SignedNote.from_text(note_text)
        except FormatError as exc:
            raise FormatError(f"witness list: not a signed list ({exc}); actas witness enroll signs it") from None
        listed = parse_witness_list_text(note.text, None)
        if organization is not None and listed.organization != organization:
            raise VerificationError(
                f"the witness list is the organization {listed.organization.name}'s, not the pinned "
                f"{organization.name}'s"
            )
        if not listed.organization.verifies(note):
            name = listed.organization.name
            raise VerificationError(f"the witness list is not signed by its organization's key ({name})")
        return listed


def parse_witness_list_text(text: str, organization: Verifier | None) -> WitnessList:
    """The list's text, every line checked: no id or token twice, each witness with one mesa or more."""
    lines = text.split("\n")
    if lines[0] != FORMAT_LINE or lines[-1] != "" or len(lines) < 4:
        raise FormatError(f"witness list: the first line must be {FORMAT_LINE!r} and the text end with a newline")
    key = _value(lines[1], "organization", 2)
    named = Verifier.from_text(key)
    if organization is not None and named != organization:
        raise FormatError("witness list: it names another organization key")
    count_text = _value(lines[2], "witnesses", 3)
    if not count_text.isdigit() or int(count_text) != len(lines) - 4 or int(count_text) > MAX_WITNESSES:
        raise FormatError(f"witness list: says {count_text[:12]} witnesses, lists {len(lines) - 4}")
    witnesses: dict[str, ListedWitness] = {}
    hashes: set[str] = set()
    for number, line in enumerate(lines[3:-1], start=4):
        match = _LINE.fullmatch(line)
        if match is None:
            raise FormatError(
                f"witness list line {number}: expected 'witness WITNESS-ID SHA256-OF-TOKEN MESA[,MESA...]', "
                f"found {line[:80]!r}"
            )
        witness, digest, mesa_text = match.groups()
        mesas = tuple(mesa_text.split(","))
        if len(mesas) > MAX_MESAS_PER_WITNESS or not all(TOKEN_RE.fullmatch(m) for m in mesas):
            raise FormatError(f"witness list line {number}: the mesas are codes separated by commas")
        if list(mesas) != sorted(set(mesas)):
            raise FormatError(f"witness list line {number}: the mesas are listed once each, in order")
        if witness in witnesses or (witnesses and witness < next(reversed(witnesses))):
            raise FormatError(f"witness list line {number}: witness {witness} is listed twice or out of order")
        if digest in hashes:
            raise FormatError(f"witness list line {number}: two witnesses have the same token")
        hashes.add(digest)
        witnesses[witness] = ListedWitness(digest, mesas)
    return WitnessList(named, witnesses)


def _value(line: str, key: str, number: int) -> str:
    found, sep, value = line.partition(" ")
    if found != key or not sep:
        raise FormatError(f"witness list line {number}: expected '{key} <value>', found {line[:60]!r}")
    return value
