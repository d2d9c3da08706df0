"""Setting two tabulations side by side, mesa by mesa: the official one and an observer's.

Stations are matched by code, and compared candidate by candidate (the options of a candidate added
up), so a source that counts party cards can be held against one that counts only candidates.
Each station is identical, different (which candidates, by how much), only in the official
results, or only in the observer's; each side says what its row's signature is: valid, invalid (a
signature that fails: alarming), or unsigned (data that never carried one: it proves nothing either
way and accuses no one). Where the
observer's witnesses counted the paper receipts by hand, a hand count that differs from the
machine's count (the official acta's, or the witness's own acta where the official side has none)
is a difference of its own: the paper is what the voters left. So is, on an official board that
publishes encrypted ballots, a mesa whose ballots, decrypted by the trustees, say otherwise than its
official acta.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from actas.dataset.model import Dataset, Signature, Signatures, level_index, natural_order

IDENTICAL, DIFFERENT, ONLY_OFFICIAL, ONLY_OBSERVER = "identical", "different", "only-official", "only-observer"
STATUSES = (IDENTICAL, DIFFERENT, ONLY_OFFICIAL, ONLY_OBSERVER)
PAPER_DIFFERS = "paper-differs"
"""Not a status of its own: a station of any status can also have a hand count that differs."""
BALLOTS_DIFFER = "ballots-differ"
"""Not a status either: an official acta whose mesa's encrypted ballots, decrypted, say otherwise."""


@dataclass(frozen=True)
class Difference:
    candidate: str
    official: int
    observer: int

    @property
    def delta(self) -> int:
        """How many more votes the official results give the candidate than the observer's acta."""
        return self.official - self.observer


@dataclass(frozen=True)
class Compared:
    station: str
    path: tuple[str, ...]
    status: str
    differences: tuple[Difference, ...] = ()
    official_signature: Signature | None = None
    observer_signature: Signature | None = None
    """None where that side has no row for the station."""
    paper: tuple[Difference, ...] = ()
    """The machine's count (official) against the witnesses' hand count of the paper (observer)."""
    ballots: tuple[Difference, ...] = ()
    """The official acta's count against the decryption of the mesa's encrypted ballots on the official
    board (in the observer's column)."""


EXAMPLES = 5


@dataclass(frozen=True)
class Unmatched:
    matched: int
    official: int
    observer: int
    official_examples: tuple[str, ...]
    observer_examples: tuple[str, ...]

    def said(self) -> str:
        return (
            f"mesas on both sides: {self.matched:,} of {self.official:,} official and {self.observer:,} of the "
            "observer's: are the ids written the same way? Official ids such as "
            f"{', '.join(self.official_examples) or '(none)'}; the observer's such as "
            f"{', '.join(self.observer_examples) or '(none)'} (a mapping's [[column]] can bring them to one form; "
            "see docs/import.md)"
        )


@dataclass
class Reconciliation:
    official: str
    observer: str
    candidates: list[str]
    stations: list[Compared] = field(default_factory=list)
    encrypted: bool = False
    """Whether the official side carries its mesas' decrypted encrypted ballots."""

    @property
    def kinds(self) -> tuple[str, ...]:
        """What is counted: every status, the hand counts that differ, and where the official side has
        encrypted ballots, the mesas whose decrypted ballots differ from their acta."""
        return (*STATUSES, PAPER_DIFFERS, *((BALLOTS_DIFFER,) if self.encrypted else ()))

    def count(self, status: str) -> int:
        if status == PAPER_DIFFERS:
            return sum(1 for s in self.stations if s.paper)
        if status == BALLOTS_DIFFER:
            return sum(1 for s in self.stations if s.ballots)
        return sum(1 for s in self.stations if s.status == status)

    def signatures(self, official: bool) -> Signatures:
        """The signatures of the official side's rows (official=True) or the observer's."""
        return Signatures.of(s.official_signature if official else s.observer_signature for s in self.stations)

    def unmatched(self) -> Unmatched | None:
        """Where fewer than half of either side's mesas are on the other side, the ids are most likely
        spelled differently (a mapping's [[column]] can bring them to one form): how many, and examples."""
        both = self.count(IDENTICAL) + self.count(DIFFERENT)
        official, observer = both + self.count(ONLY_OFFICIAL), both + self.count(ONLY_OBSERVER)
        if both * 2 >= min(official, observer):
            return None

        def examples(status: str) -> tuple[str, ...]:
            return tuple(s.station for s in self.stations if s.status == status)[:EXAMPLES]

        return Unmatched(both, official, observer, examples(ONLY_OFFICIAL), examples(ONLY_OBSERVER))

    @property
    def differs(self) -> bool:
        return any(s.status != IDENTICAL or s.paper or s.ballots for s in self.stations)

    def by_unit(self, levels: tuple[str, ...], level: str | None) -> dict[tuple[str, ...], dict[str, int]]:
        """How many stations of each status in each unit of `level`."""
        depth = level_index(levels, level)
        units: dict[tuple[str, ...], dict[str, int]] = {}
        for s in self.stations:
            counts = units.setdefault(s.path[:depth], dict.fromkeys(self.kinds, 0))
            counts[s.status] += 1
            counts[PAPER_DIFFERS] += bool(s.paper)
            if self.encrypted:
                counts[BALLOTS_DIFFER] += bool(s.ballots)
        return dict(sorted(units.items(), key=lambda item: natural_order(item[0])))

    def rows(self) -> Iterator[tuple[str, str, str, int | str, int | str, int | str, str, str]]:
        """(station, status, candidate, official, observer, difference, official signature, observer
        signature): one row per difference; a hand count, and the official board's decrypted ballots, are in
        the observer's column."""

        for s in self.stations:
            signatures = (s.official_signature or "", s.observer_signature or "")
            if s.status == DIFFERENT:
                for d in s.differences:
                    yield s.station, s.status, d.candidate, d.official, d.observer, d.delta, *signatures
            elif s.status != IDENTICAL:
                yield s.station, s.status, "", "", "", "", *signatures
            for d in s.paper:
                yield s.station, PAPER_DIFFERS, d.candidate, d.official, d.observer, d.delta, *signatures
            for d in s.ballots:
                yield s.station, BALLOTS_DIFFER, d.candidate, d.official, d.observer, d.delta, *signatures


SAID = {
    Signature.VALID: "signature valid",
    Signature.INVALID: "signature INVALID (it does not match the counts: altered or forged)",
    Signature.UNSIGNED: "unsigned (nothing to check, nothing wrong)",
}


def said(signature: Signature | None) -> str:
    """What a side's signature says, in the words a reader needs: only an invalid one is alarming."""
    return "no row" if signature is None else SAID[signature]


def _differences(candidates: list[str], ours: dict[str, int], theirs: dict[str, int]) -> tuple[Difference, ...]:
    return tuple(
        Difference(c, ours.get(c, 0), theirs.get(c, 0)) for c in candidates if ours.get(c, 0) != theirs.get(c, 0)
    )


def reconcile(official: Dataset, observer: Dataset) -> Reconciliation:
    candidates = list(dict.fromkeys([c for c, _ in official.candidates] + [c for c, _ in observer.candidates]))
    result = Reconciliation(official.name, observer.name, candidates, encrypted=bool(official.ballots))
    theirs = {row.code: row for row in observer}
    hand = {code: observer.by_candidate(counts) for code, counts in observer.paper.items()}

    decrypted = {code: official.by_candidate(counts) for code, counts in official.ballots.items()}

    def paper(code: str, machine: dict[str, int]) -> tuple[Difference, ...]:
        return _differences(candidates, machine, hand[code]) if code in hand else ()

    def ballots(code: str, acta: dict[str, int]) -> tuple[Difference, ...]:
        return _differences(candidates, acta, decrypted[code]) if code in decrypted else ()

    seen = set()
    for row in official:
        seen.add(row.code)
        other = theirs.get(row.code)
        ours = official.by_candidate(row.votes)
        signature = row.provenance.signature
        if other is None:
            result.stations.append(
                Compared(row.code, row.path, ONLY_OFFICIAL, (), signature, paper=paper(row.code, ours),
                         ballots=ballots(row.code, ours))
            )  # fmt: skip
            continue
        differences = _differences(candidates, ours, observer.by_candidate(other.votes))
        result.stations.append(
            Compared(
                row.code,
                row.path,
                DIFFERENT if differences else IDENTICAL,
                differences,
                signature,
                other.provenance.signature,
                paper(row.code, ours),
                ballots(row.code, ours),
            )
        )
    for row in observer:
        if row.code not in seen:
            mine = observer.by_candidate(row.votes)
            result.stations.append(
                Compared(row.code, row.path, ONLY_OBSERVER, (), None, row.provenance.signature, paper(row.code, mine))
            )
    return result
