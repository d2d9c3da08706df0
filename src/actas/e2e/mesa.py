"""A mesa's encrypted ballots: the machine's ballot box, which encrypts each vote and lets the voter cast
or challenge it, and the check of the record it publishes.

Each vote is encrypted before the voter decides, and its confirmation code, which chains it to every
ballot before it, is shown then: the code commits the machine to the ballot. The voter then casts it,
and it counts; or challenges it (Benaloh), and the machine reveals its nonces, the ballot is spoiled,
never counted, and anyone can decrypt it from the nonces to see whether the machine encrypted the
voter's choice. Both kinds stay in the chain, in the order they were made; the last code commits to the
whole record. Nothing in the record says who voted or when.

The record (`MesaRecord`) is written as JSON lines: a header, then one line per ballot with its code, its
bytes in base64 and, for a spoiled ballot, the choice and the nonces revealed."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from actas.e2e.ballot import (
    CODE_BYTES,
    Ballot,
    Encrypted,
    EncryptedBallot,
    ballot_problems,
    choices,
    encrypt_ballot,
    first_code,
    next_code,
    spoiled_choice,
)
from actas.e2e.elgamal import Ciphertext, total
from actas.e2e.group import scalar, scalar_bytes
from actas.e2e.hashing import Context
from actas.errors import FormatError, MachineStateError

RECORD_FORMAT = "actas-e2e/1 mesa"
MAX_BALLOT_LINE = 64 * 1024
"""A ballot of up to 300 options, in base64 with its spoiled nonces: longer lines are refused."""
MAX_PARTS = 10_000
PART_HEADER = 200
"""What a part's header adds to a whole record's: its number, their count and the code it follows."""


@dataclass(frozen=True)
class Spoiled:
    """What the machine reveals of a challenged ballot."""

    choice: str
    nonces: tuple[int, ...]


@dataclass(frozen=True)
class RecordedBallot:
    code: bytes
    ballot: EncryptedBallot
    spoiled: Spoiled | None = None


@dataclass(frozen=True)
class MesaRecord:
    """A mesa's encrypted ballots in the order they were made; or one part of them (`split`), which says
    which part it is and the code its first ballot follows, so that each part is checked alone."""

    fingerprint: str
    station: str
    contest: str
    ballots: tuple[RecordedBallot, ...]
    part: int = 1
    parts: int = 1
    after: bytes = b""
    """The code before its first ballot: the chain's start for a whole record or a first part (empty)."""

    @property
    def start(self) -> bytes:
        return self.after or first_code(self.fingerprint, self.station)

    @property
    def last_code(self) -> bytes:
        """The code that commits to the record and every ballot before it: a whole record's is the one its
        final acta carries."""
        return self.ballots[-1].code if self.ballots else self.start

    def split(self, most_bytes: int) -> list[MesaRecord]:
        """The record in parts of at most `most_bytes` written each (a ballot's line is never split), in
        order; one part when it fits whole."""
        groups: list[list[RecordedBallot]] = [[]]
        size = len(self.to_lines()[0]) + PART_HEADER
        for ballot, line in zip(self.ballots, self.to_lines()[1:], strict=True):
            if groups[-1] and size + len(line) > most_bytes:
                groups.append([])
                size = len(self.to_lines()[0]) + PART_HEADER
            groups[-1].append(ballot)
            size += len(line)
        parts, after = [], b""
        for number, group in enumerate(groups, start=1):
            parts.append(
                MesaRecord(self.fingerprint, self.station, self.contest, tuple(group), number, len(groups), after)
            )
            after = parts[-1].last_code
        return parts

    @property
    def cast(self) -> tuple[EncryptedBallot, ...]:
        return tuple(b.ballot for b in self.ballots if b.spoiled is None)

    def summary(self) -> RecordSummary:
        cast = len(self.cast)
        first = self.ballots[0].code if self.ballots else b""
        return RecordSummary(self.station, self.part, self.parts, self.start, self.last_code, cast,
                             len(self.ballots) - cast, first)  # fmt: skip

    def to_lines(self) -> list[str]:
        header: dict[str, object] = {"format": RECORD_FORMAT, "fingerprint": self.fingerprint, "station": self.station}
        header["contest"] = self.contest
        if self.parts > 1:
            header |= {"part": self.part, "parts": self.parts, "after": self.after.hex()}
        return [json.dumps(header) + "\n", *(ballot_line(b) for b in self.ballots)]

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> MesaRecord:
        """A record from its lines, each checked as it is read (ballots' proofs are checked by `check`)."""
        header: _Header | None = None
        ballots = []
        for number, line in enumerate(lines, start=1):
            if len(line) > MAX_BALLOT_LINE:
                raise FormatError(f"mesa record, line {number}: longer than {MAX_BALLOT_LINE:,} characters")
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                raise FormatError(f"mesa record, line {number}: not a JSON object") from None
            if not isinstance(obj, dict):
                raise FormatError(f"mesa record, line {number}: not a JSON object")
            if header is None:
                header = _header(obj)
                continue
            ballots.append(_ballot(obj, number))
        if header is None:
            raise FormatError("mesa record: empty")
        return cls(header.fingerprint, header.station, header.contest, tuple(ballots), *header.part)


class Part(Protocol):
    """A part of a mesa's record, as a record, a summary or what the count keeps of it."""

    @property
    def part(self) -> int: ...

    @property
    def parts(self) -> int: ...

    @property
    def start(self) -> bytes: ...

    @property
    def last_code(self) -> bytes: ...


P = TypeVar("P", bound=Part)


def linked(parts: Sequence[P]) -> list[list[P]]:
    """The whole records a mesa's parts make, each its parts from the first to the last, linked code to code
    (a part starts at the code its previous part ends at); parts that make no whole record are left out."""
    by_start = {(p.start, p.part): p for p in parts}
    wholes = []
    for first in (p for p in parts if p.part == 1):
        chain = [first]
        while chain[-1].part < chain[-1].parts:
            following = by_start.get((chain[-1].last_code, chain[-1].part + 1))
            if following is None or following.parts != first.parts:
                break
            chain.append(following)
        if chain[-1].part == chain[-1].parts:
            wholes.append(chain)
    return wholes


def ballot_line(b: RecordedBallot) -> str:
    """A ballot's line of its mesa's record: its code, its bytes, and for a challenged one what was revealed."""
    line: dict[str, object] = {"code": b.code.hex(), "ballot": base64.b64encode(b.ballot.encode()).decode()}
    if b.spoiled is not None:
        line["spoiled"] = {"choice": b.spoiled.choice, "nonces": [scalar_bytes(n).hex() for n in b.spoiled.nonces]}
    return json.dumps(line) + "\n"


@dataclass(frozen=True)
class RecordSummary:
    """What a mesa's record says without its ballots read: how the board counts a record it has checked."""

    station: str
    part: int
    parts: int
    start: bytes
    """The code before its first ballot."""
    last_code: bytes
    cast: int
    spoiled: int
    first: bytes
    """The first ballot's code (empty when there is none)."""


def record_summary(data: bytes) -> RecordSummary:
    """A record's station, last code and how many ballots were cast and spoiled, read from its JSON lines
    alone (its ballots are neither decoded nor checked: `check_mesa` does that)."""
    header, lines = _read_lines(data)
    last = header.part[2] or first_code(header.fingerprint, header.station)
    first, cast, spoiled = b"", 0, 0
    for code, obj in lines:
        last = bytes.fromhex(code)
        first = first or last
        spoiled += "spoiled" in obj
        cast += "spoiled" not in obj
    part, parts, after = header.part
    return RecordSummary(header.station, part, parts, after or first_code(header.fingerprint, header.station), last,
                         cast, spoiled, first)  # fmt: skip


def record_codes(data: bytes) -> list[str]:
    """The confirmation codes of a record's or a part's ballots, in order, read from its JSON lines alone
    (as `record_summary` reads them: the ballots are neither decoded nor checked)."""
    return [code for code, _ in _read_lines(data)[1]]


def _read_lines(data: bytes) -> tuple[_Header, list[tuple[str, dict[str, object]]]]:
    """A record's header, and each ballot's line with its code (64 hexadecimal digits)."""
    header: _Header | None = None
    lines: list[tuple[str, dict[str, object]]] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line:
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            raise FormatError(f"mesa record, line {number}: not a JSON object") from None
        if not isinstance(obj, dict):
            raise FormatError(f"mesa record, line {number}: not a JSON object")
        if header is None:
            header = _header(obj)
            continue
        code = obj.get("code")
        if not isinstance(code, str) or not _is_code(code):
            raise FormatError(f"mesa record, line {number}: expected a 32-byte code in hexadecimal")
        lines.append((code, obj))
    if header is None:
        raise FormatError("mesa record: empty")
    return header, lines


def ballot_in(data: bytes, code: str) -> RecordedBallot:
    """The ballot of this code (64 hexadecimal digits) in a record's or a part's JSON lines, read alone."""
    needle = f'"code": "{code}"'.encode()
    for number, line in enumerate(data.split(b"\n"), start=1):
        if needle in line:
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):
                raise FormatError(f"mesa record, line {number}: not a JSON object") from None
            if isinstance(obj, dict) and obj.get("code") == code:
                return _ballot(obj, number)
    raise FormatError(f"mesa record: no ballot of code {code[:16]}…")


@dataclass(frozen=True)
class _Header:
    fingerprint: str
    station: str
    contest: str
    part: tuple[int, int, bytes]
    """(part, parts, the code before its first ballot or empty) of a part; (1, 1, b"") of a whole record."""


def _header(obj: dict[str, object]) -> _Header:
    if obj.get("format") != RECORD_FORMAT:
        raise FormatError(f"mesa record: expected format {RECORD_FORMAT!r} on its first line")
    found = [obj.get(key) for key in ("fingerprint", "station", "contest")]
    if not all(isinstance(v, str) and 0 < len(v) <= 64 for v in found):
        raise FormatError("mesa record: its header names no fingerprint, station or contest")
    fingerprint, station, contest = (str(v) for v in found)
    if "parts" not in obj and "part" not in obj and "after" not in obj:
        return _Header(fingerprint, station, contest, (1, 1, b""))
    part, parts, after = obj.get("part"), obj.get("parts"), obj.get("after")
    if type(part) is not int or type(parts) is not int or not 1 <= part <= parts <= MAX_PARTS or parts == 1:
        raise FormatError(f"mesa record: a part is numbered 1 to its parts, at most {MAX_PARTS:,}")
    if not isinstance(after, str) or (part == 1) != (after == "") or (after and not _is_code(after)):
        raise FormatError("mesa record: a part after the first names the code before its first ballot")
    return _Header(fingerprint, station, contest, (part, parts, bytes.fromhex(after)))


def _is_code(text: str) -> bool:
    return len(text) == 2 * CODE_BYTES and not text.strip("0123456789abcdef")


def _ballot(obj: dict[str, object], number: int) -> RecordedBallot:
    at = f"mesa record, line {number}"
    code, data = obj.get("code"), obj.get("ballot")
    try:
        code_bytes = bytes.fromhex(code) if isinstance(code, str) and code == code.lower() else b""
        ballot_bytes = base64.b64decode(data, validate=True) if isinstance(data, str) else b""
    except (ValueError, binascii.Error):
        raise FormatError(f"{at}: its code or its ballot is not hexadecimal and base64") from None
    if len(code_bytes) != CODE_BYTES or not ballot_bytes or base64.b64encode(ballot_bytes).decode() != data:
        raise FormatError(f"{at}: expected a 32-byte code in lowercase hexadecimal and a ballot in base64")
    ballot = EncryptedBallot.decode(ballot_bytes)
    revealed = obj.get("spoiled")
    spoiled = None
    if revealed is not None:
        if not isinstance(revealed, dict) or not isinstance(revealed.get("choice"), str):
            raise FormatError(f"{at}: a spoiled ballot names its choice and its nonces")
        nonces = revealed.get("nonces")
        if not isinstance(nonces, list) or len(nonces) != len(ballot.selections):
            raise FormatError(f"{at}: a spoiled ballot reveals one nonce per option")
        spoiled = Spoiled(str(revealed["choice"]), tuple(_nonce(n, at) for n in nonces))
    return RecordedBallot(code_bytes, ballot, spoiled)


def _nonce(value: object, at: str) -> int:
    try:
        data = bytes.fromhex(value) if isinstance(value, str) and value == value.lower() else b""
    except ValueError:
        data = b""
    return scalar(data, f"{at}: nonce")


@dataclass(frozen=True)
class Pending:
    """A ballot encrypted and shown to the voter by its code, not yet cast or challenged."""

    encrypted: Encrypted
    choice: str
    code: bytes


@dataclass
class BallotBox:
    """A machine's encrypted ballots for one mesa and one contest, as the day goes."""

    context: Context
    station: str
    contest: Ballot
    recorded: list[RecordedBallot] = field(default_factory=list)
    pending: Pending | None = None

    def encrypt(self, choice: str) -> bytes:
        """Encrypt the voter's choice; its confirmation code, to show before the voter decides."""
        if self.pending is not None:
            raise MachineStateError("a ballot is waiting to be cast or challenged")
        encrypted = encrypt_ballot(self.context, self.station, self.contest, choice)
        self.pending = Pending(encrypted, choice, next_code(self.last_code, encrypted.ballot))
        return self.pending.code

    @property
    def last_code(self) -> bytes:
        return self.recorded[-1].code if self.recorded else first_code(self.context.fingerprint.hex(), self.station)

    def cast(self) -> bytes:
        """Cast the pending ballot: it counts, and its nonces are forgotten. Its code."""
        pending = self._take()
        self.recorded.append(RecordedBallot(pending.code, pending.encrypted.ballot))
        return pending.code

    def challenge(self) -> Spoiled:
        """Challenge the pending ballot: spoiled, never counted, its nonces revealed with the choice."""
        pending = self._take()
        spoiled = Spoiled(pending.choice, pending.encrypted.nonces)
        self.recorded.append(RecordedBallot(pending.code, pending.encrypted.ballot, spoiled))
        return spoiled

    def _take(self) -> Pending:
        if self.pending is None:
            raise MachineStateError("no ballot is waiting to be cast or challenged")
        pending, self.pending = self.pending, None
        return pending

    def record(self) -> MesaRecord:
        return MesaRecord(self.context.fingerprint.hex(), self.station, self.contest.id, tuple(self.recorded))


@dataclass(frozen=True)
class MesaCheck:
    """What checking a mesa's record found."""

    problems: tuple[str, ...]
    cast: int
    spoiled: tuple[tuple[bytes, str], ...]
    """Each spoiled ballot's code and the choice its nonces show."""
    tally: tuple[Ciphertext, ...]
    """Per option (cards, then null), the sum of the cast ballots' ciphertexts: what the trustees decrypt."""
    last_code: bytes


def check_mesa(context: Context, contest: Ballot, record: MesaRecord) -> MesaCheck:
    """Check every ballot of a mesa's record, its chain of codes, that no nonce is used twice in the mesa,
    and that each spoiled ballot decrypts, from its nonces, to the choice the machine said; and add up
    the cast ballots. Each problem names the ballot by its place and code."""
    problems = []
    if record.fingerprint != context.fingerprint.hex():
        problems.append("the record is of another election")
    if record.contest != contest.id:
        problems.append(f"the record is of contest {record.contest[:40]!r}, not {contest.id}")
    code = record.start
    seen: dict[bytes, int] = {}
    spoiled = []
    valid: list[EncryptedBallot] = []
    """The cast ballots that hold: what the tally adds (a mesa with any other is flagged all the same)."""
    for place, entry in enumerate(record.ballots, start=1):
        at = f"ballot {place} ({entry.code.hex()[:12]})"
        code = next_code(code, entry.ballot)
        if entry.code != code:
            problems.append(f"{at}: its code does not follow from the ballots before it")
            code = entry.code
        found = ballot_problems(context, entry.ballot, contest, record.station)
        problems += [f"{at}: {p}" for p in found]
        if not found and entry.spoiled is None:
            valid.append(entry.ballot)
        for s in entry.ballot.selections:
            if s.ciphertext.alpha in seen and seen[s.ciphertext.alpha] != place:
                problems.append(f"{at}: it shares a nonce with ballot {seen[s.ciphertext.alpha]}")
                break
            seen[s.ciphertext.alpha] = place
        if entry.spoiled is not None:
            shown = spoiled_choice(context, entry.ballot, entry.spoiled.nonces)
            if shown != entry.spoiled.choice:
                problems.append(
                    f"{at}: spoiled, its nonces show {shown or 'no valid vote'}, not {entry.spoiled.choice}"
                )
            spoiled.append((entry.code, entry.spoiled.choice))
    tally = tuple(total(b.selections[i].ciphertext for b in valid) for i in range(len(choices(contest))))
    return MesaCheck(tuple(problems), len(record.cast), tuple(spoiled), tally, record.last_code)
