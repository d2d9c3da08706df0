"""The `actas` command, its groups mounted from one module each. Every error becomes one line on
stderr and an exit code: 0 success, 1 a check found a problem, 2 could not run (bad input or usage).

Each module imports the libraries its commands need only when they run, so that `actas --help` and
`actas acta verify` start at once (a test checks which modules importing this one loads)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from actas.cli.acta import acta_app
from actas.cli.audit import audit_app
from actas.cli.ballot import ballot_app
from actas.cli.calibrate import calibrate_command
from actas.cli.cosigner import cosigner_app, publish_command
from actas.cli.datasets import mirror_command, outcome_command, reconcile_command, results
from actas.cli.db import db_app
from actas.cli.demo import demo_command
from actas.cli.election import election_app, keys_app
from actas.cli.forensics import case_command, forensics_command, report_command, simulate_results_command
from actas.cli.importing import import_app
from actas.cli.kiosk import kiosk_command
from actas.cli.machine import machine_app
from actas.cli.quick_count import exit_poll_command, pvt_app
from actas.cli.serve import announce_command, serve_command, transmit_command
from actas.cli.simulate import simulate_command
from actas.cli.trustees import trustees_app
from actas.cli.verify import verify_command
from actas.cli.witness import witness_app
from actas.console import err
from actas.errors import ActasError

app = typer.Typer(
    name="actas",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(election_app, name="election")
app.add_typer(keys_app, name="keys")
app.command("simulate")(simulate_command)
app.add_typer(acta_app, name="acta")
app.add_typer(machine_app, name="machine")
app.command("serve")(serve_command)
app.command("transmit")(transmit_command)
app.command("announce")(announce_command)
app.command("demo")(demo_command)
app.add_typer(import_app, name="import")
app.command("results")(results)
app.command("reconcile")(reconcile_command)
app.command("mirror")(mirror_command)
app.command("verify")(verify_command)
app.command("publish")(publish_command)
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
app.add_typer(cosigner_app, name="cosigner")
app.add_typer(trustees_app, name="trustees")
app.add_typer(ballot_app, name="ballot")


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", help="Show a traceback when actas fails unexpectedly.")] = False,
) -> None:
    """Verifiable election results: signed tally sheets (actas), from the voting machine to the published total.

    Example: actas demo --stations 300
    """


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
