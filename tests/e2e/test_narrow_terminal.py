"""Every table the command line prints fits an 80-column terminal without cutting a number: names wrap,
secondary columns go, numbers stay whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from actas.importers.csv_import import import_csv
from actas.importers.mapping import load_mapping
from actas.store.dataset_file import write_dataset
from tests.conftest import Run, run_actas
from tests.dataset.test_real_files import real


def narrow(*args: str | Path, code: int = 0) -> Run:
    result = run_actas(*args, columns=80)
    assert result.code == code, result.stderr
    long = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert not long, long
    assert "…" not in result.stdout
    return result


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("narrow")
    for name, file in (
        ("venezuela-2024", "RESULTADOS_2024_CSV_V2.csv.gz"),
        ("venezuela-2024-qr", "2024_vzla_presidential_qr.csv.gz"),
    ):
        write_dataset(import_csv(real(f"venezuela_2024/{file}"), load_mapping(name))[0], folder / f"{name}.dataset")
    return folder


def test_results_and_reconciliation_fit_80_columns(datasets: Path) -> None:
    v2, qr = datasets / "venezuela-2024.dataset", datasets / "venezuela-2024-qr.dataset"
    national = narrow("results", v2)
    assert "Edmundo González" in national.stdout and "rows: 25,073 unsigned" in national.stdout
    by_state = narrow("results", v2, "--level", "state")
    assert "EDO. ZULIA" in by_state.stdout and "766,915 (69.4%)" in by_state.stdout
    narrow("results", qr, "--level", "municipality")
    reconciled = narrow("reconcile", v2, qr, "--level", "state", code=1)
    assert "official rows: " in reconciled.stdout and "unsigned (nothing to check, nothing wrong)" in reconciled.stdout
    narrow("outcome", v2, "--announced", "venezuela-2024-cne-2", code=1)


def test_the_other_commands_fit_80_columns(tmp_path: Path) -> None:
    assert run_actas("election", "generate", "--preset", "venezuela-2024", "--out", tmp_path / "e").code == 0
    narrow("election", "show", tmp_path / "e")
    narrow("simulate-results", "--stations", 2000, "--out", tmp_path / "s.dataset")
    narrow("results", tmp_path / "s.dataset", "--level", "region")
    narrow("pvt", "plan", "--margin-of-error", 0.01, "--voters", 12_000_000, "--votes-per-mesa", 400, "--z", 2.58)
    poll = ["--poll", "EG=0.65,NM=0.31", "--places", 100, "--interviews", 6800, "--announced", "venezuela-2024-cne-2"]
    narrow("exit-poll", *poll, code=1)
    narrow("audit", "sample-size", "--method", "comparison", "--margin", 0.02, "--o1", 1)
    shown = narrow("calibrate", "--elections", 2, "--fraud-elections", 1)
    assert "integer-percent" in shown.stdout and "invented" in shown.stdout
