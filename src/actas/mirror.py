"""A copy of a bulletin board on disk: every entry, and the signed checkpoint they hash to.

A mirror directory holds `checkpoint.note` (the board's latest signed checkpoint, as served),
`entries.jsonl` (one `{"index", "kind", "data"}` a line, in board order), `checkpoints.jsonl`
(every checkpoint the board has signed, one note a line, smallest first, including ones seen on
earlier runs) and `board.pub` (the key the server says signs its checkpoints). Mirroring is resumable:
only entries past those already held are fetched. A mirror is accepted only when its entries hash
to the checkpoint's root (RFC 9162), so a server that sends other entries than the ones it signed
for is caught; checking the checkpoint's signature is the verifier's job, with the board's key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from actas.errors import FormatError, InputError, VerificationError
from actas.files import MAX_ELECTION_BYTES, read_text
from actas.ledger.checkpoint import MAX_CHECKPOINT_BYTES, Checkpoint
from actas.ledger.merkle import MerkleTree, leaf_hash
from actas.signed_note import SignedNote
from actas.tally.board_count import entry_kind

if TYPE_CHECKING:
    import httpx

ENTRIES, CHECKPOINT, CHECKPOINTS, BOARD_KEY = "entries.jsonl", "checkpoint.note", "checkpoints.jsonl", "board.pub"
PAGE = 1000
MAX_ENTRY_LINE = 256 * 1024
"""The longest line of an entry after the first two; the definition and the registry may be much longer."""
MAX_GENESIS_LINE = 2 * MAX_ELECTION_BYTES


def is_mirror(path: Path) -> bool:
    return path.is_dir() and (path / ENTRIES).exists()


def _checkpoint(note: str, where: str) -> Checkpoint:
    try:
        return Checkpoint.from_text(SignedNote.from_text(note).text)
    except FormatError as exc:
        raise FormatError(f"{where}: the checkpoint cannot be read: {exc}") from None


def _held(entries: Path) -> int:
    """How many whole entries the mirror holds; a line cut short by an interruption is dropped."""
    if not entries.exists():
        return 0
    held, good = 0, 0
    with entries.open("rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break
            held += 1
            good += len(line)
    if good != entries.stat().st_size:
        with entries.open("r+b") as f:
            f.truncate(good)
    return held


def mirror_board(url: str, directory: Path, on_progress: Callable[[int, int], None] | None = None) -> Checkpoint:
    """Bring a mirror of the board at `url` up to the board's latest checkpoint."""
    import httpx  # the HTTP client, only for the commands that fetch

    directory.mkdir(parents=True, exist_ok=True)
    entries = directory / ENTRIES
    held = _held(entries)
    try:
        with httpx.Client(base_url=url.rstrip("/"), timeout=120) as client:
            note = client.get("/v1/board/checkpoint").raise_for_status().text
            checkpoint = _checkpoint(note[:MAX_CHECKPOINT_BYTES], url)
            if checkpoint.size < held:
                raise VerificationError(
                    f"{url} signs a board of {checkpoint.size:,} entries, fewer than the {held:,} already mirrored"
                )
            with entries.open("ab") as out:
                while held < checkpoint.size:
                    end = min(held + PAGE, checkpoint.size)
                    page = client.get("/v1/board/entries", params={"start": held, "end": end}).raise_for_status()
                    rows = page.json()["entries"]
                    if not rows or [r["index"] for r in rows] != list(range(held, held + len(rows))):
                        raise VerificationError(f"{url} sent entries out of order from {held}")
                    out.write(b"".join(json.dumps(r).encode() + b"\n" for r in rows))
                    held += len(rows)
                    if on_progress:
                        on_progress(held, checkpoint.size)
                out.flush()
                os.fsync(out.fileno())
            _mirror_checkpoints(client, directory / CHECKPOINTS)
            (directory / BOARD_KEY).write_text(client.get("/v1/board/key").raise_for_status().text[:1000])
    except (httpx.HTTPError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InputError(f"cannot mirror the board of {url}: {exc}") from None
    verify_mirror(directory, note)
    (directory / CHECKPOINT).write_text(note, encoding="utf-8")
    return checkpoint


def _mirror_checkpoints(client: httpx.Client, path: Path) -> None:
    """Append the checkpoints signed since the last one held (never dropping one seen before)."""
    held = mirror_checkpoints(path.parent)
    last = _checkpoint(held[-1], str(path)).size if held else -1
    with path.open("a", encoding="utf-8") as out:
        while True:
            notes = client.get("/v1/board/checkpoints", params={"start": last + 1}).raise_for_status().json()
            notes = [n for n in notes["checkpoints"] if isinstance(n, str)]
            for note in notes:
                out.write(json.dumps(note) + "\n")
            if len(notes) < PAGE:
                return
            last = _checkpoint(notes[-1], str(path)).size


def mirror_checkpoints(directory: Path) -> list[str]:
    """Every checkpoint note the mirror holds, in the order it received them."""
    path = directory / CHECKPOINTS
    if not path.exists():
        return []
    notes = []
    for number, line in enumerate(read_text(path, limit=2**31, what="mirror checkpoints").splitlines(), start=1):
        try:
            note = json.loads(line)
        except (ValueError, RecursionError):
            note = None
        if not isinstance(note, str):
            raise FormatError(f"{path} line {number}: not a checkpoint note")
        notes.append(note)
    return notes


def verify_mirror(directory: Path, note: str | None = None) -> Checkpoint:
    """The mirror's checkpoint (or `note`), refused unless the mirror's entries hash to its root."""
    if note is None:
        note, checkpoint = latest_checkpoint(directory)
    else:
        checkpoint = _checkpoint(note, str(directory))
    tree = MerkleTree(leaf_hash(data) for _, _, data in mirror_entries(directory, checkpoint.size))
    if tree.size < checkpoint.size or tree.root(checkpoint.size) != checkpoint.root:
        raise VerificationError(
            f"{directory}: the entries do not hash to the checkpoint's root (size {checkpoint.size:,}): "
            "the copy is incomplete, or the entries are not the ones the board signed"
        )
    return checkpoint


def latest_checkpoint(directory: Path) -> tuple[str, Checkpoint]:
    """The mirror's latest checkpoint: its note as served, and what it says (its signature not checked)."""
    note = read_text(directory / CHECKPOINT, limit=MAX_CHECKPOINT_BYTES, what="mirror checkpoint")
    return note, _checkpoint(note, str(directory))


def mirror_entries(directory: Path, size: int) -> Iterator[tuple[int, str, bytes]]:
    """The mirror's first `size` entries, read one at a time."""
    return _entries(directory / ENTRIES, size)


def _entries(path: Path, size: int) -> Iterator[tuple[int, str, bytes]]:
    try:
        with path.open("rb") as f:
            for number, line in enumerate(f):
                if number >= size:
                    return
                limit = MAX_GENESIS_LINE if number < 2 else MAX_ENTRY_LINE
                if len(line) > limit:
                    raise FormatError(f"{path} line {number + 1}: longer than {limit:,} bytes")
                try:
                    row = json.loads(line)
                    index, kind, data = row["index"], row["kind"], row["data"].encode("utf-8")
                except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                    raise FormatError(f"{path} line {number + 1}: not a board entry") from None
                if index != number or not isinstance(kind, str):
                    raise FormatError(f"{path} line {number + 1}: expected entry {number}")
                if entry_kind(data) != kind:
                    raise FormatError(
                        f"{path} line {number + 1}: entry {number} is listed as {kind[:20]!r}, not what it holds"
                    )
                yield index, kind, data
    except OSError as exc:
        raise InputError(f"cannot read the mirror {path}: {exc.strerror}") from None
