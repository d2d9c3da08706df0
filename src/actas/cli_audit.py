"""`actas audit plan|draw|record|status`: a batch-comparison risk-limiting audit of the machines' counts
against the paper receipts, mesa by mesa, with all its state in one directory of plain files.

    plan.json         every mesa's reported votes, ballots and error bound; the risk limit
    seed.txt          the public seed (dice rolled in public), fixed at the first draw
    draws.csv         every draw in order: its number, round, mesa and error bound
    hand-counts.csv   the hand count of each drawn mesa's paper, one row per mesa

With these files anyone can recompute every draw (Rivest's consistent sampler) and the risk.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from actas.audit.batch_comparison import STOP, Plan, Status, plan_from_dataset, status
from actas.audit.macro import ppeb, sample_size
from actas.cli_datasets import load_source
from actas.console import out, print_json
from actas.errors import FormatError, InputError, VerificationError
from actas.files import read_text, write_text

audit_app = typer.Typer(
    help="Risk-limiting audits of the machines' counts against the paper receipts.", no_args_is_help=True
)
PLAN, SEED, DRAWS, COUNTS = "plan.json", "seed.txt", "draws.csv", "hand-counts.csv"
MAX_FILE = 512 * 1024 * 1024


def _plan(directory: Path) -> Plan:
    text = read_text(directory / PLAN, limit=MAX_FILE, what="audit plan")
    try:
        return Plan.from_json(json.loads(text))
    except ValueError:
        raise FormatError(f"{directory / PLAN} is not JSON") from None


def _draws(directory: Path) -> list[tuple[int, str]]:
    """(round, mesa) of every draw so far."""
    path = directory / DRAWS
    if not path.exists():
        return []
    rows = list(csv.DictReader(io.StringIO(read_text(path, limit=MAX_FILE, what="draws"))))
    return [(int(r["round"]), r["mesa"]) for r in rows]


def _counted(directory: Path, plan: Plan) -> dict[str, dict[str, int]]:
    path = directory / COUNTS
    if not path.exists():
        return {}
    return _read_counts(read_text(path, limit=MAX_FILE, what="hand counts"), plan, str(path))


def _read_counts(text: str, plan: Plan, where: str) -> dict[str, dict[str, int]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if not header or header[0] != "station" or sorted(header[1:]) != sorted(plan.candidates):
        raise FormatError(f"{where}: the header must be station and the candidates {', '.join(plan.candidates)}")
    counts: dict[str, dict[str, int]] = {}
    for line, row in enumerate(reader, start=2):
        mesa = row["station"]
        if mesa not in plan.reported:
            raise FormatError(f"{where} line {line}: station {mesa[:64]!r} is not in the audit plan")
        values = {}
        for c in plan.candidates:
            value = (row.get(c) or "").strip()
            if not value.isdigit():
                raise FormatError(f"{where} line {line}: {c} must be a whole number of receipts, found {value[:20]!r}")
            values[c] = int(value)
        if mesa in counts and counts[mesa] != values:
            raise FormatError(f"{where} line {line}: station {mesa} is counted twice, differently")
        counts[mesa] = values
    return counts


def _write_counts(directory: Path, plan: Plan, counts: dict[str, dict[str, int]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["station", *plan.candidates])
    for mesa in sorted(counts):
        writer.writerow([mesa, *(counts[mesa][c] for c in plan.candidates)])
    write_text(directory / COUNTS, text.getvalue())


@audit_app.command("plan")
def audit_plan(
    source: Annotated[str, typer.Argument(help="The reported results: a server URL, a board mirror or a dataset.")],
    out_dir: Annotated[Path, typer.Option("--out", help="The audit's directory (created).")],
    risk_limit: Annotated[float, typer.Option(help="The risk limit, e.g. 0.05 for 5%.")] = 0.05,
    winners: Annotated[int, typer.Option(help="Number of winners of the contest.", min=1)] = 1,
) -> None:
    """Plan a batch-comparison audit of the reported results, mesa by mesa.

    Example: actas audit plan http://cne.example:8080 --out audit --risk-limit 0.05
    """
    plan = plan_from_dataset(load_source(source), risk_limit, winners)
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / PLAN).exists():
        raise InputError(f"{out_dir} already holds an audit plan; use a new directory for a new audit")
    data = plan.to_json()
    write_text(out_dir / PLAN, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    total = Fraction(data["total_error_bound"])
    first = sample_size(total, risk_limit)
    out.print(
        f"{len(plan.reported):,} mesas, total error bound U = {float(total):.3f}, risk limit {risk_limit:.0%}: "
        f"{first:,} draws if the sample finds no error; wrote {out_dir / PLAN}",
        markup=False,
    )


@audit_app.command("draw")
def audit_draw(
    directory: Annotated[Path, typer.Argument(help="The audit's directory.")],
    seed: Annotated[str | None, typer.Option(help="The public seed (the first round fixes it).")] = None,
    size: Annotated[int | None, typer.Option(help="Draws in this round (default: as the status asks).", min=1)] = None,
) -> None:
    """Draw the next round's mesas, reproducibly from the public seed.

    Example: actas audit draw audit --seed 58129402917462893416
    """
    plan = _plan(directory)
    held = read_text(directory / SEED, limit=1000, what="seed").strip() if (directory / SEED).exists() else None
    if held is None and not seed:
        raise InputError("give the public seed (--seed) for the first round")
    if held is not None and seed is not None and seed != held:
        raise InputError(f"this audit's seed is {held!r}; every round uses the same seed")
    seed = held or seed
    assert seed is not None
    done = _draws(directory)
    if size is None:
        if not done:
            size = sample_size(sum(plan.bounds().values(), Fraction(0)), plan.risk_limit)
        else:
            now = _status(directory, plan)
            if now.next_draws is None:
                raise InputError(f"no round to draw: {now.decision} ({now.reason})")
            size = now.next_draws
    if held is None:
        write_text(directory / SEED, seed + "\n")
    bounds = plan.bounds()
    stream = list(islice(ppeb(bounds, seed), len(done) + size))
    round_number = (done[-1][0] + 1) if done else 1
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
    """Record the hand counts of drawn mesas (a mesa counted twice must be counted the same).

    Example: actas audit record audit round1-counts.csv
    """
    plan = _plan(directory)
    new = _read_counts(read_text(counts_file, limit=MAX_FILE, what="hand counts"), plan, str(counts_file))
    counted = _counted(directory, plan)
    for mesa, values in new.items():
        if mesa in counted and counted[mesa] != values:
            raise FormatError(f"{counts_file}: station {mesa} was recorded before with other counts; nothing changed")
    _write_counts(directory, plan, {**counted, **new})
    out.print(f"recorded the hand counts of {len(new):,} mesas ({len(counted | new):,} in all)", markup=False)


def _status(directory: Path, plan: Plan) -> Status:
    return status(plan, [mesa for _, mesa in _draws(directory)], _counted(directory, plan))


@audit_app.command("status")
def audit_status(
    directory: Annotated[Path, typer.Argument(help="The audit's directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="As JSON, with every draw's taint.")] = False,
) -> None:
    """The measured risk, and what to do: stop, draw more, or count every mesa by hand.

    Exit 0 when the audit can stop (the reported outcome stands), 1 when it cannot yet.

    Example: actas audit status audit
    """
    plan = _plan(directory)
    now = _status(directory, plan)
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
