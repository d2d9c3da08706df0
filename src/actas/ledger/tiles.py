"""The board as static tiles, in the C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles).

A tree of `size` entries is published as files any static host can serve:

    checkpoint                      the signed checkpoint (with its cosignatures)
    tile/<L>/<N>                    a full tile: 256 hashes of 32 bytes (8,192 bytes), immutable
    tile/<L>/<N>.p/<W>              a partial tile of W hashes, for a tree size with a checkpoint
    tile/entries/<N>[.p/<W>]        an entry bundle: each entry as a big-endian uint16 length and
                                    its bytes, hashing to the level-0 tile of the same N

At level 0 a tile holds leaf hashes; at level L, hash i of tile N is the root of the full subtree of
256^L entries starting at (N * 256 + i) * 256^L. N is written in three-digit path elements, all
but the last prefixed with `x` (1234067 is `x001/x234/067`).

An entry bundle cannot hold an entry longer than 65,535 bytes, and the election definition and key
registry of a large election (entries 0 and 1) are longer. The spec lets a log serve entries in
another format at another URL: a bundle with such an entry is published instead at
`tile/entries32/<N>[.p/<W>]`, each entry prefixed by a big-endian uint32 length. Every other
bundle is the standard one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from actas.errors import FormatError, VerificationError
from actas.ledger.merkle import HASH_SIZE, MerkleTree, leaf_hash

WIDTH = 256
TILE_HEIGHT = 8
FULL_TILE_BYTES = WIDTH * HASH_SIZE
MAX_LEVEL = 63
MAX_ENTRY_BYTES = 0xFFFF
LARGE_MAX_ENTRY_BYTES = 64 * 1024 * 1024
"""An entry in a large-entry bundle: the largest definition or registry actas reads is well below."""
ENTRIES, LARGE_ENTRIES = "entries", "entries32"

_INDEX = r"(?:x[0-9]{3}/)*[0-9]{3}"
_PATH_RE = re.compile(rf"tile/(0|[1-9][0-9]?|entries|entries32)/({_INDEX})(?:\.p/([1-9][0-9]{{0,2}}))?")


@dataclass(frozen=True)
class TilePath:
    """One file of the layout: a tile of `level` (or an entry bundle), its index, and its width if partial."""

    level: int | str
    """0 to 63, or ENTRIES / LARGE_ENTRIES for an entry bundle."""
    index: int
    width: int | None = None

    def __str__(self) -> str:
        return f"tile/{self.level}/{encode_index(self.index)}" + (f".p/{self.width}" if self.width else "")

    @property
    def full(self) -> bool:
        return self.width is None


def encode_index(index: int) -> str:
    """A tile's index in three-digit path elements, all but the last prefixed with `x`."""
    if index < 0:
        raise FormatError(f"a tile index is not negative, found {index}")
    digits = f"{index:d}"
    digits = "0" * (-len(digits) % 3) + digits
    parts = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{p}" for p in parts[:-1]), parts[-1]])


def parse_path(path: str) -> TilePath:
    """A path of the layout (FormatError for anything else: a server answers it 404)."""
    match = _PATH_RE.fullmatch(path)
    if match is None:
        raise FormatError(f"not a tile path: {path[:80]!r}")
    level_text, index_text, width_text = match.groups()
    level: int | str = level_text if level_text in (ENTRIES, LARGE_ENTRIES) else int(level_text)
    if isinstance(level, int) and level > MAX_LEVEL:
        raise FormatError(f"a tile's level is at most {MAX_LEVEL}")
    width = int(width_text) if width_text is not None else None
    if width is not None and width >= WIDTH:
        raise FormatError(f"a partial tile is 1 to {WIDTH - 1} wide")
    tile = TilePath(level, int(index_text.replace("x", "").replace("/", "")), width)
    if str(tile) != path:  # one spelling per tile: no extra leading zeros
        raise FormatError(f"not the canonical path of a tile: {path[:80]!r}")
    return tile


def tiles_of(size: int) -> Iterator[TilePath]:
    """Every hash tile of a tree of `size` entries: the full ones, then the partial one of each level."""
    level = 0
    while True:
        count = size // WIDTH**level
        if count == 0:
            return
        for index in range(count // WIDTH):
            yield TilePath(level, index)
        if count % WIDTH:
            yield TilePath(level, count // WIDTH, count % WIDTH)
        if count < WIDTH:
            return
        level += 1


def bundles_of(size: int) -> Iterator[TilePath]:
    """Every entry bundle of a tree of `size` entries (as standard bundles: see `bundle_path`)."""
    for index in range(size // WIDTH):
        yield TilePath(ENTRIES, index)
    if size % WIDTH:
        yield TilePath(ENTRIES, size // WIDTH, size % WIDTH)


def tile_hashes(tree: MerkleTree, tile: TilePath) -> list[bytes]:
    """The hashes of a hash tile, from the tree's complete subtrees."""
    assert isinstance(tile.level, int)
    start = tile.index * WIDTH
    return tree.subtree_hashes(TILE_HEIGHT * tile.level, start, start + (tile.width or WIDTH))


def tile_bytes(tree: MerkleTree, tile: TilePath) -> bytes:
    return b"".join(tile_hashes(tree, tile))


def bundle_path(tile: TilePath, entries: Sequence[bytes]) -> TilePath:
    """Where a bundle of these entries is published: the standard path, or the large-entry one."""
    large = any(len(e) > MAX_ENTRY_BYTES for e in entries)
    return TilePath(LARGE_ENTRIES if large else ENTRIES, tile.index, tile.width)


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries with their lengths, uint16 (uint32 when one is too long for it, see `bundle_path`)."""
    prefix = 4 if any(len(e) > MAX_ENTRY_BYTES for e in entries) else 2
    return b"".join(len(e).to_bytes(prefix, "big") + e for e in entries)


def decode_bundle(data: bytes, tile: TilePath) -> list[bytes]:
    """The entries of a bundle, exactly as many as the tile says (FormatError otherwise)."""
    prefix = 4 if tile.level == LARGE_ENTRIES else 2
    expected = tile.width or WIDTH
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if len(entries) == expected or at + prefix > len(data):
            raise FormatError(f"{tile}: more bytes than its {expected} entries")
        length = int.from_bytes(data[at : at + prefix], "big")
        if length > LARGE_MAX_ENTRY_BYTES or at + prefix + length > len(data):
            raise FormatError(f"{tile}: an entry runs past the end of the bundle")
        entries.append(data[at + prefix : at + prefix + length])
        at += prefix + length
    if len(entries) != expected:
        raise FormatError(f"{tile}: {len(entries)} entries, expected {expected}")
    return entries


def decode_tile(data: bytes, tile: TilePath) -> list[bytes]:
    expected = (tile.width or WIDTH) * HASH_SIZE
    if len(data) != expected:
        raise FormatError(f"{tile}: {len(data)} bytes, expected {expected}")
    return [data[i : i + HASH_SIZE] for i in range(0, expected, HASH_SIZE)]


def check_bundle(entries: Sequence[bytes], level_zero: Sequence[bytes], tile: TilePath) -> None:
    """Each entry of a bundle must hash to the leaf hash of its level-0 tile."""
    for i, (entry, expected) in enumerate(zip(entries, level_zero, strict=True)):
        if leaf_hash(entry) != expected:
            raise VerificationError(f"{tile}: entry {tile.index * WIDTH + i} does not hash to its level-0 tile")
