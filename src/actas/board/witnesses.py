"""An observer organization's board takes its witnesses' reports: each from a witness on the
organization's published list (published on the board itself, and again whenever it changes),
authenticated by the witness's token, its acta checked against the same key registry, filed into
the record of its mesa. What it publishes from them: each mesa's record with every report and its
proof, the witnesses' coverage and the incidents they reported."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.acta.model import ActaKind
from actas.board.counting import checkpoint_json
from actas.board.outcome import Entered, Entry, Outcome, Reason
from actas.errors import ActasError, InputError
from actas.ledger.checkpoint import Checkpoint
from actas.signed_note import Verifier
from actas.store.board_store import Statements
from actas.tally.board_count import REPORT, WITNESSES, read_entry
from actas.witness.credentials import WitnessList, token_hash
from actas.witness.report import MAX_REPORT_BYTES, WitnessReport

if TYPE_CHECKING:
    from actas.board.board import Board


@dataclass(frozen=True)
class FiledReport:
    """One report on a mesa, as filed: whether it is the witness's current one, and its proof."""

    index: int
    witness: str
    current: bool
    roving: bool
    report: bytes
    """The report's canonical JSON, as it is on the board."""
    proof: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        head = {"index": self.index, "witness": self.witness, "current": self.current, "roving": self.roving}
        return head | {"report": json.loads(self.report)} | self.proof


@dataclass(frozen=True)
class MesaView:
    """A mesa's record on an observer's board, at the latest checkpoint."""

    station: str
    status: str
    """complete, partial, conflict or missing."""
    flags: dict[str, bool]
    actas: tuple[str, ...]
    """The digests of the actas the reports carry."""
    checkpoint: tuple[Checkpoint, str] | None
    reports: tuple[FiledReport, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "station": self.station,
            "status": self.status,
            **self.flags,
            "actas": list(self.actas),
            "checkpoint": self.checkpoint[1] if self.checkpoint else None,
            "reports": [r.to_json() for r in self.reports],
        }


class WitnessDesk:
    def __init__(self, board: Board, witness_list: str, organization: Verifier | None, roving: bool) -> None:
        self.board = board
        self.witness_list = witness_list
        self.witnesses = WitnessList.from_note(witness_list, organization)
        self._witness_of = self.witnesses.witness_of()
        """Token hash -> witness id."""
        self.roving = roving
        election = board.election
        unknown = sorted(
            {m for w in self.witnesses.witnesses.values() for m in w.mesas} - set(election.station_by_code)
        )
        if unknown:
            raise InputError(f"the witness list assigns mesas that are not in election {election.id}: {unknown[:5]}")

    def publish_list(self, statements: Statements) -> tuple[Checkpoint, str] | None:
        """At the start: the witness list onto the board, unless it is the latest list there already."""
        if statements.latest_of_kind(WITNESSES) == self.witness_list.encode():
            return None
        index = self.board.log.append(statements, [(WITNESSES, self.witness_list.encode())])
        self.board.counting.pending.append((index, self.witnesses))
        return self.board.log.sign(statements)

    def witness_for(self, token: str) -> str | None:
        """The registered witness whose token this is, if any."""
        return self._witness_of.get(token_hash(token))

    def submit(self, payload: bytes, witness: str) -> Outcome:
        """Check and file a report sent by an authenticated witness, answered with its receipt and the
        mesa's record as it now stands."""
        refuse = self.board.refusals.refuse
        if len(payload) > MAX_REPORT_BYTES:
            return refuse(payload, Reason.TOO_LARGE, f"a report is at most {MAX_REPORT_BYTES} bytes")
        try:
            report = WitnessReport.from_json(json.loads(payload))
        except (ValueError, RecursionError):
            return refuse(payload, Reason.MALFORMED, "a report is a JSON object (UTF-8)")
        except ActasError as exc:
            return refuse(payload, Reason.MALFORMED, str(exc))
        if report.witness != witness:
            reason = f"you are signed in as witness {witness}; a report of witness {report.witness} is theirs to send"
            return refuse(payload, Reason.FORBIDDEN, reason, report.station)
        problem = self.problem(report)
        if problem is not None:
            return refuse(payload, Reason.INVALID, problem, report.station)
        assigned = self.witnesses.witnesses[witness].mesas
        if report.station not in assigned and not self.roving:
            reason = (
                f"witness {witness} is assigned to mesa {', '.join(assigned[:5])}, not {report.station}; this "
                "organization does not take reports of roving witnesses"
            )
            return refuse(payload, Reason.NOT_ASSIGNED, reason, report.station)
        return self._file(report, witness)

    def _file(self, report: WitnessReport, witness: str) -> Entered:
        board, data = self.board, report.to_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with board.log.writing() as statements:
            found = statements.report_index(digest)
            if found is None:
                index = board.log.append(statements, [(REPORT, data)])
                statements.add_report(digest, report.station, witness, index)
                filed = read_entry(index, REPORT, data)
                if filed is not None:
                    board.counting.pending.append((index, filed))
                outcome = Entered(Entry.ACCEPTED, index, {"station": report.station})
            else:
                outcome = Entered(Entry.DUPLICATE, found, {"station": report.station})
            signed = board.log.sign(statements)
        board.log.signed(signed)
        counting = board.counting
        with counting.lock:  # the mesa's record is known once the board is counted (None before)
            mesa = None if counting.uncounted else counting.witnessed.record(report.station).status
        answered = board.receipts([outcome])[0]
        assert isinstance(answered, Entered)
        return Entered(answered.entry, answered.index, {**answered.said, "mesa": mesa})

    def problem(self, report: WitnessReport) -> str | None:
        """Why a well-formed report cannot be filed on this board, if it cannot."""
        election = self.board.election
        station = election.station_by_code.get(report.station)
        if station is None:
            return f"station {report.station} is not in election {election.id}"
        counted = max(sum(n for _, n in report.hand), report.receipts or 0)
        if counted > station.registered:
            return (
                f"the hand count of {counted:,} receipts is more than the {station.registered:,} registered voters "
                f"of mesa {report.station}: implausible, check it"
            )
        unknown = sorted(set(dict(report.hand)) - {o for c in election.contests for o in c.option_ids})
        if unknown:
            return f"the hand count names {', '.join(unknown[:5])}, not ballot options of this election"
        if report.acta_status == "unsigned":
            return (
                "the acta is an unsigned code (a 2024 Venezuelan acta): nothing proves its counts, so it is kept "
                "in a dataset (actas import qr), not filed on a board of signed actas"
            )
        return None if report.acta is None else self._acta_problem(report.acta, report.station)

    def _acta_problem(self, payload: str, station: str) -> str | None:
        try:
            signed = parse_payload(payload)
        except ActasError as exc:
            return f"the report's acta cannot be read: {exc}"
        findings = check_acta(signed, self.board.registry)
        if findings:
            return "the report's acta does not verify: " + "; ".join(str(f) for f in findings)
        if signed.acta.station != station:
            return f"the report is on mesa {station} but its acta is mesa {signed.acta.station}'s"
        if signed.acta.kind is not ActaKind.FINAL:
            return "the report's acta is the zero acta printed at opening, not the final acta"
        return None

    # --- what it publishes ---------------------------------------------------------------------------------------

    def mesa_view(self, station: str) -> MesaView:
        """A mesa's record: its status and every report, superseded ones too, each with its inclusion proof."""
        counting = self.board.counting
        with counting.lock:
            counting.require_counted()
            record = counting.witnessed.record(station)
        current = {f.index for f in (*record.reports, *record.roving)}
        roving = {f.index for f in record.roving}
        latest = self.board.latest_checkpoint()
        reports = tuple(
            FiledReport(
                index, witness, index in current, index in roving, data, self.board.log.proof_json(index, latest)
            )
            for index, witness, data in self.board.store.station_reports(station)
        )
        return MesaView(station, record.status, record.flags(), tuple(sorted(record.actas)), latest, reports)

    def coverage_view(self, code: str) -> dict[str, Any]:
        """The witnesses' coverage of a unit and its children (KeyError if there is none), at the checkpoint
        the results were counted at."""
        counting = self.board.counting
        with counting.lock:
            counting.require_counted()
            return {"checkpoint": checkpoint_json(counting.counted_at), **counting.witnessed.coverage(code)}

    def mesa_statuses(self, stations: list[str]) -> dict[str, str]:
        """The status of each mesa's record: complete, partial, conflict or missing."""
        counting = self.board.counting
        with counting.lock:
            counting.require_counted()
            return {code: counting.witnessed.record(code).status for code in stations}

    def incidents(self) -> list[dict[str, Any]]:
        """Every incident in the witnesses' current reports, mesa by mesa."""
        counting = self.board.counting
        with counting.lock:
            counting.require_counted()
            records = counting.witnessed.records()
        return [
            {"station": code, "witness": f.report.witness, "index": f.index, "kind": i.kind, "note": i.note}
            | {"roving": f in record.roving}
            for code, record in sorted(records.items())
            for f in (*record.reports, *record.roving)
            for i in f.report.incidents
        ]
