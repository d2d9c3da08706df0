"""`actas audit plan|draw|record|status` on a simulated election: a clean count stops, a count whose
paper differs escalates, and every malformed input is refused without changing the audit."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from actas.audit.bravo import PollingContest, average_sample_number
from actas.dataset.model import Dataset, Declared, Option, Provenance, Signature, StationRow
from actas.store.dataset_file import write_dataset
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


def test_a_clean_count_stops_at_the_risk_limit(reported: Path, tmp_path: Path) -> None:
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


def test_the_sample_size_of_either_audit_from_the_command_line(reported: Path) -> None:
    """Arlo's BRAVO expected sample size (test_bravo.py, test1: 600 to 400 of 1,000 at 10%: 119) and
    Stark's super-simple size (γ = 1.03905, 2% diluted margin, 5%: −2γ·ln(0.05)/0.02 = 311.25, so 312)."""
    polling = run_actas(
        "audit", "sample-size", "--reported", "cand1=600,cand2=400", "--ballots", 1000, "--risk-limit", 0.1
    )
    assert polling.code == 0 and polling.stdout.startswith("119 ballots expected"), polling.stderr
    plain = json.loads(run_actas("audit", "sample-size", "--method", "comparison", "--margin", 0.02, "--json").stdout)
    assert plain["sample_size"] == 312
    found = ["--o1", 2, "--u1", 1]
    worse = json.loads(
        run_actas("audit", "sample-size", "--method", "comparison", "--margin", 0.02, *found, "--json").stdout
    )
    # each one-vote overstatement adds 2γ·(−ln(1 − 1/2γ)) / μ, each understatement takes 2γ·ln(1 + 1/2γ) / μ
    gamma = 1.03905
    expected = -2 * gamma * (math.log(0.05) + 2 * math.log(1 - 1 / (2 * gamma)) + math.log(1 + 1 / (2 * gamma))) / 0.02
    assert worse["sample_size"] == math.ceil(expected) and worse["o1"] == 2 and worse["u1"] == 1
    # From the actas: Ana 68,000, Bo 44,000 of 120,000 ballots, a diluted margin of 0.2: 31.13, so 32
    actas = json.loads(run_actas("audit", "sample-size", reported, "--method", "comparison", "--json").stdout)
    assert actas["margin"] == pytest.approx(0.2) and actas["sample_size"] == 32
    assert run_actas("audit", "sample-size", reported).stdout.startswith(f"{_asn(68_000, 44_000, 120_000):,} ballots")
    for bad in (
        ["--method", "comparison"],  # neither a margin nor results
        ["--reported", "a=10,b=5", "--ballots", 12],  # fewer ballots than votes
        ["--reported", "a=ten,b=5", "--ballots", 20],
        ["--reported", "a=" + "9" * 40 + ",b=5", "--ballots", 20],  # more votes than any contest holds
        ["--reported", "a=10,a=5", "--ballots", 20],  # a candidate twice
        ["--reported", "a=10", "--ballots", 20],  # no loser
        ["--method", "comparison", "--margin", 0],
        ["--method", "comparison", "--margin", 0.1, "--risk-limit", 1.5],
        ["--method", "polling", "--margin", 0.1, "--reported", "a=10,b=5", "--ballots", 20],
        ["--method", "ranked"],
    ):
        assert_clean_failure(run_actas("audit", "sample-size", *bad), 2)


def _asn(winner: int, loser: int, ballots: int) -> int:
    return average_sample_number(PollingContest({"ana": winner, "bo": loser}, ballots), 0.05)


def test_any_draw_can_be_replayed_from_its_ids_and_seed(reported: Path, tmp_path: Path) -> None:
    """Rivest's published sample (consistent_sampler's demo: ids A-1..B-3, seed 314159, the first three
    are B-2, B-3, A-3), and a ballot-polling audit's receipts drawn again from a plain list of ids."""
    ids = tmp_path / "ids.txt"
    ids.write_text("A-1\nA-2\n\nA-3\nB-1\nB-2\nB-3\n")
    shown = run_actas("audit", "draw", "--ids", ids, "--seed", "314159", "--size", 3)
    assert shown.code == 0 and [line.split()[-1] for line in shown.stdout.splitlines()[1:]] == ["B-2", "B-3", "A-3"]
    again = json.loads(
        run_actas("audit", "draw", "--ids", ids, "--seed", "314159", "--size", 8, "--with-replacement", "--json").stdout
    )
    assert len(again["draws"]) == 8 and [d["id"] for d in again["draws"][:3]] == ["B-2", "B-3", "A-3"]
    assert all(d["generation"] >= 1 and d["ticket"].startswith("0.") for d in again["draws"])
    audit = tmp_path / "polling"
    assert run_actas("audit", "plan", reported, "--out", audit, "--method", "polling").code == 0
    assert run_actas("audit", "draw", audit, "--seed", "2718", "--size", 25).code == 0
    with (audit / "draws.csv").open() as f:
        receipts = [row["receipt"] for row in csv.DictReader(f)]
    every = tmp_path / "receipts.txt"
    every.write_text("".join(f"M{m:03d}:{n}\n" for m in range(400) for n in range(1, 301)))
    replayed = json.loads(run_actas("audit", "draw", "--ids", every, "--seed", "2718", "--size", 25, "--json").stdout)
    assert [d["id"] for d in replayed["draws"]] == receipts
    twice = tmp_path / "twice.txt"
    twice.write_text("a\nb\na\n")
    long = tmp_path / "long.txt"
    long.write_text("x" * 201 + "\n")
    for bad in (
        ["--ids", twice, "--seed", "1", "--size", 1],
        ["--ids", long, "--seed", "1", "--size", 1],
        ["--ids", ids, "--size", 1],  # no seed
        ["--ids", ids, "--seed", "1"],  # no size
        ["--ids", ids, "--seed", "1", "--size", 7],  # more than the ids, without replacement
        ["--ids", tmp_path / "absent.txt", "--seed", "1", "--size", 1],
        ["--ids", "/dev/zero", "--seed", "1", "--size", 1],
        [audit, "--ids", ids, "--seed", "2718"],
        [],
    ):
        assert_clean_failure(run_actas("audit", "draw", *bad), 2)


def test_a_tied_contest_is_planned_as_a_full_hand_count(tmp_path: Path) -> None:
    """As Arlo plans it: no sample can confirm a tie, so every mesa (or receipt) is counted by hand."""
    tied = Dataset("tied", "president", OPTIONS[:2], ("region",), declared=Declared(10, 4000))
    for n in range(10):
        tied.add(StationRow(f"M{n:02d}", ("R1",), 400, 300, (150, 150), 0, None, Provenance(0, n + 2, Signature.VALID)))
    write_dataset(tied, tmp_path / "tied.dataset")
    batch, polling = tmp_path / "batch", tmp_path / "polling"
    planned = run_actas("audit", "plan", tmp_path / "tied.dataset", "--out", batch)
    assert planned.code == 0 and "only a full hand count of every mesa decides it: all 10 mesas" in planned.stdout
    assert json.loads((batch / "plan.json").read_text())["full_hand_count"] is True
    state = run_actas("audit", "status", batch, "--json")
    assert state.code == 1 and json.loads(state.stdout)["decision"] == "full hand count"
    assert_clean_failure(run_actas("audit", "draw", batch, "--seed", "1"), 2)
    planned = run_actas("audit", "plan", tmp_path / "tied.dataset", "--out", polling, "--method", "polling")
    assert planned.code == 0 and "all 3,000 receipts" in planned.stdout
    assert json.loads(run_actas("audit", "status", polling, "--json").stdout)["decision"] == "full hand count"
    for method in ("polling", "comparison"):
        sized = run_actas("audit", "sample-size", tmp_path / "tied.dataset", "--method", method, "--json")
        assert sized.code == 0 and json.loads(sized.stdout)["sample_size"] == 3000
