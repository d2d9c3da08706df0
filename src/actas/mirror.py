"""A copy of a bulletin board on disk: every entry, and the signed checkpoint they hash to.

A mirror directory holds `checkpoint.note` (the board's latest signed checkpoint, as served),
`entries.jsonl` (one `{"index", "kind", "data"}` a line, in board order), `checkpoints.jsonl`
(every checkpoint the board has signed, one note a line, smallest first, including ones seen on
earlier runs), `board.pub` (the key the server says signs its checkpoints) and, for a board with
cosigners, `cosigned.jsonl` (the latest checkpoint each cosigner says it cosigned, every one fetched
kept: a board that showed its cosigners another history is held to it). Mirroring is resumable:
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
from urllib.parse import quote

from actas.errors import FormatError, InputError, VerificationError
from actas.files import MAX_ELECTION_BYTES, read_text
from actas.ledger.checkpoint import MAX_CHECKPOINT_BYTES, Checkpoint
from actas.ledger.cosignature import CosignerPolicy, QuorumCheck
from actas.ledger.merkle import MerkleTree, leaf_hash
from actas.ledger.tiles import WIDTH
from actas.registry import KeyRegistry
from actas.signed_note import SignedNote
from actas.tally.board_count import entry_kind
from actas.tile_reader import TileReader

if TYPE_CHECKING:
    import httpx

ENTRIES, CHECKPOINT, CHECKPOINTS, BOARD_KEY = "entries.jsonl", "checkpoint.note", "checkpoints.jsonl", "board.pub"
COSIGNED = "cosigned.jsonl"
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


def mirror_board(
    source: str,
    directory: Path,
    on_progress: Callable[[int, int], None] | None = None,
    cosigners: CosignerPolicy | None = None,
    tiles: bool | None = None,
) -> Checkpoint:
    """Bring a mirror of a board up to its latest checkpoint, and keep what each of its cosigners
    (`cosigners`, or the policy its registry publishes) says it last cosigned. The board is read from a
    server's API, or from its static tiles (a published directory, or a URL serving one): `tiles` True
    or False chooses, None reads a URL's API when it has one. Whether the checkpoint has its quorum is
    for the reader to require (`require_quorum`)."""
    import httpx  # the HTTP client, only for the commands that fetch

    directory.mkdir(parents=True, exist_ok=True)
    try:
        with httpx.Client(timeout=120, follow_redirects=False) as client:
            if not source.startswith(("http://", "https://")):
                reader: TileReader | None = TileReader(source)
            elif tiles is False or (
                tiles is None and client.get(f"{source.rstrip('/')}/v1/board/checkpoint").is_success
            ):
                reader = None
            else:
                reader = TileReader(source)
            if reader is None:
                note, checkpoint, _ = _from_api(client, source.rstrip("/"), directory, on_progress)
            else:
                try:
                    note, checkpoint, tree = _from_tiles(reader, directory, on_progress)
                    reader.check_tiles(tree, checkpoint.size)
                finally:
                    reader.close()
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise InputError(f"cannot mirror the board of {source}: {exc}") from None
    (directory / CHECKPOINT).write_text(note, encoding="utf-8")
    policy = board_policy(directory, cosigners)
    if policy is not None:
        fetch_cosigned(directory, policy, checkpoint.origin)
    return checkpoint


def board_policy(directory: Path, given: CosignerPolicy | None = None) -> CosignerPolicy | None:
    """The cosigner policy a reader holds the mirrored board to: the one given, else its registry's."""
    if given is not None:
        return given
    genesis = list(mirror_entries(directory, 2))
    if len(genesis) < 2:
        return None
    return KeyRegistry.policy_from_text(genesis[1][2].decode("utf-8"))


def require_quorum(directory: Path, note: str, given: CosignerPolicy | None = None) -> QuorumCheck | None:
    """The cosignatures of a mirrored checkpoint against the policy (None without one); VerificationError
    naming the cosigners missing when there is no quorum."""
    policy = board_policy(directory, given)
    if policy is None:
        return None
    check = policy.check(SignedNote.from_text(note))
    check.require(f"{directory}: the board's checkpoint of {_checkpoint(note, str(directory)).size:,} entries")
    return check


def fetch_cosigned(directory: Path, policy: CosignerPolicy, origin: str) -> None:
    """Ask each cosigner for the latest checkpoint of `origin` it cosigned, and keep each one not held yet.
    A cosigner that cannot be reached is skipped: what it said before is kept."""
    import httpx

    held = set(cosigned_notes(directory))
    found = []
    for cosigner in policy.cosigners:
        try:
            response = httpx.get(f"{cosigner.url}/latest/{quote(origin, safe='/')}", timeout=30)
        except httpx.HTTPError:
            continue
        note = response.text
        if response.status_code == 200 and len(note) <= MAX_CHECKPOINT_BYTES and (cosigner.key.name, note) not in held:
            found.append((cosigner.key.name, note))
    with (directory / COSIGNED).open("a", encoding="utf-8") as out:
        out.writelines(json.dumps({"cosigner": name, "note": note}) + "\n" for name, note in found)


def cosigned_notes(directory: Path) -> list[tuple[str, str]]:
    """(cosigner, checkpoint note) of every checkpoint a cosigner said it cosigned, as fetched."""
    path = directory / COSIGNED
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(read_text(path, limit=2**28, what="cosigned checkpoints").splitlines(), start=1):
        try:
            item = json.loads(line)
            name, note = item["cosigner"], item["note"]
        except (ValueError, KeyError, TypeError, RecursionError):
            name = note = None
        if not isinstance(name, str) or not isinstance(note, str):
            raise FormatError(f"{path} line {number}: not a cosigned checkpoint")
        found.append((name, note))
    return found


Row = tuple[int, "str | None", bytes, "bytes | None"]
"""An entry as fetched: index, the kind the source lists beside it (None where it lists none), bytes,
and its leaf hash where the source has already checked it (a bundle against its level-0 tile)."""


def _append(
    directory: Path, note: str, source: str, fetch: Callable[[int, int], Iterator[Row]],
    on_progress: Callable[[int, int], None] | None,
) -> tuple[Checkpoint, MerkleTree]:  # fmt: skip
    """Append the entries of the board past those held, as `fetch(start, size)` gives them, hashing each
    into the tree as it is written: the mirror is accepted only when the tree of all its entries has the
    checkpoint's root. Each entry's kind must be what its own bytes say."""
    checkpoint = _checkpoint(note[:MAX_CHECKPOINT_BYTES], source)
    held = _held(directory / ENTRIES)
    if checkpoint.size < held:
        raise VerificationError(
            f"{source} signs a board of {checkpoint.size:,} entries, fewer than the {held:,} already mirrored"
        )
    tree = MerkleTree(leaf_hash(data) for _, _, data in mirror_entries(directory, held)) if held else MerkleTree()
    with (directory / ENTRIES).open("ab") as out:
        lines: list[bytes] = []
        leaves: list[bytes] = []
        expected = held
        for index, kind, data, leaf in fetch(held, checkpoint.size):
            if index != expected:
                raise VerificationError(f"{source} sent entry {index} where entry {expected} was expected")
            found = entry_kind(data)
            if found is None:
                raise FormatError(f"{source}: entry {index} is not an entry of an actas board")
            if kind is not None and kind != found:
                raise FormatError(f"{source}: entry {index} is listed as {kind[:20]!r}, not what it holds")
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError(f"{source}: entry {index} is not UTF-8 text") from None
            lines.append(
                b'{"index": %d, "kind": "%s", "data": %s}\n' % (index, found.encode(), json.dumps(text).encode())
            )
            leaves.append(leaf if leaf is not None else leaf_hash(data))
            expected += 1
            if len(lines) == WIDTH or expected == checkpoint.size:
                out.write(b"".join(lines))
                tree.extend_hashes(leaves)
                lines, leaves = [], []
                if on_progress is not None:
                    on_progress(expected, checkpoint.size)
        out.flush()
        os.fsync(out.fileno())
    _require_root(directory, checkpoint, tree)
    return checkpoint, tree


def _from_api(
    client: httpx.Client, url: str, directory: Path, on_progress: Callable[[int, int], None] | None
) -> tuple[str, Checkpoint, MerkleTree]:
    """The entries past those held and the checkpoints, from a server's API; its latest checkpoint note."""
    note = client.get(f"{url}/v1/board/checkpoint").raise_for_status().text

    def fetch(start: int, size: int) -> Iterator[Row]:
        while start < size:
            end = min(start + PAGE, size)
            page = client.get(f"{url}/v1/board/entries", params={"start": start, "end": end}).raise_for_status()
            rows = page.json()["entries"]
            if not rows:
                raise VerificationError(f"{url} sent no entries from {start}")
            for row in rows:
                kind, data = row["kind"], row["data"]
                yield row["index"], kind if isinstance(kind, str) else "", data.encode("utf-8"), None
            start += len(rows)

    checkpoint, tree = _append(directory, note, url, fetch, on_progress)
    _mirror_checkpoints(client, url, directory / CHECKPOINTS)
    (directory / BOARD_KEY).write_text(client.get(f"{url}/v1/board/key").raise_for_status().text[:1000])
    return note, checkpoint, tree


def _from_tiles(
    reader: TileReader, directory: Path, on_progress: Callable[[int, int], None] | None
) -> tuple[str, Checkpoint, MerkleTree]:
    """The entries past those held from a board's static tiles, each bundle checked against its level-0
    tile; its checkpoint note (kept among the checkpoints seen: tiles have no list of them)."""
    note = reader.checkpoint()
    checkpoint, tree = _append(directory, note, reader.source, reader.rows, on_progress)
    held_notes = mirror_checkpoints(directory)
    if not held_notes or held_notes[-1] != note:
        with (directory / CHECKPOINTS).open("a", encoding="utf-8") as out_notes:
            out_notes.write(json.dumps(note) + "\n")
    (directory / BOARD_KEY).write_text(reader.board_key())
    return note, checkpoint, tree


def _mirror_checkpoints(client: httpx.Client, url: str, path: Path) -> None:
    """Append the checkpoints signed since the last one held (never dropping one seen before)."""
    held = mirror_checkpoints(path.parent)
    last = _checkpoint(held[-1], str(path)).size if held else -1
    with path.open("a", encoding="utf-8") as out:
        while True:
            notes = client.get(f"{url}/v1/board/checkpoints", params={"start": last + 1}).raise_for_status().json()
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


def verify_mirror(directory: Path) -> Checkpoint:
    """The mirror's checkpoint, refused unless the mirror's entries hash to its root."""
    checkpoint = latest_checkpoint(directory)[1]
    tree = MerkleTree(leaf_hash(data) for _, _, data in mirror_entries(directory, checkpoint.size))
    _require_root(directory, checkpoint, tree)
    return checkpoint


def _require_root(directory: Path, checkpoint: Checkpoint, tree: MerkleTree) -> None:
    if tree.size < checkpoint.size or tree.root(checkpoint.size) != checkpoint.root:
        raise VerificationError(
            f"{directory}: the entries do not hash to the checkpoint's root (size {checkpoint.size:,}): "
            "the copy is incomplete, or the entries are not the ones the board signed"
        )


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
