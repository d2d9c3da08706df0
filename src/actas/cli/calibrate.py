"""`actas calibrate`: measure how often each forensic test flags clean simulated elections, and how often
it catches fraud of known size; the table docs/forensics.md publishes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from actas.cli.options import Contest
from actas.console import Col, out, print_json, progress
from actas.console import table as table_of
from actas.errors import InputError
from actas.files import write_text
from actas.forensics.defaults import ALPHA

if TYPE_CHECKING:
    from actas.calibration.published import Calibration


def calibrate_command(
    sizes: Annotated[
        list[str] | None,
        typer.Option(help="Results whose stations' registered voters give the station sizes; repeat for several."),
    ] = None,
    elections: Annotated[int, typer.Option(help="Clean simulated elections.", min=1, max=100_000)] = 200,
    fraud_elections: Annotated[
        int, typer.Option(help="Simulated elections for each kind of fraud injected.", min=0, max=100_000)
    ] = 50,
    alpha: Annotated[float, typer.Option(help="Significance level of each test.", min=1e-6, max=0.5)] = ALPHA,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the measurement as JSON to this file.")] = None,
    markdown: Annotated[
        bool, typer.Option(help="Print the tables in Markdown, as docs/forensics.md holds them.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the measurement as JSON.")] = False,
    contest: Contest = None,
) -> None:
    """Measure each forensic test's false-positive rate on clean simulated elections (from 1,000 to 100,000
    stations, station sizes drawn from the given results' registered voters and from the simulator's
    own, balanced to landslide shares, varied turnout), the threshold that holds it to alpha, its
    detection rate at that threshold on the same elections with fraud injected, and the coverage of
    the fingerprint's intervals. Prints the tables (in Markdown with --markdown, as
    docs/forensics.md holds them); --out writes the JSON actas reads its thresholds from.

    Example: actas calibrate --sizes v1.dataset --sizes russia-2012.dataset --elections 200
    """
    import numpy as np

    from actas.calibration.measure import FRAUDS, calibrate, calibration_set
    from actas.calibration.published import table
    from actas.sources import load_source

    named: dict[str, np.ndarray] = {}
    for source in sizes or []:
        dataset = load_source(source, contest)
        registered = np.array([r.registered for r in dataset if r.registered], dtype=np.int64)
        if len(registered) == 0:
            raise InputError(f"{source}: no station gives its registered voters")
        named[Path(source).stem] = registered
    plan = calibration_set(elections, list(named))
    steps = len(plan) + len(FRAUDS) * min(fraud_elections, len(plan))
    with progress() as bar:
        task = bar.add_task("calibration", total=steps)
        measured = calibrate(
            plan, named, alpha, fraud_elections, on_step=lambda said: bar.update(task, description=said, advance=1)
        )
    data = measured.to_json()
    if out_file is not None:
        write_text(out_file, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    if as_json:
        print_json(data)
    elif markdown:
        out.print(table(measured), markup=False, soft_wrap=True)
    else:
        _print_tables(measured)


def _print_tables(measured: Calibration) -> None:
    from actas.calibration.published import clean_rows, widening
    from actas.forensics.defaults import TESTS

    alpha = measured.alpha
    out.print(
        table_of(
            f"Clean simulated elections flagged: at alpha = {alpha:g}, and at the calibrated threshold",
            (Col("Test"), Col(f"At {alpha:g}", number=True), Col("Threshold"), Col("At it", number=True),
             Col("95% upper", number=True)),
            [
                [test, f"{at_nominal.flagged} of {at_nominal.elections}", limit, f"{at_limit.flagged}",
                 f"{at_limit.upper:.1%}"]
                for test, at_nominal, limit, at_limit in clean_rows(measured)
            ],
        )
    )  # fmt: skip
    if measured.detection:
        labels = list(measured.detection)
        out.print(
            table_of(
                "Detection rate with fraud injected, at the calibrated thresholds",
                (Col("Test"), *(Col(short(label), number=True) for label in labels)),
                [[test] + [f"{measured.detected(label, test).rate:.0%}" for label in labels] for test in TESTS],
            )
        )
    out.print(
        table_of(
            "Fingerprint: how often the interval for f_i covers the truth",
            (Col("Elections"), Col("Covered", number=True), Col("Rate", number=True)),
            [[c.label, f"{c.covered} of {c.elections}", f"{c.rate:.0%}"] for c in measured.coverage],
        )
    )
    out.print(widening(measured), markup=False)


def short(label: str) -> str:
    """A fraud's label as a two-line heading: its kind, then its sizes."""
    kind, _, size = label.partition(", ")
    return f"{kind}\n{size.replace('f_i ', '').replace('f_e ', '').replace(' of stations', '')}"
