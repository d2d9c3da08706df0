"""Outcome bounds and announcements against actas: exact arithmetic on constructed cases, and the 2024
Venezuelan case recomputed here from the CSVs with the csv module alone."""

from __future__ import annotations

import csv
import gzip
from decimal import Decimal
from pathlib import Path

from actas.audit.outcome import ANNOUNCED, REGISTERED, TURNOUT, outcome
from actas.dataset.announced import Announced
from actas.dataset.model import Dataset, Declared, Option, Provenance, StationRow
from actas.importers.announced_file import load_announced
from actas.importers.csv_import import import_csv
from actas.importers.mapping import load_mapping
from tests.conftest import assert_clean_failure, run_actas
from tests.dataset.test_real_files import real

OPTIONS = (Option("a", "A", "ana", "Ana"), Option("b", "B", "bo", "Bo"), Option("c", "C", "cy", "Cy"))


def dataset(rows: list[tuple[int | None, int, tuple[int, ...]]], stations: int, registered: int) -> Dataset:
    made = Dataset("t", "p", OPTIONS, ("region",), declared=Declared(stations, registered))
    for n, (reg, voters, votes) in enumerate(rows):
        made.add(StationRow(f"m{n}", ("r",), reg, voters, votes, 0, None, Provenance(0, n + 2)))
    return made


def announced(votes: dict[str, int], counted: str | None = None, valid: int | None = None) -> Announced:
    share = Decimal(counted) if counted is not None else None
    return Announced("x", "bulletin", "2024-07-29", "p", tuple(votes.items()), share, valid=valid)


def test_the_three_bounds_are_exact_and_a_tie_does_not_decide() -> None:
    # 3 of 5 mesas: Ana 300, Bo 150 (margin 150); 600 of 1,000 registered known, 400 missing
    rows = [(200, 160, (100, 50, 10)), (200, 160, (100, 50, 10)), (200, 160, (100, 50, 10))]
    result = outcome(dataset(rows, 5, 1000), announced({"ana": 400, "bo": 200, "cy": 60}))
    assert (result.leader, result.runner_up, result.margin) == ("ana", "bo", 150)
    bounds = {b.assumption: b for b in result.bounds}
    assert bounds[REGISTERED].missing_votes == 400 and bounds[REGISTERED].decides(150) is False
    assert bounds[ANNOUNCED].missing_votes == 660 - 480 and bounds[ANNOUNCED].decides(150) is False
    # turnout 480/600 = 80% of the 400 missing registered: 320
    assert bounds[TURNOUT].missing_votes == 320
    assert outcome(dataset(rows, 5, 750)).bounds[0].decides(150) is False  # 150 missing: a tie decides nothing
    assert outcome(dataset(rows, 5, 749)).bounds[0].decides(150) is True


def test_what_a_bound_cannot_say_it_says_why() -> None:
    rows = [(None, 160, (100, 50, 10)), (200, 160, (90, 60, 10))]
    result = outcome(dataset(rows, 4, 1000), announced({"ana": 100, "bo": 50, "cy": 10}))
    bounds = {b.assumption: b for b in result.bounds}
    assert bounds[REGISTERED].missing_votes is None and "registered voters" in bounds[REGISTERED].reason
    assert bounds[ANNOUNCED].missing_votes is None and "fewer than" in bounds[ANNOUNCED].reason
    # without registered voters, the missing mesas cast the collected mesas' average (320 / 2 = 160 each)
    assert bounds[TURNOUT].missing_votes == 2 * 160


def test_an_announcement_must_give_each_candidate_at_least_the_actas_it_counted() -> None:
    rows = [(100, 60, (50, 5, 5)), (100, 60, (40, 15, 5)), (100, 60, (30, 25, 5)), (100, 60, (20, 35, 5))]
    # 50% of 4 mesas counted: 2 may be left out; Ana's two best hold 90, so at least 140 - 90 = 50
    result = outcome(dataset(rows, 4, 400), announced({"ana": 50, "bo": 20, "others": 10}, "50"))
    checks = {c.candidate: c for c in result.checks}
    assert result.uncounted_at_most == 2
    assert (checks["ana"].collected, checks["ana"].at_least, checks["ana"].possible) == (140, 50, True)
    assert (checks["bo"].at_least, checks["bo"].possible) == (20, True)
    assert (checks["others"].collected, checks["others"].at_least) == (20, 10)
    short = outcome(dataset(rows, 4, 400), announced({"ana": 49, "bo": 20}, "50"))
    assert not short.announcement_possible
    # 62.5% of 4 mesas is 2.5: counting rounds down, so 2 may still be left out
    assert outcome(dataset(rows, 4, 400), announced({"ana": 49}, "62.5")).uncounted_at_most == 2


def _independent_v1() -> tuple[dict[str, int], int, list[int]]:
    """Votes per candidate, registered voters, and González's votes per mesa, read with csv alone."""
    votes = dict.fromkeys(["EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"], 0)
    registered, eg = 0, []
    with gzip.open(real("venezuela_2024/RESULTADOS_2024_CSV_V1.csv.gz"), "rt", encoding="utf-8-sig") as text:
        for row in csv.DictReader(text):
            for key in votes:
                votes[key] += int(row[key])
            registered += int(row["RE"])
            eg.append(int(row["EG"]))
    return votes, registered, eg


def test_the_venezuelan_actas_decide_the_outcome_and_neither_bulletin_can_be_true() -> None:
    """The opposition's actas (V1, with each mesa's registered electors) against the electoral council's
    bulletins of 29 July and 2 August 2024, as quoted in ../shared/data/README.md."""
    v1 = import_csv(real("venezuela_2024/RESULTADOS_2024_CSV_V1.csv.gz"), load_mapping("venezuela-2024-v1"))[0]
    votes, registered, eg = _independent_v1()
    first = outcome(v1, load_announced("venezuela-2024-cne-1"))
    assert first.votes == votes and first.registered_covered == registered
    assert (first.leader, first.runner_up, first.margin) == ("EG", "NM", votes["EG"] - votes["NM"])
    missing = 21_321_805 - registered
    bounds = {b.assumption: b for b in first.bounds}
    assert bounds[REGISTERED].missing_votes == missing and bounds[REGISTERED].decides(first.margin)
    assert bounds[TURNOUT].decides(first.margin)
    assert first.margin > missing  # decided even if every absent elector had voted for Maduro

    second = outcome(v1, load_announced("venezuela-2024-cne-2"))
    left_out = 30_026 - int(30_026 * 0.9687)
    at_least = votes["EG"] - sum(sorted(eg, reverse=True)[:left_out])
    gonzalez = next(c for c in second.checks if c.candidate == "EG")
    assert (second.uncounted_at_most, gonzalez.at_least) == (left_out, at_least)
    assert gonzalez.announced == 5_326_104 < at_least and not second.announcement_possible
    assert not first.announcement_possible


def test_the_outcome_command(tmp_path: Path) -> None:
    out = tmp_path / "v1.dataset"
    csv_file = real("venezuela_2024/RESULTADOS_2024_CSV_V1.csv.gz")
    assert run_actas("import", "csv", csv_file, "--mapping", "venezuela-2024-v1", "--out", out).code == 0
    alone = run_actas("outcome", out)
    assert alone.code == 0 and "(registered)" in alone.stdout and "DECIDED" in alone.stdout
    bulletins = run_actas("outcome", out, "--announced", "venezuela-2024-cne-2", "--json")
    assert bulletins.code == 1 and "Segundo bolet" in bulletins.stderr
    assert_clean_failure(run_actas("outcome", out, "--announced", "no-such-bulletin"), 2)
