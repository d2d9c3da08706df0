"""Paper receipts and their hash chain.

Each vote prints a receipt whose code is SHA-256(previous code || receipt body), the first
previous code being the SHA-256 of the zero acta's payload. The final acta carries the last code,
so when the paper receipts are counted by hand, a receipt removed, added or altered after the
polls closed breaks the chain at a place the count can name.

The chain also orders the receipts; docs/threat-model.md discusses what that means for the secrecy
of the vote and why receipts carry no time and no voter data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from actas.election import TOKEN_RE
from actas.errors import FormatError
from actas.fields import parse_hex64, parse_uint

RECEIPT_HEADER = "actas receipt v1"
MAX_RECEIPT_BYTES = 4096


def receipt_body(station: str, seq: int, choices: Iterable[tuple[str, str]]) -> str:
    lines = "".join(f"{contest} {option}\n" for contest, option in choices)
    return f"{RECEIPT_HEADER}\nstation {station}\nseq {seq}\n{lines}"


def chain_code(previous: str, body: str) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + body.encode()).hexdigest()


@dataclass(frozen=True)
class Receipt:
    station: str
    seq: int
    choices: tuple[tuple[str, str], ...]
    """(contest id, option id or 'null') in ballot order."""
    code: str

    @property
    def body(self) -> str:
        return receipt_body(self.station, self.seq, self.choices)

    def to_text(self) -> str:
        return f"{self.body}code {self.code}\n"

    @classmethod
    def from_text(cls, text: str) -> Receipt:
        if len(text) > MAX_RECEIPT_BYTES:
            raise FormatError(f"receipt is longer than {MAX_RECEIPT_BYTES} bytes")
        lines = text.split("\n")
        if len(lines) < 6 or lines[0] != RECEIPT_HEADER or lines[-1] != "":
            raise FormatError(f"not a receipt: expected {RECEIPT_HEADER!r} and lines ending in a newline")
        station = _value(lines[1], "station")
        if not TOKEN_RE.fullmatch(station):
            raise FormatError(f"receipt station {station[:30]!r} is not a valid code")
        seq = parse_uint(_value(lines[2], "seq"), "receipt seq")
        code = parse_hex64(_value(lines[-2], "code"), "receipt code")
        choices = []
        for line in lines[3:-2]:
            contest, sep, option = line.partition(" ")
            if not sep or not TOKEN_RE.fullmatch(contest) or not TOKEN_RE.fullmatch(option):
                raise FormatError(f"receipt line {line[:30]!r}: expected '<contest> <option>'")
            choices.append((contest, option))
        return cls(station, seq, tuple(choices), code)


def _value(line: str, key: str) -> str:
    k, sep, value = line.partition(" ")
    if k != key or not sep:
        raise FormatError(f"receipt: expected '{key} <value>', found {line[:30]!r}")
    return value


@dataclass
class PaperCount:
    """The hand count of a station's paper receipts, checked against the acta's chain."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """contest -> option (or 'null') -> receipts."""
    receipts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def chain_intact(self) -> bool:
        return not self.problems


def count_receipts(receipts: Iterable[Receipt], *, station: str, zero: str, chain: str) -> PaperCount:
    """Count paper receipts by hand and say where the chain from `zero` to `chain` is broken."""
    result = PaperCount()
    by_seq: dict[int, Receipt] = {}
    for r in receipts:
        if r.station != station:
            result.problems.append(f"receipt {r.seq} is from station {r.station}, not {station}")
            continue
        if r.seq in by_seq:
            result.problems.append(f"two receipts carry number {r.seq}")
            continue
        by_seq[r.seq] = r
        result.receipts += 1
        for contest, option in r.choices:
            per = result.counts.setdefault(contest, {})
            per[option] = per.get(option, 0) + 1
    previous = zero
    last = max(by_seq, default=0)
    for seq in range(1, last + 1):
        receipt = by_seq.get(seq)
        if receipt is None:
            result.problems.append(f"receipt {seq} is missing")
            previous = ""
            continue
        if previous and chain_code(previous, receipt.body) != receipt.code:
            result.problems.append(f"receipt {seq} does not follow receipt {seq - 1} in the chain")
        previous = receipt.code
    if by_seq and by_seq[last].code != chain:
        result.problems.append(f"the last receipt ({last}) does not end the chain the acta closed with")
    if not by_seq and chain != zero:
        result.problems.append("no receipts, but the acta's chain shows votes were cast")
    return result
