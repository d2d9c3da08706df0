"""What a board's encrypted ballots say of each mesa, as its entries arrive: the mesa's record of ballots
published, the trustees' shares of its tally, and once a quorum of them is in, the decrypted tally set
against the final acta counted for the mesa.

A mesa is, for its encrypted ballots:

- *missing*: its counted final acta commits to encrypted ballots the board does not hold;
- *published*: the board holds its record, but fewer than k trustees' shares of its tally;
- *agrees*: the tally decrypted from k trustees' shares equals its final acta, option by option;
- *differs*: it does not (the acta's count and the ballots' are both named, neither is taken);
- *unchecked*: decrypted, but there is no single final acta to set it against (none, or several in
  conflict), or the acta commits to other ballots.

The board checks every record and every share before it takes them (`board.ballots`), and whoever
replays a board checks them again (`verification`); this count trusts what it is handed and only
decrypts and compares, once per mesa and set of trustees."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from actas.acta.model import Acta
from actas.e2e.elgamal import Ciphertext, DiscreteLog, total
from actas.e2e.mesa import RecordSummary, linked
from actas.e2e.tally import AGREES, DIFFERS, UNCHECKED, MesaShares, MesaVerdict, commitment_problems, compare
from actas.e2e.tally import decrypt_tally as decrypted_tally
from actas.e2e.trustees import Ceremony
from actas.election import Election

MISSING, PUBLISHED = "missing", "published"
DIFFERING_LISTED = 50
"""How many of a unit's mesas whose ballots differ from their acta its results name (the count covers all)."""


@dataclass(frozen=True)
class PublishedBallots(RecordSummary):
    """A part of a mesa's record of encrypted ballots on the board (`MesaRecord.split`), as the count needs
    it; or a whole record, put together from its parts."""

    index: int
    """Its entry (a whole record's: its first part's)."""
    tally: tuple[Ciphertext, ...] | None = None
    """The sum of its cast ballots, where the reader computed it (a verifier does; a board need not)."""
    alphas: frozenset[bytes] = frozenset()
    """Its ballots' nonces' commitments [r]G, where the reader keeps them (a verifier, to find a nonce used
    again in another part of the mesa's record)."""


def whole_records(parts: list[PublishedBallots]) -> list[PublishedBallots]:
    """The whole records the parts of a mesa make (`linked`), each counted as one."""
    records = []
    for chain in linked(parts):
        first, last = chain[0], chain[-1]
        tallies = [p.tally for p in chain]
        tally = None if any(t is None for t in tallies) else tuple(map(total, zip(*tallies, strict=True)))
        cast, spoiled = sum(p.cast for p in chain), sum(p.spoiled for p in chain)
        whole = RecordSummary(first.station, 1, 1, first.start, last.last_code, cast, spoiled, first.first)
        records.append(PublishedBallots(**vars(whole), index=first.index, tally=tally))
    return records


@dataclass(frozen=True)
class EncryptedCoverage:
    """How many of a unit's mesas are in each state of their encrypted ballots."""

    missing: int
    published: int
    agree: int
    differ: int
    unchecked: int

    def to_json(self) -> dict[str, int]:
        return {
            "missing": self.missing,
            "published": self.published,
            "agree": self.agree,
            "differ": self.differ,
            "unchecked": self.unchecked,
        }


class EncryptedTally:
    def __init__(self, election: Election, ceremony: Ceremony) -> None:
        self.k = ceremony.k
        self.contest = election.contests[0]
        self._paths = {s.code: ("", *(u.code for u in election.path(s))) for s in election.stations}
        self._parts: dict[str, list[PublishedBallots]] = {}
        self._whole: dict[str, list[PublishedBallots]] = {}
        self._records: dict[str, PublishedBallots] = {}
        """Each mesa's whole record: the one its counted final acta commits to, where there are several."""
        self._shares: dict[str, dict[int, MesaShares]] = {}
        self._decrypted: dict[str, tuple[tuple[int, ...], dict[str, int] | str]] = {}
        """Per mesa, the trustees whose shares decrypted it and what they gave: decrypted once per set."""
        self._status: dict[str, str] = {}
        self.verdicts: dict[str, MesaVerdict] = {}
        self._units: dict[str, Counter[str]] = {}
        self._table = DiscreteLog()

    def add_ballots(self, item: PublishedBallots, acta: Acta | None) -> None:
        """A part of a mesa's record, counted once the record is whole (its parts are put together when a
        last part is in: a board appends them in order, the last last)."""
        parts = self._parts.setdefault(item.station, [])
        parts.append(item)
        if any(p.part == p.parts for p in parts):
            self._whole[item.station] = whole_records(parts)
        self.settle(item.station, acta)

    def add_shares(self, item: MesaShares, acta: Acta | None) -> None:
        self._shares.setdefault(item.station, {}).setdefault(item.trustee, item)
        self.settle(item.station, acta)

    def settle(self, station: str, acta: Acta | None) -> None:
        """Decide a mesa's state again from what is known of it, with `acta` its counted final acta."""
        record = self._record_of(station, acta)
        verdict = self._verdict(station, record, acta) if record is not None else None
        if verdict is None:
            self.verdicts.pop(station, None)
        else:
            self.verdicts[station] = verdict
        if record is None:
            status = MISSING if acta is not None and acta.ballots is not None else ""
        else:
            status = verdict.status if verdict is not None else PUBLISHED
        self._move(station, status)

    def _record_of(self, station: str, acta: Acta | None) -> PublishedBallots | None:
        """The mesa's whole record: the one its acta commits to, where it has several."""
        records = self._whole.get(station, [])
        committed = [r for r in records if acta is not None and acta.ballots == r.last_code.hex()]
        candidates = committed or records
        if not candidates:
            self._records.pop(station, None)
            return None
        self._records[station] = candidates[0]
        return candidates[0]

    def _verdict(self, station: str, record: PublishedBallots, acta: Acta | None) -> MesaVerdict | None:
        """The record's tally decrypted by the first k trustees' shares, against the acta; None before k
        trustees' shares are in. Decrypted once per set of trustees. (Shares of another tally than the
        record's never reach the count: the board refuses them, and a verifier names them.)"""
        shares = [s for _, s in sorted(self._shares.get(station, {}).items())]
        if len(shares) < self.k:
            return None
        chosen = tuple(s.trustee for s in shares[: self.k])
        cached = self._decrypted.get(station)
        if cached is None or cached[0] != chosen:
            cached = (chosen, decrypted_tally(self.k, self.contest, record.cast, shares[: self.k], self._table))
            self._decrypted[station] = cached
        problems = commitment_problems(acta, record.last_code) if acta is not None else []
        return compare(station, cached[1], acta, problems)

    def _move(self, station: str, status: str) -> None:
        before = self._status.get(station, "")
        if before == status:
            return
        for unit in self._paths.get(station, ()):
            counts = self._units.setdefault(unit, Counter())
            counts[before] -= 1
            counts[status] += 1
        if status:
            self._status[station] = status
        else:
            self._status.pop(station, None)

    def status(self, station: str) -> str:
        """The mesa's state (empty when its acta commits to no encrypted ballots and none are published)."""
        return self._status.get(station, "")

    def statuses(self) -> dict[str, str]:
        """Each mesa's state, for the mesas that have one (a copy)."""
        return dict(self._status)

    def stations(self, status: str) -> list[str]:
        """The mesas in a state, by code."""
        return sorted(s for s, found in self._status.items() if found == status)

    def record(self, station: str) -> PublishedBallots | None:
        return self._records.get(station)

    def coverage(self, unit: str) -> EncryptedCoverage:
        c = self._units.get(unit, Counter())
        return EncryptedCoverage(c[MISSING], c[PUBLISHED], c[AGREES], c[DIFFERS], c[UNCHECKED])

    def differing(self, unit: str) -> tuple[str, ...]:
        """The unit's first mesas whose decrypted ballots differ from their acta, by code."""
        if not self._units.get(unit, Counter())[DIFFERS]:
            return ()
        found = sorted(s for s, status in self._status.items() if status == DIFFERS and unit in self._paths[s])
        return tuple(found[:DIFFERING_LISTED])
