"""The bulletin board as a server keeps it: what happens to a submission, and what is published.

Every accepted artifact (the election definition, the key registry, every zero and final acta) is
an entry of an append-only RFC 9162 Merkle tree stored in the database. A submission is checked
completely, committed durably, and only then acknowledged with a receipt: its index, its leaf hash
and an inclusion proof against a signed checkpoint. The same acta again gets the same receipt; a
second, different acta for a station is kept too and the station is flagged as in conflict;
anything invalid is refused with its reason and recorded (its digest and reason, not its bytes).

An observer organization's board (the observer role) takes its witnesses' reports instead of
actas: each from a witness on the organization's published list, authenticated by the witness's
token, its acta checked against the same key registry, filed into the record of its mesa.

Each server process keeps a cache of the tree and of the results, brought up to date from the
database under the writers' lock, so any number of processes can serve one board.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Table, func, insert, select

from actas.acta.check import check_acta
from actas.acta.codec import MAX_ACTA_BYTES, parse_payload
from actas.acta.model import Acta, ActaKind, SignedActa
from actas.announcement import MAX_ANNOUNCEMENT_BYTES, NULL, OTHERS, open_announcement
from actas.canonical import canonical_json
from actas.election import Election
from actas.errors import ActasError, InputError, StillCounting, StorageError, VerificationError
from actas.fields import format_utc_time
from actas.ledger.checkpoint import Checkpoint, open_checkpoint
from actas.ledger.merkle import MerkleTree, leaf_hash
from actas.registry import KeyRegistry
from actas.signed_note import Signer, Verifier
from actas.store.checkpoint_file import keep_checkpoint, read_checkpoint_note
from actas.store.database import Database
from actas.store.schema import actas, checkpoints, entries, rejections, reports
from actas.tally.board_count import (
    ACTA,
    REPORT,
    WITNESSES,
    BoardCount,
    Counted,
    counted_acta,
    read_entries,
    read_entry,
)
from actas.tally.progressive import ProgressiveResults
from actas.tally.witnessed import WitnessTally
from actas.witness.credentials import WitnessList, token_hash
from actas.witness.report import MAX_REPORT_BYTES, WitnessReport

OFFICIAL, OBSERVER = "official", "observer"
ROLES = (OFFICIAL, OBSERVER)
PAGE_LIMIT = 1000
MINUTE = len("2030-06-02T23:41")
MAX_REJECTIONS = 100_000
"""Rejections kept; past this, refused submissions are still refused and counted, not recorded."""
log = logging.getLogger("actas.board")
REFUSALS_BATCH = 500
COUNT_PAGE = 5000
SYNC_PAGE = 10_000
UNPARSED = 2**63
FINAL_ACTA_START = b"actas acta v1\nkind final\n"
"""How every final acta's payload starts: enough to count its arrival without reading it."""
"""Refusals held in memory before they are written at once (else they are written every refresh)."""


@dataclass(frozen=True)
class Outcome:
    """What the server answers to one submission."""

    status: int
    body: dict[str, Any]
    index: int | None = None


@dataclass
class Refusal:
    """Refusals of one digest for one reason, held until they are written."""

    size: int
    station: str | None
    count: int
    first_at: str
    last_at: str


def _now() -> str:
    return format_utc_time(dt.datetime.now(dt.UTC))


class Board:
    def __init__(
        self,
        db: Database,
        election: Election,
        registry_note: str,
        signer: Signer,
        origin: str,
        *,
        witness_list: str | None = None,
        checkpoint_file: Path | None = None,
        organization: Verifier | None = None,
        roving: bool = False,
    ) -> None:
        """An official board, or an observer's when given the organization's signed witness list (its
        organization key pinned with `organization`; reports on mesas a witness is not assigned to are
        taken only when `roving`). The latest checkpoint it signs is also kept in `checkpoint_file`
        (`store.checkpoint_file`)."""
        self.db = db
        self.checkpoint_file = checkpoint_file
        self.role = OBSERVER if witness_list is not None else OFFICIAL
        self.witness_list = witness_list
        self.witnesses = WitnessList.from_note(witness_list, organization) if witness_list is not None else None
        self._witness_of = self.witnesses.witness_of() if self.witnesses is not None else {}
        """Token hash -> witness id."""
        self.roving = roving
        self.election = election
        unknown = sorted(
            {m for w in (self.witnesses.witnesses.values() if self.witnesses else ()) for m in w.mesas}
            - set(election.station_by_code)
        )
        if unknown:
            raise InputError(f"the witness list assigns mesas that are not in election {election.id}: {unknown[:5]}")
        self.registry_note = registry_note
        self.registry = KeyRegistry.from_text(registry_note)
        if self.registry.fingerprint != election.fingerprint:
            raise InputError("the key registry is for another election definition (fingerprints differ)")
        self.signer = signer
        self.origin = origin
        self.tree = MerkleTree()
        self.count = BoardCount(election, self.role == OBSERVER)
        self._counted_at: Checkpoint | None = None
        """The checkpoint the results were counted at."""
        self._views: dict[str, dict[str, Any]] = {}
        """Results views already made at that checkpoint, by unit: a snapshot answered from memory."""
        self._pending: list[tuple[int, Counted]] = []
        self._parse_from = 0
        """Entries from this index on are read for counting as they are read into the tree."""
        self._uncounted = 0
        """Entries before this index are still to be counted by `count_board` (0: nothing waits)."""
        self._counting = 0
        """How many of those `count_board` has counted."""
        self._generation = 0
        """Moves on each time the cache is dropped, so a count of the old cache stops."""
        self._count_failed = ""
        """Why the start's entries could not be counted, if they could not."""
        self._lock = threading.RLock()
        """Held by writers for a whole transaction, and while the cache is brought up to date."""
        self._results_lock = threading.Lock()
        """Held only while results change or are read, so reading them never waits for a disk write."""
        self._checkpoint: tuple[Checkpoint, str] | None = None
        """The latest checkpoint this process has seen, with its note, its signature already checked."""
        self.rejected_unrecorded = 0
        self._refusals: dict[tuple[str, str], Refusal] = {}
        """Refusals not yet written, by (digest, reason)."""
        self._refusals_lock = threading.Lock()
        self._refusals_write_lock = threading.Lock()
        self._refusals_recorded: int | None = None
        """Rows in the rejections table, counted at the first write."""
        self._announced: list[tuple[int, str]] = []
        """(index, signed note) of the announcements in the tree, kept with it."""
        self._arrivals: dict[str, int] = {}
        """Final actas on the board by the minute (UTC) they were received: kept with the tree, as entries
        are read or appended, so the progress over time never needs a query."""

    # --- start ----------------------------------------------------------------------------------------------

    def open(self, *, count_now_up_to: int | None = None) -> None:
        """Migrate, then publish the definition and registry as entries 0 and 1, or check they are there, and
        check that the entries are still those of every checkpoint this server signed.

        Every entry is read and its leaf hash recomputed, and what the entries add up to is counted; but
        a board of more than `count_now_up_to` entries is left for `count_board` (a server counts a large
        board in the background once it listens, and answers results only when it has: `StillCounting`)."""
        self.db.check_integrity()
        self.db.migrate()
        if count_now_up_to is not None:
            self._parse_from = UNPARSED
        signed = None
        with self._writing() as conn:
            self._check_own_checkpoints(conn)
            if self.tree.size == 0:
                genesis = [
                    ("election", canonical_json(self.election.to_json())),
                    ("registry", self.registry_note.encode()),
                ]
                self._append(conn, genesis)
                signed = self._sign(conn)
            else:
                self._check_genesis(conn)
            self._parse_from = min(self._parse_from, self.tree.size)
            self._uncounted = self._parse_from
            if self.witness_list is not None:
                published = conn.execute(
                    select(entries.c.data).where(entries.c.kind == WITNESSES).order_by(entries.c.idx.desc()).limit(1)
                ).scalar()
                if published is None or bytes(published) != self.witness_list.encode():
                    index = self._append(conn, [(WITNESSES, self.witness_list.encode())])
                    if self.witnesses is not None:
                        self._pending.append((index, self.witnesses))
                    signed = self._sign(conn)
        self._signed(signed)
        if 0 < self._uncounted <= (count_now_up_to or 0):
            self.count_board()
        latest = self.latest_checkpoint()
        if latest is not None:
            self._keep(latest)

    def _check_genesis(self, conn: Connection) -> None:
        """Entries 0 and 1 must be this election's definition (its SHA-256 is the fingerprint) and registry."""
        first = dict(conn.execute(select(entries.c.idx, entries.c.data).where(entries.c.idx < 2)).all())
        held = [
            ("election", hashlib.sha256(bytes(first.get(0, b""))).hexdigest() == self.election.fingerprint),
            ("registry", bytes(first.get(1, b"")) == self.registry_note.encode()),
        ]
        for index, (kind, same) in enumerate(held):
            if not same:
                raise InputError(
                    f"this database holds another board: its entry {index} is not this {kind}; "
                    "use a new database for a new election"
                )

    def count_board(self, page: int = COUNT_PAGE) -> None:
        """Count, in board order, the entries `open` left uncounted (results are answered
        meanwhile by no one: `StillCounting`), then everything that came since. The entries are read a
        page at a time and their actas parsed on every core, while this thread counts them in order."""
        generation, total = self._generation, self._uncounted
        pages = [(start, min(start + page, total)) for start in range(0, total, page)]
        workers = min(os.cpu_count() or 1, len(pages))
        try:
            if workers <= 1:
                for start, end in pages:
                    if not self._count_page(read_entries(list(self.entries(start, end))), end, generation):
                        return
            else:
                self._count_in_parallel(pages, workers, generation)
        except ActasError as exc:
            with self._results_lock:
                self._count_failed = str(exc)
            log.error("the board cannot be counted: %s", exc)
            return
        with self._lock, self._results_lock:
            if generation == self._generation:
                self._uncounted = 0
        latest = self._checkpoint
        if latest is not None:
            self._advance_results(latest[0])

    def _count_in_parallel(self, pages: list[tuple[int, int]], workers: int, generation: int) -> None:
        spawn = multiprocessing.get_context("spawn")  # a server has threads: its processes are not forked
        with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
            reading: deque[tuple[int, Future[list[tuple[int, Counted]]]]] = deque()
            for number, (start, end) in enumerate(pages):
                reading.append((end, pool.submit(read_entries, list(self.entries(start, end)))))
                if len(reading) <= 2 * workers and number + 1 < len(pages):
                    continue  # two pages a process in flight: busy, and bounded in memory
                while reading and (len(reading) > 2 * workers or number + 1 == len(pages)):
                    done, page = reading.popleft()
                    if not self._count_page(page.result(), done, generation):
                        return

    def _count_page(self, items: list[tuple[int, Counted]], end: int, generation: int) -> bool:
        """Count one page of the start's entries; False when the cache was dropped meanwhile (it is counted
        again from the start, as the entries are read again)."""
        with self._results_lock:
            if generation != self._generation:
                return False
            for _, item in items:
                self.count.add(item)
            self._counting = end
        return True

    def _keep(self, signed: tuple[Checkpoint, str]) -> None:
        """Keep a checkpoint in the checkpoint file; if the disk refuses, the database still holds it, and the
        file is brought up to date with a later one."""
        if self.checkpoint_file is None:
            return
        try:
            keep_checkpoint(self.checkpoint_file, signed[1], signed[0].size)
        except OSError as exc:
            log.warning("cannot keep checkpoint %d in %s: %s", signed[0].size, self.checkpoint_file, exc.strerror)

    def _check_own_checkpoints(self, conn: Connection) -> None:
        """Refuse a database whose entries are fewer than, or differ from, those of the latest checkpoint
        signed in it or kept in the checkpoint file: entries removed or replaced behind the server's back."""
        claims = []
        latest = conn.execute(select(checkpoints.c.note).order_by(checkpoints.c.size.desc()).limit(1)).scalar()
        if latest is not None:
            claims.append(("its own latest checkpoint in the database", str(latest)))
        kept = read_checkpoint_note(self.checkpoint_file) if self.checkpoint_file is not None else None
        if kept is not None:
            claims.append((f"the checkpoint it signed and kept in {self.checkpoint_file}", kept))
        for where, note in claims:
            try:
                checkpoint = open_checkpoint(note, self.signer.verifier, self.origin)
            except ActasError as exc:
                raise VerificationError(f"{where}: {exc}; refusing to serve") from None
            if checkpoint.size > self.tree.size:
                raise VerificationError(
                    f"the board's database holds {self.tree.size:,} entries, fewer than the {checkpoint.size:,} of "
                    f"{where}: entries were removed behind the server's back; refusing to serve"
                )
            if self.tree.root(checkpoint.size) != checkpoint.root:
                raise VerificationError(
                    f"the board's first {checkpoint.size:,} entries (of {self.tree.size:,}) do not hash to the root "
                    f"of {where}: an entry was replaced behind the server's back; refusing to serve"
                )

    @property
    def results(self) -> ProgressiveResults:
        return self.count.results

    @property
    def witnessed(self) -> WitnessTally:
        """The observer's record of every mesa (an official board has none)."""
        if self.count.witnessed is None:
            raise InputError("an official board has no witnesses' reports")
        return self.count.witnessed

    # --- the cache of the tree and the results --------------------------------------------------------------

    def _sync(self, conn: Connection) -> None:
        """Bring the process's tree up to the database's, reading only new entries. Each leaf hash is
        recomputed from the entry's bytes, so an entry altered in the database behind the server's
        back stops it rather than being served."""
        rows = conn.execute(
            select(entries.c.idx, entries.c.kind, entries.c.data, entries.c.leaf_hash, entries.c.received_at)
            .where(entries.c.idx >= self.tree.size)
            .order_by(entries.c.idx)
            .execution_options(yield_per=SYNC_PAGE)  # streamed a page at a time: a board may be gigabytes
        )
        for idx, kind, data, leaf, received in rows:
            if idx != self.tree.size:
                raise InputError(f"the board's entries are not contiguous: expected {self.tree.size}, found {idx}")
            if leaf_hash(bytes(data)) != bytes(leaf):
                raise InputError(f"board entry {idx} in the database does not match its leaf hash: it was altered")
            self.tree.append_hash(bytes(leaf))
            if kind == "announcement":
                self._announced.append((idx, bytes(data).decode("utf-8")))
            elif kind == ACTA and bytes(data).startswith(FINAL_ACTA_START):
                self._arrived(str(received), 1)
            if idx >= self._parse_from:
                item = read_entry(idx, kind, bytes(data))
                if item is not None:
                    self._pending.append((idx, item))

    def _append(self, conn: Connection, items: list[tuple[str, bytes]]) -> int:
        """Add entries in one statement; returns the index of the first."""
        first, now = self.tree.size, _now()
        rows = []
        for kind, data in items:
            leaf = leaf_hash(data)
            rows.append(
                {"idx": self.tree.append_hash(leaf), "kind": kind, "data": data, "leaf_hash": leaf, "received_at": now}
            )
        if rows:
            conn.execute(insert(entries), rows)
        return first

    @property
    def results_size(self) -> int:
        """The size of the checkpoint the results were counted at (0 before any)."""
        counted = self._counted_at
        return 0 if counted is None else counted.size

    def _advance_results(self, checkpoint: Checkpoint) -> None:
        """Count the actas of the entries a checkpoint covers into the results."""
        keep = []
        with self._results_lock:
            if checkpoint.size <= self.results_size or self._uncounted:
                return  # counted already, or the start's entries are being counted: these wait their turn
            for index, item in self._pending:
                if index < checkpoint.size:
                    self.count.add(item)
                else:
                    keep.append((index, item))
            self._pending = keep
            self._counted_at = checkpoint
            self._views = {}

    # --- submissions ----------------------------------------------------------------------------------------

    def submit(self, payload: bytes) -> Outcome:
        """Check and record one acta, answered with its receipt (or its refusal)."""
        return self.ingest([payload])[0]

    def ingest(self, payloads: list[bytes]) -> list[Outcome]:
        """A batch of submissions: check each, then commit the valid ones together."""
        checked = [self.check(p) for p in payloads]
        committed = iter(self.receipts(self.commit([c for c in checked if not isinstance(c, Outcome)])))
        return [item if isinstance(item, Outcome) else next(committed) for item in checked]

    def commit(self, batch: list[SignedActa]) -> list[Outcome]:
        """Append checked actas and a checkpoint that covers them in one transaction (one fsync). The
        outcomes carry each entry's index; `receipts` turns them into answers."""
        if not batch:
            return []
        with self._writing() as conn:
            outcomes = self._append_actas(conn, batch)
            signed = self._sign(conn)
        self._signed(signed)
        return outcomes

    def receipts(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Each outcome with an index, answered with its receipt against the latest checkpoint."""
        answered = []
        for outcome in outcomes:
            if outcome.index is not None:
                receipt = self.receipt(outcome.index, outcome.body)
                outcome = Outcome(outcome.status, receipt or {**outcome.body, "index": outcome.index}, outcome.index)
            answered.append(outcome)
        return answered

    def check(self, payload: bytes) -> SignedActa | Outcome:
        """Everything that can be checked without the board: the acta, or the refusal to send back."""
        if len(payload) > MAX_ACTA_BYTES:
            return self._refuse(payload, 413, "too_large", f"an acta is at most {MAX_ACTA_BYTES} bytes")
        try:
            signed = parse_payload(payload)
        except ActasError as exc:
            return self._refuse(payload, 400, "malformed", str(exc))
        findings = check_acta(signed, self.registry)
        if findings:
            reason = "; ".join(str(f) for f in findings)
            return self._refuse(payload, 422, "invalid", reason, signed.acta.station)
        _ = signed.digest  # computed (and cached) here, where requests are checked side by side, not in the commit
        return signed

    def _append_actas(self, conn: Connection, batch: list[SignedActa]) -> list[Outcome]:
        """Record checked actas: new ones appended, the same acta again answered with its index."""
        outcomes: list[Outcome] = []
        digests = [s.digest for s in batch]
        known = dict(conn.execute(select(actas.c.digest, actas.c.idx).where(actas.c.digest.in_(digests))).all())
        stations = {s.acta.station for s in batch}
        held = conn.execute(
            select(actas.c.station, actas.c.kind, actas.c.digest).where(actas.c.station.in_(stations))
        ).all()
        seen = {(station, kind) for station, kind, _ in held}
        new: list[SignedActa] = []
        for signed in batch:
            acta = signed.acta
            if signed.digest in known:
                outcomes.append(
                    Outcome(200, {"status": "duplicate", "station": acta.station}, int(known[signed.digest]))
                )
                continue
            index = self.tree.size + len(new)
            new.append(signed)
            known[signed.digest] = index
            if (acta.station, acta.kind.value) in seen:
                body = {
                    "status": "conflict",
                    "station": acta.station,
                    "message": f"station {acta.station} already has a different {acta.kind.value} acta; "
                    "both are kept and the station is flagged as in conflict",
                }
                outcomes.append(Outcome(409, body, index))
            else:
                seen.add((acta.station, acta.kind.value))
                outcomes.append(Outcome(201, {"status": "accepted", "station": acta.station}, index))
        first = self._append(conn, [("acta", s.payload.encode()) for s in new])
        if new:
            conn.execute(
                insert(actas),
                [
                    {"digest": s.digest, "station": s.acta.station, "kind": s.acta.kind.value, "idx": first + i}
                    for i, s in enumerate(new)
                ],
            )
        self._pending.extend((first + i, counted_acta(s.acta, s.digest)) for i, s in enumerate(new))
        self._arrived(_now(), sum(s.acta.kind is ActaKind.FINAL for s in new))
        return outcomes

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """The writers' lock and transaction, with the cache brought up to date; if the transaction fails,
        the cache is dropped and rebuilt from the database, so it never holds an entry that was not committed."""
        with self._lock:
            try:
                with self.db.writer() as conn:
                    self._sync(conn)
                    yield conn
            except BaseException:
                with self._results_lock:
                    self.tree = MerkleTree()
                    self._arrivals = {}
                    self._announced = []
                    self.count = BoardCount(self.election, self.role == OBSERVER)
                    self._counted_at = None
                    self._views = {}
                    self._pending = []
                    self._parse_from = self._uncounted = self._counting = 0
                    self._generation += 1
                raise

    def announce(self, payload: bytes) -> Outcome:
        """Publish the authority's signed announcement (its signature is the authentication), answered
        with its receipt."""
        if len(payload) > MAX_ANNOUNCEMENT_BYTES:
            return self._refuse(payload, 413, "too_large", f"an announcement is at most {MAX_ANNOUNCEMENT_BYTES} bytes")
        try:
            announcement = open_announcement(payload.decode("utf-8"), self.registry)
        except UnicodeDecodeError:
            return self._refuse(payload, 400, "malformed", "an announcement is UTF-8 text")
        except VerificationError as exc:
            return self._refuse(payload, 403, "forbidden", str(exc))
        except ActasError as exc:
            return self._refuse(payload, 400, "malformed", str(exc))
        contests = {c.id: c for c in self.election.contests}
        for announced in announcement.contests:
            contest = contests.get(announced.contest)
            known = set(contest.candidate_ids) | {OTHERS, NULL} if contest else set()
            unknown = [key for key, _ in announced.votes if key not in known]
            if contest is None or unknown:
                reason = f"contest {announced.contest}: {unknown or 'no such contest'} not on the ballot"
                return self._refuse(payload, 422, "invalid", reason)
        leaf = leaf_hash(payload)
        with self._writing() as conn:
            found = conn.execute(
                select(entries.c.idx).where(entries.c.kind == "announcement", entries.c.leaf_hash == leaf)
            ).scalar()
            if found is None:
                outcome = Outcome(201, {"status": "accepted", "title": announcement.title}, self.tree.size)
                self._announced.append((self._append(conn, [("announcement", payload)]), payload.decode("utf-8")))
            else:
                outcome = Outcome(200, {"status": "duplicate", "title": announcement.title}, int(found))
            signed = self._sign(conn)
        self._signed(signed)
        return self.receipts([outcome])[0]

    def announcements(self) -> list[tuple[int, str]]:
        """(index, signed note) of every announcement on the board, as far as this process has read it (other
        processes' follow with their checkpoints, as the results do)."""
        return list(self._announced)

    # --- witnesses' reports (observer role) -----------------------------------------------------------------

    def witness_for(self, token: str) -> str | None:
        """The registered witness whose token this is, if any."""
        return self._witness_of.get(token_hash(token))

    def submit_report(self, payload: bytes, witness: str) -> Outcome:
        """Check and file a report sent by an authenticated witness, answered with its receipt and the
        mesa's record as it now stands."""
        if len(payload) > MAX_REPORT_BYTES:
            return self._refuse(payload, 413, "too_large", f"a report is at most {MAX_REPORT_BYTES} bytes")
        try:
            report = WitnessReport.from_json(json.loads(payload))
        except (ValueError, RecursionError):
            return self._refuse(payload, 400, "malformed", "a report is a JSON object (UTF-8)")
        except ActasError as exc:
            return self._refuse(payload, 400, "malformed", str(exc))
        if report.witness != witness:
            reason = f"you are signed in as witness {witness}; a report of witness {report.witness} is theirs to send"
            return self._refuse(payload, 403, "forbidden", reason, report.station)
        problem = self._report_problem(report)
        if problem is not None:
            return self._refuse(payload, 422, "invalid", problem, report.station)
        assigned = self.witnesses.witnesses[witness].mesas if self.witnesses is not None else ()
        if report.station not in assigned and not self.roving:
            reason = (
                f"witness {witness} is assigned to mesa {', '.join(assigned[:5])}, not {report.station}; this "
                "organization does not take reports of roving witnesses"
            )
            return self._refuse(payload, 403, "not_assigned", reason, report.station)
        data = report.to_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with self._writing() as conn:
            found = conn.execute(select(reports.c.idx).where(reports.c.digest == digest)).scalar()
            if found is None:
                index = self._append(conn, [(REPORT, data)])
                conn.execute(insert(reports).values(digest=digest, station=report.station, witness=witness, idx=index))
                filed = read_entry(index, REPORT, data)
                if filed is not None:
                    self._pending.append((index, filed))
                outcome = Outcome(201, {"status": "accepted", "station": report.station}, index)
            else:
                outcome = Outcome(200, {"status": "duplicate", "station": report.station}, int(found))
            signed = self._sign(conn)
        self._signed(signed)
        with self._results_lock:  # the mesa's record is known once the board is counted (None before)
            mesa = None if self._uncounted else self.witnessed.record(report.station).status
        answered = self.receipts([outcome])[0]
        return Outcome(answered.status, {**answered.body, "mesa": mesa}, answered.index)

    def _report_problem(self, report: WitnessReport) -> str | None:
        """Why a well-formed report cannot be filed on this board, if it cannot."""
        station = self.election.station_by_code.get(report.station)
        if station is None:
            return f"station {report.station} is not in election {self.election.id}"
        counted = max(sum(n for _, n in report.hand), report.receipts or 0)
        if counted > station.registered:
            return (
                f"the hand count of {counted:,} receipts is more than the {station.registered:,} registered voters "
                f"of mesa {report.station}: implausible, check it"
            )
        options = {o for c in self.election.contests for o in c.option_ids}
        unknown = sorted(set(dict(report.hand)) - options)
        if unknown:
            return f"the hand count names {', '.join(unknown[:5])}, not ballot options of this election"
        if report.acta_status == "unsigned":
            return (
                "the acta is an unsigned code (a 2024 Venezuelan acta): nothing proves its counts, so it is kept "
                "in a dataset (actas import qr), not filed on a board of signed actas"
            )
        if report.acta is None:
            return None
        try:
            signed = parse_payload(report.acta)
        except ActasError as exc:
            return f"the report's acta cannot be read: {exc}"
        findings = check_acta(signed, self.registry)
        if findings:
            return "the report's acta does not verify: " + "; ".join(str(f) for f in findings)
        if signed.acta.station != report.station:
            return f"the report is on mesa {report.station} but its acta is mesa {signed.acta.station}'s"
        if signed.acta.kind is not ActaKind.FINAL:
            return "the report's acta is the zero acta printed at opening, not the final acta"
        return None

    def mesa_reports(self, station: str) -> list[tuple[int, str, bytes]]:
        """(index, witness, report) of every report on a mesa, superseded ones too, in board order."""
        return self._station_entries(reports, reports.c.witness, station)

    def _refuse(self, payload: bytes, status: int, code: str, reason: str, station: str | None = None) -> Outcome:
        """Answer a refusal; it is held in memory and recorded with others in one write (`record_refusals`)."""
        digest = hashlib.sha256(payload).hexdigest()
        reason = reason[:300]
        now = _now()
        with self._refusals_lock:
            held = self._refusals.get((digest, reason))
            if held is None:
                self._refusals[digest, reason] = Refusal(len(payload), station, 1, now, now)
            else:
                held.count += 1
                held.last_at = now
            full = len(self._refusals) >= REFUSALS_BATCH
        if full:
            with contextlib.suppress(StorageError):  # counted as unrecorded; the refusal is answered all the same
                self.record_refusals()
        return Outcome(status, {"error": {"code": code, "message": reason}})

    def record_refusals(self) -> None:
        """Write the refusals held since the last write, in one transaction. They are not entries of the
        board, so this takes no writers' lock; past MAX_REJECTIONS rows, they are counted, not recorded."""
        with self._refusals_lock:
            batch, self._refusals = self._refusals, {}
        if not batch:
            return
        try:
            self._write_refusals(batch)
        except StorageError:
            self.rejected_unrecorded += sum(f.count for f in batch.values())
            raise

    def _write_refusals(self, batch: dict[tuple[str, str], Refusal]) -> None:
        with self._refusals_write_lock, self.db.side_writer() as conn:
            if self._refusals_recorded is None:
                self._refusals_recorded = conn.execute(select(func.count()).select_from(rejections)).scalar() or 0
            room = max(0, MAX_REJECTIONS - self._refusals_recorded)
            held = list(batch.items())
            self.rejected_unrecorded += sum(f.count for _, f in held[room:])
            rows = [
                {
                    "digest": d,
                    "reason": r,
                    "size": f.size,
                    "station": f.station,
                    "count": f.count,
                    "first_at": f.first_at,
                    "last_at": f.last_at,
                }  # fmt: skip
                for (d, r), f in held[:room]
            ]
            if rows:
                conn.execute(insert(rejections), rows)
                self._refusals_recorded += len(rows)

    # --- checkpoints ----------------------------------------------------------------------------------------

    def latest_checkpoint(self) -> tuple[Checkpoint, str] | None:
        with self.db.reader() as conn:
            row = conn.execute(select(checkpoints.c.note).order_by(checkpoints.c.size.desc()).limit(1)).first()
        if row is None:
            return None
        note = str(row[0])
        cached = self._checkpoint
        if cached is not None and cached[1] == note:
            return cached
        checkpoint = open_checkpoint(note, self.signer.verifier, self.origin)
        self._checkpoint = (checkpoint, note)
        if checkpoint.size > self.results_size or checkpoint.size > self.tree.size:
            with self._lock, self.db.reader() as conn:
                self._sync(conn)
                self._advance_results(checkpoint)
        return checkpoint, note

    def sign_checkpoint(self) -> Checkpoint | None:
        """Sign a checkpoint of the whole board if it grew since the last one (one signer at a time)."""
        with self._writing() as conn:
            signed = self._sign(conn)
        self._signed(signed)
        return signed[0] if signed else None

    def _sign(self, conn: Connection) -> tuple[Checkpoint, str] | None:
        last = conn.execute(select(func.max(checkpoints.c.size))).scalar()
        if last is not None and last >= self.tree.size:
            return None
        checkpoint = Checkpoint(self.origin, self.tree.size, self.tree.root())
        note = checkpoint.sign(self.signer)
        conn.execute(
            insert(checkpoints).values(size=checkpoint.size, root=checkpoint.root, note=note, signed_at=_now())
        )
        return checkpoint, note

    def _signed(self, signed: tuple[Checkpoint, str] | None) -> None:
        """Once a checkpoint is committed: it is kept in the checkpoint file, it is the latest this process
        knows, and its actas count."""
        if signed is not None:
            self._keep(signed)
            with self._lock:
                self._checkpoint = signed
                self._advance_results(signed[0])

    def checkpoint_at(self, size: int | None) -> tuple[Checkpoint, str] | None:
        """The signed checkpoint of `size` entries (the latest when None), if there is one."""
        if size is None:
            return self.latest_checkpoint()
        with self.db.reader() as conn:
            note = conn.execute(select(checkpoints.c.note).where(checkpoints.c.size == size)).scalar()
        return None if note is None else (open_checkpoint(str(note), self.signer.verifier, self.origin), str(note))

    def checkpoint_notes(self, start: int, limit: int) -> list[str]:
        """Every signed checkpoint of `start` entries or more, smallest first (at most `limit`)."""
        with self.db.reader() as conn:
            rows = conn.execute(
                select(checkpoints.c.note).where(checkpoints.c.size >= start).order_by(checkpoints.c.size).limit(limit)
            ).all()
        return [str(note) for (note,) in rows]

    def results_at(self, size: int) -> ProgressiveResults:
        """The results of the board's first `size` entries, recomputed from the entries themselves."""
        count = BoardCount(self.election, self.role == OBSERVER)
        for start in range(0, size, 1000):
            for index, kind, data in self.entries(start, min(start + 1000, size)):
                item = read_entry(index, kind, data)
                if item is not None:
                    count.add(item)
        return count.results

    def _require_counted(self) -> None:
        """Results are answered only once the board is counted (the caller holds the results lock)."""
        if self._count_failed:
            raise StillCounting(f"the board's entries cannot be counted: {self._count_failed}")
        if self._uncounted:
            raise StillCounting(
                f"the board is being counted after the server restarted: {self._counting:,} of "
                f"{self._uncounted:,} entries so far; results follow when they are all counted"
            )

    def counted_snapshot(self) -> tuple[Checkpoint, dict[str, tuple[str, Acta]], set[str]] | None:
        """The checkpoint the results were counted at, the final acta counted for each mesa and the mesas in
        conflict, as they stand: a snapshot taken in one go, that later checkpoints leave unchanged."""
        with self._results_lock:
            self._require_counted()
            if self._counted_at is None:
                return None
            return self._counted_at, self.results.counted(), set(self.results.conflicts())

    def _counted_json(self) -> dict[str, Any] | None:
        counted = self._counted_at
        return None if counted is None else {"size": counted.size, "root": base64.b64encode(counted.root).decode()}

    def results_view(self, code: str) -> dict[str, Any]:
        """The results of a unit (KeyError if there is none) at the latest checkpoint this process has
        counted, which the answer names. Made once per checkpoint and unit, then answered from memory."""
        with self._results_lock:
            self._require_counted()
            view = self._views.get(code)
            if view is None:
                view = {"election": self.election.id, "checkpoint": self._counted_json(), **self.results.view(code)}
                self._views[code] = view
            return view

    def coverage_view(self, code: str) -> dict[str, Any]:
        """The witnesses' coverage of a unit and its children (KeyError if there is none), at the checkpoint
        the results were counted at."""
        with self._results_lock:
            self._require_counted()
            return {"checkpoint": self._counted_json(), **self.witnessed.coverage(code)}

    def mesa_statuses(self, stations: list[str]) -> dict[str, str]:
        """The status of each mesa's record on an observer's board: complete, partial, conflict or missing."""
        with self._results_lock:
            self._require_counted()
            return {code: self.witnessed.record(code).status for code in stations}

    def mesa_view(self, station: str) -> dict[str, Any]:
        """A mesa's record on an observer's board: its status and every report, each with its inclusion proof."""
        with self._results_lock:
            self._require_counted()
            record = self.witnessed.record(station)
        current = {f.index for f in (*record.reports, *record.roving)}
        roving = {f.index for f in record.roving}
        latest = self.latest_checkpoint()
        items = []
        for index, witness, data in self.mesa_reports(station):
            report = json.loads(data)
            items.append(
                {"index": index, "witness": witness, "current": index in current, "roving": index in roving}
                | {"report": report}
                | self.proof_json(index, latest)
            )
        return {
            "station": station,
            "status": record.status,
            **record.flags(),
            "actas": sorted(record.actas),
            "checkpoint": latest[1] if latest else None,
            "reports": items,
        }

    def receipt(self, index: int, outcome_body: dict[str, Any]) -> dict[str, Any] | None:
        """The receipt of an entry once a checkpoint covers it (None until then)."""
        cached = self._checkpoint
        latest = cached if cached is not None and cached[0].size > index else self.latest_checkpoint()
        if latest is None or latest[0].size <= index:
            return None
        checkpoint, note = latest
        found = self.inclusion(index, checkpoint.size)
        if found is None:
            return None
        leaf, proof = found
        return {
            **outcome_body,
            "index": index,
            "leaf_hash": leaf.hex(),
            "checkpoint": note,
            "inclusion_proof": [p.hex() for p in proof],
        }

    # --- reading the board ------------------------------------------------------------------------------------

    def entries(self, start: int, end: int) -> Iterator[tuple[int, str, bytes]]:
        with self.db.reader() as conn:
            rows = conn.execute(
                select(entries.c.idx, entries.c.kind, entries.c.data)
                .where(entries.c.idx >= start, entries.c.idx < end)
                .order_by(entries.c.idx)
            ).all()
        for idx, kind, data in rows:
            yield int(idx), str(kind), bytes(data)

    def station_actas(self, station: str) -> list[tuple[int, str, bytes]]:
        """(index, kind, payload) of every acta of a station, in board order."""
        return self._station_entries(actas, actas.c.kind, station)

    def _station_entries(self, index: Table, label: Column[str], station: str) -> list[tuple[int, str, bytes]]:
        """The entries an index table lists for a station, each with one of the index's columns."""
        with self.db.reader() as conn:
            rows = conn.execute(
                select(entries.c.idx, label, entries.c.data)
                .join(entries, entries.c.idx == index.c.idx)
                .where(index.c.station == station)
                .order_by(entries.c.idx)
            ).all()
        return [(int(i), str(k), bytes(d)) for i, k, d in rows]

    def proof_json(self, index: int, latest: tuple[Checkpoint, str] | None) -> dict[str, Any]:
        """The inclusion proof of an entry in the latest checkpoint, as answers carry it (empty if none)."""
        found = self.inclusion(index, latest[0].size) if latest is not None else None
        if latest is None or found is None:
            return {}
        return {"inclusion_proof": {"size": latest[0].size, "proof": [p.hex() for p in found[1]]}}

    def arrivals(self) -> list[tuple[str, int]]:
        """(minute UTC, final actas received in it), in order: the board's progress over time."""
        return sorted(dict(self._arrivals).items())  # a plain dict's copy is atomic: no lock, no wait for a writer

    def _arrived(self, received_at: str, finals: int) -> None:
        if finals:
            minute = received_at[:MINUTE]
            self._arrivals[minute] = self._arrivals.get(minute, 0) + finals

    def announcement_views(self) -> list[dict[str, Any]]:
        """Every announcement on the board, read: what the authority announced, with its signed note."""
        views = []
        for index, note in self.announcements():
            announced = open_announcement(note, self.registry)
            views.append(
                {
                    "index": index,
                    "note": note,
                    "title": announced.title,
                    "issued": announced.issued,
                    "voters": announced.voters,
                    "registered": announced.registered,
                    "contests": [{"id": c.contest, "votes": dict(c.votes)} for c in announced.contests],
                }
            )
        return views

    def incidents(self) -> list[dict[str, Any]]:
        """Every incident in the witnesses' current reports (observer role), mesa by mesa."""
        with self._results_lock:
            self._require_counted()
            records = self.witnessed.records()
        return [
            {"station": code, "witness": f.report.witness, "index": f.index, "kind": i.kind, "note": i.note}
            | {"roving": f in record.roving}
            for code, record in sorted(records.items())
            for f in (*record.reports, *record.roving)
            for i in f.report.incidents
        ]

    def station_rejections(self, station: str) -> list[dict[str, Any]]:
        """Refused submissions that named a station: digest, reason, count, first and last time."""
        self.record_refusals()
        with self.db.reader() as conn:
            rows = conn.execute(
                select(
                    rejections.c.digest,
                    rejections.c.reason,
                    func.sum(rejections.c.count).label("count"),
                    func.min(rejections.c.first_at).label("first_at"),
                    func.max(rejections.c.last_at).label("last_at"),
                )
                .where(rejections.c.station == station)
                .group_by(rejections.c.digest, rejections.c.reason)
                .order_by(func.min(rejections.c.id))
                .limit(PAGE_LIMIT)
            ).mappings()
            return [dict(r) for r in rows]

    def rejection_list(self, start: int, limit: int) -> list[dict[str, Any]]:
        """Recorded refusals after row `start`, in order: a row per digest and reason per batch written."""
        self.record_refusals()
        with self.db.reader() as conn:
            rows = conn.execute(
                select(rejections).where(rejections.c.id > start).order_by(rejections.c.id).limit(limit)
            ).mappings()
            return [dict(r) for r in rows]

    def _tree_of(self, size: int) -> MerkleTree | None:
        """The tree, brought up to `size` entries if the database has them.

        Entries are only ever appended to the tree, so a proof for a size it already has is read
        without waiting for the writers' lock."""
        tree = self.tree
        if tree.size < size:
            with self._lock:
                with self.db.reader() as conn:
                    self._sync(conn)
                tree = self.tree
        return tree if size <= tree.size else None

    def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]] | None:
        """(leaf hash, proof) of entry `index` in the tree of `size` entries, or None if there is none."""
        tree = self._tree_of(size)
        if tree is None or not 0 <= index < size:
            return None
        return tree.leaf(index), tree.inclusion_proof(index, size)

    def consistency(self, first: int, second: int) -> list[bytes] | None:
        tree = self._tree_of(second)
        if tree is None or not 0 < first <= second:
            return None
        return tree.consistency_proof(first, second)
