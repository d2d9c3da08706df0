"""The presets on the real files of ../shared/data, against figures computed here with the csv module."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from actas.dataset.summary import summarize
from actas.importers.csv_import import import_csv
from actas.importers.mapping import load_mapping
from tests.conftest import SHARED_DATA


def real(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: the real election files live in ../shared/data beside the checkout")
    return path


def independent_totals(path: Path, encoding: str, columns: list[str]) -> tuple[int, list[int]]:
    with gzip.open(path, "rt", encoding=encoding, newline="") as text:
        rows = list(csv.DictReader(text))
    return len(rows), [sum(int(row[c]) for row in rows) for c in columns]


@pytest.mark.parametrize(
    ("preset", "relative", "encoding"),
    [
        ("venezuela-2024", "venezuela_2024/RESULTADOS_2024_CSV_V2.csv.gz", "latin-1"),
        ("venezuela-2024-qr", "venezuela_2024/2024_vzla_presidential_qr.csv.gz", "utf-8-sig"),
        ("uganda-2021", "uganda_2021/Converted_2021_Results.csv.gz", "utf-8-sig"),
    ],
)
def test_a_preset_loads_every_row_and_every_vote(preset: str, relative: str, encoding: str) -> None:
    path = real(relative)
    mapping = load_mapping(preset)
    dataset, report = import_csv(path, mapping)
    columns = [o.source for o in mapping.options]
    rows, totals = independent_totals(path, encoding, columns)
    assert report.refused == [] and report.rows == rows == len(dataset)
    assert [sum(r.votes[i] for r in dataset) for i in range(len(columns))] == totals
    assert len({r.code for r in dataset}) == rows  # every station once


def test_venezuela_2024_the_opposition_actas_as_published() -> None:
    dataset, report = import_csv(real("venezuela_2024/RESULTADOS_2024_CSV_V2.csv.gz"), load_mapping("venezuela-2024"))
    summary = summarize(dataset, "state")
    nation = summary["national"]
    assert nation["stations"] == 25_073 and summary["declared"]["stations"] == 30_026  # 83.5% of the mesas
    assert nation["votes"]["EG"] > 2 * nation["votes"]["NM"]
    assert len(summary["units"]) == 24 and sum(u["stations"] for u in summary["units"]) == 25_073
    assert nation["stations_with_null"] == 0  # VOTOS_NULOS was not captured: unknown, not zero
    assert report.warnings == []  # every mesa's VOTOS_VALIDOS equals the sum of its candidates


def test_uganda_2021_matches_the_declared_result() -> None:
    """The Electoral Commission declared, on 16 January 2021, Museveni 6,042,898 and Kyagulanyi 3,631,437."""
    dataset, _ = import_csv(real("uganda_2021/Converted_2021_Results.csv.gz"), load_mapping("uganda-2021"))
    votes = summarize(dataset)["national"]["votes"]
    assert votes["museveni"] == 6_042_898 and votes["kyagulanyi"] == 3_631_437
