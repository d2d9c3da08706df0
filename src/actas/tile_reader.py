"""Reading a board published as static tiles (`publish`, C2SP tlog-tiles): from any web server, object
store or CDN by its URL, or from a directory. Every entry bundle is checked against its level-0 tile,
and once the entries are in, every tile above level 0 against the tree they make: nothing is taken
on the host's word, and the root is then checked against the (cosigned) checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from actas.errors import FormatError, InputError, VerificationError
from actas.ledger.checkpoint import MAX_CHECKPOINT_BYTES
from actas.ledger.merkle import MerkleTree
from actas.ledger.tiles import (
    ENTRIES,
    LARGE_ENTRIES,
    WIDTH,
    TilePath,
    check_bundle,
    decode_bundle,
    decode_tile,
    tile_bytes,
    tiles_of,
)
from actas.publish import BOARD_KEY, CHECKPOINT
from actas.tally.board_count import entry_kind

if TYPE_CHECKING:
    import httpx

FETCHERS = 8
"""Tiles fetched at once from a web host."""
MAX_FILE_BYTES = 256 * 1024 * 1024


def is_published(path: Path) -> bool:
    return (path / CHECKPOINT).is_file() and (path / "tile").is_dir()


class TileReader:
    """A published board's files, by their path in the layout, from a URL or a directory."""

    def __init__(self, source: str, client: httpx.Client | None = None) -> None:
        self.source = source.rstrip("/")
        self.client = client

    def get(self, path: str) -> bytes | None:
        """A file's bytes, or None when it is not there."""
        if self.client is None:
            file = Path(self.source) / path
            if not file.is_file():
                return None
            with file.open("rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        else:
            response = self.client.get(f"{self.source}/{path}")
            if response.status_code == 404:
                return None
            data = response.raise_for_status().content
        if len(data) > MAX_FILE_BYTES:
            raise FormatError(f"{self.source}/{path} is larger than {MAX_FILE_BYTES:,} bytes")
        return data

    def need(self, path: str) -> bytes:
        data = self.get(path)
        if data is None:
            raise InputError(f"{self.source} does not publish {path}")
        return data

    def checkpoint(self) -> str:
        return self.need(CHECKPOINT)[:MAX_CHECKPOINT_BYTES].decode("utf-8", "replace")

    def board_key(self) -> str:
        return self.need(BOARD_KEY)[:1000].decode("utf-8", "replace")

    def _partial_or_full(self, tile: TilePath) -> tuple[TilePath, bytes] | None:
        """A tile, or where a partial one is gone because the full one replaced it, the full one."""
        data = self.get(str(tile))
        if data is not None or tile.full:
            return None if data is None else (tile, data)
        full = TilePath(tile.level, tile.index)
        data = self.get(str(full))
        return None if data is None else (full, data)

    def _bundle(self, index: int, width: int | None) -> list[bytes]:
        """One bundle's entries (the first `width` of a full one), each checked against its level-0 tile."""
        found = self._partial_or_full(TilePath(0, index, width))
        if found is None:
            raise InputError(f"{self.source} does not publish {TilePath(0, index, width)}")
        level_zero = decode_tile(found[1], found[0])[: width or WIDTH]
        for kind in (ENTRIES, LARGE_ENTRIES):
            bundle = self._partial_or_full(TilePath(kind, index, width))
            if bundle is not None:
                entries = decode_bundle(bundle[1], bundle[0])[: width or WIDTH]
                check_bundle(entries, level_zero, bundle[0])
                return entries
        raise InputError(f"{self.source} does not publish the entries of bundle {index}")

    def rows(self, start: int, size: int) -> Iterator[tuple[int, str | None, bytes]]:
        """(index, kind, data) of entries start to size - 1 (kind None: not an entry of an actas board),
        bundles fetched several at once, in order."""
        if start >= size:
            return
        wanted = [
            (i, None if i < size // WIDTH else size % WIDTH) for i in range(start // WIDTH, (size - 1) // WIDTH + 1)
        ]
        workers = FETCHERS if self.client is not None else 1
        with ThreadPoolExecutor(workers) as pool:
            for (index, _), entries in zip(wanted, pool.map(lambda w: self._bundle(*w), wanted), strict=True):
                for offset, data in enumerate(entries):
                    position = index * WIDTH + offset
                    if position >= start:
                        yield position, entry_kind(data), data

    def check_tiles(self, tree: MerkleTree, size: int) -> int:
        """Every tile above level 0 against the tree of the entries (level 0 was checked with its bundle);
        the number of tiles checked."""
        upper = [t for t in tiles_of(size) if t.level != 0]
        for tile in upper:
            if self.need(str(tile)) != tile_bytes(tree, tile):
                raise VerificationError(f"{self.source}/{tile} is not the tile of the board's entries")
        return len(upper)
