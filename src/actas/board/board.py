"""The bulletin board as a server keeps it: what happens to a submission, and what is published.

Every accepted artifact (the election definition, the key registry, every zero and final acta) is
an entry of an append-only RFC 9162 Merkle tree stored in the database (`log`). A submission is
checked completely, committed durably, and only then acknowledged with a receipt: its index, its
leaf hash and an inclusion proof against a signed checkpoint. The same acta again gets the same
receipt; a second, different acta for a station is kept too and the station is flagged as in
conflict; anything invalid is refused with its reason and recorded (`refusals`).

An observer organization's board takes its witnesses' reports instead of actas (`witnesses`).

Each server process keeps a copy of the tree and of the results (`counting`), brought up to date
from the database under the writers' lock, so any number of processes can serve one board.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from actas.acta.check import check_acta
from actas.acta.codec import MAX_ACTA_BYTES, parse_payload
from actas.acta.model import Acta, ActaKind, SignedActa
from actas.announcement import MAX_ANNOUNCEMENT_BYTES, NULL, OTHERS, open_announcement
from actas.board.ballots import BallotDesk, CheckedRecord, FoundBallot, found_ballot
from actas.board.counting import COUNT_PAGE, UNPARSED, Counting, ResultsView
from actas.board.log import BoardLog, now
from actas.board.outcome import Entered, Entry, Outcome, Reason, Refused
from actas.board.publication import Publication, Published
from actas.board.refusals import Refusals
from actas.board.witnesses import MesaView, WitnessDesk
from actas.canonical import canonical_json
from actas.election import Election
from actas.errors import ActasError, InputError, VerificationError
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.cosignature import CosignerPolicy
from actas.ledger.merkle import MerkleTree, leaf_hash
from actas.registry import KeyRegistry
from actas.signed_note import Signer, Verifier
from actas.store.board_store import BoardStore, Statements
from actas.store.database import Database
from actas.tally.board_count import CEREMONY, BoardCount, counted_acta, entry_kind, read_entry
from actas.tally.progressive import ProgressiveResults
from actas.tally.witnessed import WitnessTally

OFFICIAL, OBSERVER = "official", "observer"
ROLES = (OFFICIAL, OBSERVER)


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
        ceremony: str | None = None,
    ) -> None:
        """An official board, or an observer's when given the organization's signed witness list (its
        organization key pinned with `organization`; reports on mesas a witness is not assigned to are
        taken only when `roving`). An official board given the trustees' key `ceremony` (its record's
        text) publishes it as entry 2 and takes the machines' encrypted ballots and the trustees' shares
        (`board.ballots`). The latest checkpoint it signs is also kept in `checkpoint_file`
        (`store.checkpoint_file`)."""
        self.db = db
        self.role = OBSERVER if witness_list is not None else OFFICIAL
        self.election = election
        self.registry_note = registry_note
        self.registry = KeyRegistry.from_text(registry_note)
        if self.registry.fingerprint != election.fingerprint:
            raise InputError("the key registry is for another election definition (fingerprints differ)")
        self.store = BoardStore(db)
        self.log = BoardLog(self.store, signer, origin, checkpoint_file)
        self.counting = Counting(election, self.role == OBSERVER, self.log.lock, self.store.checkpoint_signed_at)
        self.log.follower = self.counting
        self.refusals = Refusals(self.store)
        if ceremony is not None and witness_list is not None:
            raise InputError("an observer's board takes no encrypted ballots: the official board publishes them")
        self.desk = WitnessDesk(self, witness_list, organization, roving) if witness_list is not None else None
        self.ballots = (
            BallotDesk(election, ceremony, self.log, self.refusals, self.counting) if ceremony is not None else None
        )
        self.publication: Publication | None = None

    def use_cosigners(self, policy: CosignerPolicy) -> None:
        """Publish each checkpoint with its cosignatures (`server.cosigning` asks the cosigners), and give
        receipts against the checkpoint published."""
        self.publication = Publication(self.store, policy)

    @property
    def signer(self) -> Signer:
        return self.log.signer

    @property
    def origin(self) -> str:
        return self.log.origin

    @property
    def tree(self) -> MerkleTree:
        return self.log.tree

    @property
    def count(self) -> BoardCount:
        return self.counting.count

    @property
    def results(self) -> ProgressiveResults:
        return self.counting.results

    @property
    def witnessed(self) -> WitnessTally:
        """The observer's record of every mesa (an official board has none)."""
        return self.counting.witnessed

    @property
    def results_size(self) -> int:
        """The size of the checkpoint the results were counted at (0 before any)."""
        return self.counting.size

    # --- start ----------------------------------------------------------------------------------------------

    def open(self, *, count_now_up_to: int | None = None) -> None:
        """Migrate, then publish the definition and registry as entries 0 and 1, or check they are there, and
        check that the entries are still those of every checkpoint this server signed.

        Every entry is read and its leaf hash recomputed, and what the entries add up to is counted; but
        a board of more than `count_now_up_to` entries is left for `count_board` (a server counts a large
        board in the background once it listens, and answers results only when it has: `StillCounting`)."""
        self.db.check_integrity()
        self.db.migrate()
        counting = self.counting
        if count_now_up_to is not None:
            counting.parse_from = UNPARSED
        signed = None
        with self.log.writing() as statements:
            self.log.check_own_checkpoints(statements)
            if self.tree.size == 0:
                genesis = [
                    ("election", canonical_json(self.election.to_json())),
                    ("registry", self.registry_note.encode()),
                ]
                if self.ballots is not None:
                    genesis.append((CEREMONY, self.ballots.ceremony_text.encode()))
                    counting.pending.append((2, self.ballots.ceremony))
                self.log.append(statements, genesis)
                signed = self.log.sign(statements)
            else:
                self._check_genesis(statements)
            counting.parse_from = min(counting.parse_from, self.tree.size)
            counting.uncounted = counting.parse_from
            if self.desk is not None:
                signed = self.desk.publish_list(statements) or signed
        self.log.signed(signed)
        if 0 < counting.uncounted <= (count_now_up_to or 0):
            self.count_board()
        latest = self.latest_checkpoint()
        if latest is not None:
            self.log.keep(latest)

    def _check_genesis(self, statements: Statements) -> None:
        """Entries 0 and 1 must be this election's definition (its SHA-256 is the fingerprint) and registry."""
        first = statements.first_entries()
        held = [
            ("election", hashlib.sha256(first.get(0, b"")).hexdigest() == self.election.fingerprint),
            ("registry", first.get(1, b"") == self.registry_note.encode()),
        ]
        for index, (kind, same) in enumerate(held):
            if not same:
                raise InputError(
                    f"this database holds another board: its entry {index} is not this {kind}; "
                    "use a new database for a new election"
                )
        published = entry_kind(first.get(2, b"")) == CEREMONY
        if self.ballots is None and published:
            raise InputError("this board publishes encrypted ballots: give it the key ceremony's record (--ceremony)")
        if self.ballots is not None and first.get(2) != self.ballots.ceremony_text.encode():
            raise InputError(
                "this board's entry 2 is not this key ceremony's record: a board's ceremony is published when the "
                "board is made, and never changes"
            )

    def count_board(self, page: int = COUNT_PAGE) -> None:
        """Count the entries `open` left uncounted (results are answered meanwhile by no one:
        `StillCounting`), then everything that came since."""
        self.counting.count_board(self.store.entries, lambda: self.log.checkpoint, page)

    # --- submissions ----------------------------------------------------------------------------------------

    def submit(self, payload: bytes) -> Outcome:
        """Check and record one acta, answered with its receipt (or its refusal)."""
        return self.ingest([payload])[0]

    def ingest(self, payloads: list[bytes]) -> list[Outcome]:
        """A batch of submissions: check each, then commit the valid ones together."""
        checked = [self.check(p) for p in payloads]
        committed = iter(self.receipts(self.commit([c for c in checked if not isinstance(c, Refused)])))
        return [item if isinstance(item, Refused) else next(committed) for item in checked]

    def commit(self, batch: list[SignedActa]) -> list[Entered]:
        """Append checked actas and a checkpoint that covers them in one transaction (one fsync). The
        outcomes carry each entry's index; `receipts` turns them into answers."""
        if not batch:
            return []
        with self.log.writing() as statements:
            outcomes = self._append_actas(statements, batch)
            signed = self.log.sign(statements)
        self.log.signed(signed)
        return outcomes

    def receipts(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """Each entry with its receipt against the latest checkpoint."""
        answered: list[Outcome] = []
        for outcome in outcomes:
            if isinstance(outcome, Entered):
                said = outcome.said
                receipt = self.receipt(outcome.index, said)
                outcome = Entered(outcome.entry, outcome.index, receipt or {**said, "index": outcome.index})
            answered.append(outcome)
        return answered

    def check(self, payload: bytes) -> SignedActa | Refused:
        """Everything that can be checked without the board: the acta, or the refusal to send back."""
        refuse = self.refusals.refuse
        if len(payload) > MAX_ACTA_BYTES:
            return refuse(payload, Reason.TOO_LARGE, f"an acta is at most {MAX_ACTA_BYTES} bytes")
        try:
            signed = parse_payload(payload)
        except ActasError as exc:
            return refuse(payload, Reason.MALFORMED, str(exc))
        findings = check_acta(signed, self.registry)
        if findings:
            return refuse(payload, Reason.INVALID, "; ".join(str(f) for f in findings), signed.acta.station)
        _ = signed.digest  # computed (and cached) here, where requests are checked side by side, not in the commit
        return signed

    def _append_actas(self, statements: Statements, batch: list[SignedActa]) -> list[Entered]:
        """Record checked actas: new ones appended, the same acta again answered with its index."""
        outcomes: list[Entered] = []
        known = statements.acta_indexes([s.digest for s in batch])
        seen = {(station, kind) for station, kind, _ in statements.actas_held({s.acta.station for s in batch})}
        new: list[SignedActa] = []
        for signed in batch:
            acta = signed.acta
            if signed.digest in known:
                outcomes.append(Entered(Entry.DUPLICATE, known[signed.digest], {"station": acta.station}))
                continue
            index = self.tree.size + len(new)
            new.append(signed)
            known[signed.digest] = index
            if (acta.station, acta.kind.value) in seen:
                said = {
                    "station": acta.station,
                    "message": f"station {acta.station} already has a different {acta.kind.value} acta; "
                    "both are kept and the station is flagged as in conflict",
                }
                outcomes.append(Entered(Entry.CONFLICT, index, said))
            else:
                seen.add((acta.station, acta.kind.value))
                outcomes.append(Entered(Entry.ACCEPTED, index, {"station": acta.station}))
        first = self.log.append(statements, [("acta", s.payload.encode()) for s in new])
        statements.add_actas([(s.digest, s.acta.station, s.acta.kind.value, first + i) for i, s in enumerate(new)])
        self.counting.pending.extend((first + i, counted_acta(s.acta, s.digest)) for i, s in enumerate(new))
        self.counting.arrived(now(), [s.acta.station for s in new if s.acta.kind is ActaKind.FINAL])
        return outcomes

    def announce(self, payload: bytes) -> Outcome:
        """Publish the authority's signed announcement (its signature is the authentication), answered
        with its receipt."""
        refuse = self.refusals.refuse
        if len(payload) > MAX_ANNOUNCEMENT_BYTES:
            return refuse(payload, Reason.TOO_LARGE, f"an announcement is at most {MAX_ANNOUNCEMENT_BYTES} bytes")
        try:
            announcement = open_announcement(payload.decode("utf-8"), self.registry)
        except UnicodeDecodeError:
            return refuse(payload, Reason.MALFORMED, "an announcement is UTF-8 text")
        except VerificationError as exc:
            return refuse(payload, Reason.FORBIDDEN, str(exc))
        except ActasError as exc:
            return refuse(payload, Reason.MALFORMED, str(exc))
        if announcement.unit and announcement.unit not in self.election.unit_by_code:
            return refuse(payload, Reason.INVALID, f"unit {announcement.unit} is not in election {self.election.id}")
        contests = {c.id: c for c in self.election.contests}
        for announced in announcement.contests:
            contest = contests.get(announced.contest)
            known = set(contest.candidate_ids) | {OTHERS, NULL} if contest else set()
            unknown = [key for key, _ in announced.votes if key not in known]
            if contest is None or unknown:
                reason = f"contest {announced.contest}: {unknown or 'no such contest'} not on the ballot"
                return refuse(payload, Reason.INVALID, reason)
        with self.log.writing() as statements:
            found = statements.announcement_index(leaf_hash(payload))
            if found is None:
                outcome = Entered(Entry.ACCEPTED, self.tree.size, {"title": announcement.title})
                index = self.log.append(statements, [("announcement", payload)])
                self.counting.announced.append((index, payload.decode("utf-8")))
            else:
                outcome = Entered(Entry.DUPLICATE, found, {"title": announcement.title})
            signed = self.log.sign(statements)
        self.log.signed(signed)
        return self.receipts([outcome])[0]

    def announcements(self) -> list[tuple[int, str]]:
        """(index, signed note) of every announcement on the board, as far as this process has read it (other
        processes' follow with their checkpoints, as the results do)."""
        return list(self.counting.announced)

    # --- encrypted ballots ------------------------------------------------------------------------------------

    def ballot_desk(self) -> BallotDesk:
        if self.ballots is None:
            raise InputError("this board publishes no encrypted ballots")
        return self.ballots

    def check_record(self, payload: bytes) -> CheckedRecord | Refused:
        return self.ballot_desk().check_record(payload)

    def publish_record(self, checked: CheckedRecord) -> Outcome:
        """Append a mesa's checked record of encrypted ballots, answered with its receipt."""
        return self.receipts([self.ballot_desk().publish_record(checked)])[0]

    def publish_shares(self, payload: bytes) -> list[tuple[str, Outcome]]:
        """A trustee's shares of mesas' tallies, each mesa's answered with its receipt or refusal."""
        answered = self.ballot_desk().publish_shares(payload)
        receipts = self.receipts([outcome for _, outcome in answered])
        return [(station, outcome) for (station, _), outcome in zip(answered, receipts, strict=True)]

    def station_records(self, station: str) -> list[tuple[int, str, bytes]]:
        """(index, its record's last code, part) of every part of a record of encrypted ballots of a mesa, in
        board order."""
        return self.store.station_records(station)

    def station_shares(self, station: str) -> list[tuple[int, str, bytes]]:
        """(index, trustee, shares) of every trustee's shares of a mesa's tally, in board order."""
        return self.store.station_shares(station)

    def record_parts(self, start: int, end: int) -> list[int]:
        """The entries from `start` to `end` (excluded) that are parts of mesas' records of encrypted ballots."""
        return self.store.record_parts(start, end)

    def find_ballots(self, prefix: str) -> list[FoundBallot]:
        """The ballots whose confirmation code starts with `prefix` (lowercase hexadecimal): none, one, or two
        when the prefix is too short to tell them apart."""
        found = []
        for code, index, place in self.store.ballot_codes(prefix, 2):
            ((_, _, part),) = self.entries(index, index + 1)
            found.append(found_ballot(code, index, place, part))
        return found

    # --- witnesses' reports (observer role) -----------------------------------------------------------------

    def _desk(self) -> WitnessDesk:
        if self.desk is None:
            raise InputError("an official board takes no witnesses' reports")
        return self.desk

    def witness_for(self, token: str) -> str | None:
        """The registered witness whose token this is, if any (None on an official board)."""
        return self.desk.witness_for(token) if self.desk is not None else None

    def submit_report(self, payload: bytes, witness: str) -> Outcome:
        return self._desk().submit(payload, witness)

    def mesa_view(self, station: str) -> MesaView:
        return self._desk().mesa_view(station)

    def coverage_view(self, code: str) -> dict[str, Any]:
        return self._desk().coverage_view(code)

    def mesa_statuses(self, stations: list[str]) -> dict[str, str]:
        return self._desk().mesa_statuses(stations)

    def incidents(self) -> list[dict[str, Any]]:
        return self._desk().incidents()

    # --- refusals -----------------------------------------------------------------------------------------------

    def record_refusals(self) -> None:
        self.refusals.record()

    @property
    def rejected_unrecorded(self) -> int:
        return self.refusals.unrecorded

    def station_rejections(self, station: str) -> list[dict[str, Any]]:
        return self.refusals.of_station(station)

    def rejection_list(self, start: int, limit: int) -> list[dict[str, Any]]:
        return self.refusals.after(start, limit)

    # --- checkpoints and proofs ---------------------------------------------------------------------------------

    def latest_checkpoint(self) -> tuple[Checkpoint, str] | None:
        return self.log.latest_checkpoint(self.counting.size)

    def sign_checkpoint(self) -> Checkpoint | None:
        return self.log.sign_checkpoint()

    def checkpoint_at(self, size: int | None) -> tuple[Checkpoint, str] | None:
        """The signed checkpoint of `size` entries (the latest when None), if there is one."""
        return self.latest_checkpoint() if size is None else self.log.checkpoint_at(size)

    def checkpoint_notes(self, start: int, limit: int) -> list[str]:
        return self.store.checkpoint_notes(start, limit)

    def receipt(self, index: int, body: dict[str, Any]) -> dict[str, Any] | None:
        """The receipt of an entry once a checkpoint covers it (None until then): the latest published with
        its cosignatures when the board has cosigners."""
        published = self.published_checkpoint(index + 1)
        if published is not None:
            return self.log.receipt(index, body, (published.checkpoint, published.note))
        cached = self.log.checkpoint
        latest = cached if cached is not None and cached[0].size > index else self.latest_checkpoint()
        return self.log.receipt(index, body, latest)

    def published_checkpoint(self, size: int = 0) -> Published | None:
        """The latest checkpoint published with its cosignatures, once it covers `size` entries (None on a
        board without cosigners, or before one does)."""
        publication = self.publication
        if publication is None:
            return None
        published = publication.latest
        if published is None or published.checkpoint.size < size:
            published = publication.refresh()
        return published if published is not None and published.checkpoint.size >= size else None

    def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]] | None:
        return self.log.inclusion(index, size)

    def consistency(self, first: int, second: int) -> list[bytes] | None:
        return self.log.consistency(first, second)

    def root_at(self, size: int) -> bytes | None:
        return self.log.root_at(size)

    def proof_json(self, index: int, latest: tuple[Checkpoint, str] | None) -> dict[str, Any]:
        return self.log.proof_json(index, latest)

    # --- reading the board --------------------------------------------------------------------------------------

    def entries(self, start: int, end: int) -> list[tuple[int, str, bytes]]:
        return self.store.entries(start, end)

    def station_actas(self, station: str) -> list[tuple[int, str, bytes]]:
        """(index, kind, payload) of every acta of a station, in board order."""
        return self.store.station_actas(station)

    def results_view(self, code: str) -> ResultsView:
        return self.counting.results_view(code)

    def results_at(self, size: int) -> ProgressiveResults:
        """The results of the board's first `size` entries, recomputed from the entries themselves."""
        count = BoardCount(self.election, self.role == OBSERVER)
        for start in range(0, size, 1000):
            for index, kind, data in self.entries(start, min(start + 1000, size)):
                item = read_entry(index, kind, data)
                if item is not None:
                    count.add(item)
        return count.results

    def counted_snapshot(
        self,
    ) -> tuple[Checkpoint, dict[str, tuple[str, Acta]], set[str], dict[str, str] | None] | None:
        """The checkpoint the results were counted at, the final acta counted for each mesa, the mesas in
        conflict and, on a board that publishes encrypted ballots, what each mesa's ballots say, as they
        stand: a snapshot taken in one go, that later checkpoints leave unchanged."""
        counting = self.counting
        with counting.lock:
            counting.require_counted()
            if counting.counted_at is None:
                return None
            encrypted = self.results.encrypted
            ballots = encrypted.statuses() if encrypted is not None else None
            return counting.counted_at, self.results.counted(), set(self.results.conflicts()), ballots

    def arrivals(self, code: str = "") -> list[tuple[str, int]]:
        """Final actas received minute by minute (UTC) in the unit of `code` (the nation by default)."""
        return self.counting.arrivals(code)

    def unit_arrivals(self) -> dict[str, list[tuple[str, int]]]:
        return self.counting.unit_arrivals()

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
                    "unit": announced.unit,
                    "issued": announced.issued,
                    "voters": announced.voters,
                    "registered": announced.registered,
                    "contests": [{"id": c.contest, "votes": dict(c.votes)} for c in announced.contests],
                }
            )
        return views
