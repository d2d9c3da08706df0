"""The encrypted ballots' part of verifying a board (`verification`), docs/e2e.md: the key ceremony's
record (entry 2), every proof of every ballot of every mesa's record with its chain of codes, every
trustee's share of every mesa's tally, and each mesa's decrypted tally against its acta.

A record is checked whole in a checking process (a mesa of 600 ballots takes seconds), as are a
trustee's shares; this process then sees that each share decrypts the tally of its mesa's record, that
no mesa's ballots are published twice, and once every entry is read, what each mesa's ballots say:
a mesa whose decrypted tally differs from its acta, whose acta commits to ballots the board does not
publish, or whose acta commits to other ballots is named. A mesa whose tally the trustees have not yet
decrypted is counted, not failed: the board is still being written."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from actas.e2e.ballot import Ballot
from actas.e2e.hashing import Context
from actas.e2e.mesa import MesaRecord, check_mesa
from actas.e2e.records import ceremony_from_text
from actas.e2e.tally import DIFFERS, UNCHECKED, MesaShares, shares_refused
from actas.e2e.trustees import Ceremony
from actas.election import Election
from actas.errors import ActasError
from actas.tally.board_count import BALLOTS, SHARES, BoardCount, read_entry
from actas.tally.encrypted import MISSING, PublishedBallots

CEREMONY_ITEM = "entry 2 (the trustees' key ceremony)"


@dataclass(frozen=True)
class BallotKeys:
    """What a checking process checks ballots and shares against."""

    context: Context
    contest: Ballot
    ceremony: Ceremony


def read_ceremony_entry(data: bytes, election: Election) -> tuple[Ceremony | None, list[str], list[str]]:
    """The ceremony of entry 2, with what makes it unusable (failures) and which trustees it disqualified
    (said, not failed: the others' key stands)."""
    try:
        ceremony = ceremony_from_text(data.decode("utf-8"))
    except (ActasError, UnicodeDecodeError) as exc:
        return None, [f"cannot be read: {exc}"], []
    failures = list(ceremony.unusable())
    if ceremony.fingerprint != election.fingerprint:
        failures.insert(0, "it is the ceremony of another election definition")
    if len(election.contests) != 1:
        failures.append("ballots are encrypted for single-contest elections only")
    disqualified = [p for p in ceremony.problems() if p not in failures]
    return (None if failures else ceremony), failures, disqualified


def keys_of(ceremony: Ceremony, election: Election) -> BallotKeys:
    return BallotKeys(Context.of(election.fingerprint, ceremony.joint_key()), election.contests[0], ceremony)


def check_ballot_entry(
    keys: BallotKeys | None, index: int, kind: str, data: bytes
) -> tuple[PublishedBallots | MesaShares | None, str, tuple[str, ...]]:
    """A record's or a trustee's shares' entry, checked whole: (what counts, its mesa, its problems)."""
    if keys is None:
        return None, "", ("the board publishes encrypted ballots without a usable key ceremony at entry 2",)
    if kind == BALLOTS:
        try:
            record = MesaRecord.from_lines(data.decode("utf-8").splitlines(keepends=True))
        except (ActasError, UnicodeDecodeError) as exc:
            return None, "", (f"cannot be read: {exc}",)
        checked = check_mesa(keys.context, keys.contest, record)
        alphas = frozenset(s.ciphertext.alpha for b in record.ballots for s in b.ballot.selections)
        item = PublishedBallots(**vars(record.summary()), index=index, tally=checked.tally, alphas=alphas)
        return item, record.station, checked.problems
    try:
        shares = read_entry(index, SHARES, data)
    except (ActasError, ValueError) as exc:
        return None, "", (f"cannot be read: {exc}",)
    assert isinstance(shares, MesaShares)
    why = shares_refused(keys.context, keys.ceremony, keys.contest, shares)
    return shares, shares.station, (why,) if why is not None else ()


@dataclass
class BallotFindings:
    """What this process gathers of the encrypted ballots while it reads the entries in board order."""

    records: int = 0
    ballots: int = 0
    shares: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    _first_codes: dict[str, set[bytes]] = field(default_factory=dict)
    _alphas: dict[str, set[bytes]] = field(default_factory=dict)
    """The nonces' commitments of each mesa's parts read so far, until its last part."""

    def add(
        self, index: int, kind: str, item: object, station: str, problems: tuple[str, ...], count: BoardCount
    ) -> None:
        what = "a mesa's encrypted ballots" if kind == BALLOTS else "a trustee's shares of a mesa's tally"
        where = f"entry {index} ({what}" + (f", mesa {station})" if station else ")")
        found = [(where, p) for p in problems]
        encrypted = count.encrypted
        if isinstance(item, PublishedBallots) and not problems:
            self.records += item.part == item.parts
            self.ballots += item.cast + item.spoiled
            if item.part == 1:
                firsts = self._first_codes.setdefault(item.station, set())
                if item.first and item.first in firsts:
                    found.append((where, "its ballots are on the board already, in another record of this mesa"))
                firsts.add(item.first)
            seen = self._alphas.setdefault(item.station, set())
            if not seen.isdisjoint(item.alphas):
                found.append((where, "a ballot of this part shares a nonce with a ballot of an earlier part"))
            seen |= item.alphas
            if item.part == item.parts:
                del self._alphas[item.station]
        elif isinstance(item, MesaShares) and not problems:
            self.shares += 1
            record = encrypted.record(item.station) if encrypted is not None else None
            if record is None:
                found.append((where, "no record of this mesa's encrypted ballots is on the board before it"))
            elif record.tally is not None and record.tally != item.tally:
                found.append((where, "its shares are of another tally than the mesa's record"))
        self.failures += found
        if not found and isinstance(item, PublishedBallots | MesaShares):
            count.add(dataclasses.replace(item, alphas=frozenset()) if isinstance(item, PublishedBallots) else item)

    def finish(self, count: BoardCount) -> str:
        """Each mesa whose ballots differ from its acta, or are missing, or are committed to otherwise, named
        among the failures; the detail of the check."""
        encrypted = count.encrypted
        if encrypted is None:
            return "no usable key ceremony"
        for station, verdict in sorted(encrypted.verdicts.items()):
            if verdict.status == DIFFERS:
                said = "; ".join(verdict.problems)
                self.failures.append((f"mesa {station}", f"its decrypted ballots differ from its acta: {said}"))
            elif verdict.status == UNCHECKED and verdict.problems:
                self.failures.append((f"mesa {station}", "; ".join(verdict.problems)))
        for station in encrypted.stations(MISSING):
            said = "its final acta commits to encrypted ballots the board does not publish"
            self.failures.append((f"mesa {station}", said))
        c = encrypted.coverage("")
        return (
            f"{self.records:,} mesas' records ({self.ballots:,} ballots) and {self.shares:,} trustees' shares, "
            f"every proof checked; {c.agree:,} decrypted tallies equal their acta, {c.differ:,} differ, "
            f"{c.published:,} await the trustees, {c.missing:,} missing"
        )
