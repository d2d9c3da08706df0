"""The demo's second half: the authority's side when it cheats, the witnesses' parallel tabulation, and
the reconciliation of the two. Each step is what a real participant runs, over real HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table

from actas.acta.codec import parse_payload
from actas.board import Board
from actas.console import Col, out, progress, table
from actas.dataset.model import Dataset, Signature
from actas.dataset.reconcile import DIFFERENT, IDENTICAL, ONLY_OBSERVER, ONLY_OFFICIAL, PAPER_DIFFERS, reconcile, said
from actas.election import Election
from actas.files import enroll_witnesses, load_signer, load_witness_token, signer_at
from actas.server.process import RunningServer, start_server
from actas.sim.scenarios import Tampering
from actas.sim.witnesses import WITNESSED_SHARE, assign, witness_reports
from actas.sources import load_source
from actas.store.database import Database
from actas.witness.report import WitnessReport


def publish_tampered(db: str, board_key: Path, origin: str, election: Election, registry: str, t: Tampering) -> None:
    """The authority, which runs the official server, appends actas to its own board unchecked: with
    its database and its board key it needs no one's permission."""
    board = Board(Database(db), election, registry, load_signer(board_key), origin)
    board.open()
    board.commit([parse_payload(p) for p in t.altered.values()])
    board.db.dispose()


@dataclass(frozen=True)
class Found:
    ok: bool
    summary: str
    official: Dataset
    observers: Dataset


def parallel_tabulation(
    out_dir: Path,
    official: RunningServer,
    election: Election,
    registry_note: str,
    printed: dict[str, str],
    paper: dict[str, str],
    tampering: Tampering,
    seed: int,
) -> Found:
    """Steps 8 and 9: witnesses report to their organization's server; the two tabulations are reconciled."""
    assignments = assign(election, WITNESSED_SHARE, seed)
    targets = sorted({s for s, _ in assignments})
    for stale in ("witnesses.txt", "witness.tokens", "observer.sqlite", "observer.checkpoint"):
        (out_dir / stale).unlink(missing_ok=True)
    mesas: dict[str, list[str]] = {}
    for station, witness in assignments:
        mesas.setdefault(witness, []).append(station)
    enroll_witnesses(
        out_dir / "witnesses.txt",
        out_dir / "witness.tokens",
        mesas,
        signer_at(out_dir / "organization.key", "demo-observers"),
    )
    with progress() as bar:
        task = bar.add_task("witnesses photograph and read the printed actas", total=len(assignments))
        reports = list(
            witness_reports(election, registry_note, printed, paper, assignments, seed, lambda: bar.advance(task))
        )
    read = sum(r.acta_status == "verified" for r in reports)
    db = f"sqlite:///{out_dir / 'observer.sqlite'}"
    with start_server(
        out_dir / "election",
        out_dir / "registry.note",
        db,
        out_dir / "observer.key",
        witnesses=out_dir / "witnesses.txt",
    ) as observer:
        refused = _send(observer.url, reports, out_dir / "witness.tokens")
        coverage = httpx.get(observer.url + "/v1/coverage").json()  # each report was counted before its answer
        out.print(
            f"[bold]8. Witnesses[/bold] {len(reports):,} witnesses at {len(targets):,} mesas photographed the "
            f"printed acta: {read:,} read and verified from the photo; their reports, with the hand count of "
            f"the paper, sent to the observers' server at {observer.url}: {len(reports) - len(refused):,} filed"
        )
        out.print(_coverage_table(coverage))
        official_data, observer_data = load_source(official.url), load_source(observer.url)
    result = reconcile(official_data, observer_data)
    status = {s.station: s for s in result.stations}
    counts = {name: result.count(name) for name in (IDENTICAL, DIFFERENT, ONLY_OFFICIAL, ONLY_OBSERVER, PAPER_DIFFERS)}
    caught_altered = all(
        status[s].status == DIFFERENT
        and status[s].official_signature == Signature.INVALID
        and status[s].observer_signature == Signature.VALID
        for s in tampering.altered
    )
    caught_suppressed = all(status[s].status == ONLY_OBSERVER for s in tampering.suppressed)
    planted = set(tampering.altered) | tampering.suppressed
    machines = set(tampering.machines)
    clean_elsewhere = all(
        s.status in (IDENTICAL, ONLY_OFFICIAL) and (not s.paper or s.station in machines)
        for s in result.stations
        if s.station not in planted
    )
    paper_found = {s.station for s in result.stations if s.paper}
    out.print(
        "[bold]9. Reconciliation[/bold] official board against the observers' board, mesa by mesa: "
        + ", ".join(f"{n:,} {name}" for name, n in counts.items())
    )
    for s in result.stations:
        if s.status == DIFFERENT:
            changes = ", ".join(
                f"{d.candidate} {d.official:,} official, {d.observer:,} witnessed" for d in s.differences
            )
            out.print(f"  {s.station}: {changes}; official acta's {said(s.official_signature)}", markup=False)
        elif s.status == ONLY_OBSERVER:
            out.print(f"  {s.station}: witnesses hold its acta; the official board never published it", markup=False)
    ok = not refused and caught_altered and caught_suppressed and clean_elsewhere
    if planted:
        summary = (
            f"the reconciliation found all {len(planted)} tampered mesas ({len(tampering.altered)} altered, "
            f"{len(tampering.suppressed)} suppressed)"
            if caught_altered and caught_suppressed
            else "the reconciliation MISSED tampered mesas"
        )
    elif machines:
        witnessed = machines & {s.station for s in result.stations if s.status == IDENTICAL}
        summary = (
            f"the witnesses' photos agree with the official actas, but their hand counts show that "
            f"{len(paper_found):,} of the {len(witnessed):,} witnessed mesas with an altered machine "
            "counted other than the paper"
        )
        ok = ok and paper_found == witnessed
    else:
        summary = "the witnesses' actas agree with the official board" if clean_elsewhere else "UNEXPECTED DIFFERENCES"
    return Found(ok, summary, official_data, observer_data)


def _send(url: str, reports: list[WitnessReport], tokens: Path) -> list[str]:
    """The witnesses send their reports side by side, each with their own token; returns the refusals."""

    def send(report: WitnessReport) -> str | None:
        token = load_witness_token(tokens, report.witness)
        headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
        answer = client.post("/v1/witness/reports", content=report.to_bytes(), headers=headers)
        if answer.status_code in (200, 201):
            return None
        return f"{report.station} {report.witness}: {answer.json()['error']['message']}"

    with httpx.Client(base_url=url, timeout=60) as client, ThreadPoolExecutor(16) as pool:
        return [problem for problem in pool.map(send, reports) if problem is not None]


def _coverage_table(coverage: dict[str, Any]) -> Table:
    columns = {
        "stations": "mesas",
        "complete": "complete",
        "partial": "partial",
        "conflict": "conflict",
        "missing": "missing",
        "confirmed": "2\nagree",
        "incidents": "incident",
        "paper_differs": "paper\n≠",
    }
    rows = [[str(unit["name"]), *(f"{unit[c]:,}" for c in columns)] for unit in [coverage, *coverage["children"]]]
    return table("the observers' coverage", [Col("unit"), *(Col(h, number=True) for h in columns.values())], rows)
