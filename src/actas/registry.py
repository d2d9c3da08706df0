"""The key registry: which machine key may sign the acta of which station.

Published by the electoral authority before election day, as a signed note (see `signed_note`):

    actas key registry v1
    election <election id>
    fingerprint <SHA-256 of the election definition, hex>
    authority <authority verifier key>
    contest <contest id> <option id> <option id> ...        (one line per contest, ballot order)
    quorum <K>                                              (optional: the cosigner policy,
    cosigner <cosigner key> <URL>                            one line per cosigner)
    stations <count>
    station <code> <registered voters> <machine verifier key>   (one line per station)

It holds everything needed to check an acta without the full definition: the fingerprint, the
ballot, each station's registered voters and its machine's public key. The registry names its
own authority key, so it only proves itself consistent; trust comes from pinning that key
(`--authority`), obtained from the authority's own publication.

The cosigner policy, when there is one, is published here so that it is fixed before election day:
every reader of the board requires K of these cosigners to have cosigned a checkpoint
(`ledger.cosignature`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import nacl.signing

from actas.election import TOKEN_RE, Election
from actas.errors import FormatError, VerificationError
from actas.fields import parse_hex64, parse_uint
from actas.ledger.cosignature import CosignerPolicy
from actas.signed_note import SignedNote, Signer, Verifier

HEADER = "actas key registry v1"
MAX_REGISTRY_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class RegisteredStation:
    code: str
    registered: int
    machine: Verifier

    @cached_property
    def verify_key(self) -> nacl.signing.VerifyKey:
        return nacl.signing.VerifyKey(self.machine.public_key)

    @cached_property
    def key_id(self) -> bytes:
        return self.machine.key_id


@dataclass(frozen=True)
class KeyRegistry:
    election_id: str
    fingerprint: str
    authority: Verifier
    contests: tuple[tuple[str, tuple[str, ...]], ...]
    stations: Mapping[str, RegisteredStation]
    cosigners: CosignerPolicy | None = None

    @cached_property
    def ballot(self) -> Mapping[str, tuple[str, ...]]:
        return dict(self.contests)

    @cached_property
    def contest_ids(self) -> tuple[str, ...]:
        return tuple(cid for cid, _ in self.contests)

    def text(self) -> str:
        lines = [
            HEADER,
            f"election {self.election_id}",
            f"fingerprint {self.fingerprint}",
            f"authority {self.authority.to_text()}",
            *(f"contest {cid} {' '.join(options)}" for cid, options in self.contests),
            *(self.cosigners.lines() if self.cosigners is not None else []),
            f"stations {len(self.stations)}",
            *(f"station {s.code} {s.registered} {s.machine.to_text()}" for s in self.stations.values()),
        ]
        return "\n".join(lines) + "\n"

    def sign(self, authority: Signer) -> str:
        if authority.verifier != self.authority:
            raise FormatError("the registry must be signed by the authority key it names")
        return authority.sign(self.text()).to_text()

    @classmethod
    def for_election(
        cls,
        election: Election,
        authority: Verifier,
        machines: Mapping[str, Verifier],
        cosigners: CosignerPolicy | None = None,
    ) -> KeyRegistry:
        missing = [s.code for s in election.stations if s.code not in machines]
        if missing:
            raise FormatError(f"no machine key for {len(missing)} stations, first {missing[0]}")
        return cls(
            election_id=election.id,
            fingerprint=election.fingerprint,
            authority=authority,
            contests=tuple((c.id, c.option_ids) for c in election.contests),
            stations={s.code: RegisteredStation(s.code, s.registered, machines[s.code]) for s in election.stations},
            cosigners=cosigners,
        )

    @classmethod
    def from_text(cls, note_text: str, *, authority: Verifier | None = None) -> KeyRegistry:
        """Parse a signed registry and check its signature (and the pinned authority key, if given)."""
        note, lines = _signed_lines(note_text)
        header = _Header.parse(lines)
        stations = _stations(lines, header.end)
        header.check(note, authority)
        return KeyRegistry(
            header.election_id, header.fingerprint, header.authority, header.contests, stations, header.cosigners
        )

    @staticmethod
    def policy_from_text(note_text: str) -> CosignerPolicy | None:
        """The cosigner policy of a signed registry (its signature checked), without reading its stations."""
        note, lines = _signed_lines(note_text)
        header = _Header.parse(lines)
        header.check(note, None)
        return header.cosigners


def _signed_lines(note_text: str) -> tuple[SignedNote, list[str]]:
    if len(note_text) > MAX_REGISTRY_BYTES:
        raise FormatError(f"key registry is larger than {MAX_REGISTRY_BYTES} bytes")
    note = SignedNote.from_text(note_text)
    return note, note.text.split("\n")[:-1]


def _field(lines: list[str], i: int, key: str) -> str:
    if i >= len(lines) or not lines[i].startswith(key + " "):
        found = lines[i][:40] if i < len(lines) else "end of text"
        raise FormatError(f"key registry line {i + 1}: expected '{key} ...', found {found!r}")
    return lines[i][len(key) + 1 :]


@dataclass(frozen=True)
class _Header:
    """A registry's lines before its stations; `end` is the index of the first station line."""

    election_id: str
    fingerprint: str
    authority: Verifier
    contests: tuple[tuple[str, tuple[str, ...]], ...]
    cosigners: CosignerPolicy | None
    end: int

    def check(self, note: SignedNote, authority: Verifier | None) -> None:
        """The note must be signed by the authority key it names, and that key be the pinned one if given."""
        if authority is not None and authority != self.authority:
            raise VerificationError(
                f"key registry is signed for authority {self.authority.to_text()}, "
                f"not the pinned key {authority.to_text()}"
            )
        if not self.authority.verifies(note):
            raise VerificationError(f"key registry signature by {self.authority.name} is missing or invalid")

    @classmethod
    def parse(cls, lines: list[str]) -> _Header:
        if not lines or lines[0] != HEADER:
            raise FormatError(f"key registry line 1: expected {HEADER!r}, found {(lines or [''])[0][:40]!r}")
        election_id = _field(lines, 1, "election")
        fingerprint = parse_hex64(_field(lines, 2, "fingerprint"), "key registry line 3")
        authority = Verifier.from_text(_field(lines, 3, "authority"))
        i = 4
        contests = []
        while i < len(lines) and lines[i].startswith("contest "):
            parts = _field(lines, i, "contest").split(" ")
            if len(parts) < 2 or not all(TOKEN_RE.fullmatch(p) for p in parts):
                raise FormatError(f"key registry line {i + 1}: expected 'contest <id> <option id>...'")
            contests.append((parts[0], tuple(parts[1:])))
            i += 1
        if not contests:
            raise FormatError(f"key registry line {i + 1}: expected at least one 'contest' line")
        cosigners = None
        if i < len(lines) and lines[i].startswith("quorum "):
            end = i + 1
            while end < len(lines) and lines[end].startswith("cosigner "):
                end += 1
            try:
                cosigners = CosignerPolicy.from_lines(lines[i:end], i + 1)
            except FormatError as exc:
                raise FormatError(f"key registry {exc}") from None
            i = end
        return cls(election_id, fingerprint, authority, tuple(contests), cosigners, i)


def _stations(lines: list[str], i: int) -> dict[str, RegisteredStation]:
    count = parse_uint(_field(lines, i, "stations"), f"key registry line {i + 1}")
    i += 1
    if len(lines) - i != count:
        raise FormatError(f"key registry announces {count} stations but lists {len(lines) - i}")
    stations: dict[str, RegisteredStation] = {}
    for j in range(i, len(lines)):
        parts = _field(lines, j, "station").split(" ")
        if len(parts) != 3 or not TOKEN_RE.fullmatch(parts[0]):
            raise FormatError(f"key registry line {j + 1}: expected 'station <code> <registered> <key>'")
        if parts[0] in stations:
            raise FormatError(f"key registry line {j + 1}: station {parts[0]} is listed twice")
        registered = parse_uint(parts[1], f"key registry line {j + 1}")
        stations[parts[0]] = RegisteredStation(parts[0], registered, Verifier.from_text(parts[2]))
    return stations
