"""Public verification of a bulletin board from a mirror of it: everything the board published, checked
by someone who trusts nobody.

- **The tree.** Every entry's leaf hash is recomputed and the tree rebuilt, so every entry is
  proved included; each entry's kind is read from what it holds.
- **The checkpoints.** Every checkpoint the mirror has seen, from this run or earlier ones, must be
  signed by the board's key and have the root of the entries' prefix of its size: a checkpoint
  whose root differs proves that the board rewrote or forked its history.
- **The registry and the actas.** The registry (entry 1) must be signed by the authority (pinned
  with `authority`); every acta, on its own or in a witness's report, is checked against it:
  signature, election, station, machine, ballot, sums.
- **The results.** Recomputed at every level from the entries (`tally.board_count`).
- **The announcements.** Each must be signed by the authority and say what the actas on the board
  before it add up to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from actas.acta_batch import check_many
from actas.announcement import NULL, OTHERS, Announcement, open_announcement
from actas.election import Election
from actas.errors import ActasError
from actas.ledger.checkpoint import Checkpoint, open_checkpoint
from actas.ledger.merkle import MerkleTree, leaf_hash
from actas.payload_sources import SourcePayload
from actas.registry import KeyRegistry
from actas.signed_note import SignedNote, Verifier
from actas.tally.board_count import ACTA, REPORT, BoardCount, read_entry
from actas.tally.progressive import ProgressiveResults
from actas.tally.witnessed import Filed

MAX_FAILURES_LISTED = 10_000


@dataclass(frozen=True)
class Failure:
    item: str
    problem: str


@dataclass
class BoardVerification:
    origin: str = ""
    size: int = 0
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    """(what, passed, detail) for each kind of check."""
    failures: list[Failure] = field(default_factory=list)
    failed: int = 0
    """Every failure, including those beyond the listed ones."""
    results: dict[str, Any] = field(default_factory=dict)
    count: BoardCount | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def fail(self, item: str, problem: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_FAILURES_LISTED:
            self.failures.append(Failure(item, problem))

    def check(self, what: str, failures_before: int, detail: str) -> None:
        self.checks.append((what, self.failed == failures_before, detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "origin": self.origin,
            "size": self.size,
            "checks": [{"check": what, "passed": passed, "detail": detail} for what, passed, detail in self.checks],
            "failed": self.failed,
            "failures": [{"item": f.item, "problem": f.problem} for f in self.failures],
            "results": self.results,
        }


def _announced_problems(announcement: Announcement, results: ProgressiveResults) -> list[str]:
    """How an announcement differs from what the actas counted so far add up to (empty when it agrees)."""
    view = results.view()
    problems = []
    contests = {c["id"]: c for c in view["contests"]}
    for announced in announcement.contests:
        contest = contests.get(announced.contest)
        if contest is None:
            problems.append(f"contest {announced.contest} is not on the ballot")
            continue
        counted = {c["id"]: c["votes"] for c in contest["candidates"]}
        named = {key for key, _ in announced.votes if key not in (OTHERS, NULL)}
        counted[OTHERS] = sum(v for k, v in counted.items() if k not in named)
        counted[NULL] = contest["null"]
        for key, votes in announced.votes:
            if counted.get(key) != votes:
                problems.append(f"{key}: announced {votes:,}, the actas before it say {counted.get(key, 0):,}")
    if announcement.voters is not None and announcement.voters != view["voters"]:
        problems.append(f"voters: announced {announcement.voters:,}, the actas before it say {view['voters']:,}")
    return problems


def verify_board(
    entries: Iterable[tuple[int, str, bytes]],
    entries_again: Callable[[], Iterator[tuple[int, str, bytes]]],
    latest: str,
    checkpoints: list[str],
    board_key: Verifier,
    authority: Verifier | None = None,
    on_entry: Callable[[], None] | None = None,
) -> BoardVerification:
    """Verify a board: its entries (read twice: once in order for the tree, the results and the
    announcements, once for the actas' signatures on every core), its latest checkpoint and every
    earlier one seen."""
    report = BoardVerification()
    head = Checkpoint.from_text(SignedNote.from_text(latest).text)
    report.origin, report.size = head.origin, head.size
    tree = MerkleTree()
    election: Election | None = None
    registry: KeyRegistry | None = None
    count: BoardCount | None = None
    announcements = announced_wrong = 0
    before = report.failed
    try:
        for index, kind, data in entries:
            tree.append_hash(leaf_hash(data))
            if on_entry:
                on_entry()
            if index == 0:
                election = Election.from_json(json.loads(data))
                count = BoardCount(election, observer=True)
            elif index == 1:
                registry = KeyRegistry.from_text(data.decode("utf-8"), authority=authority)
                if election is None or registry.fingerprint != election.fingerprint:
                    report.fail("entry 1", "the key registry is for another election definition")
            elif kind == "announcement" and registry is not None and count is not None and election is not None:
                announcements += 1
                try:
                    announced = open_announcement(data.decode("utf-8"), registry)
                    problems = _announced_problems(announced, count.results)
                except ActasError as exc:
                    problems = [str(exc)]
                announced_wrong += bool(problems)
                for problem in problems:
                    report.fail(f"entry {index} (announcement)", problem)
            elif count is not None:
                item = read_entry(index, kind, data)
                if item is not None:
                    count.add(item)
    except (ActasError, ValueError, KeyError) as exc:
        report.fail(f"entry {tree.size - 1}", f"cannot be read: {exc}")
    if election is None or registry is None or count is None:
        report.fail("entries 0 and 1", "a board starts with the election definition and the key registry")
        report.check("the board's definition and registry", before, "missing")
        return report
    report.check(
        "the board's definition and registry",
        before,
        f"election {election.id}, registry signed by {registry.authority.name}"
        + ("" if authority else " (the authority's key is not pinned: give --authority)"),
    )
    report.count = count

    before = report.failed
    if tree.size < head.size or tree.root(head.size) != head.root:
        report.fail("the latest checkpoint", f"its root is not the root of the board's first {head.size:,} entries")
    seen: dict[int, bytes] = {}
    for note in [*checkpoints, latest]:
        try:
            checkpoint = open_checkpoint(note, board_key, head.origin)
        except ActasError as exc:
            report.fail("a checkpoint", str(exc))
            continue
        where = f"checkpoint of {checkpoint.size:,} entries"
        if seen.setdefault(checkpoint.size, checkpoint.root) != checkpoint.root:
            report.fail(where, "two checkpoints of this size have different roots: the board forked its history")
        elif checkpoint.size > tree.size:
            report.fail(where, f"beyond the {tree.size:,} entries of the copy")
        elif checkpoint.size and tree.root(checkpoint.size) != checkpoint.root:
            report.fail(where, "its root is not the root of the entries: the board rewrote its history since")
    report.check(
        "the tree and its checkpoints",
        before,
        f"{tree.size:,} entries, {len(seen):,} checkpoints signed by {board_key.name}, each the root of the entries",
    )

    before = report.failed
    actas = 0

    def payloads() -> Iterator[SourcePayload]:
        for index, kind, data in entries_again():
            if kind == ACTA:
                yield SourcePayload(f"entry {index}", data.decode("utf-8"))
            elif kind == REPORT:
                filed = read_entry(index, kind, data)
                if isinstance(filed, Filed) and filed.report.acta is not None:
                    yield SourcePayload(f"entry {index} (a witness's report)", filed.report.acta)

    for verdict in check_many(payloads(), registry):
        actas += 1
        if verdict.problems:
            report.fail(f"{verdict.origin}, station {verdict.station}", "; ".join(verdict.problems))
    report.check("every acta against the key registry", before, f"{actas:,} actas")
    report.checks.append(
        (
            "the announcements against the actas before them",
            not announced_wrong,
            f"{announcements - announced_wrong:,} of {announcements:,} announcements agree",
        )
    )
    report.results = count.results.view()
    return report
