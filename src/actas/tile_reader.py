"""Reading a board published as static tiles (`publish`, C2SP tlog-tiles): from any web server, object
store or CDN by its URL, or from a directory. Every entry bundle is checked against its level-0 tile,
and once the entries are in, every tile above level 0 against the tree they make: nothing is taken
on the host's word, and the root is then checked against the (cosigned) checkpoint."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

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

FETCHERS = 8
"""Tiles fetched at once from a web host."""
MAX_FILE_BYTES = 256 * 1024 * 1024
TIMEOUT = 120


def is_published(path: Path) -> bool:
    return (path / CHECKPOINT).is_file() and (path / "tile").is_dir()


class TileReader:
    """A published board's files, by their path in the layout, from a URL or a directory. Over HTTP each
    fetching thread keeps one connection to the host open (tiles are many small files)."""

    def __init__(self, source: str) -> None:
        self.source = source.rstrip("/")
        self.url = urlsplit(self.source) if self.source.startswith(("http://", "https://")) else None
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []

    def close(self) -> None:
        """Close the connections every fetching thread opened."""
        for connection in self._opened:
            connection.close()
        self._opened.clear()

    def get(self, path: str) -> bytes | None:
        """A file's bytes, or None when it is not there."""
        if self.url is None:
            file = Path(self.source) / path
            if not file.is_file():
                return None
            with file.open("rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
            status = 200
        else:
            status, data = self._fetch(path)
        if len(data) > MAX_FILE_BYTES:
            raise FormatError(f"{self.source}/{path} is larger than {MAX_FILE_BYTES:,} bytes")
        if status == 404:
            return None
        if status != 200:
            raise InputError(f"{self.source}/{path} answered HTTP {status}")
        return data

    def _fetch(self, path: str, retry: bool = True) -> tuple[int, bytes]:
        """One GET on this thread's connection, opened again once if the host had closed it."""
        assert self.url is not None
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self.url.scheme == "https" else http.client.HTTPConnection
            connection = self._local.connection = kind(self.url.netloc, timeout=TIMEOUT)
            self._opened.append(connection)
        try:
            connection.request("GET", f"{self.url.path}/{path}")
            response = connection.getresponse()
            data = response.read(MAX_FILE_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            self._local.connection = None
            if retry and isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
                return self._fetch(path, retry=False)
            raise InputError(f"cannot read {self.source}/{path}: {exc}") from None
        if len(data) > MAX_FILE_BYTES or response.will_close:
            connection.close()
            self._local.connection = None
        return response.status, data

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

    def _bundle(self, index: int, width: int | None) -> tuple[list[bytes], list[bytes]]:
        """One bundle's entries (the first `width` of a full one), each checked against its level-0 tile,
        and their leaf hashes."""
        found = self._partial_or_full(TilePath(0, index, width))
        if found is None:
            raise InputError(f"{self.source} does not publish {TilePath(0, index, width)}")
        level_zero = decode_tile(found[1], found[0])[: width or WIDTH]
        for kind in (ENTRIES, LARGE_ENTRIES):
            bundle = self._partial_or_full(TilePath(kind, index, width))
            if bundle is not None:
                entries = decode_bundle(bundle[1], bundle[0])[: width or WIDTH]
                check_bundle(entries, level_zero, bundle[0])
                return entries, level_zero
        raise InputError(f"{self.source} does not publish the entries of bundle {index}")

    def rows(self, start: int, size: int) -> Iterator[tuple[int, None, bytes, bytes]]:
        """(index, None, data, leaf hash) of entries start to size - 1: tiles list no kind beside an entry.
        Bundles are fetched several at once and yielded in order, each checked against its level-0 tile."""
        if start >= size:
            return
        wanted = [
            (i, None if i < size // WIDTH else size % WIDTH) for i in range(start // WIDTH, (size - 1) // WIDTH + 1)
        ]
        workers = FETCHERS if self.url is not None else 1
        with ThreadPoolExecutor(workers) as pool:
            for (index, _), (entries, leaves) in zip(wanted, pool.map(lambda w: self._bundle(*w), wanted), strict=True):
                for offset, (data, leaf) in enumerate(zip(entries, leaves, strict=True)):
                    position = index * WIDTH + offset
                    if position >= start:
                        yield position, None, data, leaf

    def check_tiles(self, tree: MerkleTree, size: int) -> int:
        """Every tile above level 0 against the tree of the entries (level 0 was checked with its bundle);
        the number of tiles checked."""
        upper = [t for t in tiles_of(size) if t.level != 0]
        for tile in upper:
            if self.need(str(tile)) != tile_bytes(tree, tile):
                raise VerificationError(f"{self.source}/{tile} is not the tile of the board's entries")
        return len(upper)
