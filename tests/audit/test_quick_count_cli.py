"""`actas pvt` and `actas exit-poll` on the 2024 Venezuelan actas and bulletins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actas.audit.sampler import sample
from actas.dataset.model import Dataset
from actas.importers.csv_import import import_csv
from actas.importers.mapping import load_mapping
from actas.store.dataset_file import write_dataset
from tests.conftest import assert_clean_failure, run_actas
from tests.dataset.test_real_files import real


def test_a_quick_count_of_1000_opposition_actas_covers_all_of_them(tmp_path: Path) -> None:
    """Treat the 24,532 actas of the opposition's first CSV as the population: 1,000 of them drawn with the
    consistent sampler estimate González's share of all 24,532, within the stated margin."""
    v1 = import_csv(real("venezuela_2024/RESULTADOS_2024_CSV_V1.csv.gz"), load_mapping("venezuela-2024-v1"))[0]
    drawn = {t.id for t in sample([r.code for r in v1], "28072024", 1000)}
    part = Dataset(v1.name, v1.contest, v1.options, v1.levels, v1.sources, [r for r in v1 if r.code in drawn])
    write_dataset(part, tmp_path / "sample.dataset")
    result = run_actas("pvt", "estimate", tmp_path / "sample.dataset", "--stations", len(v1), "--json")
    assert result.code == 0, result.stderr
    estimates = {e["candidate"]: e for e in json.loads(result.stdout)["estimates"]}
    eg = [i for i, o in enumerate(v1.options) if o.candidate == "EG"]
    truth = sum(sum(r.votes[i] for i in eg) for r in v1) / sum(r.valid for r in v1)
    assert abs(estimates["EG"]["share"] - truth) <= estimates["EG"]["margin"] < 0.02
    shown = run_actas("pvt", "estimate", tmp_path / "sample.dataset", "--stations", len(v1))
    assert "Edmundo González: 6" in shown.stdout and "leads beyond the margins of error" in shown.stdout
    assert_clean_failure(run_actas("pvt", "estimate", tmp_path / "sample.dataset"), 2)  # no --stations known


def test_the_exit_poll_against_the_second_bulletin(tmp_path: Path) -> None:
    args = ["--poll", "EG=0.65,NM=0.31", "--places", "100", "--announced", "venezuela-2024-cne-2"]
    result = run_actas("exit-poll", *args, "--interviews", "1000", "--json")
    assert result.code == 1 and "99.9%" in result.stderr
    data = json.loads(result.stdout)
    assert 2.5 < data["response_ratio"]["ratio"] < 2.6 and data["response_ratio"]["more"] == "EG"
    # the lead: +34 points in the poll, 8.8 behind in the bulletin; deff 1 + 9 x 0.05 = 1.45
    lead = data["lead"]
    official = (5_326_104 - 6_408_844) / 12_335_884
    assert (lead["first"], lead["second"], lead["design_effect"]) == ("EG", "NM", 1.45)
    assert lead["official"] == pytest.approx(official) and data["contradicts"]
    assert lead["standard_error"] == pytest.approx((1.45 * (0.96 - 0.34**2) / 1000) ** 0.5)
    assert all(c["p_value"] < 1e-6 for c in data["checks"])
    said = run_actas("exit-poll", *args, "--interviews", "100000", "--deff", "1")
    assert "p < 1e-300" in said.stdout and "p = 0 " not in said.stdout and "p = 0)" not in said.stdout
    assert "Edmundo" not in said.stdout and "EG 34.0 points ahead of NM" in said.stdout
    assert "EG 8.8 points behind NM" in said.stdout and "unless the poll was biased" in said.stdout
    close = run_actas("exit-poll", "--poll", "EG=0.44,NM=0.51", *args[2:], "--interviews", "1000")
    assert close.code == 0 and "sampling alone can explain the difference" in close.stdout, close.stdout
    clustered = run_actas("exit-poll", "--poll", "EG=0.44,NM=0.51", *args[2:], "--interviews", "1000", "--json")
    deff = run_actas(
        "exit-poll", "--poll", "EG=0.44,NM=0.51", *args[2:], "--interviews", "1000", "--deff", "4", "--json"
    )
    assert json.loads(deff.stdout)["lead"]["standard_error"] > json.loads(clustered.stdout)["lead"]["standard_error"]
    assert_clean_failure(run_actas("exit-poll", *args, "--interviews", "1000", "--deff", "0.5"), 2)
    assert_clean_failure(run_actas("exit-poll", "--poll", "EG=65%", *args[2:], "--interviews", "1000"), 2)
    assert_clean_failure(run_actas("exit-poll", *args, "--interviews", "50"), 2)  # fewer interviews than places


def test_planning_a_quick_count() -> None:
    result = run_actas("pvt", "plan", "--margin-of-error", "0.01", "--voters", "12000000", "--votes-per-mesa", "400")
    assert result.code == 0 and "9,596 voters" in result.stdout and "503 mesas" in result.stdout
    assert "at 95% (z = 1.960)" in result.stdout
    peru = ["pvt", "plan", "--margin-of-error", "0.0032", "--voters", "14570774", "--votes-per-mesa", "200"]
    handbook = run_actas(*peru, "--z", "2.58")
    assert handbook.code == 0 and "160,718 voters" in handbook.stdout and "at z = 2.58" in handbook.stdout
    assert "160,204 voters" in run_actas(*peru, "--confidence", "0.99").stdout
    assert_clean_failure(run_actas(*peru, "--z", "2.58", "--confidence", "0.99"), 2)
    assert_clean_failure(run_actas(*peru, "--z", "-1"), 2)
    assert_clean_failure(
        run_actas("pvt", "plan", "--margin-of-error", "2", "--voters", "10", "--votes-per-mesa", "4"), 2
    )
