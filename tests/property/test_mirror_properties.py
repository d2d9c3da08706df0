"""Board mirrors: a mirror reads back exactly the entries it was written with, and any byte changed in its
entries or its checkpoint is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actas.errors import ActasError
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.merkle import MerkleTree, leaf_hash
from actas.mirror import CHECKPOINT, ENTRIES, mirror_entries, verify_mirror
from actas.signed_note import Signer

SIGNER = Signer.generate("actas.test.board")
FIRST_LINES = {"acta": "actas acta v1", "registry": "actas key registry v1", "witnesses": "actas witness list v2"}
boards = st.lists(
    st.tuples(st.sampled_from(sorted(FIRST_LINES)), st.text(max_size=60)).map(
        lambda kd: (kd[0], f"{FIRST_LINES[kd[0]]}\n{kd[1]}")
    ),
    min_size=1,
    max_size=12,
)


def write_mirror(folder: Path, board: list[tuple[str, str]]) -> None:
    tree = MerkleTree(leaf_hash(data.encode()) for _, data in board)
    lines = [json.dumps({"index": i, "kind": k, "data": d}) + "\n" for i, (k, d) in enumerate(board)]
    (folder / ENTRIES).write_text("".join(lines), encoding="utf-8")
    (folder / CHECKPOINT).write_text(Checkpoint("actas/test/official", tree.size, tree.root()).sign(SIGNER))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(boards)
def test_a_mirror_reads_back_its_entries(tmp_path: Path, board: list[tuple[str, str]]) -> None:
    write_mirror(tmp_path, board)
    checkpoint = verify_mirror(tmp_path)
    assert checkpoint.size == len(board)
    assert [(k, d.decode()) for _, k, d in mirror_entries(tmp_path, checkpoint.size)] == board


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(boards, st.data())
def test_any_changed_byte_of_the_entries_is_refused(
    tmp_path: Path, board: list[tuple[str, str]], data: st.DataObject
) -> None:
    write_mirror(tmp_path, board)
    raw = (tmp_path / ENTRIES).read_bytes()
    at = data.draw(st.integers(0, len(raw) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != raw[at]))
    changed = raw[:at] + bytes([byte]) + raw[at + 1 :]
    (tmp_path / ENTRIES).write_bytes(changed)
    try:
        entries = [(k, d) for _, k, d in mirror_entries(tmp_path, len(board))]
    except (ActasError, UnicodeDecodeError):
        entries = None
    if entries == [(k, d.encode()) for k, d in board]:
        return  # the change was to the JSON's spelling only (an escape, a space): the entries are the same
    with pytest.raises(ActasError):
        verify_mirror(tmp_path)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(boards, st.data())
def test_a_checkpoint_for_other_entries_is_refused(
    tmp_path: Path, board: list[tuple[str, str]], data: st.DataObject
) -> None:
    write_mirror(tmp_path, board)
    cut = data.draw(st.integers(0, len(board) - 1))
    tree = MerkleTree(leaf_hash(d.encode()) for _, d in board[:cut])
    other = Checkpoint("actas/test/official", len(board), tree.root() if cut else b"\x00" * 32)
    (tmp_path / CHECKPOINT).write_text(other.sign(SIGNER))
    with pytest.raises(ActasError, match="do not hash"):
        verify_mirror(tmp_path)
