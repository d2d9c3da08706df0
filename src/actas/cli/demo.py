"""`actas demo`: the main job, a simulated election end to end (the steps are in actas.demo.run)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

from actas.errors import InputError
from actas.sim import CLEAN
from actas.sim.scenarios import ALTERED_MACHINES
from actas.sim.scenarios import SCENARIOS as DEMO_SCENARIOS

BOARD_SCENARIOS = ("split-view", "rollback")
"""The board's own attacks (actas.demo.forks), beside the results' (actas.sim.scenarios)."""
SCENARIOS = (*DEMO_SCENARIOS, *BOARD_SCENARIOS)


def demo_command(
    stations: Annotated[int, typer.Option(help="Stations in the simulated election.")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the election and the voters.")] = 7,
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write everything.")] = Path("build/demo"),
    scenario: Annotated[str, typer.Option(help=f"One of: {', '.join(SCENARIOS)}.")] = CLEAN,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving the live results pages at the end.")
    ] = True,
    e2e: Annotated[
        bool, typer.Option("--e2e", help="Also encrypt every ballot, and decrypt each mesa's tally (docs/e2e.md).")
    ] = False,
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

    With --scenario split-view the authority shows the observers one history and the public another
    after the same beginning; with --scenario rollback it restarts from an older copy of its
    database. Three cosigners follow the board; the demo succeeds when the server refuses to go on
    and a fresh verifier names the two checkpoints that prove the fork or the rollback.

    With --e2e five trustees make the election's key before the day (three of them can decrypt), every
    machine encrypts each ballot and its final acta commits to them, one voter challenges a ballot and
    sees what the machine encrypted; the machines send their encrypted ballots to the board after their
    actas, the board checks every proof, three trustees publish their shares of each mesa's tally, and
    the results and the public verification set each mesa's decrypted tally against the acta its
    machine signed; with --scenario altered-machines --e2e the demo succeeds when exactly the altered
    machines' actas differ from their ballots. About 150 ballots a second per core more.

    Example: actas demo --stations 300 --seed 7 --scenario altered-results
    """
    if scenario not in SCENARIOS:
        raise InputError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    signal.signal(signal.SIGTERM, _interrupted)  # stopped like Ctrl-C: its servers are stopped with it
    if e2e and scenario not in (CLEAN, ALTERED_MACHINES):
        raise InputError(f"--e2e runs with the {CLEAN} and {ALTERED_MACHINES} scenarios, not {scenario}")
    if scenario in BOARD_SCENARIOS:
        from actas.demo.forks import run_board_attack

        run_board_attack(stations, seed, out_dir, scenario)
        return
    from actas.demo.run import run_demo

    run_demo(stations, seed, out_dir, scenario, serve, e2e)


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
