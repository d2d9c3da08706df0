"""`actas audit plan|draw|record|status`: a risk-limiting audit of the machines' counts against the paper
receipts, with all its state in one directory of plain files. Two methods: batch comparison (each
drawn mesa's paper counted by hand against its acta) and ballot polling (single receipts drawn
from the ballot boxes and read).

    plan.json         the method; every mesa's reported votes and ballots (and, for batch
                      comparison, error bound); the risk limit
    seed.txt          the public seed (dice rolled in public), fixed at the first draw
    draws.csv         every draw in order: its number, round, and mesa (with its error bound) or receipt
    hand-counts.csv   batch comparison: the hand count of each drawn mesa's paper, one row per mesa
    receipts.csv      ballot polling: what each drawn receipt says (a candidate, none, or missing)

With these files anyone can recompute every draw (Rivest's consistent sampler) and the risk.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from actas.cli.audit_tools import draw_ids, sample_size_command
from actas.cli.options import Contest
from actas.console import out, print_json
from actas.errors import AuditError, FormatError, InputError, VerificationError
from actas.files import read_text, write_text

if TYPE_CHECKING:
    from actas.audit.ballot_polling import PollingPlan, PollingStatus
    from actas.audit.batch_comparison import Plan, Status

audit_app = typer.Typer(
    help="Risk-limiting audits of the machines' counts against the paper receipts.", no_args_is_help=True
)
PLAN, SEED, DRAWS, COUNTS, READ = "plan.json", "seed.txt", "draws.csv", "hand-counts.csv", "receipts.csv"
BATCH, POLLING = "batch", "polling"
MAX_FILE = 512 * 1024 * 1024


def _load(directory: Path) -> Plan | PollingPlan:
    from actas.audit.ballot_polling import FORMAT as POLLING_FORMAT
    from actas.audit.ballot_polling import PollingPlan
    from actas.audit.batch_comparison import Plan

    text = read_text(directory / PLAN, limit=MAX_FILE, what="audit plan")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise FormatError(f"{directory / PLAN} is not JSON") from None
    if isinstance(data, dict) and data.get("format") == POLLING_FORMAT:
        return PollingPlan.from_json(data)
    return Plan.from_json(data)


def _plan(directory: Path) -> Plan:
    from actas.audit.batch_comparison import Plan

    plan = _load(directory)
    if not isinstance(plan, Plan):
        raise InputError(f"{directory} holds a ballot-polling audit, not a batch comparison")
    return plan


def _draws(directory: Path) -> list[tuple[int, str]]:
    """(round, mesa or receipt) of every draw so far."""
    path = directory / DRAWS
    if not path.exists():
        return []
    rows = list(csv.reader(io.StringIO(read_text(path, limit=MAX_FILE, what="draws"))))[1:]
    return [(int(r[1]), r[2]) for r in rows]


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
    plan = _load(directory)
    if plan.tied:
        raise AuditError(f"{TIED if isinstance(plan, Plan) else POLLING_TIED}: there is nothing to draw")
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
            size = _first_size(plan)
        else:
            now = _status(directory, plan)
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

    loaded = _load(directory)
    if isinstance(loaded, PollingPlan):
        _record_receipts(directory, loaded, counts_file)
        return
    plan = loaded
    new = _read_counts(read_text(counts_file, limit=MAX_FILE, what="hand counts"), plan, str(counts_file))
    counted = _counted(directory, plan)
    for mesa, values in new.items():
        if mesa in counted and counted[mesa] != values:
            raise FormatError(f"{counts_file}: station {mesa} was recorded before with other counts; nothing changed")
    _write_counts(directory, plan, {**counted, **new})
    out.print(f"recorded the hand counts of {len(new):,} mesas ({len(counted | new):,} in all)", markup=False)


def _first_size(plan: Plan | PollingPlan) -> int:
    """The first round's size: what the audit needs if the sample finds no error."""
    from actas.audit.ballot_polling import PollingPlan, first_round
    from actas.audit.macro import sample_size

    if isinstance(plan, PollingPlan):
        return first_round(plan)
    return sample_size(sum(plan.bounds().values(), Fraction(0)), plan.risk_limit)


def _status(directory: Path, plan: Plan | PollingPlan) -> Status | PollingStatus:
    from actas.audit.ballot_polling import PollingPlan, polling_status
    from actas.audit.batch_comparison import status

    drawn_items = [item for _, item in _draws(directory)]
    if isinstance(plan, PollingPlan):
        return polling_status(plan, drawn_items, _read_receipts(directory, plan))
    return status(plan, drawn_items, _counted(directory, plan))


def _read_receipts(directory: Path, plan: PollingPlan, path: Path | None = None) -> dict[str, str]:
    """What each read receipt says, checked: a receipt of the plan, a candidate, none or missing."""
    from actas.audit.ballot_polling import MISSING, NONE

    path = path or directory / READ
    if not path.exists():
        return {}
    reader = csv.DictReader(io.StringIO(read_text(path, limit=MAX_FILE, what="receipts read")))
    if reader.fieldnames != ["receipt", "choice"]:
        raise FormatError(f"{path}: the header must be receipt,choice")
    choices = {*plan.reported, NONE, MISSING}
    read: dict[str, str] = {}
    for line, row in enumerate(reader, start=2):
        receipt, choice = row["receipt"] or "", (row["choice"] or "").strip()
        mesa, _, number = receipt.rpartition(":")
        if mesa not in plan.ballots or not number.isdigit() or not 1 <= int(number) <= plan.ballots[mesa]:
            raise FormatError(f"{path} line {line}: {receipt[:80]!r} is not a receipt of the audit plan")
        if choice not in choices:
            raise FormatError(f"{path} line {line}: choice {choice[:40]!r} is not a candidate, none or missing")
        if read.get(receipt, choice) != choice:
            raise FormatError(f"{path} line {line}: receipt {receipt} is read twice, differently")
        read[receipt] = choice
    return read


def _record_receipts(directory: Path, plan: PollingPlan, path: Path) -> None:
    new = _read_receipts(directory, plan, path)
    held = _read_receipts(directory, plan)
    for receipt, choice in new.items():
        if held.get(receipt, choice) != choice:
            raise FormatError(f"{path}: receipt {receipt} was recorded before as {held[receipt]}; nothing changed")
    merged = {**held, **new}
    write_text(directory / READ, "receipt,choice\n" + "".join(f"{r},{c}\n" for r, c in sorted(merged.items())))
    out.print(f"recorded {len(new):,} receipts ({len(merged):,} in all)", markup=False)


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

    plan = _load(directory)
    now = _status(directory, plan)
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
