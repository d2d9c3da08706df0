"""`actas forensics`, `actas report`, `actas case` and `actas simulate-results`: the forensic tests, the whole evidence
on an election, and simulated results with fraud of a known kind to try them on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from actas.cli.options import Contest
from actas.cli.quick_count import parse_poll
from actas.console import err, out, print_json, progress
from actas.errors import InputError, VerificationError
from actas.forensics.defaults import ALPHA, MIN_COUNT_LAST
from actas.sim import FRAUDS

if TYPE_CHECKING:
    from actas.forensics.finding import Finding
    from actas.reports.evidence import ExitPoll

FILTERS_HELP = (
    "Apply Kobak, Shpilkin and Pshenichnikov's filters and definitions to the whole-percentage test "
    "(--no-filters: every station, the leader's share over valid votes)."
)


def _out_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {path} exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _print_findings(findings: list[Finding]) -> None:
    for f in findings:
        mark = {True: "[red]FLAGGED[/red]", False: "[green]ok[/green]", None: "[dim]info[/dim]"}[f.flagged]
        if f.details.get("calibrated") is False:
            mark = "[dim]not calibrated[/dim]"
        out.print(f"{mark} [bold]{f.title}[/bold]")
        out.print(f"  {f.sentence}", markup=False)


def forensics_command(
    source: Annotated[str, typer.Argument(help="The results: a dataset file, a board mirror or a server URL.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for index.html, report.json and the PNGs.")],
    announced: Annotated[
        list[str] | None,
        typer.Option(help="An announced-results file (or example name) for the round-percentage test."),
    ] = None,
    min_count: Annotated[
        int, typer.Option(help="Counts below this are left out of the last-digit tests.", min=1)
    ] = MIN_COUNT_LAST,
    alpha: Annotated[float, typer.Option(help="Significance level of each test.", min=1e-12, max=0.5)] = ALPHA,
    seed: Annotated[int, typer.Option(help="Seed of the resampled nulls and of the fingerprint's model.")] = 2012,
    fit: Annotated[bool, typer.Option(help="Fit the fingerprint's fraud model (the slowest test).")] = True,
    filters: Annotated[bool, typer.Option(help=FILTERS_HELP)] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON too.")] = False,
    contest: Contest = None,
) -> None:
    """Run the forensic tests on per-station results and write a report a journalist can read.

    Second digits (2BL), last digits, counts ending in 0 or 5, pairs of last digits, whole-number
    percentages, turnout against the winner's share and the election fingerprint with its fraud
    model; with --announced, the round-percentage test on each bulletin. Each finding has its
    statistic, null, p-value or interval, the stations that drive it and a sentence to quote.

    Exit 0 when no test is flagged, 1 when one is, 2 when the results cannot be read.

    Example: actas forensics ve2024.dataset --announced venezuela-2024-cne-1 --out forensics/
    """
    from actas.calibration.run import run_tests
    from actas.forensics.columns import columns
    from actas.forensics.defaults import TESTS
    from actas.importers.announced_file import load_announced
    from actas.reports.election import forensics_page
    from actas.reports.evidence import announced_round_percentages
    from actas.reports.page import write_page
    from actas.sources import load_source

    dataset = load_source(source, contest)
    bulletins = [load_announced(a) for a in announced or []]
    directory = _out_dir(out_dir)
    with progress() as bar:
        task = bar.add_task("forensic tests", total=len(TESTS) if fit else len(TESTS) - 1)
        findings = run_tests(
            columns(dataset),
            min_count=min_count,
            alpha=alpha,
            seed=seed,
            fit=fit,
            filters=filters,
            on_test=lambda name: bar.update(task, description=name, advance=1),
        )
    findings += [announced_round_percentages(b) for b in bulletins]
    page = forensics_page(dataset.name, source, findings, directory)
    data = {"dataset": dataset.name, "source": source, "findings": [f.to_json() for f in findings]}
    index = write_page(page, directory, data)
    if as_json:
        print_json(data)
    else:
        _print_findings(findings)
        out.print(f"wrote {index} and {directory / 'report.json'}", markup=False)
    if any(f.flagged for f in findings):
        raise VerificationError(f"{sum(1 for f in findings if f.flagged)} test(s) flagged; see {index}")


def _poll(text: str | None, interviews: int | None, places: int | None, deff: float | None) -> ExitPoll | None:
    from actas.reports.evidence import ExitPoll

    if text is None:
        return None
    if interviews is None or places is None:
        raise InputError("--exit-poll needs --interviews and --places")
    shares = parse_poll(text, "--exit-poll")
    if not 1 <= places <= interviews:
        raise InputError("--places must be at least 1 and at most --interviews")
    return ExitPoll(shares, interviews, places, deff)


def report_command(
    source: Annotated[str, typer.Argument(help="The actas: a dataset file, a board mirror or a server URL.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for index.html, report.json and the PNGs.")],
    announced: Annotated[
        list[str] | None, typer.Option(help="An announced-results file (or example name); repeat for several.")
    ] = None,
    observer: Annotated[
        str | None, typer.Option(help="An observer's actas (dataset, mirror or URL) to reconcile with.")
    ] = None,
    exit_poll: Annotated[str | None, typer.Option(help="An exit poll's shares, e.g. EG=0.65,NM=0.31.")] = None,
    interviews: Annotated[int | None, typer.Option(help="The exit poll's interviews.", min=1)] = None,
    places: Annotated[int | None, typer.Option(help="The exit poll's polling places.", min=1)] = None,
    deff: Annotated[
        float | None, typer.Option(help="The exit poll's design effect, if given (else from its places).", min=1)
    ] = None,
    min_count: Annotated[
        int, typer.Option(help="Counts below this are left out of the last-digit tests.", min=1)
    ] = MIN_COUNT_LAST,
    seed: Annotated[int, typer.Option(help="Seed of the resampled nulls and of the fingerprint's model.")] = 2012,
    filters: Annotated[bool, typer.Option(help=FILTERS_HELP)] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the evidence as JSON too.")] = False,
    contest: Contest = None,
) -> None:
    """The whole evidence on an election in one report: results and coverage, whether the missing mesas
    could change the outcome, whether each announcement can be true, the reconciliation with an
    observer's actas, the exit poll, round percentages in each announcement, and the forensics.

    Exit 0 when nothing is found, 1 when an announcement is impossible, the actas differ, the exit
    poll contradicts the actas or an announcement, or a test is flagged, 2 when an input cannot be read.

    Example: actas report ve2024.dataset --announced venezuela-2024-cne-2 --out report/
    """
    from actas.forensics.defaults import TESTS
    from actas.importers.announced_file import load_announced
    from actas.reports.election import evidence_json, evidence_page
    from actas.reports.evidence import gather
    from actas.reports.page import write_page
    from actas.sources import load_source

    poll = _poll(exit_poll, interviews, places, deff)
    dataset = load_source(source, contest)
    bulletins = [load_announced(a) for a in announced or []]
    other = load_source(observer, contest) if observer else None
    directory = _out_dir(out_dir)
    with progress() as bar:
        task = bar.add_task("forensic tests", total=len(TESTS))
        evidence = gather(
            dataset,
            bulletins,
            other,
            poll,
            min_count=min_count,
            seed=seed,
            filters=filters,
            on_test=lambda name: bar.update(task, description=name, advance=1),
        )
    page = evidence_page(evidence, source, directory)
    data = evidence_json(evidence)
    index = write_page(page, directory, data)
    if as_json:
        print_json(data)
    else:
        for line in page.summary:
            out.print(f"- {line}", markup=False)
        out.print(f"wrote {index} and {directory / 'report.json'}", markup=False)
    problems = [line for line in page.summary if "cannot be consistent" in line]
    if evidence.reconciliation is not None and evidence.reconciliation.differs:
        problems.append("the actas differ from the observer's")
    if any(f.flagged for f in evidence.findings) or any(f.flagged for _, f in evidence.bulletins):
        problems.append("a forensic test is flagged")
    problems += [f"the exit poll contradicts {p.against}" for p in evidence.polls if p.contradicts]
    if problems:
        raise VerificationError("; ".join(problems))


def simulate_results_command(
    out_file: Annotated[Path, typer.Option("--out", help="Dataset file to write.")],
    stations: Annotated[int, typer.Option(help="Stations in the election.", min=1)] = 10_000,
    scenario: Annotated[str, typer.Option(help=f"One of: {', '.join(FRAUDS)}.")] = "clean",
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 1,
    incremental: Annotated[
        float | None, typer.Option(help="stuffing: share of stations with incremental fraud.")
    ] = None,
    extreme: Annotated[float | None, typer.Option(help="stuffing: share of stations with extreme fraud.")] = None,
    invented: Annotated[
        float | None, typer.Option(help="invented: share of stations whose counts are made up.")
    ] = None,
    announced_file: Annotated[
        Path | None, typer.Option("--announced", help="Also write the authority's announced totals (TOML) here.")
    ] = None,
) -> None:
    """Simulated per-station results, clean or with fraud of a known kind and size, to try the forensic
    tests on known truth (no voting machine runs: a million stations take seconds).

    Example: actas simulate-results --stations 20000 --scenario stuffing --extreme 0.03 --out stuffed.dataset
    """
    from actas.sim.fraud_results import Fraud, announce, as_dataset, simulate_results
    from actas.store.dataset_file import write_dataset

    fraud = None
    if incremental is not None or extreme is not None or invented is not None:
        fraud = Fraud(incremental or 0.0, extreme or 0.0, invented or 0.0)
    sim = simulate_results(stations, seed, scenario, fraud)
    write_dataset(as_dataset(sim), out_file)
    kinds = {1: "incremental", 2: "extreme", 3: "invented"}
    altered = ", ".join(f"{int((sim.kind == k).sum()):,} {name}" for k, name in kinds.items() if (sim.kind == k).any())
    out.print(f"wrote {out_file}: {stations:,} stations ({scenario}{': ' + altered if altered else ''})", markup=False)
    if announced_file is not None:
        bulletin = announce(sim)
        lines = [
            f'authority = "{bulletin.authority}"',
            f'title = "{bulletin.title}"',
            f"issued = {bulletin.issued}",
            f'contest = "{bulletin.contest}"',
            f"valid = {bulletin.valid}",
            f"registered = {bulletin.registered}",
            "",
            "[votes]",
            *(f"{cid} = {votes}" for cid, votes in bulletin.votes),
        ]
        announced_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        err.print(f"wrote {announced_file}", markup=False)


def case_command(
    name: Annotated[str, typer.Argument(help="The case: venezuela-2024.")],
    data: Annotated[Path, typer.Option(help="The case's data folder (../shared/data/venezuela_2024).")],
    out_file: Annotated[Path, typer.Option("--out", help="The Markdown page to write; figures go beside it.")],
) -> None:
    """Write a case study page from the data, every number computed (docs/case-venezuela-2024.md).

    Example: actas case venezuela-2024 --data ../shared/data/venezuela_2024 --out docs/case-venezuela-2024.md
    """
    from actas.reports.case_venezuela import write_case

    if name != "venezuela-2024":
        raise InputError(f"unknown case {name!r}: the case is venezuela-2024")
    out.print(f"wrote {write_case(data, out_file)}", markup=False)
