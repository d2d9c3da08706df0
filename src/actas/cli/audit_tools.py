"""`actas audit sample-size` and `actas audit draw --ids`: the arithmetic of audits without an audit
directory, so that anyone can size an audit before it starts and replay any published draw from its
list of ids and its seed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from actas.cli.options import Contest
from actas.console import out, print_json
from actas.errors import InputError
from actas.files import read_text

POLLING, COMPARISON = "polling", "comparison"
GAMMA = 1.03905
"""Stark's error inflation factor in "super-simple" audits, the default of his calculator and of Arlo."""
MAX_IDS_FILE = 256 * 1024 * 1024
MAX_ID = 200


def _contest(
    source: str | None, reported: str | None, ballots: int | None, contest: str | None
) -> tuple[dict[str, int], int]:
    """Votes per candidate and ballots cast, from a source's actas or from the command line."""
    from actas.announcement import parse_contest
    from actas.sources import load_source

    if (source is None) == (reported is None):
        raise InputError("give either SOURCE or --reported (with --ballots)")
    if contest is not None and source is None:
        raise InputError("--contest chooses the contest of SOURCE's results; --reported gives one contest's")
    if source is not None:
        dataset = load_source(source, contest)
        votes = dict.fromkeys((cid for cid, _ in dataset.candidates), 0)
        for row in dataset:
            for cid, n in dataset.by_candidate(row.votes).items():
                votes[cid] += n
        return votes, sum(row.ballots for row in dataset)
    assert reported is not None
    votes = dict(parse_contest(f"reported {reported.replace(',', ' ')}", "--reported").votes)
    if ballots is None or ballots < sum(votes.values()):
        raise InputError("--ballots: give the ballots cast, at least the votes given in --reported")
    return votes, ballots


def sample_size_command(
    source: Annotated[
        str | None, typer.Argument(help="The reported results (server URL, mirror or dataset), or use --reported.")
    ] = None,
    method: Annotated[
        str, typer.Option(help="polling (BRAVO) or comparison (Stark's super-simple, ballot by ballot).")
    ] = POLLING,
    risk_limit: Annotated[float, typer.Option(help="The risk limit, e.g. 0.05 for 5%.")] = 0.05,
    reported: Annotated[str | None, typer.Option(help="Reported votes instead of SOURCE: A=600,B=400.")] = None,
    ballots: Annotated[int | None, typer.Option(help="Ballots cast, with --reported.", min=1)] = None,
    winners: Annotated[int, typer.Option(help="Number of winners of the contest.", min=1)] = 1,
    margin: Annotated[
        float | None, typer.Option(help="Comparison: the diluted margin (smallest margin / ballots) instead.")
    ] = None,
    gamma: Annotated[float, typer.Option(help="Comparison: the error inflation factor γ.", min=1.0001)] = GAMMA,
    o1: Annotated[int, typer.Option("--o1", help="Comparison: one-vote overstatements found.", min=0)] = 0,
    o2: Annotated[int, typer.Option("--o2", help="Comparison: two-vote overstatements found.", min=0)] = 0,
    u1: Annotated[int, typer.Option("--u1", help="Comparison: one-vote understatements found.", min=0)] = 0,
    u2: Annotated[int, typer.Option("--u2", help="Comparison: two-vote understatements found.", min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    contest: Contest = None,
) -> None:
    """How many ballots a risk-limiting audit draws: ballot polling (BRAVO's expected sample size, as Arlo
    computes it) or ballot comparison (Stark's super-simple formula, as his rlacalc computes it), with the
    discrepancies the sample has found so far.

    Example: actas audit sample-size --method comparison --margin 0.02 --risk-limit 0.05 --o1 1
    """
    from actas.audit.bravo import PollingContest, average_sample_number
    from actas.audit.macro import ContestTotals, diluted_margin, discrepancy_sample_size

    if method not in (POLLING, COMPARISON):
        raise InputError(f"--method {method!r}: choose {POLLING} or {COMPARISON}")
    if not 0 < risk_limit < 1:
        raise InputError(f"--risk-limit must be between 0 and 1, found {risk_limit}")
    if method == POLLING:
        if margin is not None or o1 or o2 or u1 or u2:
            raise InputError("--margin and the discrepancies apply to a comparison audit (--method comparison)")
        votes, cast = _contest(source, reported, ballots, contest)
        polling = PollingContest(votes, cast, winners)
        size = average_sample_number(polling, risk_limit)
        said = f"{size:,} ballots expected (BRAVO's average sample number) of {cast:,}, risk limit {risk_limit:.0%}"
        if any(votes[w] <= votes[loser] for w, loser in polling.pairs()):
            said = f"all {cast:,} ballots: the contest is reported tied, and only a full hand count decides it"
        found: dict[str, int] = {}
    else:
        found = {"o1": o1, "o2": o2, "u1": u1, "u2": u2}
        tied = None
        if margin is None:
            votes, cast = _contest(source, reported, ballots, contest)
            totals = ContestTotals(votes, winners)
            tied = cast if totals.tied else None
            margin = 0.0 if totals.tied else float(diluted_margin(totals, cast))
        elif source is not None or reported is not None:
            raise InputError("give the diluted margin (--margin) or the reported results, not both")
        if tied is not None:
            size = tied
            said = f"all {tied:,} ballots: the contest is reported tied, and only a full hand count decides it"
        else:
            if not 0 < margin <= 1:
                raise InputError(f"the diluted margin must be above 0 and at most 1, found {margin}")
            size = discrepancy_sample_size(risk_limit, gamma, margin, o1, o2, u1, u2)
            held = ", ".join(f"{n} {k}" for k, n in found.items() if n) or "no discrepancies"
            said = (
                f"{size:,} ballots to compare (Stark's super-simple formula, γ = {gamma}), diluted margin "
                f"{margin:.2%}, risk limit {risk_limit:.0%}, {held}"
            )
    if as_json:
        print_json({"method": method, "risk_limit": risk_limit, "sample_size": size, "margin": margin, **found})
    else:
        out.print(said, markup=False)


def read_ids(path: Path) -> list[str]:
    """The ids to draw from: one per line, blank lines ignored; each distinct."""
    ids: list[str] = []
    seen: set[str] = set()
    for line, text in enumerate(read_text(path, limit=MAX_IDS_FILE, what="ids").splitlines(), start=1):
        item = text.strip()
        if not item:
            continue
        if len(item) > MAX_ID:
            raise InputError(f"{path} line {line}: an id of more than {MAX_ID} characters")
        if item in seen:
            raise InputError(f"{path} line {line}: {item[:60]!r} appears twice; every id must be distinct")
        seen.add(item)
        ids.append(item)
    if not ids:
        raise InputError(f"{path} holds no ids")
    return ids


def draw_ids(path: Path, seed: str | None, size: int | None, with_replacement: bool, as_json: bool) -> None:
    """Print the first `size` draws from the ids in `path` with the consistent sampler."""
    from actas.audit.sampler import sample, trim

    if not seed:
        raise InputError("give the public seed (--seed)")
    if size is None:
        raise InputError("give the number of draws (--size)")
    ids = read_ids(path)
    if size > len(ids) and not with_replacement:
        raise InputError(f"--size {size:,} is more than the {len(ids):,} ids; draw with --with-replacement")
    tickets = sample(ids, seed, size, with_replacement=with_replacement)
    how = "with replacement" if with_replacement else "without replacement"
    if as_json:
        print_json(
            {
                "sampler": "Rivest's consistent_sampler",
                "seed": seed,
                "ids": len(ids),
                "with_replacement": with_replacement,
                "draws": [
                    {"draw": n, "ticket": t.number, "id": t.id, "generation": t.generation}
                    for n, t in enumerate(tickets, start=1)
                ],
            }
        )
        return
    out.print(f"{len(tickets):,} of {len(ids):,} ids drawn {how} from seed {seed!r}:", markup=False)
    for n, t in enumerate(tickets, start=1):
        again = f" (drawn again, ticket {t.generation})" if t.generation > 1 else ""
        out.print(f"{n:>7}  {trim(t.number):<12}  {t.id}{again}", markup=False)
