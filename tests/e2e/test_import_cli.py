"""`actas import csv` and `actas results`, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import assert_clean_failure, run_actas

MAPPING = """
[dataset]
name = "Test election"
contest = "president"

[declared]
stations = 4

[[level]]
name = "region"
code = "REGION"

[station]
id = ["REGION", "MESA"]
registered = "RE"

[[option]]
column = "A"
name = "Ana"

[[option]]
column = "B"
name = "Bruno"
"""


def setup(tmp_path: Path, rows: str) -> tuple[Path, Path]:
    (tmp_path / "m.toml").write_text(MAPPING)
    (tmp_path / "r.csv").write_text("REGION,MESA,RE,A,B\n" + rows)
    return tmp_path / "r.csv", tmp_path / "m.toml"


def test_import_then_results_at_each_level(tmp_path: Path) -> None:
    csv_file, mapping = setup(tmp_path, "1,1,100,30,20\n1,2,100,10,40\n2,1,50,5,5\n")
    imported = run_actas("import", "csv", csv_file, "--mapping", mapping, "--out", tmp_path / "d.dataset")
    assert imported.code == 0, imported.stderr
    assert "3 rows, 3 stations loaded" in imported.stdout
    national = json.loads(run_actas("results", tmp_path / "d.dataset", "--json").stdout)
    assert national["national"]["votes"] == {"a": 45, "b": 65} and national["national"]["stations"] == 3
    assert national["declared"]["stations"] == 4 and national["units"] == []
    regions = json.loads(run_actas("results", tmp_path / "d.dataset", "--level", "region", "--json").stdout)
    assert [(u["code"], u["votes"]["a"], u["registered"]) for u in regions["units"]] == [("1", 40, 200), ("2", 5, 50)]
    shown = run_actas("results", tmp_path / "d.dataset", "--level", "region")
    assert shown.code == 0 and "3 of 4 declared (75.00%)" in shown.stdout and "40 (40.0%)" in shown.stdout


def test_rows_that_cannot_be_used_are_listed_and_the_exit_code_says_so(tmp_path: Path) -> None:
    csv_file, mapping = setup(tmp_path, "1,1,100,30,20\n1,1,100,30,20\n1,2,100,x,40\n")
    result = run_actas("import", "csv", csv_file, "--mapping", mapping, "--out", tmp_path / "d.dataset", "--json")
    assert result.code == 1
    report = json.loads(result.stdout)
    assert report["loaded"] == 1 and [r["line"] for r in report["refused"]] == [3, 4]
    assert "already on line 2" in report["refused"][0]["reason"]
    assert "2 rows of r.csv could not be used" in result.stderr
    assert json.loads(run_actas("results", tmp_path / "d.dataset", "--json").stdout)["national"]["stations"] == 1


def test_unusable_inputs_exit_2_without_a_traceback(tmp_path: Path) -> None:
    csv_file, mapping = setup(tmp_path, "1,1,100,30,20\n")
    (tmp_path / "bad.csv").write_text("REGION,MESA\n1,1\n")
    out = tmp_path / "d.dataset"
    assert_clean_failure(run_actas("import", "csv", tmp_path / "bad.csv", "--mapping", mapping, "--out", out), 2)
    assert not out.exists()  # nothing written for a refused file
    assert_clean_failure(run_actas("import", "csv", csv_file, "--mapping", "atlantis", "--out", out), 2)
    assert_clean_failure(run_actas("import", "csv", tmp_path / "none.csv", "--mapping", mapping, "--out", out), 2)
    assert_clean_failure(run_actas("results", tmp_path / "none.dataset"), 2)
    assert_clean_failure(run_actas("results", csv_file), 2)
    assert run_actas("import", "csv", csv_file, "--mapping", mapping, "--out", out).code == 0
    assert_clean_failure(run_actas("results", out, "--level", "galaxy"), 2)
