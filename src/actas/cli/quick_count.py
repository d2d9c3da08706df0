"""`actas pvt plan|estimate` and `actas exit-poll`: the statistics of an observer mission's quick count and
the check of an exit poll against official shares."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Annotated

import typer

from actas.cli.options import Contest
from actas.console import out, print_json
from actas.errors import InputError, VerificationError
from actas.fields import parse_weights

pvt_app = typer.Typer(
    help="Parallel vote tabulation (quick count) from a random sample of mesas.", no_args_is_help=True
)


@pvt_app.command("plan")
def pvt_plan(
    margin_of_error: Annotated[float, typer.Option(help="Half-width of the interval, e.g. 0.01 for ±1 point.")],
    voters: Annotated[int, typer.Option(help="Voters expected in the whole election.", min=1)],
    votes_per_mesa: Annotated[int, typer.Option(help="Votes expected in a mesa.", min=1)],
    confidence: Annotated[float | None, typer.Option(help="Confidence level (default 0.95).")] = None,
    z: Annotated[
        float | None, typer.Option(help="The normal critical value instead of --confidence, e.g. NDI's 2.58.")
    ] = None,
    share: Annotated[float, typer.Option(help="Expected share of the leading candidate (0.5 is the safest).")] = 0.5,
    icc: Annotated[float, typer.Option(help="Intra-class correlation of votes within a mesa.")] = 0.05,
) -> None:
    """How many mesas to sample for a margin of error: NDI's quick-count formula in voters, times the design
    effect of sampling whole mesas (1 + (votes per mesa - 1) x intra-class correlation). The confidence is
    a level (--confidence 0.99 is z = 2.576) or z itself, as NDI's handbook gives it (--z 2.58).

    Example: actas pvt plan --margin-of-error 0.01 --voters 12000000 --votes-per-mesa 400 --z 2.58
    """
    from actas.audit.quick_count import design_effect, voters_needed, z_value

    if confidence is not None and z is not None:
        raise InputError("give --confidence or --z, not both")
    critical = z if z is not None else z_value(0.95 if confidence is None else confidence)
    needed = voters_needed(margin_of_error, critical, voters, share)
    deff = design_effect(votes_per_mesa, 1, icc)
    mesas = math.ceil(needed * deff / votes_per_mesa)
    level = f"z = {z:g}" if z is not None else f"{0.95 if confidence is None else confidence:.0%} (z = {critical:.3f})"
    out.print(
        f"{needed:,} voters for ±{margin_of_error:.2%} at {level}; sampled in whole mesas of "
        f"{votes_per_mesa:,} votes (design effect {deff:.1f}): {mesas:,} mesas drawn at random, and more for "
        "those whose observers will not report",
        markup=False,
    )


@pvt_app.command("estimate")
def pvt_estimate(
    source: Annotated[str, typer.Argument(help="The sampled mesas' results: a dataset, board mirror or server.")],
    stations: Annotated[int | None, typer.Option(help="Mesas in the whole election (default: as declared).")] = None,
    confidence: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    contest: Contest = None,
) -> None:
    """Each candidate's share with its margin of error, from a random sample of mesas (ratio estimator).

    The sample must be a simple random sample of the mesas (for example `actas audit draw`'s sampler
    over the station list); the estimate says nothing about mesas chosen otherwise.

    Example: actas pvt estimate sample.dataset --stations 30026
    """
    from actas.audit.quick_count import estimate
    from actas.sources import load_source

    dataset = load_source(source, contest)
    total = stations or dataset.declared.stations
    if total is None:
        raise InputError("give --stations: the dataset does not say how many mesas the election has")
    sample = [dataset.by_candidate(row.votes) for row in dataset]
    results, n = estimate(sample, total, confidence)
    names = dict(dataset.candidates)
    if as_json:
        print_json(
            {
                "mesas": n,
                "stations": total,
                "confidence": confidence,
                "estimates": [{"candidate": e.candidate, "share": e.share, "margin": e.margin} for e in results],
            }
        )
        return
    out.print(f"{n:,} sampled mesas of {total:,}, {confidence:.0%} confidence:", markup=False)
    for e in results:
        out.print(f"  {names[e.candidate]}: {e.share:.1%} ± {e.margin:.1%}", markup=False)
    first, second = results[0], results[1]
    apart = first.share - second.share > first.margin + second.margin
    out.print(
        f"{names[first.candidate]} {'leads beyond' if apart else 'is NOT ahead beyond'} the margins of error",
        markup=False,
    )


def parse_poll(text: str, option: str) -> dict[str, float]:
    """An exit poll's shares as given on the command line: CANDIDATE=SHARE,... with shares from 0 to 1."""
    return parse_weights(text, option, "CANDIDATE=SHARE with a share from 0 to 1", at_most=1.0)


def exit_poll_command(
    poll: Annotated[str, typer.Option(help="The poll's shares: CANDIDATE=SHARE,... e.g. EG=0.65,NM=0.31.")],
    interviews: Annotated[int, typer.Option(help="Interviews in the poll.", min=1)],
    places: Annotated[int, typer.Option(help="Polling places where interviews were made.", min=1)],
    announced: Annotated[str, typer.Option(help="The official results: an announced-results file or example.")],
    deff: Annotated[
        float | None, typer.Option(help="The poll's design effect, if the pollster gives it (else from --icc).", min=1)
    ] = None,
    icc: Annotated[float, typer.Option(help="Intra-class correlation of the polling places.", min=0, max=1)] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """Can an exit poll and the official results both be right? The poll's lead of its first candidate
    over its second against the official lead (the standard error of a difference of shares from the
    same interviews, times the design effect), then each candidate's share, and how differently each
    side's voters would have had to answer the pollster.

    Exit 1 when the official lead lies outside the poll's 99.9% interval for it.

    Example: actas exit-poll --poll EG=0.65,NM=0.31 --interviews 6800 --places 100 --announced venezuela-2024-cne-2
    """
    from actas.audit.quick_count import compare_exit_poll, design_effect
    from actas.dataset.announced import OTHERS
    from actas.importers.announced_file import load_announced
    from actas.pvalues import p_text

    shares = parse_poll(poll, "--poll")
    bulletin = load_announced(announced)
    total = bulletin.valid or bulletin.total
    official = {c: v / total for c, v in bulletin.votes if c != OTHERS}
    if places > interviews:
        raise InputError("--places cannot be more than --interviews")
    effect = deff if deff is not None else design_effect(interviews, places, icc)
    compared = compare_exit_poll(shares, official, interviews, effect, bulletin.title)
    if as_json:
        print_json(
            {
                "announced": bulletin.title,
                "interviews": interviews,
                "places": places,
                "lead": asdict(compared.lead),
                "contradicts": compared.contradicts,
                "checks": [asdict(c) for c in compared.checks],
                "response_ratio": {"more": compared.lead.first, "less": compared.lead.second, "ratio": compared.ratio},
            }
        )
    else:
        lead_sentence, ratio_sentence = compared.said({})
        out.print(f"exit poll ({interviews:,} interviews in {places:,} places) against {bulletin.title}:", markup=False)
        out.print(lead_sentence, markup=False)
        out.print("Each candidate's share on its own (secondary):", markup=False)
        for c in compared.checks:
            out.print(
                f"  {c.candidate}: poll {c.poll:.1%}, official {c.official:.1%}, z = {c.z:+.1f} ({p_text(c.p_value)})",
                markup=False,
            )
        out.print(ratio_sentence, markup=False)
    if compared.contradicts:
        raise VerificationError("the official lead lies outside the exit poll's 99.9% interval for it")
