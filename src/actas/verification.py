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
- **What others hold.** Every receipt a machine kept (`actas transmit` keeps them) and every
  checkpoint obtained elsewhere (a newspaper, another observer) must be signed by the board's key
  and consistent with the board: its tree size reached, its root the root of the entries' prefix,
  and a receipt's acta still at its index. A board that rolled back, dropped an acta it
  acknowledged or showed someone another history fails here, however consistent it is with itself.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.announcement import NULL, OTHERS, Announcement, open_announcement
from actas.ballot_verification import (
    CEREMONY_ITEM,
    BallotFindings,
    BallotKeys,
    check_ballot_entry,
    keys_of,
    read_ceremony_entry,
)
from actas.election import Election
from actas.errors import ActasError, InputError
from actas.ledger.checkpoint import Checkpoint, open_checkpoint
from actas.ledger.cosignature import CosignerPolicy
from actas.ledger.merkle import MerkleTree, leaf_hash
from actas.outbox import read_outbox
from actas.registry import KeyRegistry
from actas.signed_note import SignedNote, Verifier
from actas.tally.board_count import (
    ACTA,
    BALLOTS,
    CEREMONY,
    REPORT,
    SHARES,
    BoardCount,
    Counted,
    counted_acta,
    entry_kind,
    read_entry,
)
from actas.tally.progressive import ProgressiveResults
from actas.tally.view import UnitResults
from actas.tally.witnessed import Filed

MAX_FAILURES_LISTED = 10_000
CHUNK = 1000


@dataclass(frozen=True)
class HeldCheckpoint:
    """A checkpoint someone holds from the board, and for a receipt the entry it proves."""

    source: str
    """Where it comes from, as the report names it."""
    note: str
    index: int | None = None
    leaf_hash: bytes | None = None


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
    results: UnitResults | None = None
    """The nation's results, recomputed from the entries."""
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
            "results": self.results.to_json() if self.results is not None else {},
        }


def _announced_problems(announcement: Announcement, results: ProgressiveResults) -> list[str]:
    """How an announcement differs from what the actas counted so far add up to, in the unit it is of
    (empty when it agrees)."""
    try:
        view = results.view(announcement.unit)
    except KeyError:
        return [f"unit {announcement.unit} is not in the election"]
    problems = []
    contests = {c.id: c for c in view.contests}
    for announced in announcement.contests:
        contest = contests.get(announced.contest)
        if contest is None:
            problems.append(f"contest {announced.contest} is not on the ballot")
            continue
        counted = {k.id: k.votes for k in contest.candidates}
        named = {key for key, _ in announced.votes if key not in (OTHERS, NULL)}
        counted[OTHERS] = sum(v for k, v in counted.items() if k not in named)
        counted[NULL] = contest.null
        for key, votes in announced.votes:
            if counted.get(key) != votes:
                problems.append(f"{key}: announced {votes:,}, the actas before it say {counted.get(key, 0):,}")
    voters = view.coverage.voters
    if announcement.voters is not None and announcement.voters != voters:
        problems.append(f"voters: announced {announcement.voters:,}, the actas before it say {voters:,}")
    return problems


_registry: KeyRegistry | None = None
"""The registry the checking processes check against (they are forked after it is read)."""
_ballot_keys: BallotKeys | None = None
"""What they check encrypted ballots and trustees' shares against, on a board that publishes them."""

_Checked = tuple[int, str, bytes, bytes | None, Counted | None, str, tuple[str, ...]]
"""(index, kind, leaf hash, the data when the checking process cannot judge it (an announcement), what
counts, station, problems) of one entry."""


def _check_entry(index: int, kind: str, data: bytes) -> _Checked:
    """Read one entry and check the acta it holds (on its own or in a witness's report)."""
    assert _registry is not None
    leaf = leaf_hash(data)
    item: Counted | None
    if kind in (BALLOTS, SHARES):
        found, station, problems = check_ballot_entry(_ballot_keys, index, kind, data)
        return index, kind, leaf, None, found, station, problems
    try:
        if kind == ACTA:
            signed = parse_payload(data)
            item = counted_acta(signed.acta, hashlib.sha256(data).hexdigest())  # a zero acta: its station and digest
        else:
            item = read_entry(index, kind, data)
            if not isinstance(item, Filed) or item.report.acta is None:
                return index, kind, leaf, data if kind == "announcement" else None, item, "", ()
            signed = parse_payload(item.report.acta)
    except (ActasError, ValueError, KeyError, RecursionError) as exc:
        return index, kind, leaf, None, None, "", (f"cannot be read: {exc}",)
    return index, kind, leaf, None, item, signed.acta.station, tuple(str(f) for f in check_acta(signed, _registry))


def _check_chunk(chunk: list[tuple[int, str, bytes]]) -> list[_Checked]:
    return [_check_entry(*entry) for entry in chunk]


def _checked(entries: Iterator[tuple[int, str, bytes]], workers: int) -> Iterator[_Checked]:
    """Every entry, read and checked on `workers` processes, in board order."""
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from (_check_entry(*entry) for entry in entries)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: deque[Future[list[_Checked]]] = deque()
        while chunk := list(islice(entries, CHUNK)):
            pending.append(pool.submit(_check_chunk, chunk))
            if len(pending) >= 2 * workers:  # two chunks per worker in flight: busy, and bounded in memory
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def verify_board(
    entries: Iterable[tuple[int, str, bytes]],
    latest: str,
    checkpoints: list[str],
    board_key: Verifier,
    authority: Verifier | None = None,
    on_entry: Callable[[], None] | None = None,
    workers: int | None = None,
    held: Sequence[HeldCheckpoint] = (),
    cosigners: CosignerPolicy | None = None,
) -> BoardVerification:
    """Verify a board from its entries in order, its latest checkpoint and every earlier one seen. The
    definition and the registry are read first; then every entry is read and its acta checked on
    every core, while this process rebuilds the tree, counts the results and checks the
    announcements, in board order."""
    global _registry, _ballot_keys
    report = BoardVerification()
    head = Checkpoint.from_text(SignedNote.from_text(latest).text)
    report.origin, report.size = head.origin, head.size
    tree = MerkleTree()
    stream = iter(entries)
    before = report.failed
    try:
        genesis = [next(stream), next(stream)]
        for _, _, data in genesis:
            tree.append_hash(leaf_hash(data))
        election = Election.from_json(json.loads(genesis[0][2]))
        registry = KeyRegistry.from_text(genesis[1][2].decode("utf-8"), authority=authority)
    except (StopIteration, ActasError, ValueError, RecursionError) as exc:
        report.fail("entries 0 and 1", f"a board starts with its election definition and key registry: {exc}")
        report.check("the board's definition and registry", before, "missing")
        return report
    if registry.fingerprint != election.fingerprint:
        report.fail("entry 1", "the key registry is for another election definition")
    report.check(
        "the board's definition and registry",
        before,
        f"election {election.id}, registry signed by {registry.authority.name}"
        + ("" if authority else " (the authority's key is not pinned: give --authority)"),
    )
    count = BoardCount(election, observer=True)
    report.count = count
    findings = None
    third = next(stream, None)
    if third is not None and entry_kind(third[2]) == CEREMONY:
        tree.append_hash(leaf_hash(third[2]))
        if on_entry:
            on_entry()
        findings = BallotFindings()
        _read_ceremony(third[2], election, count, report)
    elif third is not None:
        stream = itertools.chain([third], stream)
    actas = announcements = announced_wrong = 0
    before_actas = report.failed
    announcement_failures: list[Failure] = []
    _registry = registry
    try:
        checked = _checked(_unread(stream, report), workers or os.cpu_count() or 1)
        for index, kind, leaf, announced, item, station, problems in checked:
            tree.append_hash(leaf)
            if on_entry:
                on_entry()
            if kind in (BALLOTS, SHARES):
                findings = findings or BallotFindings()
                findings.add(index, kind, item, station, problems, count)
                continue
            if announced is not None:
                announcements += 1
                try:
                    wrong = _announced_problems(open_announcement(announced.decode("utf-8"), registry), count.results)
                except (ActasError, UnicodeDecodeError) as exc:
                    wrong = [str(exc)]
                announced_wrong += bool(wrong)
                announcement_failures += [Failure(f"entry {index} (announcement)", w) for w in wrong]
                continue
            if station:
                actas += 1
            where = f"entry {index}" + (" (a witness's report)" if kind == REPORT else "")
            for problem in problems:
                report.fail(f"{where}, station {station}" if station else where, problem)
            if item is not None:
                count.add(item)
    finally:
        _registry = _ballot_keys = None
    report.check("every acta against the key registry", before_actas, f"{actas:,} actas")
    if findings is not None:
        before = report.failed
        detail = findings.finish(count)
        for item_said, problem in findings.failures:
            report.fail(item_said, problem)
        report.check("the encrypted ballots", before, detail)

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
    policy = cosigners if cosigners is not None else registry.cosigners
    if policy is not None:
        _check_quorum(latest, head, policy, "given" if cosigners is not None else "the registry's", report)
    if held:
        _check_held(held, tree, board_key, head, report)
    for failure in announcement_failures:
        report.fail(failure.item, failure.problem)
    report.checks.append(
        (
            "the announcements against the actas before them",
            not announced_wrong,
            f"{announcements - announced_wrong:,} of {announcements:,} announcements agree",
        )
    )
    report.results = count.results.view()
    return report


def _read_ceremony(data: bytes, election: Election, count: BoardCount, report: BoardVerification) -> None:
    """Entry 2, the trustees' key ceremony: checked, and what the checking processes check ballots against."""
    global _ballot_keys
    before = report.failed
    ceremony, failures, disqualified = read_ceremony_entry(data, election)
    for failure in failures:
        report.fail(CEREMONY_ITEM, failure)
    if ceremony is None:
        report.check("the trustees' key ceremony", before, "it cannot be used: no ballot can be checked")
        return
    _ballot_keys = keys_of(ceremony, election)
    count.add(ceremony)
    said = f"{ceremony.k} of {ceremony.n} trustees decrypt, {len(ceremony.qualified())} qualified"
    report.check("the trustees' key ceremony", before, "; ".join([said, *disqualified]))


def held_receipts(outbox: Path) -> list[HeldCheckpoint]:
    """The receipts an outbox keeps (`actas transmit`'s, a kiosk's `sent.jsonl`), to hold a board to."""
    if not outbox.is_file():
        raise InputError(f"{outbox} is not an outbox of receipts (actas transmit writes one)")
    return [
        HeldCheckpoint(
            f"receipt of acta {item.sha256[:12]}… ({item.origin or 'no origin'}, {outbox} line {item.line})",
            item.receipt.checkpoint,
            item.receipt.index,
            item.receipt.leaf_hash,
        )
        for item in read_outbox(outbox)
        if item.receipt is not None
    ]


def _check_quorum(latest: str, head: Checkpoint, policy: CosignerPolicy, whose: str, report: BoardVerification) -> None:
    """The latest checkpoint must carry a quorum of valid cosignatures."""
    before = report.failed
    check = policy.check(SignedNote.from_text(latest))
    if not check.met:
        report.fail(
            f"the latest checkpoint, {_named(head)}",
            f"{check.describe()}; missing or invalid: {', '.join(check.missing)}. Without its quorum nothing shows "
            "that the board showed everyone this history",
        )
    report.check("the latest checkpoint's cosignatures", before, f"{check.describe()}, by {whose} cosigner policy")


def _named(checkpoint: Checkpoint) -> str:
    return f"a checkpoint of {checkpoint.size:,} entries (root {checkpoint.root.hex()[:16]}…)"


def _check_held(
    held: Sequence[HeldCheckpoint], tree: MerkleTree, board_key: Verifier, head: Checkpoint, report: BoardVerification
) -> None:
    """Every receipt and checkpoint held elsewhere against the board's entries. Two checkpoints signed with
    the board's key that cannot both be true (this one and the board's latest) are named side by side."""
    before = report.failed
    for item in held:
        try:
            checkpoint = open_checkpoint(item.note, board_key, head.origin)
        except ActasError as exc:
            report.fail(item.source, f"its checkpoint is not this board's: {exc}")
            continue
        proof = f"the board signed both {_named(checkpoint)} and {_named(head)}"
        if checkpoint.size > tree.size:
            report.fail(
                item.source,
                f"the board signed {checkpoint.size:,} entries and now shows {tree.size:,}: it was rolled back "
                f"({proof})",
            )
        elif checkpoint.size and tree.root(checkpoint.size) != checkpoint.root:
            report.fail(
                item.source,
                f"the board's first {checkpoint.size:,} entries no longer hash to the root it signed: its history "
                f"was rewritten, or it showed this holder another one ({proof}, which does not extend it)",
            )
        elif item.index is not None and (item.index >= checkpoint.size or tree.leaf(item.index) != item.leaf_hash):
            report.fail(item.source, f"entry {item.index} is not the acta the board acknowledged there")
    receipts = sum(item.index is not None for item in held)
    report.check(
        "receipts and checkpoints held elsewhere",
        before,
        f"{receipts:,} receipts and {len(held) - receipts:,} checkpoints, each consistent with the board",
    )


def _unread(stream: Iterator[tuple[int, str, bytes]], report: BoardVerification) -> Iterator[tuple[int, str, bytes]]:
    """The entries after the first two; one that cannot be read from the copy ends the verification, named."""
    last = 1
    try:
        for entry in stream:
            last = entry[0]
            yield entry
    except ActasError as exc:
        report.fail(f"entry {last + 1}", f"cannot be read: {exc}")
