"""Files on disk: oversized inputs are refused before they are read; keys are private."""

from __future__ import annotations

import contextlib
import gzip
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from actas.errors import ActasError, FormatError, InputError, KeyFileError
from actas.files import MAX_ELECTION_BYTES, KeySet, load_election, load_machine_signer, load_registry, read_bundle
from actas.importers.csv_import import import_csv
from actas.importers.mapping import load_mapping, parse_mapping
from actas.importers.nist_import import MAX_NIST_BYTES, import_nist
from actas.payload_sources import MAX_IMAGE_BYTES, read_payloads
from actas.registry import MAX_REGISTRY_BYTES
from actas.store.journal import JournaledMachine
from tests.dataset.test_csv_import import WIDE
from tests.witness.test_scan import peak_rss, reset_peak_rss


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


def endless_fifo(path: Path, chunk: bytes) -> Callable[[], None]:
    """A FIFO that a writer keeps filling with `chunk` for as long as anyone reads it; returns the cleanup."""
    os.mkfifo(path)
    stop = threading.Event()

    def write() -> None:
        with contextlib.suppress(OSError), path.open("wb") as pipe:
            while not stop.is_set():
                pipe.write(chunk)

    threading.Thread(target=write, daemon=True).start()

    def cleanup() -> None:
        stop.set()
        with contextlib.suppress(OSError):  # a writer still waiting for a reader is let go
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))

    return cleanup


ZEROS = b"\0" * 65536
LINES = b"R1,North,7,100,0,10,5,5,0\n" * 2048
MiB = 2**20
SPECIAL_READERS: list[tuple[str, bytes, Callable[[Path], Any], int]] = [
    ("election.json", ZEROS, load_election, MAX_ELECTION_BYTES),
    ("registry.note", ZEROS, load_registry, MAX_REGISTRY_BYTES),
    ("acta.txt", ZEROS, lambda p: list(read_payloads(str(p))), MiB),
    ("actas.jsonl", ZEROS, lambda p: list(read_payloads(str(p))), MiB),
    ("actas.jsonl", b"not an acta\n" * 4096, lambda p: list(read_payloads(str(p))), 10 * MiB),
    ("photo.png", ZEROS, lambda p: list(read_payloads(str(p))), MAX_IMAGE_BYTES),
    ("results.csv", LINES, lambda p: import_csv(p, parse_mapping(WIDE)), 200 * MiB),
    ("results.json", ZEROS, import_nist, MAX_NIST_BYTES),
    ("mapping.toml", ZEROS, load_mapping, MiB),
]
"""(name, what an endless pipe repeats, the reader, the most memory the reading may take)"""


@pytest.mark.parametrize("kind", ["device", "symlink", "fifo"])
@pytest.mark.parametrize(("name", "chunk", "reader", "memory"), SPECIAL_READERS)
def test_a_device_a_symlink_to_it_or_an_endless_pipe_is_refused_with_bounded_memory(
    tmp_path: Path, kind: str, name: str, chunk: bytes, reader: Callable[[Path], Any], memory: int
) -> None:
    """Every limit is counted as the bytes are read: a file that never ends gets a clear error, and reading
    it holds no more than the limit in memory."""
    path = Path("/dev/zero") if kind == "device" else tmp_path / name
    cleanup = endless_fifo(path, chunk) if kind == "fifo" else None
    if kind == "symlink":
        path.symlink_to("/dev/zero")
    before = reset_peak_rss()
    try:
        with pytest.raises(ActasError) as caught:
            reader(path)
    finally:
        if cleanup is not None:
            cleanup()
    message = str(caught.value)
    del caught  # its traceback holds what was read
    assert message and "Traceback" not in message
    assert peak_rss() - before < memory + 64 * MiB


def test_a_gzip_of_78_million_duplicate_rows_stops_within_the_first_hundred_thousand(tmp_path: Path) -> None:
    row = b"1,North,1,100,2,60,30,10,20\n"
    member = gzip.compress(row * 1_000_000, 9)
    path = tmp_path / "bomb.csv.gz"
    with path.open("wb") as out:
        out.write(gzip.compress(b"REGION,REGION_NAME,MESA,RE,NULL,VALID,A,A2,B\n"))
        for _ in range(78):  # gzip members one after another: one file, 78 million rows
            out.write(member)
    assert path.stat().st_size < 10 * 2**20
    before = reset_peak_rss()
    with pytest.raises(FormatError, match="more than 100,000 rows could not be used .* already on line 2"):
        import_csv(path, parse_mapping(WIDE))
    assert peak_rss() - before < 200 * 2**20
