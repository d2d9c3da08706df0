"""Reconciling two tabulations mesa by mesa, on constructed datasets and on the two real 2024 CSVs."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

from actas.dataset.model import Dataset, Option, Provenance, Signature, Signatures, StationRow
from actas.dataset.reconcile import (
    BALLOTS_DIFFER,
    DIFFERENT,
    IDENTICAL,
    ONLY_OBSERVER,
    ONLY_OFFICIAL,
    PAPER_DIFFERS,
    reconcile,
)
from actas.importers.csv_import import import_csv
from actas.importers.mapping import load_mapping
from actas.store.dataset_file import write_dataset
from tests.conftest import assert_clean_failure, run_actas
from tests.dataset.test_real_files import real

CANDIDATES = (Option("ana", "Ana", "ana", "Ana"), Option("bo", "Bo", "bo", "Bo"))
CARDS = (
    Option("ana-1", "Party 1", "ana", "Ana"),
    Option("ana-2", "Party 2", "ana", "Ana"),
    Option("bo", "Bo", "bo", "Bo"),
)


def dataset(
    name: str,
    options: tuple[Option, ...],
    rows: dict[str, tuple[int, ...]],
    signature: Signature = Signature.UNSIGNED,
) -> Dataset:
    made = Dataset(name, "president", options, ("region",))
    for line, (code, votes) in enumerate(rows.items(), start=2):
        made.add(StationRow(code, (code[0],), None, None, votes, None, None, Provenance(0, line, signature)))
    return made


def test_stations_are_compared_candidate_by_candidate() -> None:
    official = dataset(
        "official", CANDIDATES, {"1a": (50, 30), "1b": (40, 40), "2a": (10, 90), "2b": (5, 5)}, Signature.VALID
    )
    observer = dataset(
        "observer",
        CARDS,
        {"1a": (20, 30, 30), "1b": (10, 10, 60), "2a": (7, 3, 90), "3a": (1, 0, 1)},
        Signature.INVALID,
    )
    result = reconcile(official, observer)
    status = {s.station: s.status for s in result.stations}
    assert status == {"1a": IDENTICAL, "1b": DIFFERENT, "2a": IDENTICAL, "2b": ONLY_OFFICIAL, "3a": ONLY_OBSERVER}
    differing = next(s for s in result.stations if s.station == "1b")
    assert [(d.candidate, d.official, d.observer, d.delta) for d in differing.differences] == [
        ("ana", 40, 20, 20),
        ("bo", 40, 60, -20),
    ]
    assert differing.official_signature == Signature.VALID and differing.observer_signature == Signature.INVALID
    assert result.differs and result.count(IDENTICAL) == 2
    assert result.by_unit(("region",), "region") == {
        ("1",): {IDENTICAL: 1, DIFFERENT: 1, ONLY_OFFICIAL: 0, ONLY_OBSERVER: 0, PAPER_DIFFERS: 0},
        ("2",): {IDENTICAL: 1, DIFFERENT: 0, ONLY_OFFICIAL: 1, ONLY_OBSERVER: 0, PAPER_DIFFERS: 0},
        ("3",): {IDENTICAL: 0, DIFFERENT: 0, ONLY_OFFICIAL: 0, ONLY_OBSERVER: 1, PAPER_DIFFERS: 0},
    }
    assert list(result.rows()) == [
        ("1b", DIFFERENT, "ana", 40, 20, 20, "valid", "invalid"),
        ("1b", DIFFERENT, "bo", 40, 60, -20, "valid", "invalid"),
        ("2b", ONLY_OFFICIAL, "", "", "", "", "valid", ""),
        ("3a", ONLY_OBSERVER, "", "", "", "", "", "invalid"),
    ]
    unsigned = reconcile(dataset("a", CANDIDATES, {"1a": (5, 5)}), dataset("b", CANDIDATES, {"1a": (5, 6)}))
    assert [row[6:] for row in unsigned.rows()] == [("unsigned", "unsigned")]  # data that never carried one
    assert result.signatures(official=True) == Signatures(valid=4)
    assert result.signatures(official=False) == Signatures(invalid=4)
    assert result.signatures(official=False).said() == "4 signature INVALID (altered or forged)"
    assert unsigned.signatures(official=True).said() == "1 unsigned (nothing to check, nothing wrong)"
    assert not reconcile(official, official).differs


def test_a_hand_count_of_the_paper_is_held_against_the_machine_count() -> None:
    """Identical actas, but a witness's hand count of the receipts says otherwise: that is a difference."""
    official = dataset("official", CANDIDATES, {"1a": (50, 30), "1b": (40, 40), "2a": (9, 9)}, Signature.VALID)
    observer = dataset("observer", CARDS, {"1a": (20, 30, 30), "1b": (20, 20, 40)}, Signature.VALID)
    observer.paper = {"1a": (20, 30, 30), "1b": (25, 20, 35), "2a": (9, 0, 8)}
    result = reconcile(official, observer)
    assert {s.station: s.status for s in result.stations} == {"1a": IDENTICAL, "1b": IDENTICAL, "2a": ONLY_OFFICIAL}
    assert result.count(PAPER_DIFFERS) == 2 and result.differs
    assert [r for r in result.rows() if r[1] == PAPER_DIFFERS] == [
        ("1b", PAPER_DIFFERS, "ana", 40, 45, -5, "valid", "valid"),
        ("1b", PAPER_DIFFERS, "bo", 40, 35, 5, "valid", "valid"),
        ("2a", PAPER_DIFFERS, "bo", 9, 8, 1, "valid", ""),
    ]
    observer.paper = {"1a": (20, 30, 30)}
    assert reconcile(official, observer).count(PAPER_DIFFERS) == 0


def test_the_reconcile_command(tmp_path: Path) -> None:
    official = dataset("official", CANDIDATES, {"1a": (50, 30), "1b": (40, 40)})
    observer = dataset("observer", CANDIDATES, {"1a": (50, 30), "1b": (40, 41)})
    write_dataset(official, tmp_path / "o.dataset")
    write_dataset(observer, tmp_path / "w.dataset")
    same = run_actas("reconcile", tmp_path / "o.dataset", tmp_path / "o.dataset")
    assert same.code == 0 and "2 identical" in same.stdout
    found = run_actas(
        "reconcile", tmp_path / "o.dataset", tmp_path / "w.dataset", "--level", "region", "--csv", tmp_path / "d.csv"
    )
    assert found.code == 1 and "1b: bo 40 vs 41" in found.stdout and "1 mesas differ" in found.stderr
    assert "unsigned (nothing to check, nothing wrong)" in found.stdout and "INVALID" not in found.stdout
    with (tmp_path / "d.csv").open() as f:
        assert list(csv.reader(f))[1] == ["1b", "different", "bo", "40", "41", "-1", "unsigned", "unsigned"]
    data = json.loads(run_actas("reconcile", tmp_path / "o.dataset", tmp_path / "w.dataset", "--json").stdout)
    assert data["stations"] == {IDENTICAL: 1, DIFFERENT: 1, ONLY_OFFICIAL: 0, ONLY_OBSERVER: 0, PAPER_DIFFERS: 0}
    assert data["signatures"]["observer"] == {"valid": 0, "invalid": 0, "unsigned": 2}
    assert_clean_failure(run_actas("reconcile", tmp_path / "o.dataset", tmp_path / "none.dataset"), 2)


def _independent(relative: str, encoding: str) -> dict[str, tuple[str, ...]]:
    columns = ["NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EG", "EM", "BERA"]
    with gzip.open(real(relative), "rt", encoding=encoding, newline="") as text:
        return {f"{r['CENTRO']}.{r['MESA']}": tuple(r[c] for c in columns) for r in csv.DictReader(text)}


def test_the_two_versions_of_the_opposition_csv_reconciled() -> None:
    """V2 of the opposition's collection against V1, checked against sets computed here with csv."""
    v2 = import_csv(real("venezuela_2024/RESULTADOS_2024_CSV_V2.csv.gz"), load_mapping("venezuela-2024"))[0]
    v1 = import_csv(real("venezuela_2024/RESULTADOS_2024_CSV_V1.csv.gz"), load_mapping("venezuela-2024-v1"))[0]
    result = reconcile(v2, v1)
    second = _independent("venezuela_2024/RESULTADOS_2024_CSV_V2.csv.gz", "latin-1")
    first = _independent("venezuela_2024/RESULTADOS_2024_CSV_V1.csv.gz", "utf-8-sig")
    both = second.keys() & first.keys()
    assert result.count(ONLY_OFFICIAL) == len(second.keys() - first.keys())
    assert result.count(ONLY_OBSERVER) == len(first.keys() - second.keys())
    assert result.count(IDENTICAL) == sum(1 for k in both if second[k] == first[k])
    assert result.count(DIFFERENT) == sum(1 for k in both if second[k] != first[k])


QR_COLUMNS = [
    "Maduro",
    "Martinez",
    "Bertucci",
    "Brito",
    "Ecarri",
    "Fermin",
    "Ceballos",
    "Gonzalez",
    "Marquez",
    "Rausseo",
]


def test_the_qr_readings_line_up_with_the_opposition_csv_mesa_by_mesa(tmp_path: Path) -> None:
    """The QR file writes acta 010101001.01.1.0001 where the CSV has centre 10101001, mesa 1: the preset's
    derived columns bring them to one form. Counts checked against figures computed here with csv."""
    v2_path = real("venezuela_2024/RESULTADOS_2024_CSV_V2.csv.gz")
    qr_path = real("venezuela_2024/2024_vzla_presidential_qr.csv.gz")
    v2 = import_csv(v2_path, load_mapping("venezuela-2024"))[0]
    qr = import_csv(qr_path, load_mapping("venezuela-2024-qr"))[0]
    result = reconcile(v2, qr)
    written = _independent("venezuela_2024/RESULTADOS_2024_CSV_V2.csv.gz", "latin-1")
    opposition = {k: tuple(map(int, v)) for k, v in written.items()}
    with gzip.open(qr_path, "rt", encoding="utf-8", newline="") as text:
        read = {}
        for r in csv.DictReader(text):
            centre, mesa = r["Acta"].split(".")[:2]
            read[f"{int(centre)}.{int(mesa)}"] = tuple(int(r[c]) for c in QR_COLUMNS)
    both = opposition.keys() & read.keys()
    assert len(both) > 20_000 and result.unmatched() is None
    assert result.count(IDENTICAL) == sum(1 for k in both if opposition[k] == read[k])
    assert result.count(DIFFERENT) == sum(1 for k in both if opposition[k] != read[k])
    assert result.count(ONLY_OFFICIAL) == len(opposition.keys() - read.keys())
    assert result.count(ONLY_OBSERVER) == len(read.keys() - opposition.keys())
    # the same states and municipalities: the QR's centre code 010101001 is state 1, municipality 1 (its
    # parish digits number parishes within the municipality, which the CSV numbers otherwise in some states)
    paths = {s.code: s.path for s in v2}
    assert all(paths[s.code][:2] == s.path[:2] for s in qr if s.code in paths)


def test_reconcile_says_when_the_ids_are_written_differently(tmp_path: Path) -> None:
    official = dataset("official", CANDIDATES, {"10101001.1": (5, 5), "10101001.2": (6, 6), "10101002.1": (1, 1)})
    observer = dataset("observer", CANDIDATES, {"010101001.01": (5, 5), "010101001.02": (6, 6), "10101002.1": (1, 1)})
    write_dataset(official, tmp_path / "o.dataset")
    write_dataset(observer, tmp_path / "w.dataset")
    unmatched = reconcile(official, observer).unmatched()
    assert unmatched is not None and unmatched.matched == 1
    assert unmatched.official_examples == ("10101001.1", "10101001.2")
    assert unmatched.observer_examples == ("010101001.01", "010101001.02")
    said = run_actas("reconcile", tmp_path / "o.dataset", tmp_path / "w.dataset", "--json")
    assert json.loads(said.stdout)["unmatched"]["observer_examples"] == ["010101001.01", "010101001.02"]
    said = run_actas("reconcile", tmp_path / "o.dataset", tmp_path / "w.dataset")
    assert (
        "warning: mesas on both sides: 1 of 3 official and 3 of the observer's" in said.stdout
        and "010101001.01" in said.stdout
    )
    # a sample of the mesas (witnesses at one in ten) is not a mismatch of ids
    sample = dataset("sample", CANDIDATES, {"10101001.1": (5, 5)})
    assert reconcile(official, sample).unmatched() is None


def test_an_official_acta_whose_decrypted_ballots_differ_is_a_difference_of_its_own() -> None:
    official = dataset("official", CARDS, {"1a": (10, 20, 30), "1b": (5, 5, 5)}, Signature.VALID)
    official.ballots = {"1a": (10, 20, 30), "1b": (7, 5, 3)}  # the trustees' decryption of each mesa's ballots
    observer = dataset("observer", CANDIDATES, {"1a": (30, 30), "1b": (10, 5)}, Signature.VALID)
    result = reconcile(official, observer)
    assert result.encrypted and result.kinds[-1] == BALLOTS_DIFFER
    (differs,) = [s for s in result.stations if s.ballots]
    assert differs.station == "1b" and differs.status == IDENTICAL  # the witnesses' acta is the official one
    assert [(d.candidate, d.official, d.observer) for d in differs.ballots] == [("ana", 10, 12), ("bo", 5, 3)]
    assert result.count(BALLOTS_DIFFER) == 1 and result.differs
    assert result.by_unit(("region",), "region")[("1",)][BALLOTS_DIFFER] == 1
    assert ("1b", BALLOTS_DIFFER, "ana", 10, 12, -2, "valid", "valid") in list(result.rows())
    plain = reconcile(dataset("o", CANDIDATES, {"1a": (1, 2)}), dataset("w", CANDIDATES, {"1a": (1, 2)}))
    assert not plain.encrypted and BALLOTS_DIFFER not in plain.kinds and not plain.differs
