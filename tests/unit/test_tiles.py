"""The C2SP tlog-tiles layout, against the specification's own examples: the tiles of a tree of 70,000
entries and of 256 entries, and the path of index 1234067 (`x001/x234/067`)."""

from __future__ import annotations

import pytest

from actas.errors import FormatError, VerificationError
from actas.ledger.merkle import MerkleTree, leaf_hash
from actas.ledger.tiles import (
    ENTRIES,
    LARGE_ENTRIES,
    TilePath,
    bundle_path,
    bundles_of,
    check_bundle,
    decode_bundle,
    decode_tile,
    encode_bundle,
    encode_index,
    parse_path,
    tile_bytes,
    tile_hashes,
    tiles_of,
)


def test_the_specs_tree_of_70000_and_of_256_entries() -> None:
    tiles = list(tiles_of(70_000))
    assert sum(t.level == 0 and t.full for t in tiles) == 273
    assert [t for t in tiles if not t.full] == [TilePath(0, 273, 112), TilePath(1, 1, 17), TilePath(2, 0, 1)]
    assert sum(t.level == 1 and t.full for t in tiles) == 1 and len(tiles) == 273 + 1 + 1 + 1 + 1
    assert list(tiles_of(256)) == [TilePath(0, 0), TilePath(1, 0, 1)]
    assert list(tiles_of(0)) == [] and list(bundles_of(0)) == []
    assert list(bundles_of(70_000))[-1] == TilePath(ENTRIES, 273, 112)


def test_paths_read_and_write_as_the_spec_spells_them() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(5) == "005" and encode_index(1000) == "x001/000"
    for path in (
        "tile/0/x001/x234/067",
        "tile/1/000.p/17",
        "tile/entries/273.p/112",
        "tile/63/000",
        "tile/entries32/000",
    ):
        assert str(parse_path(path)) == path
    assert parse_path("tile/0/x001/x234/067") == TilePath(0, 1234067)
    for bad in (
        "tile/64/000", "tile/01/000", "tile/0/1", "tile/0/0001", "tile/0/x000/001", "tile/0/000.p/0",
        "tile/0/000.p/256", "tile/0/000.p/07", "tile/0/001/002", "tile/x/000", "tile/0/000/", "../tile/0/000",
        "tile/0/%30%30%30", "checkpoint",
    ):  # fmt: skip
        with pytest.raises(FormatError):
            parse_path(bad)


def test_tile_hashes_are_the_roots_of_their_subtrees() -> None:
    entries = [f"entry {i}".encode() for i in range(70_000)]
    tree = MerkleTree(leaf_hash(e) for e in entries)
    assert tile_hashes(tree, TilePath(0, 3)) == [leaf_hash(e) for e in entries[768:1024]]
    level_one = tile_hashes(tree, TilePath(1, 0))
    assert level_one[5] == MerkleTree(leaf_hash(e) for e in entries[5 * 256 : 6 * 256]).root()
    (top,) = tile_hashes(tree, TilePath(2, 0, 1))
    assert top == MerkleTree(leaf_hash(e) for e in entries[:65536]).root()
    assert decode_tile(tile_bytes(tree, TilePath(1, 1, 17)), TilePath(1, 1, 17)) == tile_hashes(
        tree, TilePath(1, 1, 17)
    )
    with pytest.raises(FormatError):
        decode_tile(tile_bytes(tree, TilePath(0, 0))[:-1], TilePath(0, 0))


def test_entry_bundles_round_trip_and_are_checked_against_level_zero() -> None:
    entries = [b"x" * n for n in (0, 1, 300, 65_535)]
    tile = TilePath(ENTRIES, 0, 4)
    assert bundle_path(tile, entries) == tile
    assert decode_bundle(encode_bundle(entries), tile) == entries
    large = [b"definition" * 10_000, b"acta"]
    where = bundle_path(TilePath(ENTRIES, 0, 2), large)
    assert where == TilePath(LARGE_ENTRIES, 0, 2) and str(where) == "tile/entries32/000.p/2"
    assert decode_bundle(encode_bundle(large), where) == large
    for damaged in (encode_bundle(entries)[:-1], encode_bundle(entries) + b"\x00", encode_bundle(entries[:3])):
        with pytest.raises(FormatError):
            decode_bundle(damaged, tile)
    check_bundle(entries, [leaf_hash(e) for e in entries], tile)
    with pytest.raises(VerificationError, match="entry 2"):
        check_bundle([*entries[:2], b"y" * 300, entries[3]], [leaf_hash(e) for e in entries], tile)
