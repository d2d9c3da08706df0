"""Property tests for the on-disk forms: the machine's journal slots, acta bundles, canonical JSON, key texts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.canonical import canonical_json
from actas.files import read_bundle, write_bundle
from actas.machine.voting_machine import MachineRecord, MachineSetup
from actas.signed_note import Signer
from actas.store.journal import SLOT_BYTES, _read_slot, _slot

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("abcxyz_", max_size=6), inner, max_size=4),
    max_leaves=20,
)
tokens = st.text("ABCDEFGHIJ0123456789.-", min_size=1, max_size=12)


@st.composite
def machine_records(draw: st.DrawFn) -> MachineRecord:
    ballot = tuple(
        (cid, tuple(draw(st.lists(tokens, min_size=1, max_size=6, unique=True))))
        for cid in draw(st.lists(tokens, min_size=1, max_size=3, unique=True))
    )
    setup = MachineSetup(draw(tokens), "ab" * 32, draw(tokens), draw(tokens), draw(st.integers(0, 10**6)), ballot)
    counts = tuple(tuple(draw(st.integers(0, 10**6)) for _ in range(len(options) + 1)) for _, options in ballot)
    payload = st.none() | st.text(max_size=300)
    return MachineRecord(
        setup, draw(payload), counts, draw(st.integers(0, 10**6)), draw(st.text("0123456789abcdef")), draw(payload)
    )


@given(machine_records())
def test_journal_slots_round_trip(record: MachineRecord) -> None:
    slot = _slot(record)
    assert len(slot) == SLOT_BYTES and _read_slot(slot) == record


@given(machine_records(), st.data())
def test_any_changed_byte_of_a_journal_slot_is_detected(record: MachineRecord, data: st.DataObject) -> None:
    slot = bytearray(_slot(record))
    used = slot.index(b"\n")
    pos = data.draw(st.integers(0, used))
    slot[pos] = data.draw(st.integers(0, 255).filter(lambda b: b != slot[pos]))
    assert _read_slot(bytes(slot)) is None


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
