"""`actas machine`: one station's voting machine, each step written durably to its journal."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from actas.acta.model import SignedActa
from actas.console import out, print_json
from actas.fields import format_utc_time
from actas.files import load_election, load_machine_signer

machine_app = typer.Typer(help="One station's voting machine, with its durable journal.", no_args_is_help=True)


def now() -> str:
    """The time a command acts at, as actas writes times."""
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
    from actas.machine.voting_machine import MachineSetup
    from actas.store.journal import JournaledMachine

    election = load_election(election_dir)
    signer = load_machine_signer(key, station)
    with JournaledMachine.create(journal, MachineSetup.for_station(election, station, signer.name)) as machine:
        _write_acta(machine.open(signer, now()), acta)


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
    from actas.store.journal import JournaledMachine

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
    from actas.store.journal import JournaledMachine

    with JournaledMachine.resume(journal) as machine:
        signer = load_machine_signer(key, machine.machine.setup.station)
        _write_acta(machine.close(signer, now()), acta)


@machine_app.command("status")
def machine_status(
    journal: Annotated[Path, typer.Option(help="The machine's journal.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a machine's state from its journal (resuming it checks every record).

    Example: actas machine status --journal vm.journal
    """
    from actas.store.journal import JournaledMachine

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
        print_json(status)
    else:
        out.print(", ".join(f"{k} {v}" for k, v in status.items()))
