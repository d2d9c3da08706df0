"""Property tests for the board's Merkle tree: proofs verify, and any changed byte of a proof fails."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.errors import VerificationError
from actas.ledger import merkle
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion

entries = st.lists(st.binary(max_size=30), min_size=1, max_size=70)


@settings(max_examples=60)
@given(entries, st.data())
def test_inclusion_proofs_verify_and_resist_tampering(items: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaf_hash(x) for x in items)
    size = data.draw(st.integers(1, tree.size))
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    verify_inclusion(tree.leaf(index), index, size, proof, tree.root(size))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        byte = data.draw(st.integers(0, 31))
        bad = bytearray(proof[k])
        bad[byte] ^= data.draw(st.integers(1, 255))
        tampered = [*proof[:k], bytes(bad), *proof[k + 1 :]]
        try:
            verify_inclusion(tree.leaf(index), index, size, tampered, tree.root(size))
        except VerificationError:
            return
        raise AssertionError("a tampered inclusion proof verified")


@settings(max_examples=60)
@given(entries, st.data())
def test_consistency_proofs_verify_and_resist_tampering(items: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaf_hash(x) for x in items)
    second = data.draw(st.integers(1, tree.size))
    first = data.draw(st.integers(1, second))
    proof = tree.consistency_proof(first, second)
    verify_consistency(first, second, proof, tree.root(first), tree.root(second))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = bytearray(proof[k])
        bad[data.draw(st.integers(0, 31))] ^= data.draw(st.integers(1, 255))
        try:
            verify_consistency(
                first, second, [*proof[:k], bytes(bad), *proof[k + 1 :]], tree.root(first), tree.root(second)
            )
        except VerificationError:
            return
        raise AssertionError("a tampered consistency proof verified")


@settings(max_examples=40)
@given(entries, st.integers(1, 8), st.data())
def test_a_growing_tree_answers_as_a_fresh_one(items: list[bytes], cache: int, data: st.DataObject) -> None:
    """The cached hashes of incomplete subtrees stay right as the tree grows and the cache is emptied."""
    grown = MerkleTree()
    grown_cache = merkle.PARTIAL_CACHE
    merkle.PARTIAL_CACHE = cache
    try:
        for n, item in enumerate(items, start=1):
            grown.append(item)
            fresh = MerkleTree(leaf_hash(x) for x in items[:n])
            size = data.draw(st.integers(1, n))
            index = data.draw(st.integers(0, size - 1))
            assert grown.root(size) == fresh.root(size)
            assert grown.inclusion_proof(index, size) == fresh.inclusion_proof(index, size)
            assert grown.consistency_proof(size, n) == fresh.consistency_proof(size, n)
    finally:
        merkle.PARTIAL_CACHE = grown_cache


@given(entries, st.lists(st.integers(0, 40), max_size=12))
def test_a_tree_extended_in_chunks_is_the_tree_appended_leaf_by_leaf(items: list[bytes], cuts: list[int]) -> None:
    """`extend_hashes` with the leaves in chunks of any sizes keeps every level the appends keep."""
    one_by_one = MerkleTree()
    for item in items:
        one_by_one.append(item)
    chunked, at = MerkleTree(), 0
    for cut in [*sorted(cuts), len(items)]:
        chunked.extend_hashes(leaf_hash(x) for x in items[at : max(at, cut)])
        at = max(at, cut)
    assert chunked.size == one_by_one.size == len(items)
    for height in range(len(items).bit_length()):
        count = len(items) >> height
        assert chunked.subtree_hashes(height, 0, count) == one_by_one.subtree_hashes(height, 0, count)
    assert chunked.root() == one_by_one.root()


@given(
    st.text("abcdefghij./-", min_size=1, max_size=30), st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32)
)
def test_checkpoints_round_trip(origin: str, size: int, root: bytes) -> None:
    checkpoint = Checkpoint(origin, size, root)
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint
