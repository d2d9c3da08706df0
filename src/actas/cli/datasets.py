"""`actas results`, `outcome`, `mirror` and `reconcile`: the totals of a SOURCE (a dataset, a board's
mirror or a server), what the missing mesas could change, and two tabulations side by side."""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from actas.cli.options import Contest, CosignersFile, Quorum, cosigner_policy
from actas.console import SHOWN, Col, err, fits, out, print_json, progress, table
from actas.errors import VerificationError

if TYPE_CHECKING:
    from actas.audit.outcome import Bound

COLUMNS = (
    "station",
    "status",
    "candidate",
    "official",
    "observer",
    "official_minus_observer",
    "official_signature",
    "observer_signature",
)


def results(
    source: Annotated[str, typer.Argument(help="A dataset file, a board mirror, or a tabulation server's URL.")],
    level: Annotated[str | None, typer.Option(help="Geography level to break the totals down by.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    contest: Contest = None,
) -> None:
    """Totals and coverage of a dataset or a board (served or mirrored), for the nation or at any level.

    A served board is mirrored first and replayed like a mirror, every acta checked again: the same
    board gives the same figures whichever way it is read.

    Example: actas results ve2024.dataset --level state
    """
    from actas.dataset.summary import summarize
    from actas.sources import load_source

    summary = summarize(load_source(source, contest), level)
    if as_json:
        print_json(summary)
        return
    _print_summary(summary)


def outcome_command(
    source: Annotated[str, typer.Argument(help="The actas: a dataset file, a board mirror or a server URL.")],
    announced: Annotated[
        list[str] | None, typer.Option(help="An announced-results file (or example name); repeat for several.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    contest: Contest = None,
) -> None:
    """Do the actas decide the winner whatever the missing mesas hold? Can each announcement be true?

    Three bounds on the votes of the missing mesas, each with what it assumes: every registered
    voter voted for the runner-up; the announced total is every vote; the collected mesas' turnout.
    For an announcement "with X% of actas counted", the least each candidate can have been given.

    Exit 0 when the analysis ran and every announcement can be consistent with the actas, 1 when
    one cannot.

    Example: actas outcome ve2024.dataset --announced venezuela-2024-cne-1 --announced venezuela-2024-cne-2
    """
    from actas.audit.outcome import ANNOUNCED, outcome, outcome_json
    from actas.importers.announced_file import load_announced
    from actas.sources import load_source

    dataset = load_source(source, contest)
    bulletins = [load_announced(a) for a in announced or []]
    reports = [outcome(dataset, a) for a in bulletins] or [outcome(dataset)]
    if as_json:
        print_json(
            {
                "dataset": dataset.name,
                "announcements": [
                    {"title": a.title, "issued": a.issued, **outcome_json(r)}
                    for a, r in zip(bulletins, reports, strict=False)
                ]
                or [outcome_json(reports[0])],
            }
        )
    else:
        names = dict(dataset.candidates)
        first = reports[0]
        out.print(f"[bold]{dataset.name}[/bold]", markup=True)
        registered = (
            f"{first.registered_covered:,}{_of(first.declared_registered)}" if first.registered_covered else "?"
        )
        out.print(
            f"{first.stations:,} actas{_of(first.declared_stations)} mesas; registered voters on them: {registered}",
            markup=False,
        )
        out.print(
            f"leader {names[first.leader]} {first.votes[first.leader]:,}, runner-up {names[first.runner_up]} "
            f"{first.votes[first.runner_up]:,}: margin {first.margin:,} votes",
            markup=False,
        )
        for bound in first.bounds:
            if bound.assumption != ANNOUNCED:
                _print_bound(bound, first.margin)
        for bulletin, report in zip(bulletins, reports[: len(bulletins)], strict=True):
            out.print(f"[bold]{bulletin.title}[/bold] ({bulletin.issued})")
            _print_bound(next(b for b in report.bounds if b.assumption == ANNOUNCED), report.margin)
            for check in report.checks:
                verdict = "possible" if check.possible else "IMPOSSIBLE"
                out.print(
                    f"  {names.get(check.candidate, check.candidate)}: announced {check.announced:,}; the actas give "
                    f"{check.collected:,}, so at least {check.at_least:,} even leaving out "
                    f"{report.uncounted_at_most:,} mesas: {verdict}",
                    markup=False,
                )
    impossible = [a.title for a, r in zip(bulletins, reports, strict=False) if not r.announcement_possible]
    if impossible:
        raise VerificationError(f"cannot be consistent with the actas: {'; '.join(impossible)}")


def _of(whole: int | None) -> str:
    return f" of {whole:,}" if whole else ""


def _print_bound(bound: Bound, margin: int) -> None:
    decided = bound.decides(margin)
    if decided is None:
        out.print(f"  ({bound.assumption}) cannot say: {bound.reason}", markup=False)
    else:
        verdict = "DECIDED" if decided else "not decided"
        out.print(
            f"  ({bound.assumption}) if {bound.needs}: the missing mesas hold at most {bound.missing_votes:,} "
            f"votes: {verdict}",
            markup=False,
        )


def mirror_command(
    server: Annotated[
        str, typer.Argument(help="The board: a tabulation server's URL, or a published board (a URL or directory).")
    ],
    directory: Annotated[Path, typer.Argument(help="The mirror directory, created or brought up to date.")],
    cosigners: CosignersFile = None,
    quorum: Quorum = None,
    tiles: Annotated[bool, typer.Option("--tiles", help="Read a server's static tiles, not its API.")] = False,
) -> None:
    """Copy a board to a directory: its signed checkpoint and every entry, resumable.

    From static tiles (a directory written by actas publish, or any URL serving one), each entry
    bundle is checked against its tile, and every tile against the tree. The copy is kept only if
    its entries hash to the checkpoint's root. Any command that reads a
    SOURCE (results, reconcile) reads the mirror without a network.

    A board with cosigners (a policy in its registry, or --cosigners) is kept with what each
    cosigner says it last cosigned; exit 1 when the checkpoint lacks its quorum of cosignatures.

    Example: actas mirror http://cne.example:8080 cne-board
    """
    from actas.mirror import latest_checkpoint, mirror_board, require_quorum

    policy = cosigner_policy(cosigners, quorum)
    with progress() as bar:
        task = bar.add_task(f"mirroring {server}", total=None)
        checkpoint = mirror_board(
            server, directory, lambda done, size: bar.update(task, completed=done, total=size), policy, tiles or None
        )
    out.print(f"{directory}: {checkpoint.size:,} entries of board {checkpoint.origin}, matching its checkpoint")
    check = require_quorum(directory, latest_checkpoint(directory)[0], policy)
    if check is not None:
        out.print(f"its checkpoint has {check.describe()}", markup=False)


def reconcile_command(
    official: Annotated[str, typer.Argument(help="The official results: a server URL, a board mirror or a dataset.")],
    observer: Annotated[str, typer.Argument(help="The observer's: a server URL, a board mirror or a dataset.")],
    level: Annotated[str | None, typer.Option(help="Geography level of the summary.")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write every difference to this CSV.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    contest: Contest = None,
) -> None:
    """Compare two tabulations mesa by mesa: identical, different (by how much), or only on one side.

    A board (a server or a mirror) is replayed and every acta checked again, so each difference
    says whose signature is valid; an observer's board adds its witnesses' hand counts of the paper,
    and a hand count that differs from the machine's count is a difference too.

    Exit 0 when every mesa is identical on both sides, 1 when any difference is found.

    Example: actas reconcile http://cne.example:8080 observers.dataset --level state --csv differences.csv
    """
    from actas.dataset.model import Signature
    from actas.dataset.reconcile import (
        BALLOTS_DIFFER,
        DIFFERENT,
        ONLY_OBSERVER,
        ONLY_OFFICIAL,
        PAPER_DIFFERS,
        reconcile,
        said,
    )
    from actas.sources import load_source

    first, second = load_source(official, contest), load_source(observer, contest)
    result = reconcile(first, second)
    by_unit = result.by_unit(first.levels, level)
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as out_csv:
            writer = csv.writer(out_csv)
            writer.writerow(COLUMNS)
            writer.writerows(result.rows())
    counts = {status: result.count(status) for status in result.kinds}
    signatures = {"official": result.signatures(official=True), "observer": result.signatures(official=False)}
    unmatched = result.unmatched()
    if as_json:
        print_json(
            {
                "official": result.official,
                "observer": result.observer,
                "stations": counts,
                "signatures": {side: asdict(found) for side, found in signatures.items()},
                "unmatched": None if unmatched is None else asdict(unmatched),
                "by_unit": [{"unit": "/".join(u), **c} for u, c in by_unit.items()],
                "differences": [dict(zip(COLUMNS, r, strict=True)) for r in result.rows()],
            }
        )
    else:
        out.print(f"official: {result.official}\nobserver: {result.observer}", markup=False)
        out.print(", ".join(f"{n:,} {status}" for status, n in counts.items()), markup=False)
        for side, found in signatures.items():
            out.print(f"{side} rows: {found.said()}", markup=False)
        if unmatched is not None:
            out.print(f"warning: {unmatched.said()}", markup=False)
        if level is not None:
            rows = [
                [first.unit_names.get(unit, unit[-1] if unit else "national"), *(f"{c[s]:,}" for s in counts)]
                for unit, c in by_unit.items()
            ]
            columns = [Col(level), *(Col(s.replace("-", "\n", 1), number=True) for s in counts)]
            out.print(table(f"mesas by {level}", columns, rows))
        shown = [s for s in result.stations if s.status == DIFFERENT or s.paper or s.ballots][:SHOWN]
        for s in shown:
            if s.differences:
                changes = ", ".join(f"{d.candidate} {d.official:,} vs {d.observer:,}" for d in s.differences)
                signed = {s.official_signature, s.observer_signature} != {Signature.UNSIGNED}
                whose = f" (official: {said(s.official_signature)}; observer: {said(s.observer_signature)})"
                out.print(f"  {s.station}: {changes}{whose if signed else ''}", markup=False)
            if s.paper:
                hand = ", ".join(f"{d.candidate} machine {d.official:,}, paper {d.observer:,}" for d in s.paper)
                out.print(f"  {s.station}: hand count differs: {hand}", markup=False)
            if s.ballots:
                decrypted = ", ".join(f"{d.candidate} acta {d.official:,}, ballots {d.observer:,}" for d in s.ballots)
                out.print(f"  {s.station}: its encrypted ballots differ: {decrypted}", markup=False)
    if result.differs:
        raise VerificationError(
            f"{counts[DIFFERENT]:,} mesas differ, {counts[ONLY_OFFICIAL]:,} only official, "
            f"{counts[ONLY_OBSERVER]:,} only the observer's, {counts[PAPER_DIFFERS]:,} with a hand count "
            "that differs from the machine's"
            + (f", {counts[BALLOTS_DIFFER]:,} whose encrypted ballots differ from the acta" if result.encrypted else "")
        )


def _share(part: int, whole: int | None) -> str:
    return f" ({100 * part / whole:.2f}%)" if whole else ""


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "-"


def _units_table(level: str, units: list[dict[str, Any]], candidates: list[dict[str, Any]]) -> Any:
    """Units as rows: as many of the leading candidates as fit the terminal as columns, then the others
    added up, so that no number is cut."""
    for shown in range(len(candidates), 0, -1):
        rest = candidates[shown:]
        columns = [Col(level), Col("stations", number=True), *(Col(c["name"], number=True) for c in candidates[:shown])]
        columns += [Col("others", number=True)] if rest else []
        columns.append(Col("null", number=True))
        rows = []
        for unit in units:
            votes, valid = unit["votes"], unit["valid"]
            cells = [f"{votes[c['id']]:,} ({_percent(votes[c['id']], valid)}%)" for c in candidates[:shown]]
            others = sum(votes[c["id"]] for c in rest)
            cells += [f"{others:,} ({_percent(others, valid)}%)"] if rest else []
            null = f"{unit['null']:,}" if unit["stations_with_null"] else "unknown"
            rows.append([unit["name"], f"{unit['stations']:,}", *cells, null])
        if fits(columns, rows) or shown == 1:
            return table(f"results by {level}", columns, rows)
    raise AssertionError("a table of one candidate is always made")


def _print_summary(summary: dict[str, Any]) -> None:
    from actas.dataset.model import Signatures

    nation, declared = summary["national"], summary["declared"]
    out.print(f"[bold]{summary['dataset']}[/bold], contest {summary['contest']}")
    stations = f"stations: {nation['stations']:,}"
    if declared["stations"]:
        stations += f" of {declared['stations']:,} declared{_share(nation['stations'], declared['stations'])}"
    out.print(stations, markup=False)
    if nation["stations_with_registered"]:
        registered = f"registered voters on these stations: {nation['registered']:,}"
        if declared["registered"]:
            registered += f" of {declared['registered']:,}{_share(nation['registered'], declared['registered'])}"
        out.print(registered, markup=False)
    out.print(f"rows: {Signatures(**summary['signatures']).said()}", markup=False)
    national = nation["votes"]
    candidates = sorted(summary["candidates"], key=lambda c: -national[c["id"]])
    null = f"{nation['null']:,}" if nation["stations_with_null"] else "unknown"
    if not summary["units"]:
        rows = [[c["name"], f"{national[c['id']]:,}", _percent(national[c["id"]], nation["valid"])] for c in candidates]
        rows.append(["null", null, ""])
        columns = [Col("candidate"), Col("votes", number=True), Col("% of valid", number=True)]
        out.print(table(f"results, national: {nation['stations']:,} stations", columns, rows))
    else:
        out.print(_units_table(summary["level"], summary["units"], candidates))
    if not summary["units"]:
        err.print("add --level to break the totals down", markup=False)
