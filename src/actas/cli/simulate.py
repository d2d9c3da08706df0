"""`actas simulate`: every station's voting machine through election day."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from actas.console import VOTES_COLUMNS, out, progress, table
from actas.election import Election
from actas.errors import InputError
from actas.files import BALLOTS_DIR, BUNDLE_FILE, REGISTRY_FILE, KeySet, load_election, publish_keys
from actas.sim import CLEAN

if TYPE_CHECKING:
    from actas.tally.totals import Totals

SCENARIOS = (CLEAN,)
"""What the machines do (the demo's scenarios add what the authority does)."""


def simulate_command(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for actas.jsonl, registry.note and keys/.")],
    scenario: Annotated[str, typer.Option(help=f"One of: {', '.join(SCENARIOS)}.")] = CLEAN,
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
    encrypt: Annotated[
        Path | None,
        typer.Option(help="A key ceremony's record (ceremony.json): every machine also encrypts its ballots."),
    ] = None,
) -> None:
    """Run every station's voting machine: signed zero and final actas for every station.

    With --encrypt, each machine encrypts every ballot under the trustees' joint key, its final acta
    commits to them, and each mesa's encrypted ballots are written to OUT/ballots/<mesa>.jsonl
    (docs/e2e.md); about 60 ballots a second per core.

    Example: actas simulate --election ve2024 --out ve2024-day --turnout 0.6
    """
    from actas.sim.election_day import VoterModel, parse_shares, simulate_bundle

    if scenario not in SCENARIOS:
        raise InputError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    election = load_election(election_dir)
    ballots = None
    if encrypt is not None:
        from actas.cli.trustees import load_ceremony

        _, ceremony, _ = load_ceremony(encrypt, election_dir)
        if len(election.contests) != 1:
            raise InputError("--encrypt: ballots are encrypted for single-contest elections only")
        ballots = (ceremony.joint_key().hex(), out_dir / BALLOTS_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    if keys_dir is None:
        keys, _ = publish_keys(election, out_dir, "electoral-authority")
    else:
        keys = KeySet.load(keys_dir)
        (out_dir / REGISTRY_FILE).write_text(keys.registry(election).sign(keys.authority), encoding="utf-8")
    candidates = election.contests[0].candidate_ids
    model = VoterModel(seed=seed, turnout=turnout, shares=parse_shares(shares, candidates) if shares else None)
    started = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("machines", total=len(election.stations))
        totals = simulate_bundle(
            election, out_dir / BUNDLE_FILE, keys.machines, model, workers, lambda n: bar.advance(task, n), ballots
        )
    out.print(
        f"simulated {totals.stations:,} stations, {totals.voters:,} votes in {time.perf_counter() - started:.1f} s; "
        f"wrote {out_dir / BUNDLE_FILE} and {out_dir / REGISTRY_FILE}"
        + (f", and each mesa's encrypted ballots in {out_dir / BALLOTS_DIR}" if ballots else "")
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
