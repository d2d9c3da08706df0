"""Importing per-station CSVs: rows per second, beside a plain `csv` module read of the same file.

Writes a synthetic results CSV from the generator's definition (one row per station: region,
district, centre, station, registered voters, null votes and a count per candidate), then times, in
the same run: a bare `csv.reader` pass over the file (the floor), `actas import csv`'s reading
with its checks, writing the dataset file, and reading the dataset back. Then the same for the
real Venezuelan file when ../shared/data is present.

Usage: python bench/import_csv.py [--stations 1000000]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import tempfile
import time
from pathlib import Path

import numpy as np

from actas.importers.csv_import import import_csv
from actas.importers.mapping import Mapping, load_mapping, parse_mapping
from actas.sim.generator import synthetic
from actas.store.dataset_file import read_dataset, write_dataset

CANDIDATES = ["A", "B", "C", "D", "E"]
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "venezuela_2024" / "RESULTADOS_2024_CSV_V2.csv.gz"


def write_synthetic(path: Path, stations: int) -> Mapping:
    election = synthetic(stations, 7)
    rng = np.random.default_rng(7)
    units = election.unit_by_code
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["region", "district", "centre", "station", "registered", "null", *CANDIDATES])
        shares = rng.dirichlet([8, 6, 1, 1, 1], size=len(election.stations))
        for station, share in zip(election.stations, shares, strict=True):
            centre = units[station.unit]
            district = units[centre.parent or ""]
            voters = int(station.registered * 0.6)
            counts = rng.multinomial(voters, share)
            writer.writerow([district.parent, district.code, centre.code, station.code, station.registered, 3, *counts])
    return parse_mapping(
        {
            "dataset": {"name": "synthetic", "contest": "president"},
            "level": [{"name": n, "code": n} for n in ("region", "district", "centre")],
            "station": {"id": "station", "registered": "registered", "null": "null"},
            "option": [{"column": c} for c in CANDIDATES],
        }
    )


def floor(path: Path, encoding: str) -> tuple[int, float]:
    start = time.perf_counter()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding=encoding, newline="") as text:  # type: ignore[operator]
        rows = sum(1 for _ in csv.reader(text)) - 1
    return rows, time.perf_counter() - start


def measure(label: str, path: Path, mapping: Mapping, work: Path) -> None:
    rows, bare = floor(path, mapping.encoding)
    start = time.perf_counter()
    dataset, report = import_csv(path, mapping)
    reading = time.perf_counter() - start
    start = time.perf_counter()
    write_dataset(dataset, work / "d.dataset")
    writing = time.perf_counter() - start
    start = time.perf_counter()
    again = read_dataset(work / "d.dataset")
    loading = time.perf_counter() - start
    assert len(again) == len(dataset) == rows - len(report.refused)
    print(f"# {label}: {rows:,} rows, {path.stat().st_size / 1e6:,.1f} MB, {time.strftime('%Y-%m-%d')}")
    print(f"csv.reader alone          {rows / bare:>12,.0f} rows/s  ({bare:.2f} s)")
    share = 100 * bare / reading
    print(f"actas import csv          {rows / reading:>12,.0f} rows/s  ({reading:.2f} s, {share:.0f}% of floor)")
    print(f"write the dataset         {rows / writing:>12,.0f} rows/s  ({writing:.2f} s)")
    print(f"read the dataset back     {rows / loading:>12,.0f} rows/s  ({loading:.2f} s, checked against its SHA-256)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="actas-import-") as folder:
        work = Path(folder)
        mapping = write_synthetic(work / "synthetic.csv", args.stations)
        measure("synthetic", work / "synthetic.csv", mapping, work)
        if REAL.exists():
            measure("Venezuela 2024, opposition actas", REAL, load_mapping("venezuela-2024"), work)
        else:
            print(f"(the real file {REAL} is absent: ../shared/data is not beside the checkout)")


if __name__ == "__main__":
    main()
