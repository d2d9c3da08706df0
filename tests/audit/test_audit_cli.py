"""`actas audit plan|draw|record|status` on a simulated election: an honest count stops, a count whose
paper differs escalates, and every malformed input is refused without changing the audit."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from actas.dataset.model import Dataset, Declared, Option, Provenance, Signature, StationRow
from actas.dataset.store import write_dataset
from tests.conftest import assert_clean_failure, run_actas

OPTIONS = (Option("ana", "Ana", "ana", "Ana"), Option("bo", "Bo", "bo", "Bo"), Option("cy", "Cy", "cy", "Cy"))


@pytest.fixture
def reported(tmp_path: Path) -> Path:
    """400 mesas of 300 voters: Ana 170, Bo 110, Cy 20 in each (a 20-point margin)."""
    made = Dataset("reported", "president", OPTIONS, ("region",), declared=Declared(400, 400 * 400))
    for n in range(400):
        made.add(
            StationRow(
                f"M{n:03d}", (f"R{n % 4}",), 400, 300, (170, 110, 20), 0, None, Provenance(0, n + 2, Signature.VALID)
            )
        )
    write_dataset(made, tmp_path / "reported.dataset")
    return tmp_path / "reported.dataset"


def drawn(audit: Path) -> list[str]:
    with (audit / "draws.csv").open() as f:
        return sorted({row["mesa"] for row in csv.DictReader(f)})


def counts(path: Path, mesas: list[str], ana: int = 170, bo: int = 110) -> Path:
    path.write_text("station,ana,bo,cy\n" + "".join(f"{m},{ana},{bo},20\n" for m in mesas))
    return path


def test_an_honest_count_stops_at_the_risk_limit(reported: Path, tmp_path: Path) -> None:
    audit = tmp_path / "audit"
    planned = run_actas("audit", "plan", reported, "--out", audit, "--risk-limit", "0.05")
    assert planned.code == 0 and "400 mesas" in planned.stdout, planned.stderr
    plan = json.loads((audit / "plan.json").read_text())
    assert plan["total_error_bound"] == "6"  # each mesa (170 - 110 + 300) / 24,000 = 3/200, 400 of them
    assert run_actas("audit", "draw", audit, "--seed", "31415926535").code == 0
    first = (audit / "draws.csv").read_text()
    assert len(first.splitlines()) == 1 + 17  # ln(0.05) / ln(1 - 1/6) = 16.4
    pending = run_actas("audit", "status", audit)
    assert pending.code == 1 and "not counted yet" in pending.stdout
    assert run_actas("audit", "record", audit, counts(tmp_path / "c.csv", drawn(audit))).code == 0
    done = run_actas("audit", "status", audit, "--json")
    assert done.code == 0, done.stdout
    state = json.loads(done.stdout)
    assert state["decision"] == "stop" and float(state["risk"]) <= 0.05
    # an observer redraws the same sample from the same seed
    again = tmp_path / "again"
    assert run_actas("audit", "plan", reported, "--out", again, "--risk-limit", "0.05").code == 0
    assert run_actas("audit", "draw", again, "--seed", "31415926535").code == 0
    assert (again / "draws.csv").read_text() == first


def test_paper_that_differs_escalates_to_more_draws_or_a_full_count(reported: Path, tmp_path: Path) -> None:
    audit = tmp_path / "audit"
    assert run_actas("audit", "plan", reported, "--out", audit).code == 0
    assert run_actas("audit", "draw", audit, "--seed", "2718").code == 0
    mesas = drawn(audit)
    differing = counts(tmp_path / "c.csv", mesas[:5], ana=160, bo=120)  # the machines moved 10 votes
    assert run_actas("audit", "record", audit, differing).code == 0
    assert run_actas("audit", "record", audit, counts(tmp_path / "d.csv", mesas[5:])).code == 0
    state = json.loads(run_actas("audit", "status", audit, "--json").stdout)
    assert state["decision"] == "continue" and state["next_draws"] > 0 and float(state["risk"]) > 0.05
    assert run_actas("audit", "draw", audit).code == 0  # round 2, the size the status asked for
    rounds = {row.split(",")[1] for row in (audit / "draws.csv").read_text().splitlines()[1:]}
    assert rounds == {"1", "2"}
    # a mesa whose paper is all for the loser: only a full hand count can decide
    worst = counts(tmp_path / "w.csv", [m for m in drawn(audit) if m not in mesas][:1], ana=0, bo=300)
    assert run_actas("audit", "record", audit, worst).code == 0
    rest = [m for m in drawn(audit) if m not in mesas][1:]
    assert run_actas("audit", "record", audit, counts(tmp_path / "r.csv", rest)).code == 0
    final = run_actas("audit", "status", audit)
    assert final.code == 1 and "FULL HAND COUNT" in final.stdout


def test_bad_audit_input_is_refused_and_changes_nothing(reported: Path, tmp_path: Path) -> None:
    audit = tmp_path / "audit"
    assert run_actas("audit", "plan", reported, "--out", audit).code == 0
    assert_clean_failure(run_actas("audit", "plan", reported, "--out", audit), 2)  # an audit already there
    assert_clean_failure(run_actas("audit", "plan", reported, "--out", tmp_path / "x", "--risk-limit", "1.5"), 2)
    assert_clean_failure(run_actas("audit", "draw", audit), 2)  # no seed yet
    assert run_actas("audit", "draw", audit, "--seed", "1").code == 0
    assert_clean_failure(run_actas("audit", "draw", audit, "--seed", "2"), 2)  # another seed
    mesa = drawn(audit)[0]
    assert run_actas("audit", "record", audit, counts(tmp_path / "c.csv", [mesa])).code == 0
    before = (audit / "hand-counts.csv").read_text()
    for text in (
        f"station,ana,bo\n{mesa},1,2\n",
        "station,ana,bo,cy\nNOPE,1,2,3\n",
        f"station,ana,bo,cy\n{mesa},1,-2,3\n",
        f"station,ana,bo,cy\n{mesa},1,2.5,3\n",
        f"station,ana,bo,cy\n{mesa},171,110,20\n",  # counted before, differently
    ):
        (tmp_path / "bad.csv").write_text(text)
        assert_clean_failure(run_actas("audit", "record", audit, tmp_path / "bad.csv"), 2)
        assert (audit / "hand-counts.csv").read_text() == before
    (audit / "plan.json").write_text("{")
    assert_clean_failure(run_actas("audit", "status", audit), 2)


def paper_choice(receipt: str) -> str:
    """The receipts in each box of the fixture: 170 for Ana, 110 for Bo, 20 for Cy, then none."""
    n = int(receipt.rsplit(":", 1)[1])
    return "ana" if n <= 170 else "bo" if n <= 280 else "cy" if n <= 300 else "none"


def receipts_drawn(audit: Path) -> list[str]:
    with (audit / "draws.csv").open() as f:
        return [row["receipt"] for row in csv.DictReader(f)]


def test_a_ballot_polling_audit_of_single_receipts(reported: Path, tmp_path: Path) -> None:
    audit = tmp_path / "polling"
    planned = run_actas("audit", "plan", reported, "--out", audit, "--method", "polling")
    assert planned.code == 0 and "120,000 receipts in 400 mesas" in planned.stdout, planned.stdout + planned.stderr
    assert "144 receipts expected" in planned.stdout  # BRAVO's ASN: (ln 20 + ln(2·17/28)/2) / 0.0216…
    assert run_actas("audit", "draw", audit, "--seed", "1789").code == 0
    for _ in range(6):
        drawn_now = receipts_drawn(audit)
        (tmp_path / "read.csv").write_text("receipt,choice\n" + "".join(f"{r},{paper_choice(r)}\n" for r in drawn_now))
        assert run_actas("audit", "record", audit, tmp_path / "read.csv").code == 0
        status = run_actas("audit", "status", audit, "--json")
        if status.code == 0:
            break
        assert run_actas("audit", "draw", audit).code == 0
    state = json.loads(status.stdout)
    assert state["decision"] == "stop" and float(state["risk"]) <= 0.05
    assert len(set(receipts_drawn(audit))) == len(receipts_drawn(audit))  # without replacement


def test_missing_receipts_count_against_the_reported_winner(reported: Path, tmp_path: Path) -> None:
    audit = tmp_path / "polling"
    assert run_actas("audit", "plan", reported, "--out", audit, "--method", "polling").code == 0
    assert run_actas("audit", "draw", audit, "--seed", "1789").code == 0
    drawn_now = receipts_drawn(audit)
    lines = [f"{r},{'missing' if i % 3 == 0 else paper_choice(r)}\n" for i, r in enumerate(drawn_now)]
    (tmp_path / "read.csv").write_text("receipt,choice\n" + "".join(lines))
    assert run_actas("audit", "record", audit, tmp_path / "read.csv").code == 0
    state = json.loads(run_actas("audit", "status", audit, "--json").stdout)
    assert state["decision"] == "continue" and state["read"]["missing"] == len(range(0, len(drawn_now), 3))
    assert float(state["risk"]) > 0.05
    before = (audit / "receipts.csv").read_text()
    for text in (
        "receipt,choice\nM000:999,ana\n",  # no such receipt
        "receipt,choice\nM000:1,dave\n",  # no such candidate
        f"receipt,choice\n{drawn_now[1]},{'bo' if paper_choice(drawn_now[1]) != 'bo' else 'ana'}\n",  # read differently
        "receipt,vote\nM000:1,ana\n",
    ):
        (tmp_path / "bad.csv").write_text(text)
        assert_clean_failure(run_actas("audit", "record", audit, tmp_path / "bad.csv"), 2)
        assert (audit / "receipts.csv").read_text() == before
    assert_clean_failure(run_actas("audit", "plan", reported, "--out", tmp_path / "x", "--method", "guess"), 2)
