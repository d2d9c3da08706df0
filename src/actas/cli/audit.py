"""`actas audit plan|draw|record|status`: a risk-limiting audit of the machines' counts against the paper
receipts, with all its state in one directory of plain files (`audit_directory`), from which anyone
can recompute every draw (Rivest's consistent sampler) and the risk. Two methods: batch comparison
(each drawn mesa's paper counted by hand against its acta) and ballot polling (single receipts drawn
from the ballot boxes and read).
"""

from __future__ import annotations

import json
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from actas.audit_directory import (
    DRAWS,
    MAX_FILE,
    PLAN,
    SEED,
    audit_status_of,
    first_size,
    hand_counts,
    load_plan,
    parse_hand_counts,
    read_draws,
    record_receipts,
    write_hand_counts,
)
from actas.cli.audit_tools import draw_ids, sample_size_command
from actas.cli.options import Contest
from actas.console import out, print_json
from actas.errors import AuditError, FormatError, InputError, VerificationError
from actas.files import read_text, write_text

if TYPE_CHECKING:
    from actas.audit.batch_comparison import Plan, Status

audit_app = typer.Typer(
    help="Risk-limiting audits of the machines' counts against the paper receipts.", no_args_is_help=True
)
BATCH, POLLING = "batch", "polling"


@audit_app.command("plan")
def audit_plan(
    source: Annotated[str, typer.Argument(help="The reported results: a server URL, a board mirror or a dataset.")],
    out_dir: Annotated[Path, typer.Option("--out", help="The audit's directory (created).")],
    risk_limit: Annotated[float, typer.Option(help="The risk limit, e.g. 0.05 for 5%.")] = 0.05,
    winners: Annotated[int, typer.Option(help="Number of winners of the contest.", min=1)] = 1,
    method: Annotated[
        str, typer.Option(help="batch (each drawn mesa counted by hand) or polling (single receipts read).")
    ] = BATCH,
    contest: Contest = None,
) -> None:
    """Plan a risk-limiting audit of the reported results: batch comparison, or ballot polling.

    Example: actas audit plan http://cne.example:8080 --out audit --risk-limit 0.05
    """
    from actas.audit.ballot_polling import TIED as POLLING_TIED
    from actas.audit.ballot_polling import first_round, polling_plan
    from actas.audit.batch_comparison import TIED, plan_from_dataset
    from actas.audit.macro import sample_size
    from actas.sources import load_source

    if method not in (BATCH, POLLING):
        raise InputError(f"--method {method!r}: choose {BATCH} or {POLLING}")
    dataset = load_source(source, contest)
    if (out_dir / PLAN).exists():
        raise InputError(f"{out_dir} already holds an audit plan; use a new directory for a new audit")
    if method == POLLING:
        polling = polling_plan(dataset, risk_limit, winners)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_text(out_dir / PLAN, json.dumps(polling.to_json(), indent=1, ensure_ascii=False) + "\n")
        if polling.tied:
            out.print(f"{POLLING_TIED}: all {polling.polling.ballots:,} receipts; wrote {out_dir / PLAN}", markup=False)
            return
        out.print(
            f"{polling.polling.ballots:,} receipts in {len(polling.ballots):,} mesas, risk limit {risk_limit:.0%}: "
            f"{first_round(polling):,} receipts expected (BRAVO's ASN); wrote {out_dir / PLAN}",
            markup=False,
        )
        return
    plan = plan_from_dataset(dataset, risk_limit, winners)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = plan.to_json()
    write_text(out_dir / PLAN, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    if plan.tied:
        out.print(f"{TIED}: all {len(plan.reported):,} mesas; wrote {out_dir / PLAN}", markup=False)
        return
    total = Fraction(data["total_error_bound"])
    first = sample_size(total, risk_limit)
    out.print(
        f"{len(plan.reported):,} mesas, total error bound U = {float(total):.3f}, risk limit {risk_limit:.0%}: "
        f"{first:,} draws if the sample finds no error; wrote {out_dir / PLAN}",
        markup=False,
    )


audit_app.command("sample-size")(sample_size_command)


@audit_app.command("draw")
def audit_draw(
    directory: Annotated[Path | None, typer.Argument(help="The audit's directory (or use --ids).")] = None,
    seed: Annotated[str | None, typer.Option(help="The public seed (the first round fixes it).")] = None,
    size: Annotated[int | None, typer.Option(help="Draws in this round (default: as the status asks).", min=1)] = None,
    ids: Annotated[
        Path | None, typer.Option(help="Draw from any list of ids instead: a file with one id per line.")
    ] = None,
    with_replacement: Annotated[bool, typer.Option(help="With --ids: draw with replacement.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --ids: every draw and its ticket as JSON.")] = False,
) -> None:
    """Draw the next round's mesas (or receipts), reproducibly from the public seed; or, with --ids, draw
    from any list of ids, so that anyone can replay a published draw. Both use Rivest's consistent
    sampler, as Arlo does: the same ids and seed give the same draws in the same order.

    Example: actas audit draw audit --seed 58129402917462893416

    Example: actas audit draw --ids mesas.txt --seed 58129402917462893416 --size 30
    """
    from actas.audit.ballot_polling import TIED as POLLING_TIED
    from actas.audit.ballot_polling import PollingPlan, drawn
    from actas.audit.batch_comparison import TIED, Plan
    from actas.audit.macro import ppeb

    if (directory is None) == (ids is None):
        raise InputError("give the audit's directory or --ids FILE, not both")
    if ids is not None:
        draw_ids(ids, seed, size, with_replacement, as_json)
        return
    assert directory is not None
    if with_replacement or as_json:
        raise InputError("--with-replacement and --json apply to a draw from --ids")
    plan = load_plan(directory)
    if plan.tied:
        raise AuditError(f"{TIED if isinstance(plan, Plan) else POLLING_TIED}: there is nothing to draw")
    held = read_text(directory / SEED, limit=1000, what="seed").strip() if (directory / SEED).exists() else None
    if held is None and not seed:
        raise InputError("give the public seed (--seed) for the first round")
    if held is not None and seed is not None and seed != held:
        raise InputError(f"this audit's seed is {held!r}; every round uses the same seed")
    seed = held or seed
    assert seed is not None
    done = read_draws(directory)
    if size is None:
        if not done:
            size = first_size(plan)
        else:
            now = audit_status_of(directory, plan)
            if now.next_draws is None:
                raise InputError(f"no round to draw: {now.decision} ({now.reason})")
            size = now.next_draws
    if held is None:
        write_text(directory / SEED, seed + "\n")
    round_number = (done[-1][0] + 1) if done else 1
    if isinstance(plan, PollingPlan):
        receipts = drawn(plan, seed, len(done) + size)
        rows = [f"{n},{done[n - 1][0] if n <= len(done) else round_number},{r}\n" for n, r in enumerate(receipts, 1)]
        write_text(directory / DRAWS, "draw,round,receipt\n" + "".join(rows))
        new = receipts[len(done) :]
        out.print(f"round {round_number}: {len(new)} receipts to retrieve and read:", markup=False)
        out.print("  " + " ".join(new), markup=False)
        return
    bounds = plan.bounds()
    stream = list(islice(ppeb(bounds, seed), len(done) + size))
    lines = ["draw,round,mesa,error_bound\n"]
    for number, mesa in enumerate(stream, start=1):
        which = done[number - 1][0] if number <= len(done) else round_number
        lines.append(f"{number},{which},{mesa},{bounds[mesa]}\n")
    write_text(directory / DRAWS, "".join(lines))
    new = stream[len(done) :]
    out.print(f"round {round_number}: {len(new)} draws, {len(set(new))} mesas to count by hand:", markup=False)
    out.print("  " + " ".join(sorted(set(new))), markup=False)


@audit_app.command("record")
def audit_record(
    directory: Annotated[Path, typer.Argument(help="The audit's directory.")],
    counts_file: Annotated[Path, typer.Argument(help="CSV: station, then one column per candidate.")],
) -> None:
    """Record the hand counts of drawn mesas (a mesa counted twice must be counted the same), or for a
    ballot-polling audit what each drawn receipt says: a CSV of receipt and choice (a candidate,
    none for a null, blank or other vote, missing for a receipt not found or unreadable).

    Example: actas audit record audit round1-counts.csv
    """
    from actas.audit.ballot_polling import PollingPlan

    loaded = load_plan(directory)
    if isinstance(loaded, PollingPlan):
        new_receipts, recorded = record_receipts(directory, loaded, counts_file)
        out.print(f"recorded {new_receipts:,} receipts ({recorded:,} in all)", markup=False)
        return
    plan = loaded
    new = parse_hand_counts(read_text(counts_file, limit=MAX_FILE, what="hand counts"), plan, str(counts_file))
    counted = hand_counts(directory, plan)
    for mesa, values in new.items():
        if mesa in counted and counted[mesa] != values:
            raise FormatError(f"{counts_file}: station {mesa} was recorded before with other counts; nothing changed")
    write_hand_counts(directory, plan, {**counted, **new})
    out.print(f"recorded the hand counts of {len(new):,} mesas ({len(counted | new):,} in all)", markup=False)


@audit_app.command("status")
def audit_status(
    directory: Annotated[Path, typer.Argument(help="The audit's directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="As JSON, with every draw's taint.")] = False,
) -> None:
    """The measured risk, and what to do: stop, draw more, or count every mesa by hand.

    Exit 0 when the audit can stop (the reported outcome stands), 1 when it cannot yet.

    Example: actas audit status audit
    """
    from actas.audit.ballot_polling import PollingStatus
    from actas.audit.batch_comparison import STOP, Plan

    plan = load_plan(directory)
    now = audit_status_of(directory, plan)
    if isinstance(now, PollingStatus):
        if as_json:
            print_json(
                {
                    "risk": str(now.risk),
                    "risk_limit": plan.risk_limit,
                    "decision": now.decision,
                    "reason": now.reason,
                    "draws": now.drawn,
                    "next_draws": now.next_draws,
                    "pending": now.pending,
                    "read": now.read,
                }
            )
        else:
            read = ", ".join(f"{c} {n:,}" for c, n in sorted(now.read.items()))
            out.print(
                f"{now.drawn:,} receipts{f' ({read})' if read else ''}, measured risk {float(now.risk):.4f} "
                f"(limit {plan.risk_limit}): "
                f"{now.decision.upper()}: {now.reason}",
                markup=False,
            )
        if now.decision != STOP:
            raise VerificationError(f"the audit cannot stop yet: {now.decision}")
        return
    assert isinstance(plan, Plan)
    if as_json:
        print_json(_status_json(now, plan))
    else:
        out.print(
            f"{now.draws:,} draws, measured risk {float(now.risk):.4f} (limit {plan.risk_limit}): "
            f"{now.decision.upper()}: {now.reason}",
            markup=False,
        )
        if now.pending:
            out.print("  to count: " + " ".join(now.pending), markup=False)
        found = {mesa: t for mesa, t in now.taints if t and mesa not in now.pending}
        for mesa, t in sorted(found.items()):
            out.print(f"  {mesa}: the paper differs from the reported count, taint {float(t):.4f}", markup=False)
    if now.decision != STOP:
        raise VerificationError(f"the audit cannot stop yet: {now.decision}")


def _status_json(now: Status, plan: Plan) -> dict[str, Any]:
    return {
        "risk": str(now.risk),
        "risk_limit": plan.risk_limit,
        "decision": now.decision,
        "reason": now.reason,
        "draws": now.draws,
        "next_draws": now.next_draws,
        "pending": now.pending,
        "taints": [{"mesa": m, "taint": str(t)} for m, t in now.taints],
    }
