"""Importing CSVs: every row loaded or reported, refused files named, mappings checked."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path
from typing import Any

import pytest

from actas.dataset.announced import parse_announced
from actas.errors import FormatError, InputError
from actas.importers.announced_file import load_announced
from actas.importers.csv_import import import_csv
from actas.importers.mapping import load_mapping, parse_mapping

WIDE: dict[str, Any] = {
    "dataset": {"name": "test", "contest": "president"},
    "level": [{"name": "region", "code": "REGION", "label": "REGION_NAME"}],
    "station": {"id": ["REGION", "MESA"], "registered": "RE", "null": "NULL", "valid": "VALID"},
    "option": [{"column": "A", "candidate": "alice"}, {"column": "A2", "candidate": "alice"}, {"column": "B"}],
}
HEADER = "REGION,REGION_NAME,MESA,RE,NULL,VALID,A,A2,B\n"


def write(tmp_path: Path, text: str, name: str = "r.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_good_rows_load_and_party_cards_add_up_to_their_candidate(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1,North,1,100,2,60,30,10,20\n1,North,2,80,,50,25,5,20\n")
    dataset, report = import_csv(path, parse_mapping(WIDE))
    assert (report.rows, report.loaded, report.refused, report.warnings) == (2, 2, [], [])
    assert dataset.candidates == [("alice", "A"), ("b", "B")]
    assert dataset.candidate_columns() == [[0, 1], [2]]
    first, second = dataset.rows
    assert (first.code, first.path, first.registered, first.null, first.votes) == ("1.1", ("1",), 100, 2, (30, 10, 20))
    assert second.null is None  # an empty cell is unknown, not zero
    assert first.provenance.line == 2 and second.provenance.line == 3
    assert dataset.unit_names == {("1",): "North"}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("1,North,3,100,0,50,abc,0,0", "'abc' is not a whole number"),
        ("1,North,3,100,0,50,-3,0,0", "'-3' is not a whole number"),
        ("1,North,3,100,0,50,1.5,0,0", "'1.5' is not a whole number"),
        ("1,North,3,100,0,50,30,10", "8 fields where the header has 9"),
        ("1,North,,100,0,50,30,10,10", "no station id"),
        ("1,North,1,100,0,60,30,10,20", "station 1.1 is already on line 2"),
        ("1,North,3,100,0,50,99999999999,0,0", "more than any station counts"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_the_rest_loads(tmp_path: Path, row: str, reason: str) -> None:
    path = write(tmp_path, HEADER + "1,North,1,100,2,60,30,10,20\n" + row + "\n1,North,4,90,0,40,20,0,20\n")
    dataset, report = import_csv(path, parse_mapping(WIDE))
    assert [c.code for c in dataset] == ["1.1", "1.4"]
    assert len(report.refused) == 1
    line, message = report.refused[0]
    assert line == 3 and reason in message


def test_suspicious_rows_load_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1,North,1,50,2,60,30,10,20\n1,North,2,100,0,99,30,10,20\n\n")
    dataset, report = import_csv(path, parse_mapping(WIDE))
    assert len(dataset) == 2 and report.blank_lines == 1
    assert [w[0] for w in report.warnings] == [2, 3]
    assert "62 votes for 50 registered voters" in report.warnings[0][1]
    assert "valid votes 99 but the options add up to 60" in report.warnings[1][1]


def test_a_file_without_the_mapped_columns_is_refused_naming_them(tmp_path: Path) -> None:
    path = write(tmp_path, "REGION,MESA,A\n1,1,3\n")
    with pytest.raises(FormatError, match="does not have: REGION_NAME, RE, NULL, VALID, A2, B"):
        import_csv(path, parse_mapping(WIDE))


def test_a_file_in_another_encoding_is_refused_naming_the_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1,Mérida,1,100,2,60,30,10,20\n", encoding="latin-1")
    with pytest.raises(FormatError, match="is not utf-8-sig text"):
        import_csv(path, parse_mapping(WIDE))
    latin = parse_mapping({**WIDE, "read": {"encoding": "latin-1"}})
    assert import_csv(path, latin)[0].unit_names == {("1",): "Mérida"}


def test_compressed_files_and_semicolons(tmp_path: Path) -> None:
    text = (HEADER + "1,North,1,100,2,60,30,10,20\n").replace(",", ";")
    mapping = parse_mapping({**WIDE, "read": {"delimiter": ";"}})
    plain = write(tmp_path, text)
    packed = tmp_path / "r.csv.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    archive = tmp_path / "r.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("results.csv", text)
    loaded = [import_csv(p, mapping)[0].rows for p in (plain, packed, archive)]
    assert loaded[0] == loaded[1] == loaded[2] and len(loaded[0]) == 1
    broken = tmp_path / "b.csv.gz"
    broken.write_bytes(b"\x1f\x8b not gzip")
    with pytest.raises(InputError):
        import_csv(broken, mapping)


def test_a_huge_field_is_refused_not_read_into_memory(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + '1,"' + "x" * (2 * 1024 * 1024) + '",1,100,2,60,30,10,20\n')
    with pytest.raises(FormatError, match="not CSV"):
        import_csv(path, parse_mapping(WIDE))


LONG: dict[str, Any] = {
    "dataset": {"name": "long", "contest": "president"},
    "level": [{"name": "county", "code": "county"}],
    "station": {"id": ["county", "precinct"]},
    "long": {"option": "candidate", "votes": "votes", "keep": {"office": "President"}},
    "option": [{"value": "Ann", "id": "ann"}, {"value": "Bo", "id": "bo"}],
}


def test_long_format_groups_rows_by_station_and_keeps_one_contest(tmp_path: Path) -> None:
    text = (
        "county,precinct,office,candidate,votes\n"
        "X,1,President,Ann,10\nX,1,President,Bo,7\nX,1,Senate,Cy,4\n"
        "X,2,President,Ann,3\nX,2,President,Zed,1\nX,1,President,Ann,2\n"
    )
    dataset, report = import_csv(write(tmp_path, text), parse_mapping(LONG))
    assert {r.code: r.votes for r in dataset} == {"X.1": (10, 7), "X.2": (3, 0)}
    assert report.filtered == 1
    assert [(line, msg.split(":")[0]) for line, msg in report.refused] == [
        (6, "candidate 'Zed' is not an option of the mapping"),
        (7, "station X.1 already has a count for 'Ann'"),
    ]
    assert report.warnings == [(5, "station X.2: no row for Bo: counted as 0")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown key colour in the top level"),
        ({"station": {"idd": "MESA"}}, "station.id is required"),
        ({"read": {"encoding": "klingon"}}, "not an encoding"),
        ({"read": {"delimiter": ";;"}}, "one character"),
        ({"option": []}, "no \\[\\[option\\]\\]"),
        ({"option": [{"column": "A"}, {"column": "A"}]}, "option ids repeat"),
        ({"level": [{"name": "r"}]}, "level\\[0\\].code is required"),
        ({"read": {"skip_rows": "two"}}, "read.skip_rows has the wrong type"),
        ({"column": [{"name": "c"}]}, "column\\[0\\].from is required"),
        ({"column": [{"name": "c", "from": "A", "match": "(unclosed"}]}, "not a regular expression"),
        ({"column": [{"name": "c", "from": "A", "match": "x" * 201}]}, "longer than 200"),
        ({"column": [{"name": "c", "from": "A", "match": "(a)", "value": "{2}"}]}, "names a group"),
        ({"column": [{"name": "c", "from": "A", "zeros": "trim"}]}, 'zeros must be "strip"'),
        ({"column": [{"name": "c", "from": "A", "zeros": 0}]}, "from 1 to 64"),
        ({"column": [{"name": "c", "from": "A", "split": ""}]}, "separator of at least one"),
        ({"column": [{"name": "c", "from": "A"}, {"name": "c", "from": "B"}]}, "already made"),
        ({"column": [{"name": "c", "from": "d"}, {"name": "d", "from": "B"}]}, "made only after it"),
        ({"column": [{"name": "c", "from": "A", "colour": "red"}]}, "unknown key colour in column\\[0\\]"),
    ],
)
def test_a_mapping_mistake_is_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_mapping({**WIDE, **change})


QR_LIKE: dict[str, Any] = {
    "dataset": {"name": "qr"},
    "column": [
        {"name": "centre", "from": "Acta", "split": ".", "part": 0, "zeros": "strip"},
        {"name": "mesa", "from": "Acta", "split": ".", "part": 1, "zeros": "strip"},
        {"name": "state", "from": "centre", "match": "^(\\d{1,2})\\d{7}$"},
        {"name": "padded", "from": ["state", "mesa"], "join": "-", "match": "^(\\d+)-(\\d+)$", "value": "{2}/{1}"},
        {"name": "wide", "from": "mesa", "zeros": 3},
    ],
    "level": [{"name": "state", "code": "state"}, {"name": "centre", "code": "centre"}],
    "station": {"id": ["centre", "mesa"], "registered": "wide"},
    "option": [{"column": "A"}],
}


def test_derived_columns_bring_ids_to_another_files_form(tmp_path: Path) -> None:
    """Split, regular expression with groups, strip and pad zeros, join: the QR file's acta ids made into the
    opposition CSV's centre and mesa; a value the steps cannot read refuses its row, named."""
    text = "Acta,A\n010101001.01.1.0001,7\n240101005.12.1.0001,3\n2401.x,1\n010101001,4\n"
    dataset, report = import_csv(write(tmp_path, text), parse_mapping(QR_LIKE))
    assert [(r.code, r.path, r.registered) for r in dataset] == [
        ("10101001.1", ("1", "10101001"), 1),
        ("240101005.12", ("24", "240101005"), 12),
    ]
    assert report.refused == [
        (4, "column state: '2401' does not match the pattern ^(\\d{1,2})\\d{7}$"),
        (5, "column mesa: '010101001' has no part 1 when split on '.'"),
    ]
    assert parse_mapping(QR_LIKE).required_columns() == ["A", "Acta"]
    with pytest.raises(FormatError, match="'centre' is already a column of the file"):
        import_csv(write(tmp_path, "Acta,A,centre\n1.1,1,x\n"), parse_mapping(QR_LIKE))
    long = write(tmp_path, "Acta,A\n" + "0" * 300 + ".1,1\n")
    assert "longer than 256 characters" in import_csv(long, parse_mapping(QR_LIKE))[1].refused[0][1]


def test_mapping_files_and_presets(tmp_path: Path) -> None:
    assert load_mapping("venezuela-2024").declared.stations == 30_026
    with pytest.raises(
        InputError,
        match="shipped with actas are: russia-2011, russia-2012, uganda-2021, venezuela-2012, venezuela-2024, "
        "venezuela-2024-qr",
    ):
        load_mapping("atlantis")
    bad = write(tmp_path, "[dataset\nname=", "m.toml")
    with pytest.raises(FormatError, match="not valid TOML"):
        load_mapping(str(bad))


def test_the_two_2024_bulletins_add_up_as_announced() -> None:
    first, second = load_announced("venezuela-2024-cne-1"), load_announced("venezuela-2024-cne-2")
    assert dict(first.votes) == {"NM": 5_150_092, "EG": 4_445_978, "others": 462_704}
    assert str(first.actas_counted) == "80" and str(second.actas_counted) == "96.87"
    assert second.total == second.valid == 12_335_884
    assert second.valid + (second.null or 0) == second.voters == 12_386_669
    assert second.registered == 21_321_805 and second.registered_on_counted_actas == 20_654_431


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"votes": {"NM": -1}}, "whole number"),
        ({"actas_counted": "eighty"}, "must be a percentage"),
        ({"actas_counted": "180"}, "between 0 and 100"),
        ({"turnout": 3}, "unknown key turnout"),
        ({"votes": {}}, "must list candidates"),
    ],
)
def test_a_malformed_announcement_is_named(change: dict[str, Any], message: str) -> None:
    good = {"authority": "A", "title": "T", "issued": "2024-07-29", "contest": "p", "votes": {"NM": 1}}
    with pytest.raises(FormatError, match=message):
        parse_announced({**good, **change}, "test")
