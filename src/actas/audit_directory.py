"""An audit's state, in one directory of plain files that anyone can read and recompute:

    plan.json         the method; every mesa's reported votes and ballots (and, for batch
                      comparison, error bound); the risk limit
    seed.txt          the public seed (dice rolled in public), fixed at the first draw
    draws.csv         every draw in order: its number, round, and mesa (with its error bound) or receipt
    hand-counts.csv   batch comparison: the hand count of each drawn mesa's paper, one row per mesa
    receipts.csv      ballot polling: what each drawn receipt says (a candidate, none, or missing)

Every file is read within its limit and checked against the plan; a file that does not agree with
what is recorded already changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path

from actas.audit.ballot_polling import FORMAT as POLLING_FORMAT
from actas.audit.ballot_polling import MISSING, NONE, PollingPlan, PollingStatus, first_round, polling_status
from actas.audit.batch_comparison import Plan, Status, status
from actas.audit.macro import sample_size
from actas.errors import FormatError
from actas.files import read_text, write_text

PLAN, SEED, DRAWS, COUNTS, READ = "plan.json", "seed.txt", "draws.csv", "hand-counts.csv", "receipts.csv"
MAX_FILE = 512 * 1024 * 1024


def load_plan(directory: Path) -> Plan | PollingPlan:
    text = read_text(directory / PLAN, limit=MAX_FILE, what="audit plan")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise FormatError(f"{directory / PLAN} is not JSON") from None
    if isinstance(data, dict) and data.get("format") == POLLING_FORMAT:
        return PollingPlan.from_json(data)
    return Plan.from_json(data)


def read_draws(directory: Path) -> list[tuple[int, str]]:
    """(round, mesa or receipt) of every draw so far."""
    path = directory / DRAWS
    if not path.exists():
        return []
    rows = list(csv.reader(io.StringIO(read_text(path, limit=MAX_FILE, what="draws"))))[1:]
    return [(int(r[1]), r[2]) for r in rows]


def hand_counts(directory: Path, plan: Plan) -> dict[str, dict[str, int]]:
    path = directory / COUNTS
    if not path.exists():
        return {}
    return parse_hand_counts(read_text(path, limit=MAX_FILE, what="hand counts"), plan, str(path))


def parse_hand_counts(text: str, plan: Plan, where: str) -> dict[str, dict[str, int]]:
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


def write_hand_counts(directory: Path, plan: Plan, counts: dict[str, dict[str, int]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["station", *plan.candidates])
    for mesa in sorted(counts):
        writer.writerow([mesa, *(counts[mesa][c] for c in plan.candidates)])
    write_text(directory / COUNTS, text.getvalue())


def first_size(plan: Plan | PollingPlan) -> int:
    """The first round's size: what the audit needs if the sample finds no error."""

    if isinstance(plan, PollingPlan):
        return first_round(plan)
    return sample_size(sum(plan.bounds().values(), Fraction(0)), plan.risk_limit)


def audit_status_of(directory: Path, plan: Plan | PollingPlan) -> Status | PollingStatus:
    drawn_items = [item for _, item in read_draws(directory)]
    if isinstance(plan, PollingPlan):
        return polling_status(plan, drawn_items, read_receipts(directory, plan))
    return status(plan, drawn_items, hand_counts(directory, plan))


def read_receipts(directory: Path, plan: PollingPlan, path: Path | None = None) -> dict[str, str]:
    """What each read receipt says, checked: a receipt of the plan, a candidate, none or missing."""

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


def record_receipts(directory: Path, plan: PollingPlan, path: Path) -> tuple[int, int]:
    """Add the receipts read in `path` to the audit's: how many it held, and how many are recorded now."""
    new = read_receipts(directory, plan, path)
    held = read_receipts(directory, plan)
    for receipt, choice in new.items():
        if held.get(receipt, choice) != choice:
            raise FormatError(f"{path}: receipt {receipt} was recorded before as {held[receipt]}; nothing changed")
    merged = {**held, **new}
    write_text(directory / READ, "receipt,choice\n" + "".join(f"{r},{c}\n" for r, c in sorted(merged.items())))
    return len(new), len(merged)
