"""A unit's CSV: the rows of its page, and no name a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from actas.exporters.unit_csv import SAFE_START, unit_csv
from actas.tally.view import ChildUnit, ContestResults, ContestShares, Coverage, UnitResults

NAMES = st.text(min_size=1, max_size=60)


def unit_of(names: list[str]) -> UnitResults:
    children = tuple(
        ChildUnit(f"C{i}", name, "region", Coverage(3, 2, 0, 300, 200, 150),
                  (ContestShares("p", 140, (("A", 100), ("B", 40))),))
        for i, name in enumerate(names)
    )  # fmt: skip
    contest = ContestResults("p", "President", 140 * len(names), 10, ())
    return UnitResults("", "Nation", "national", Coverage(3, 2, 0, 300, 200, 150), (contest,), children, ())


@given(st.lists(NAMES, min_size=1, max_size=5))
def test_every_name_reads_back_and_none_is_read_as_a_formula(names: list[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(unit_csv(unit_of(names)), newline="")))
    assert len(rows) == len(names)
    for row, name in zip(rows, names, strict=True):
        if name.startswith(SAFE_START):
            assert row["name"] == "'" + name
        else:
            assert row["name"] == name
        assert (row["voters"], row["valid"]) == ("150", "140")


def test_a_formula_in_a_name_is_written_as_text() -> None:
    text = unit_csv(unit_of(['=HYPERLINK("http://evil","x")', "@SUM(A1)", "Bolívar"]))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["name"][0] for r in rows] == ["'", "'", "B"]
