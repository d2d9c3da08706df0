"""The `actas` command. Every error becomes one line on stderr and an exit code:
0 success, 1 a check found a problem, 2 could not run (bad input or usage)."""

from __future__ import annotations

import datetime as dt
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.acta.model import ActaKind, SignedActa
from actas.acta_batch import Verdict, check_many, check_signed
from actas.cli_audit import audit_app
from actas.cli_calibrate import calibrate_command
from actas.cli_datasets import import_app, mirror_command, outcome_command, reconcile_command, results
from actas.cli_db import db_app
from actas.cli_forensics import case_command, forensics_command, report_command, simulate_results_command
from actas.cli_kiosk import kiosk_command
from actas.cli_quick_count import exit_poll_command, pvt_app
from actas.cli_verify import verify_command
from actas.cli_witness import witness_app
from actas.console import VOTES_COLUMNS, Col, candidate_rows, err, out, table
from actas.console import print_json as _print_json
from actas.console import progress as _progress
from actas.election import Election
from actas.errors import ActasError, FormatError, InputError, VerificationError
from actas.fields import format_utc_time
from actas.files import (
    REGISTRY_FILE,
    KeySet,
    load_election,
    load_machine_signer,
    load_registry,
    load_signer,
    read_text,
    save_election,
    signer_at,
    write_bundle,
)
from actas.machine.journal import JournaledMachine
from actas.machine.voting_machine import MachineSetup
from actas.payload_sources import SourcePayload, is_bundle, read_payloads
from actas.registry import MAX_REGISTRY_BYTES, KeyRegistry
from actas.server.connections import DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT, ConnectionLimits
from actas.signed_note import Verifier
from actas.sim.generator import PRESETS, generate
from actas.sim.scenarios import HONEST, Tampering
from actas.sim.scenarios import SCENARIOS as DEMO_SCENARIOS
from actas.sim.simulate import VoterModel, parse_shares, simulate
from actas.tally.totals import Totals

if TYPE_CHECKING:
    from actas.server.process import RunningServer

app = typer.Typer(
    name="actas",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
election_app = typer.Typer(help="Election definitions: generate and inspect.", no_args_is_help=True)
keys_app = typer.Typer(help="The authority's key, machine keys and the signed key registry.", no_args_is_help=True)
acta_app = typer.Typer(help="Actas: verify and print.", no_args_is_help=True)
machine_app = typer.Typer(help="One station's voting machine, with its durable journal.", no_args_is_help=True)
app.add_typer(election_app, name="election")
app.add_typer(keys_app, name="keys")
app.add_typer(acta_app, name="acta")
app.add_typer(machine_app, name="machine")
app.add_typer(import_app, name="import")
app.command("results")(results)
app.command("reconcile")(reconcile_command)
app.command("mirror")(mirror_command)
app.command("verify")(verify_command)
app.command("outcome")(outcome_command)
app.add_typer(witness_app, name="witness")
app.add_typer(audit_app, name="audit")
app.add_typer(pvt_app, name="pvt")
app.command("exit-poll")(exit_poll_command)
app.command("forensics")(forensics_command)
app.command("report")(report_command)
app.command("simulate-results")(simulate_results_command)
app.command("case")(case_command)
app.command("calibrate")(calibrate_command)
app.command("kiosk")(kiosk_command)
app.add_typer(db_app, name="db")

KEYS_DIR = "keys"


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", help="Show a traceback when actas fails unexpectedly.")] = False,
) -> None:
    """Verifiable election results: signed tally sheets (actas), from the voting machine to the published total.

    Example: actas demo --stations 300
    """


# --- election ------------------------------------------------------------------------------------------------


@election_app.command("generate")
def election_generate(
    preset: Annotated[str, typer.Option(help=f"One of: {', '.join(PRESETS)}.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write election.json into.")],
    stations: Annotated[int | None, typer.Option(help="Number of stations (synthetic preset).")] = None,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same definition.")] = 2024,
) -> None:
    """Write an election definition.

    Example: actas election generate --preset venezuela-2024 --out ve2024
    """
    election = generate(preset, stations=stations, seed=seed)
    path = save_election(election, out_dir)
    out.print(f"wrote {path}: {len(election.stations):,} stations, {election.registered:,} registered voters")
    out.print(f"fingerprint {election.fingerprint}")


def _summary(election: Election) -> dict[str, Any]:
    levels = []
    for level in election.levels:
        levels.append({"id": level.id, "name": level.name, "units": sum(u.level == level.id for u in election.units)})
    return {
        "id": election.id,
        "name": election.name,
        "date": election.date,
        "fingerprint": election.fingerprint,
        "levels": levels,
        "stations": len(election.stations),
        "station_label": election.station_label,
        "registered": election.registered,
        "contests": [
            {
                "id": c.id,
                "name": c.name,
                "candidates": [
                    {"id": k.id, "name": k.name, "options": [o.id for o in c.options if o.candidate == k.id]}
                    for k in c.candidates
                ],
                "options": len(c.options),
            }
            for c in election.contests
        ],
    }


@election_app.command("show")
def election_show(
    election_dir: Annotated[Path, typer.Argument(help="Election directory or election.json.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Summarize a definition: levels, stations, registered voters, contests, candidates, options.

    Example: actas election show ve2024 --json
    """
    election = load_election(election_dir)
    summary = _summary(election)
    if as_json:
        _print_json(summary)
        return
    out.print(f"[bold]{election.name}[/bold] ({election.id}), {election.date}")
    out.print(f"fingerprint {election.fingerprint}")
    for level in summary["levels"]:
        out.print(f"  {level['name']:<24} {level['units']:>10,}")
    out.print(f"  {election.station_label + 's':<24} {len(election.stations):>10,}")
    out.print(f"  {'Registered voters':<24} {election.registered:>10,}")
    for contest in election.contests:
        rows = [[c.name, " ".join(o.id for o in contest.options if o.candidate == c.id)] for c in contest.candidates]
        title = f"{contest.name}: {len(contest.candidates)} candidates, {len(contest.options)} options"
        out.print(table(title, [Col("Candidate"), Col("Ballot options (party cards)")], rows))


# --- keys ----------------------------------------------------------------------------------------------------


def _make_keys(election: Election, out_dir: Path, authority_name: str) -> tuple[KeySet, KeyRegistry]:
    keys = KeySet.generate(election, authority_name)
    keys.save(out_dir / KEYS_DIR)
    registry = keys.registry(election)
    (out_dir / REGISTRY_FILE).write_text(registry.sign(keys.authority), encoding="utf-8")
    return keys, registry


@keys_app.command("generate")
def keys_generate(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write keys/ (private, 0600) and registry.note.")],
    authority: Annotated[str, typer.Option(help="The authority key's name.")] = "electoral-authority",
) -> None:
    """Create the authority key, one key per station's machine, and the signed key registry.

    Example: actas keys generate --election ve2024 --out ve2024
    """
    election = load_election(election_dir)
    keys, _ = _make_keys(election, out_dir, authority)
    out.print(f"wrote {out_dir / KEYS_DIR} (private) and {out_dir / REGISTRY_FILE} (publish this)")
    out.print(f"authority key: {keys.authority.verifier.to_text()}")


# --- simulate ------------------------------------------------------------------------------------------------

SCENARIOS = ("honest",)
"""What the machines do (the demo's scenarios add what the authority does)."""


def _simulate(
    election: Election, out_dir: Path, keys: KeySet, model: VoterModel, workers: int | None
) -> tuple[Totals, float]:
    totals = Totals()
    started = time.perf_counter()

    def records(progress: Progress) -> Iterator[tuple[str, str, str]]:
        task = progress.add_task("machines", total=len(election.stations))
        for station in simulate(
            election, keys.machines, model, workers=workers, on_progress=lambda n: progress.advance(task, n)
        ):
            totals.add(parse_payload(station.final).acta)
            yield station.station, ActaKind.ZERO.value, station.zero
            yield station.station, ActaKind.FINAL.value, station.final

    with _progress() as progress:
        write_bundle(out_dir / "actas.jsonl", records(progress))
    return totals, time.perf_counter() - started


@app.command("simulate")
def simulate_command(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for actas.jsonl, registry.note and keys/.")],
    scenario: Annotated[str, typer.Option(help=f"One of: {', '.join(SCENARIOS)}.")] = "honest",
    keys_dir: Annotated[
        Path | None, typer.Option("--keys", help="Existing keys/ directory; new keys are made when absent.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the voters' behaviour.")] = 1,
    turnout: Annotated[float, typer.Option(help="National turnout, 0 to 1.")] = 0.6,
    shares: Annotated[
        str | None,
        typer.Option(help="Candidate weights, e.g. 'EG=67,NM=30'; drawn from the seed when absent."),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per core).")] = None,
) -> None:
    """Run every station's voting machine: signed zero and final actas for every station.

    Example: actas simulate --election ve2024 --out ve2024-day --turnout 0.6
    """
    if scenario not in SCENARIOS:
        raise InputError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    election = load_election(election_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if keys_dir is None:
        keys, _ = _make_keys(election, out_dir, "electoral-authority")
    else:
        keys = KeySet.load(keys_dir)
        (out_dir / REGISTRY_FILE).write_text(keys.registry(election).sign(keys.authority), encoding="utf-8")
    candidates = election.contests[0].candidate_ids
    model = VoterModel(seed=seed, turnout=turnout, shares=parse_shares(shares, candidates) if shares else None)
    totals, seconds = _simulate(election, out_dir, keys, model, workers)
    out.print(
        f"simulated {totals.stations:,} stations, {totals.voters:,} votes in {seconds:.1f} s; "
        f"wrote {out_dir / 'actas.jsonl'} and {out_dir / REGISTRY_FILE}"
    )
    _print_totals(election, totals)


def _print_totals(election: Election, totals: Totals) -> None:
    for contest in election.contests:
        by_candidate = totals.by_candidate(contest)
        valid = sum(by_candidate.values())
        rows = [
            [c.name, f"{by_candidate[c.id]:,}", f"{100 * by_candidate[c.id] / valid:.2f}" if valid else "-"]
            for c in sorted(contest.candidates, key=lambda k: -by_candidate[k.id])
        ]
        rows.append(["Null", f"{totals.null.get(contest.id, 0):,}", ""])
        title = f"{contest.name}: {totals.stations:,} actas, {totals.voters:,} voters"
        out.print(table(title, VOTES_COLUMNS, rows))


# --- acta ----------------------------------------------------------------------------------------------------


@acta_app.command("verify")
def acta_verify(
    source: Annotated[str, typer.Argument(help="Payload file, payload text, image of a printed acta, or bundle.")],
    registry_file: Annotated[Path, typer.Option("--registry", help="The signed key registry.")],
    authority: Annotated[
        str | None, typer.Option(help="Pin the authority's verifier key (as the authority published it).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check actas against the key registry: signature, election, station, machine, ballot and sums.

    Exit 0 when every acta is valid, 1 when any is invalid, 2 when the input cannot be used.

    Example: actas acta verify printed.png --registry ve2024/registry.note
    """
    registry = load_registry(registry_file, authority)
    found_problem = (_verify_bundle if is_bundle(source) else _verify_single)(source, registry, as_json)
    if found_problem:
        raise typer.Exit(1)


def _verify_single(source: str, registry: KeyRegistry, as_json: bool) -> bool:
    """A payload, payload file or image: unreadable input is an error (exit 2), not an invalid acta."""
    results = []
    for item in read_payloads(source):
        signed = parse_payload(item.text())
        results.append((signed, check_signed(item.origin, signed, registry)))
    if as_json:
        _print_json([_verdict_json(verdict) for _, verdict in results])
        return any(not verdict.valid for _, verdict in results)
    for signed, verdict in results:
        acta = signed.acta
        if verdict.problems:
            out.print(
                f"INVALID {acta.kind} acta of station {acta.station} ({verdict.origin}): " + "; ".join(verdict.problems)
            )
        else:
            out.print(
                f"valid {acta.kind} acta of station {acta.station}: {acta.voters:,} voters, signed by {acta.machine}"
            )
    return any(not verdict.valid for _, verdict in results)


def _verify_bundle(source: str, registry: KeyRegistry, as_json: bool) -> bool:
    """Many actas: an unreadable one is reported as invalid, and the rest are still checked."""
    valid = invalid = 0
    failures: list[Verdict] = []
    with _progress() as progress:
        task = progress.add_task("verifying", total=None)
        for verdict in check_many(read_payloads(source), registry):
            if verdict.valid:
                valid += 1
            else:
                invalid += 1
                failures.append(verdict)
            progress.advance(task)
    if as_json:
        _print_json({"valid": valid, "invalid": invalid, "failures": [_verdict_json(v) for v in failures]})
    else:
        out.print(f"{valid:,} valid, {invalid:,} invalid actas")
        for failure in failures[:20]:
            out.print(f"INVALID {failure.origin}: " + "; ".join(failure.problems))
        if len(failures) > 20:
            out.print(f"... and {len(failures) - 20:,} more (use --json for all)")
    return invalid > 0


def _verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "origin": verdict.origin,
        "valid": verdict.valid,
        "problems": list(verdict.problems),
        "station": verdict.station,
        "kind": verdict.kind,
        "sha256": verdict.sha256,
    }


def _pick(source: str, station: str | None, kind: str) -> SignedActa:
    for item in read_payloads(source):
        if isinstance(item.payload, FormatError):
            continue
        signed = parse_payload(item.payload)
        if (station is None or signed.acta.station == station) and signed.acta.kind.value == kind:
            return signed
    raise InputError(f"no {kind} acta{' of station ' + station if station else ''} in {source[:80]}")


@acta_app.command("render")
def acta_render(
    source: Annotated[str, typer.Argument(help="Payload file, payload text, image, or bundle.")],
    png: Annotated[Path | None, typer.Option(help="Write the printed sheet as PNG.")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Write the printed sheet as PDF.")] = None,
    station: Annotated[str | None, typer.Option(help="Which station's acta, when the source holds several.")] = None,
    kind: Annotated[str, typer.Option(help="zero or final.")] = "final",
    election_dir: Annotated[
        Path | None, typer.Option("--election", help="Election directory, to print names instead of ids.")
    ] = None,
) -> None:
    """Print an acta as the tally sheet a machine prints: counts, totals and the QR code(s).

    Example: actas acta render day/actas.jsonl --station R01.001.0001.01 --png acta.png --pdf acta.pdf
    """
    from actas.acta.render import render_acta

    if png is None and pdf is None:
        raise InputError("give --png OUT, --pdf OUT, or both")
    if kind not in ("zero", "final"):
        raise InputError(f"--kind must be zero or final, found {kind!r}")
    signed = _pick(source, station, kind)
    election = load_election(election_dir) if election_dir else None
    figure = render_acta(signed, election)
    for path in (png, pdf):
        if path is not None:
            try:
                figure.savefig(path, dpi=200, facecolor="white")
            except OSError as exc:
                raise InputError(f"cannot write {path}: {exc.strerror}") from None
            out.print(f"wrote {path}")


# --- machine -------------------------------------------------------------------------------------------------


def _now() -> str:
    return format_utc_time(dt.datetime.now(dt.UTC))


def _write_acta(signed: SignedActa, path: Path | None) -> None:
    if path is not None:
        path.write_text(signed.payload, encoding="utf-8")
    sys.stdout.write(signed.payload)


@machine_app.command("open")
def machine_open(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    station: Annotated[str, typer.Option(help="The station this machine serves.")],
    key: Annotated[Path, typer.Option(help="The machine's private key file (or machines.keys).")],
    journal: Annotated[Path, typer.Option(help="The journal file to create.")],
    acta: Annotated[Path | None, typer.Option(help="Also write the zero acta's payload here.")] = None,
) -> None:
    """Open the polls: print and sign the zero acta, start the journal.

    Example: actas machine open --election ve2024 --station 010101001.01 --key vm.key --journal vm.journal
    """
    election = load_election(election_dir)
    signer = load_machine_signer(key, station)
    with JournaledMachine.create(journal, MachineSetup.for_station(election, station, signer.name)) as machine:
        _write_acta(machine.open(signer, _now()), acta)


@machine_app.command("cast")
def machine_cast(
    journal: Annotated[Path, typer.Option(help="The machine's journal.")],
    votes: Annotated[
        list[str] | None,
        typer.Argument(help="Ballot option ids, 'null', or contest=option,... ; '-' reads one per line from stdin."),
    ] = None,
) -> None:
    """Cast votes: each is written durably to the journal, then its receipt is printed.

    Example: actas machine cast --journal vm.journal PSUV MUD null
    """
    with JournaledMachine.resume(journal) as machine:
        for vote in _votes(votes or []):
            receipt = machine.cast(_choice(vote))
            sys.stdout.write(receipt.to_text())
            sys.stdout.flush()


def _votes(args: list[str]) -> Iterator[str]:
    for arg in args:
        if arg == "-":
            yield from (line.strip() for line in sys.stdin if line.strip())
        else:
            yield arg


def _choice(vote: str) -> str | dict[str, str | None]:
    if "=" not in vote:
        return vote
    choice: dict[str, str | None] = {}
    for part in vote.split(","):
        contest, _, option = part.partition("=")
        choice[contest] = option
    return choice


@machine_app.command("close")
def machine_close(
    journal: Annotated[Path, typer.Option(help="The machine's journal.")],
    key: Annotated[Path, typer.Option(help="The machine's private key file (or machines.keys).")],
    acta: Annotated[Path | None, typer.Option(help="Also write the final acta's payload here.")] = None,
) -> None:
    """Close the polls: print and sign the final acta.

    Example: actas machine close --journal vm.journal --key vm.key --acta final.txt
    """
    with JournaledMachine.resume(journal) as machine:
        signer = load_machine_signer(key, machine.machine.setup.station)
        _write_acta(machine.close(signer, _now()), acta)


@machine_app.command("status")
def machine_status(
    journal: Annotated[Path, typer.Option(help="The machine's journal.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a machine's state from its journal (resuming it checks every record).

    Example: actas machine status --journal vm.journal
    """
    with JournaledMachine.resume(journal) as machine:
        vm = machine.machine
    status = {
        "station": vm.setup.station,
        "machine": vm.setup.machine,
        "state": vm.state.value,
        "voters": vm.voters,
        "registered": vm.setup.registered,
        "last_receipt": vm.code,
    }
    if as_json:
        _print_json(status)
    else:
        out.print(", ".join(f"{k} {v}" for k, v in status.items()))


# --- server ---------------------------------------------------------------------------------------------------


@app.command("serve")
def serve(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    registry_file: Annotated[Path, typer.Option("--registry", help="The authority-signed key registry.")],
    db: Annotated[
        str, typer.Option(help="sqlite:///FILE (the default) or postgresql://... (a role that owns nothing)")
    ] = "sqlite:///board.sqlite",
    board_key: Annotated[
        Path,
        typer.Option(
            help="The key that signs checkpoints; created (0600) when absent. The latest checkpoint signed is "
            "kept beside it (board.checkpoint)."
        ),
    ] = Path("board.key"),
    role: Annotated[str, typer.Option(help="official (actas from machines) or observer (reports from witnesses).")] = (
        "official"
    ),
    witnesses: Annotated[
        Path | None, typer.Option(help="Observer role: the organization's signed witness list (actas witness enroll).")
    ] = None,
    organization: Annotated[
        str | None, typer.Option(help="Observer role: pin the organization's key that signs the witness list.")
    ] = None,
    roving: Annotated[
        bool,
        typer.Option("--roving", help="Observer role: take reports on mesas a witness is not assigned to, apart."),
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8080,
    refresh_interval: Annotated[
        float, typer.Option(help="Seconds between reading the latest checkpoint, for other workers' writes.")
    ] = 1.0,
    workers: Annotated[int, typer.Option(help="Server processes sharing the port (one a core).", min=1, max=64)] = 1,
    official: Annotated[
        str | None, typer.Option(help="Observer role: the official board's URL, to compare every mesa with.")
    ] = None,
    official_interval: Annotated[
        float, typer.Option(help="Seconds between comparisons with the official board.", min=1.0)
    ] = 30.0,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM), served by the server itself.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="The certificate's private key (PEM, 0600).")] = None,
    insecure_http: Annotated[
        bool, typer.Option("--insecure-http", help="Take witnesses' tokens over plain HTTP from other machines.")
    ] = False,
    read_timeout: Annotated[
        float, typer.Option(help="Seconds a client may take to send a request's headers, or pause in its body.")
    ] = DEFAULT_READ_TIMEOUT,
    max_connections: Annotated[
        int, typer.Option(help="Open connections per process; past them a new one is closed at once.", min=1)
    ] = DEFAULT_MAX_CONNECTIONS,
) -> None:
    """Run the tabulation server: receive actas, publish the bulletin board, answer results, serve the pages.

    The official role takes signed actas from the machines. The observer role is an observer
    organization's parallel tabulation: it takes reports from the witnesses on its list, each
    authenticated by the witness's token, and keeps the record of every mesa; with --official it
    compares every mesa with the official board's, mirrored and checked again.

    At start the server rebuilds the board's tree from every entry and refuses a database that
    holds fewer entries than, or other entries than, the latest checkpoint it signed (kept in the
    database and in board.checkpoint beside the key). On PostgreSQL it connects as a role that
    owns nothing (actas db migrate sets one up) and refuses a role that could alter the board.

    Open the URL it prints in a browser: live results down to each mesa; on an observer's board also
    coverage, incidents, the reconciliation and the witness app (/witness).

    Example: actas serve --election ve2024 --registry day/registry.note --port 8080
             actas serve --role observer --witnesses witnesses.txt --election ve2024 --registry registry.note
    """
    from starlette.types import ASGIApp

    from actas.board import COUNT_PAGE, OBSERVER, ROLES, Board
    from actas.server.app import create_app
    from actas.server.reconciler import Reconciler
    from actas.server.workers import Listening, listen
    from actas.server.workers import serve as serve_workers
    from actas.store.checkpoint_file import checkpoint_file_for
    from actas.store.database import Database
    from actas.witness.credentials import MAX_WITNESS_LIST_BYTES

    if role not in ROLES:
        raise InputError(f"--role {role!r}: choose one of {', '.join(ROLES)}")
    if (role == OBSERVER) != (witnesses is not None):
        raise InputError("the observer role needs --witnesses (the witness list), and only it takes one")
    if official is not None and (role != OBSERVER or not official.startswith(("http://", "https://"))):
        raise InputError("--official is the official board's http(s) URL, for the observer role")
    listening = Listening.checked(tls_cert, tls_key, ConnectionLimits(read_timeout, max_connections))
    if (organization is not None or roving) and role != OBSERVER:
        raise InputError("--organization and --roving are for the observer role")
    witness_list = None
    if witnesses is not None:
        witness_list = read_text(witnesses, limit=MAX_WITNESS_LIST_BYTES, what="witness list")
    election = load_election(election_dir)
    registry_text = read_text(registry_file, limit=MAX_REGISTRY_BYTES, what="key registry")
    origin = f"actas/{election.id}/{role}"
    signer = signer_at(board_key, origin.replace("/", "."))
    database = Database(db)
    database.refuse_owner_role()
    board = Board(
        database,
        election,
        registry_text,
        signer,
        origin,
        witness_list=witness_list,
        checkpoint_file=checkpoint_file_for(board_key),
        organization=Verifier.from_text(organization) if organization else None,
        roving=roving,
    )
    board.open(count_now_up_to=COUNT_PAGE)  # a larger board is counted by each worker once it listens
    board.db.dispose()  # each worker opens its own connections; the tree built here is shared with them

    def make_app() -> ASGIApp:
        reconciler = Reconciler(board, official, official_interval) if official else None
        return create_app(board, refresh_interval, reconciler, insecure_http=insecure_http)

    sock, bound = listen(host, port)
    out.print(f"board {origin}, checkpoints signed by {signer.verifier.to_text()}", markup=False, soft_wrap=True)
    out.print(f"listening on {listening.scheme}://{host}:{bound}", markup=False, soft_wrap=True)
    sys.stdout.flush()
    if serve_workers(make_app, [sock], workers, listening) != 0:
        raise typer.Exit(2)


UNITS = {"s": 1, "m": 60, "h": 3600}


def duration(text: str, option: str) -> float:
    """Seconds from '600', '90s', '10m' or '1h' (at most a day)."""
    number, unit = (text[:-1], text[-1]) if text[-1:] in UNITS else (text, "s")
    try:
        seconds = float(number) * UNITS[unit]
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise InputError(f"{option}: expected a duration such as 90s, 10m or 1h (at most 24h), found {text[:20]!r}")
    return seconds


@app.command("transmit")
def transmit_command(
    source: Annotated[str, typer.Argument(help="What to send: a payload file, a bundle, or a simulation directory.")],
    server: Annotated[str, typer.Option(help="The tabulation server's URL.")],
    outbox: Annotated[Path | None, typer.Option(help="Log of acknowledged actas (default: beside the source).")] = None,
    workers: Annotated[int, typer.Option(help="Concurrent submissions.")] = 8,
    batch: Annotated[int, typer.Option(help="Actas per request (more than 1 uses the batch endpoint).")] = 1,
    board_key: Annotated[
        str | None, typer.Option(help="Pin the board's checkpoint key (as `actas serve` prints it).")
    ] = None,
    retry_for: Annotated[
        str, typer.Option(help="How long to keep retrying an unreachable or failing server: 90s, 10m, 1h.")
    ] = "10m",
) -> None:
    """Send actas to the server with retries; what the server acknowledged is never sent twice.

    Every answer is a receipt: the checkpoint that covers the acta, signed with the board's key, and
    the acta's inclusion proof against it. Each is checked, and kept in the outbox, for
    `actas verify --receipts OUTBOX` to hold the board to later. A receipt that does not check is
    a refusal.

    While the server cannot be reached or fails, each acta is retried with backoff (at most 5 s
    apart) until --retry-for has passed since the start. Exit 0 when everything was acknowledged, 1
    when the server refused an acta, found a conflict or gave a receipt that does not check, 2 when
    some could not be delivered in that time (run again later: only those are sent).

    Example: actas transmit day --server http://127.0.0.1:8080 --board-key "actas.e.official+1a2b3c4d+AAAA..."
    """
    from actas.signed_note import Verifier
    from actas.transmit import Outbox, transmit

    path = Path(source)
    log = outbox or (path / "sent.jsonl" if path.is_dir() else path.with_name(path.name + ".sent.jsonl"))
    with _progress() as progress:
        task = progress.add_task("transmitting", total=None)
        if not 1 <= batch <= 1000:
            raise InputError(f"--batch must be between 1 and 1000, found {batch}")
        seconds = duration(retry_for, "--retry-for")
        report = transmit(
            server,
            read_payloads(source),
            Outbox(log),
            workers=workers,
            batch=batch,
            on_progress=lambda: progress.advance(task),
            board_key=Verifier.from_text(board_key) if board_key else None,
            retry_for=seconds,
        )
    if not report.key_pinned and report.board_key is not None:
        err.print("the board's key was taken from the server itself; pin it with --board-key", markup=False)
    out.print(
        f"{report.accepted:,} accepted, {report.duplicates:,} already on the board, {report.skipped:,} skipped "
        f"(acknowledged before), {len(report.conflicts):,} conflicts, {len(report.refused):,} refused, "
        f"{len(report.unsent):,} not delivered",
        markup=False,
    )
    for line in (report.conflicts + report.refused)[:20]:
        out.print(f"  {line}", markup=False)
    if report.unsent:
        raise InputError(f"{len(report.unsent):,} actas could not be delivered to {server}; run again to send them")
    if report.conflicts or report.refused:
        raise typer.Exit(1)


@app.command("announce")
def announce_command(
    server: Annotated[str, typer.Option(help="The tabulation server's URL.")],
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    key: Annotated[Path, typer.Option(help="The authority's private key file.")],
    title: Annotated[str, typer.Option(help="What is announced, e.g. 'First bulletin, 80% of actas'.")],
    votes: Annotated[
        list[str], typer.Option(help="CONTEST:CANDIDATE=VOTES,... (also 'others' and 'null'); repeat per contest.")
    ],
    voters: Annotated[int | None, typer.Option(help="Voters announced.")] = None,
    registered: Annotated[int | None, typer.Option(help="Registered voters announced.")] = None,
    issued: Annotated[str | None, typer.Option(help="When it was announced (UTC); now by default.")] = None,
) -> None:
    """Sign an announcement with the authority's key and publish it on the bulletin board.

    Example: actas announce --server http://127.0.0.1:8080 --election e --key keys/authority.key
    --title "First bulletin" --votes president:ALVAREZ=5150,BARROS=4445,others=462
    """
    import httpx

    from actas.announcement import Announcement, parse_contest

    election = load_election(election_dir)
    contests = []
    for item in votes:
        contest, sep, pairs = item.partition(":")
        if not sep:
            raise InputError(f"--votes: expected CONTEST:CANDIDATE=VOTES,..., found {item[:40]!r}")
        contests.append(parse_contest(f"{contest} {pairs.replace(',', ' ')}", "--votes"))
    announcement = Announcement(
        election=election.id,
        fingerprint=election.fingerprint,
        issued=issued or _now(),
        title=title,
        contests=tuple(contests),
        voters=voters,
        registered=registered,
    )
    note = announcement.sign(load_signer(key))
    try:
        response = httpx.post(
            server.rstrip("/") + "/v1/announcements", content=note.encode(), headers={"content-type": "text/plain"}
        )
    except httpx.HTTPError as exc:
        raise InputError(f"cannot reach {server}: {exc.__class__.__name__}") from None
    body = response.json()
    if response.status_code not in (200, 201):
        raise VerificationError(f"the server refused the announcement: {body.get('error', {}).get('message')}")
    out.print(f"{body['status']}: announcement {body['index']} on the board of {server}", markup=False)


# --- demo ----------------------------------------------------------------------------------------------------


@app.command("demo")
def demo(
    stations: Annotated[int, typer.Option(help="Stations in the simulated election.")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the election and the voters.")] = 7,
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write everything.")] = Path("build/demo"),
    scenario: Annotated[str, typer.Option(help=f"One of: {', '.join(DEMO_SCENARIOS)}.")] = HONEST,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving the live results pages at the end.")
    ] = True,
) -> None:
    """The main job: a simulated election end to end, then its verification.

    Generates an election, makes the keys and the signed registry, runs every machine, verifies
    every acta, starts a tabulation server on a free loopback port, transmits every acta to it over
    HTTP while showing the progressive results, checks the bulletin board's signed checkpoint and
    an inclusion proof, prints three tally sheets and reads one back from its pixels. Then witnesses
    at 40% of the mesas photograph the printed acta, read it from the photo and report it with their
    hand count to an observer organization's server, and the two tabulations are reconciled. Last,
    the official board is mirrored and verified, the witnesses' actas bound what the other mesas
    could change, and a batch-comparison risk-limiting audit holds the official counts against the
    paper of mesas drawn from a public seed.

    At the end both boards keep serving their pages (live results, each mesa's acta, the witnesses'
    coverage and reconciliation) until interrupted; --no-serve exits instead.

    With --scenario altered-results the authority publishes altered counts for some mesas (the
    machine's signature no longer verifies) and never publishes others; the demo succeeds when the
    reconciliation finds every one. With --scenario altered-machines a quarter of the machines sign
    counts that change the winner while the paper does not; the demo succeeds when the audit goes
    to a full hand count.

    Example: actas demo --stations 300 --seed 7 --scenario altered-results
    """
    signal.signal(signal.SIGTERM, _interrupted)  # stopped like Ctrl-C: its servers are stopped with it
    from actas.acta.render import render_acta
    from actas.demo_checks import final_checks
    from actas.demo_parallel import parallel_tabulation
    from actas.payload_sources import payloads_from_image
    from actas.server.process import start_server
    from actas.sim.scenarios import tamper
    from actas.sim.witnesses import WITNESSED_SHARE, assign

    if scenario not in DEMO_SCENARIOS:
        raise InputError(f"unknown scenario {scenario!r}: choose one of {', '.join(DEMO_SCENARIOS)}")
    started = time.perf_counter()
    election = generate("synthetic", stations=stations, seed=seed)
    save_election(election, out_dir / "election")
    out.print(
        f"[bold]1. Election[/bold] {election.name}: {len(election.stations):,} stations, "
        f"{election.registered:,} registered voters, fingerprint {election.fingerprint[:16]}..."
    )
    keys, registry = _make_keys(election, out_dir, "demo-electoral-authority")
    out.print(
        f"[bold]2. Keys[/bold] {len(keys.machines):,} machine keys (private, {out_dir / KEYS_DIR}); "
        f"registry signed by {keys.authority.verifier.to_text()}"
    )
    totals, seconds = _simulate(election, out_dir, keys, VoterModel(seed=seed), None)
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
    with start_server(out_dir / "election", out_dir / REGISTRY_FILE, db, out_dir / "board.key") as official:
        board_ok = _demo_board(official, db, out_dir, election, totals, tampering)

        sheets = out_dir / "printed"
        sheets.mkdir(exist_ok=True)
        sample = [s.code for s in election.stations[:3]]
        for code in sample:
            figure = render_acta(_pick(str(out_dir / "actas.jsonl"), code, "final"), election)
            figure.savefig(sheets / f"{code}.png", dpi=200, facecolor="white")
            figure.savefig(sheets / f"{code}.pdf", facecolor="white")
        scanned = [parse_payload(p) for p in payloads_from_image(sheets / f"{sample[0]}.png")]
        scan_ok = len(scanned) == 1 and not check_acta(scanned[0], registry)
        out.print(
            f"[bold]7. Printed[/bold] {len(sample)} tally sheets in {sheets} (PNG and PDF); the QR code of "
            f"{sample[0]} read back from its pixels: {'valid' if scan_ok else 'NOT VALID'}"
        )
        found = parallel_tabulation(out_dir, official, election, registry_note, printed, paper, tampering, seed)
        checked = final_checks(out_dir, official, election, found, paper, scenario, seed)

        all_ok = invalid == 0 and scan_ok and board_ok and found.ok and checked
        verdict = "the checks found what they should" if all_ok else "A CHECK DID NOT BEHAVE AS IT SHOULD"
        out.print(f"[bold]{found.summary}; {verdict}[/bold]; demo finished in {time.perf_counter() - started:.1f} s")
        command = sys.argv[0] if sys.argv[0].endswith("actas") else "actas"
        out.print(
            f"Next, try: {command} acta verify {sheets / sample[0]}.png --registry {out_dir / REGISTRY_FILE}\n"
            f"           {command} acta render {out_dir} --station {sample[1]} "
            f"--election {out_dir / 'election'} --png acta.png"
        )
        if serve:
            _serve_demo(out_dir, official)
    if not all_ok:
        raise VerificationError("the demo's own verification failed")


def _serve_demo(out_dir: Path, official: RunningServer) -> None:
    """The demo's last step: both boards stay up, with their pages, until interrupted."""
    from actas.server.process import start_server

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


def _demo_board(
    server: RunningServer, db: str, out_dir: Path, election: Election, totals: Totals, tampering: Tampering
) -> bool:
    """Steps 5 and 6 of the demo: the machines transmit to a real server; the board is checked."""
    import threading

    import httpx
    from rich.live import Live

    from actas.demo_parallel import publish_tampered
    from actas.ledger.checkpoint import open_checkpoint
    from actas.ledger.merkle import leaf_hash, verify_inclusion
    from actas.transmit import Outbox, TransmitReport, transmit

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


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    verbose = "--verbose" in sys.argv
    try:
        app(prog_name="actas")
    except ActasError as exc:
        err.print(f"actas: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("actas: interrupted")
        sys.exit(130)
    except Exception as exc:
        if verbose:
            raise
        err.print(f"actas: internal error ({exc.__class__.__name__}); run again with --verbose for details")
        sys.exit(2)
