"""A dataset written and read back is identical; a value changed in the file is refused."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.dataset.model import Dataset, Declared, Option, Provenance, Signature, StationRow
from actas.errors import FormatError
from actas.store.dataset_file import read_dataset, write_dataset

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\r\n"), min_size=1, max_size=12)
count = st.integers(0, 10**9)
maybe = st.none() | count


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    ids = draw(st.lists(text, min_size=1, max_size=5, unique=True))
    options = tuple(Option(i, draw(text), draw(st.sampled_from(ids)), draw(text)) for i in ids)
    depth = draw(st.integers(0, 3))
    dataset = Dataset(
        name=draw(text),
        contest=draw(text),
        options=options,
        levels=tuple(draw(st.lists(text, min_size=depth, max_size=depth, unique=True))),
        sources=draw(st.lists(text, min_size=1, max_size=2)),
        declared=Declared(draw(maybe), draw(maybe)),
    )
    for code in draw(st.lists(text, max_size=8, unique=True)):
        path = tuple(draw(st.lists(text, min_size=depth, max_size=depth)))
        votes = tuple(draw(st.lists(count, min_size=len(ids), max_size=len(ids))))
        provenance = Provenance(0, draw(st.integers(1, 10**7)), draw(st.sampled_from(list(Signature))))
        dataset.add(StationRow(code, path, draw(maybe), draw(maybe), votes, draw(maybe), draw(maybe), provenance))
        if path:
            dataset.unit_names[path[:1]] = draw(text)
    return dataset


@settings(max_examples=60, deadline=None)
@given(datasets())
def test_a_dataset_round_trips(dataset: Dataset) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.dataset"
        write_dataset(dataset, path)
        assert read_dataset(path) == dataset


COLUMNS = ["code", "registered", "voters", "votes", "null_votes", "blank_votes", "line", "signature"]


@settings(max_examples=60, deadline=None)
@given(datasets().filter(lambda d: len(d) > 0), st.data())
def test_any_value_changed_in_the_file_is_refused(dataset: Dataset, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.dataset"
        write_dataset(dataset, path)
        row = data.draw(st.integers(1, len(dataset)))
        column = data.draw(st.sampled_from(COLUMNS))
        with sqlite3.connect(path) as db:
            (old,) = db.execute(f"SELECT {column} FROM stations WHERE rowid = ?", (row,)).fetchone()
            new = (
                7
                if old is None
                else old + 1
                if isinstance(old, int)
                else old + ("0" if column == "votes" else "~changed~~")
            )
            db.execute(f"UPDATE stations SET {column} = ? WHERE rowid = ?", (new, row))
        db.close()
        with pytest.raises(FormatError):
            read_dataset(path)


def test_files_that_are_not_datasets_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    junk = tmp_path / "junk.dataset"
    junk.write_bytes(b"not a database at all" * 100)
    for path in (other, junk):
        with pytest.raises(FormatError):
            read_dataset(path)
