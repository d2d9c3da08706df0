"""The latest checkpoint a server signed, kept outside the database, in a file beside the board's key.

Whoever owns the database can delete the last entries together with their checkpoints, and the
board left behind is consistent with itself. The file is how the server notices at its next start:
it holds the largest checkpoint any of the server's processes signed, written whole (a temporary
file, synced, renamed, the directory synced) after each commit, and only ever replaced by a larger
one (processes take turns on a lock file). At start the server requires the database's tree to
reach that size and to have that root (`board.Board.open`).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from actas.errors import InputError
from actas.files import read_text
from actas.ledger.checkpoint import MAX_CHECKPOINT_BYTES, Checkpoint
from actas.signed_note import SignedNote


def checkpoint_file_for(board_key: Path) -> Path:
    """Where the server keeps its latest checkpoint: `board.key` -> `board.checkpoint`."""
    return board_key.with_suffix(".checkpoint")


def read_checkpoint_note(path: Path) -> str | None:
    """The note the file holds (None when there is no file yet); its signature is the caller's to check."""
    if not path.exists():
        return None
    return read_text(path, limit=MAX_CHECKPOINT_BYTES, what="the server's checkpoint file")


def _size(note: str | None) -> int:
    if note is None:
        return -1
    try:
        return Checkpoint.from_text(SignedNote.from_text(note).text).size
    except InputError:
        return -1


def keep_checkpoint(path: Path, note: str, size: int) -> None:
    """Replace the file's checkpoint with `note` (of `size` entries) if it is larger, durably."""
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _size(read_checkpoint_note(path)) >= size:
            return
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, note.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
