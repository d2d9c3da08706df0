"""Property tests for the on-disk forms: journal records, acta bundles, canonical JSON, key texts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.canonical import canonical_json
from actas.files import read_bundle, write_bundle
from actas.machine.journal import _line, _read_record
from actas.signed_note import Signer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("abcxyz_", max_size=6), inner, max_size=4),
    max_leaves=20,
)
records = st.dictionaries(
    st.sampled_from(["type", "acta", "receipt", "n"]), st.text(max_size=40) | st.integers(), min_size=1
)


@given(records)
def test_journal_records_round_trip(record: dict[str, Any]) -> None:
    line = _line(record)
    assert line.endswith(b"\n") and _read_record(line[:-1]) == record


@given(records, st.data())
def test_any_changed_byte_of_a_journal_record_is_detected(record: dict[str, Any], data: st.DataObject) -> None:
    line = bytearray(_line(record)[:-1])
    pos = data.draw(st.integers(0, len(line) - 1))
    line[pos] = data.draw(st.integers(0, 255).filter(lambda b: b != line[pos] and b != 10))
    assert _read_record(bytes(line)) is None


@given(json_values)
def test_canonical_json_is_a_fixed_point(value: Any) -> None:
    once = canonical_json(value)
    assert canonical_json(json.loads(once)) == once


@settings(max_examples=30)
@given(st.lists(st.tuples(st.text("abc.0", min_size=1), st.sampled_from(["zero", "final"]), st.text()), max_size=20))
def test_bundles_round_trip(records: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.jsonl"
        assert write_bundle(path, records) == len(records)
        assert [p for _, p in read_bundle(path)] == [payload for _, _, payload in records]


@settings(max_examples=30)
@given(
    st.binary(min_size=32, max_size=32), st.text("abcdefghijklmnopqrstuvwxyz0123456789.-_/", min_size=1, max_size=30)
)
def test_private_key_text_round_trips(seed: bytes, name: str) -> None:
    signer = Signer(name, seed)
    again = Signer.from_text(signer.to_text())
    assert again.verifier == signer.verifier and again.private_bytes() == seed
