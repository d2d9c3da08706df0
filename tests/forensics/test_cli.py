"""`actas forensics`, `actas report`, `actas simulate-results` and `actas case` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import SHARED_DATA, assert_clean_failure, run_actas

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stuffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forensics")
    result = run_actas(
        "simulate-results", "--stations", "8000", "--scenario", "stuffing", "--extreme", "0.05",
        "--out", folder / "stuffed.dataset", "--announced", folder / "announced.toml",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    return folder


def test_forensics_writes_a_self_contained_report_and_json(stuffed: Path) -> None:
    out = stuffed / "report"
    result = run_actas("forensics", stuffed / "stuffed.dataset", "--out", out, "--json")
    assert result.code == 1, result.stderr  # flagged
    data = json.loads(result.stdout)
    tests = {f["test"]: f for f in data["findings"]}
    assert tests["fingerprint"]["flagged"] and abs(tests["fingerprint"]["details"]["extreme"] - 0.05) <= 0.01
    assert json.loads((out / "report.json").read_text()) == data
    html = (out / "index.html").read_text()
    assert tests["fingerprint"]["sentence"].split(";")[0] in html.replace("&#39;", "'")
    assert 'src="http' not in html and "<script" not in html  # opens offline
    assert html.count("data:image/png;base64,") == 5
    for name in ("2bl", "last-digit", "integer-percent", "turnout", "fingerprint"):
        with Image.open(out / f"{name}.png") as image:
            assert image.size[0] > 300


def test_forensics_on_clean_results_exits_0_without_the_fit(tmp_path: Path) -> None:
    assert run_actas("simulate-results", "--stations", "3000", "--seed", "7", "--out", tmp_path / "c.dataset").code == 0
    result = run_actas("forensics", tmp_path / "c.dataset", "--out", tmp_path / "r", "--no-fit", "--min-count", "100")
    flagged = [line for line in result.stdout.splitlines() if line.startswith("FLAGGED")]
    assert result.code == (1 if flagged else 0)
    assert all("2BL" in line for line in flagged), flagged
    assert "fingerprint" not in {
        f["test"] for f in json.loads((tmp_path / "r" / "report.json").read_text())["findings"]
    }


def test_report_combines_outcome_reconciliation_poll_and_forensics(stuffed: Path, tmp_path: Path) -> None:
    result = run_actas(
        "report", stuffed / "stuffed.dataset", "--announced", stuffed / "announced.toml",
        "--observer", stuffed / "stuffed.dataset", "--exit-poll", "ALVAREZ=0.5,BARROS=0.35",
        "--interviews", "5000", "--places", "80", "--out", tmp_path / "r", "--json",
    )  # fmt: skip
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    reconciled = data["reconciliation"]
    assert reconciled["stations"]["identical"] == 8000 and reconciled["stations"]["different"] == 0
    assert reconciled["signatures"]["official"] == {"valid": 0, "invalid": 0, "unsigned": 8000}
    assert data["announcements"][0]["candidates"] == []
    assert not data["round_percentages"][0]["flagged"]
    assert {p["against"] for p in data["exit_poll"]} == {"the actas", "Announced totals (stuffing)"}
    assert any(f["test"] == "fingerprint" and f["flagged"] for f in data["forensics"])
    html = (tmp_path / "r" / "index.html").read_text()
    assert "Reconciliation with the observers" in html and "exit poll" in html
    assert "8,000 unsigned (nothing to check, nothing wrong)" in html and "INVALID" not in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["forensics", "missing.dataset", "--out", "r"], "missing.dataset"),
        (["forensics", "bad.dataset", "--out", "r"], "bad.dataset"),
        (["forensics", "ok.dataset", "--out", "file.txt"], "not a directory"),
        (["forensics", "ok.dataset", "--out", "r", "--announced", "bad.toml"], "bad.toml"),
        (["report", "ok.dataset", "--out", "r", "--exit-poll", "A=2"], "--exit-poll"),
        (["report", "ok.dataset", "--out", "r", "--exit-poll", "A=0.5"], "--interviews"),
        (["simulate-results", "--out", "x.dataset", "--scenario", "rigged"], "unknown scenario"),
        (["simulate-results", "--out", "x.dataset", "--stations", "3000000"], "--stations"),
        (["simulate-results", "--out", "x.dataset", "--scenario", "stuffing", "--extreme", "1.5"], "between 0 and 1"),
        (["case", "venezuela-2024", "--data", ".", "--out", "x.md"], "not found"),
        (["case", "chile-1988", "--data", ".", "--out", "x.md"], "unknown case"),
        (["calibrate", "--sizes", "missing.dataset", "--elections", "1"], "missing.dataset"),
        (["calibrate", "--sizes", "bad.dataset", "--elections", "1"], "bad.dataset"),
        (["calibrate", "--sizes", "ok.dataset", "--elections", "1", "--alpha", "2"], "--alpha"),
    ],
)
def test_bad_input_is_refused_cleanly(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "bad.dataset").write_bytes(b"\x00" * 4096)
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "bad.toml").write_text("authority = [unclosed\n")
    assert run_actas("simulate-results", "--stations", "200", "--out", tmp_path / "ok.dataset").code == 0
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_actas(*args, cwd=tmp_path)
    assert_clean_failure(result, 2)
    assert message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_venezuelan_case_page_is_what_the_command_writes(tmp_path: Path) -> None:
    data = SHARED_DATA / "venezuela_2024"
    if not data.is_dir():
        pytest.skip(f"the shared data is not at {data}")
    result = run_actas("case", "venezuela-2024", "--data", data, "--out", tmp_path / "case.md")
    assert result.code == 0, result.stderr
    written = (tmp_path / "case.md").read_text()
    assert written == (ROOT / "docs" / "case-venezuela-2024.md").read_text()
    assert "3,915,001 votes" in written and "1 in 135 million" in written
    assert written.count("**impossible**") == 2
    for name in ("results", "turnout", "fingerprint", "integer-percent"):
        assert (tmp_path / "images" / "case-venezuela-2024" / f"{name}.png").stat().st_size > 1000
