"""Files on disk: oversized inputs are refused before they are read; keys are private."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from actas.errors import ActasError, InputError, KeyFileError
from actas.files import KeySet, load_election, load_machine_signer, load_registry, read_bundle
from actas.machine.journal import JournaledMachine
from actas.payload_sources import read_payloads


def sparse(path: Path, size: int) -> Path:
    """A file that claims `size` bytes without using the disk: readers must refuse it by its size."""
    with path.open("wb") as out:
        out.truncate(size)
    return path


READERS: list[tuple[str, int, Callable[[Path], Any]]] = [
    ("election.json", 600 * 2**20, load_election),
    ("registry.note", 600 * 2**20, load_registry),
    ("vm.journal", 2 * 2**30, JournaledMachine.resume),
    ("acta.txt", 20 * 2**10, lambda p: list(read_payloads(str(p)))),
    ("photo.png", 60 * 2**20, lambda p: list(read_payloads(str(p)))),
]


@pytest.mark.parametrize(("name", "size", "reader"), READERS)
def test_oversized_files_are_refused_before_reading(tmp_path: Path, name: str, size: int, reader: Any) -> None:
    with pytest.raises(ActasError) as caught:
        reader(sparse(tmp_path / name, size))
    assert "bytes" in str(caught.value) or "larger" in str(caught.value)


def test_a_damaged_bundle_line_does_not_stop_the_rest(tmp_path: Path) -> None:
    bundle = tmp_path / "b.jsonl"
    bundle.write_text('{"payload": "a"}\nnot json\n{"payload": 3}\n{"payload": "b"}\n')
    items = list(read_bundle(bundle))
    assert [n for n, _ in items] == [1, 2, 3, 4]
    assert items[0][1] == "a" and items[3][1] == "b"
    assert all(isinstance(p, ActasError) for _, p in items[1:3])


def test_keys_are_written_private_and_read_back(small: Any, tmp_path: Path) -> None:
    small.keys.save(tmp_path / "keys")
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    for file in (tmp_path / "keys").iterdir():
        assert file.stat().st_mode & 0o777 == 0o600
    again = KeySet.load(tmp_path / "keys")
    assert again.authority.verifier == small.keys.authority.verifier
    assert {c: s.verifier for c, s in again.machines.items()} == {c: s.verifier for c, s in small.keys.machines.items()}
    code = small.election.stations[3].code
    assert load_machine_signer(tmp_path / "keys" / "machines.keys", code).verifier == small.keys.machines[code].verifier
    with pytest.raises(KeyFileError, match="no key for station"):
        load_machine_signer(tmp_path / "keys" / "machines.keys", "nowhere")


def test_missing_and_loose_key_files_are_refused(small: Any, tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        KeySet.load(tmp_path)
    small.keys.save(tmp_path)
    (tmp_path / "authority.key").chmod(0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        KeySet.load(tmp_path)


def test_a_directory_is_not_a_definition(tmp_path: Path) -> None:
    (tmp_path / "election.json").mkdir()
    with pytest.raises(InputError, match="directory"):
        load_election(tmp_path)
