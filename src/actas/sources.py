"""A SOURCE, as every analysing command takes it, turned into a dataset: a dataset file, a board's
mirror directory, or a tabulation server's URL (mirrored into a temporary directory). A board is
replayed entry by entry, every acta checked again."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from pathlib import Path

from actas.console import progress
from actas.dataset.from_board import dataset_from_board
from actas.dataset.model import Dataset
from actas.errors import InputError
from actas.mirror import is_mirror, latest_checkpoint, mirror_board, mirror_entries, require_quorum, verify_mirror
from actas.store.dataset_file import read_dataset


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def load_source(source: str, contest: str | None = None) -> Dataset:
    """The dataset of one contest a SOURCE holds (`contest`, or the only one); a board's is replayed from a
    mirror made or read here. A dataset file holds one contest: choosing another is an error."""
    if is_url(source):
        with tempfile.TemporaryDirectory(prefix="actas-mirror-") as folder:
            with progress() as bar:
                task = bar.add_task(f"mirroring {source}", total=None)
                mirror_board(source, Path(folder), lambda done, size: bar.update(task, completed=done, total=size))
            return _replay(Path(folder), source, contest)
    path = Path(source)
    if is_mirror(path):
        return _replay(path, source, contest)
    dataset = read_dataset(path)
    if contest is not None and contest != dataset.contest:
        raise InputError(f"{source} holds contest {dataset.contest}, not {contest[:40]!r}")
    return dataset


def _replay(directory: Path, source: str, contest: str | None) -> Dataset:
    checkpoint = verify_mirror(directory)
    require_quorum(directory, latest_checkpoint(directory)[0])  # the cosigner policy its registry publishes
    root = base64.b64encode(checkpoint.root).decode()
    with progress() as bar:
        task = bar.add_task("checking and counting the board's entries", total=checkpoint.size)

        def entries() -> Iterator[tuple[int, str, bytes]]:
            for entry in mirror_entries(directory, checkpoint.size):
                yield entry
                bar.advance(task)

        return dataset_from_board(
            entries(), f"board {checkpoint.origin}", f"{source} at checkpoint {checkpoint.size} root {root}", contest
        )
