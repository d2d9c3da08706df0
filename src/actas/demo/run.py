"""The main job, `actas demo`: a simulated election end to end, then its verification."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.acta.model import ActaKind
from actas.acta_batch import check_many
from actas.console import VOTES_COLUMNS, candidate_rows, out, progress, table
from actas.demo import e2e as encrypted
from actas.demo.checks import final_checks
from actas.demo.parallel import parallel_tabulation, publish_tampered
from actas.election import Election
from actas.errors import FormatError, VerificationError
from actas.files import BALLOTS_DIR, BUNDLE_FILE, KEYS_DIR, REGISTRY_FILE, publish_keys, save_election
from actas.ledger.checkpoint import open_checkpoint
from actas.ledger.merkle import leaf_hash, verify_inclusion
from actas.outbox import Outbox
from actas.paper.render import render_acta
from actas.payload_sources import SourcePayload, payloads_from_image, pick_acta, read_payloads
from actas.server.process import RunningServer, start_server
from actas.sim.election_day import VoterModel, simulate_bundle
from actas.sim.generator import synthetic
from actas.sim.scenarios import Tampering, tamper
from actas.sim.shapes import simulated_shapes
from actas.sim.witnesses import WITNESSED_SHARE, assign
from actas.tally.totals import Totals
from actas.transmit import TransmitReport, transmit


def run_demo(stations: int, seed: int, out_dir: Path, scenario: str, serve: bool, e2e: bool = False) -> None:
    """Every step, printed as it runs; VerificationError when a check does not find what it should."""
    started = time.perf_counter()
    # as its users will see it: in Venezuela's Spanish, on a map
    election, shapes = simulated_shapes(synthetic(stations, seed, naming="es_VE"), seed)
    save_election(election, out_dir / "election", shapes)
    out.print(
        f"[bold]1. Election[/bold] {election.name}: {len(election.stations):,} stations, "
        f"{election.registered:,} registered voters, fingerprint {election.fingerprint[:16]}..."
    )
    keys, registry = publish_keys(election, out_dir, "demo-electoral-authority")
    out.print(
        f"[bold]2. Keys[/bold] {len(keys.machines):,} machine keys (private, {out_dir / KEYS_DIR}); "
        f"registry signed by {keys.authority.verifier.to_text()}"
    )
    trustees = None
    if e2e:
        trustees = encrypted.ceremony(out_dir, election)
        out.print(
            f"[bold]2b. Trustees[/bold] {', '.join(encrypted.TRUSTEES)} made the election's key, any "
            f"{encrypted.QUORUM} of them can decrypt: {trustees[1].joint_key().hex()[:16]}... "
            f"({out_dir / 'ceremony.json'}; each one's secrets in {out_dir / 'trustees'}, 0600)"
        )
    ballots = (trustees[1].joint_key().hex(), out_dir / BALLOTS_DIR) if trustees is not None else None
    day_started = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("machines", total=len(election.stations))
        totals = simulate_bundle(
            election,
            out_dir / BUNDLE_FILE,
            keys.machines,
            VoterModel(seed=seed),
            None,
            lambda n: bar.advance(task, n),
            ballots,
        )
    seconds = time.perf_counter() - day_started
    out.print(
        f"[bold]3. Election day[/bold] {totals.stations:,} machines opened, recorded {totals.voters:,} votes "
        f"and closed in {seconds:.1f} s"
    )

    verdicts = list(check_many(read_payloads(str(out_dir / "actas.jsonl")), registry))
    valid = sum(v.valid for v in verdicts)
    invalid = len(verdicts) - valid
    out.print(
        f"[bold]4. Verification[/bold] {valid:,} of {valid + invalid:,} actas valid "
        "(signature, election, station, machine, ballot, sums)"
    )

    printed = {
        signed.acta.station: signed.payload
        for signed in (parse_payload(p.payload) for p in read_payloads(str(out_dir)) if isinstance(p.payload, str))
        if signed.acta.kind is ActaKind.FINAL
    }
    witnessed = sorted({station for station, _ in assign(election, WITNESSED_SHARE, seed)})
    candidate_of = {o.id: o.candidate for o in election.contests[0].options}
    tampering = tamper(scenario, printed, witnessed, seed, keys.machines, candidate_of)
    paper = dict(printed)  # what the voters chose, in the ballot boxes
    printed.update(tampering.machines)  # what the machines printed and signed
    for stale in (out_dir / "board.sqlite", out_dir / "board.checkpoint", out_dir / "sent.jsonl"):
        stale.unlink(missing_ok=True)
    db = f"sqlite:///{out_dir / 'board.sqlite'}"
    registry_note = (out_dir / REGISTRY_FILE).read_text(encoding="utf-8")
    ceremony = ["--ceremony", str(out_dir / "ceremony.json")] if trustees is not None else []
    with start_server(
        out_dir / "election", out_dir / REGISTRY_FILE, db, out_dir / "board.key", options=ceremony
    ) as official:
        board_ok = _transmit_and_check(official, db, out_dir, election, totals, tampering)
        if trustees is not None:
            board_ok = encrypted.publish(official, out_dir, election, *trustees) and board_ok

        sheets = out_dir / "printed"
        sheets.mkdir(exist_ok=True)
        sample = [s.code for s in election.stations[:3]]
        for code in sample:
            figure = render_acta(pick_acta(str(out_dir / "actas.jsonl"), code, "final"), election)
            figure.savefig(sheets / f"{code}.png", dpi=200, facecolor="white")
            figure.savefig(sheets / f"{code}.pdf", facecolor="white")
        scanned = [parse_payload(p) for p in payloads_from_image(sheets / f"{sample[0]}.png")]
        scan_ok = len(scanned) == 1 and not check_acta(scanned[0], registry)
        out.print(
            f"[bold]7. Printed[/bold] {len(sample)} tally sheets in {sheets} (PNG and PDF); the QR code of "
            f"{sample[0]} read back from its pixels: {'valid' if scan_ok else 'NOT VALID'}"
        )
        found = parallel_tabulation(out_dir, official, election, registry_note, printed, paper, tampering, seed)
        differing = len(tampering.machines) if trustees is not None else 0
        checked = final_checks(out_dir, official, election, found, paper, scenario, seed, differing)
        e2e_ok = True
        if trustees is not None:
            said, e2e_ok = encrypted.summary(official, set(tampering.machines))
            out.print(f"[bold]13. Encrypted ballots[/bold] {escape(said)}")

        all_ok = invalid == 0 and scan_ok and board_ok and found.ok and checked and e2e_ok
        verdict = "the checks found what they should" if all_ok else "A CHECK DID NOT BEHAVE AS IT SHOULD"
        out.print(f"[bold]{found.summary}; {verdict}[/bold]; demo finished in {time.perf_counter() - started:.1f} s")
        command = sys.argv[0] if sys.argv[0].endswith("actas") else "actas"
        out.print(
            f"Next, try: {command} acta verify {sheets / sample[0]}.png --registry {out_dir / REGISTRY_FILE}\n"
            f"           {command} acta render {out_dir} --station {sample[1]} "
            f"--election {out_dir / 'election'} --png acta.png"
        )
        if serve:
            _serve(out_dir, official)
    if not all_ok:
        raise VerificationError("the demo's own verification failed")


def _serve(out_dir: Path, official: RunningServer) -> None:
    """The demo's last step: both boards stay up, with their pages, until interrupted."""
    observer = start_server(
        out_dir / "election",
        out_dir / REGISTRY_FILE,
        f"sqlite:///{out_dir / 'observer.sqlite'}",
        out_dir / "observer.key",
        witnesses=out_dir / "witnesses.txt",
        official=official.url,
    )
    with observer:
        out.print(
            f"\n[bold]Live results: {official.url}/[/bold]\n"
            f"The witnesses' board: {observer.url}/ (coverage, incidents, its reconciliation with the official "
            f"board at {observer.url}/reconciliation, the witness app at {observer.url}/witness)\n"
            "Serving until interrupted (Ctrl-C); actas demo --no-serve exits here.",
            highlight=False,
        )
        sys.stdout.flush()
        try:
            official.process.wait()
        except KeyboardInterrupt:
            stopping = [threading.Thread(target=server.stop) for server in (observer, official)]
            for thread in stopping:  # both stop at once, each finishing what is in flight
                thread.start()
            for thread in stopping:
                thread.join()
            out.print("stopped")


def _results_table(results: dict[str, Any]) -> Table:
    stations, registered = results["stations"], results["registered"]
    checkpoint = results.get("checkpoint") or {}
    share = 100 * stations["reported"] / stations["expected"] if stations["expected"] else 0.0
    title = (
        f"{stations['reported']:,} of {stations['expected']:,} actas counted ({share:.1f}%), "
        f"{results['voters']:,} voters; board checkpoint {checkpoint.get('size', 0):,} "
        f"{str(checkpoint.get('root', ''))[:12]}..."
    )
    made = table(title, VOTES_COLUMNS, candidate_rows(results["contests"][0]))
    if registered["covered"]:
        made.caption = f"turnout {100 * results['voters'] / registered['covered']:.1f}% of registered voters covered"
    return made


def _transmit_and_check(
    server: RunningServer, db: str, out_dir: Path, election: Election, totals: Totals, tampering: Tampering
) -> bool:
    """Steps 5 and 6 of the demo: the machines transmit to a real server; the board is checked."""
    reports: list[TransmitReport] = []
    withheld = set(tampering.altered) | tampering.suppressed
    registry_note = (out_dir / REGISTRY_FILE).read_text(encoding="utf-8")

    def sent() -> Iterator[SourcePayload]:
        """What arrives: an altered machine's final as it signed it; a withheld final never."""
        for item in read_payloads(str(out_dir)):
            station = _final_of(item.payload)
            if station is not None and station in tampering.machines:
                yield SourcePayload(item.origin, tampering.machines[station])
            elif station is None or station not in withheld:
                yield item

    def send(url: str) -> None:
        reports.append(transmit(url, sent(), Outbox(out_dir / "sent.jsonl"), workers=16))
        if tampering.altered:
            publish_tampered(db, out_dir / "board.key", server.origin, election, registry_note, tampering)

    out.print(f"[bold]5. Transmission[/bold] tabulation server at {server.url}; the machines send their actas")
    if withheld:
        out.print(
            f"   (scenario: the authority publishes altered counts for {len(tampering.altered)} mesas "
            f"and never publishes {len(tampering.suppressed)})",
            markup=False,
        )
    if tampering.machines:
        out.print(
            f"   (scenario: {len(tampering.machines)} machines print and sign counts other than their paper)",
            markup=False,
        )
    expected = totals.stations - len(tampering.suppressed)
    sender = threading.Thread(target=send, args=(server.url,))
    sender.start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        with Live(console=out, auto_refresh=False) as live:
            settle = 40  # polls after the last acta is sent, for the last checkpoint to be signed
            while settle:
                results = client.get("/v1/results").json()
                live.update(_results_table(results), refresh=True)
                if not sender.is_alive():
                    settle = 0 if results["stations"]["reported"] == expected else settle - 1
                time.sleep(0.25)
        out.print()
        sender.join()
        station = election.stations[0].code
        record = client.get(f"/v1/actas/{station}").json()
    checkpoint = open_checkpoint(record["checkpoint"], server.board_key, server.origin)
    final = next(a for a in record["actas"] if a["kind"] == "final")
    proof = [bytes.fromhex(p) for p in final["inclusion_proof"]["proof"]]
    verify_inclusion(leaf_hash(final["payload"].encode()), final["index"], checkpoint.size, proof, checkpoint.root)
    report = reports[0]
    served = {c["id"]: c["votes"] for c in results["contests"][0]["candidates"]}
    same = served == totals.by_candidate(election.contests[0]) and results["voters"] == totals.voters
    out.print(
        f"[bold]6. Bulletin board[/bold] {report.accepted:,} actas accepted, {len(report.refused):,} refused; "
        f"checkpoint of {checkpoint.size:,} entries signed by {server.board_key.name}; the inclusion proof of "
        f"{station}'s final acta verifies; the server's totals {'equal' if same else 'DIFFER FROM'} the machines' "
        "actas' totals"
    )
    return same != bool(withheld or tampering.machines) and not report.refused and not report.unsent


def _final_of(payload: str | FormatError) -> str | None:
    """The station of a final acta's payload (None for anything else)."""
    if isinstance(payload, FormatError):
        return None
    acta = parse_payload(payload).acta
    return acta.station if acta.kind is ActaKind.FINAL else None
