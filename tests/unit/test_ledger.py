"""The bulletin board's Merkle tree and checkpoints, against published vectors.

Vectors: the RFC 6962 / RFC 9162 reference tree of Certificate Transparency, as published in the
test data of transparency-dev/merkle (testonly/constants.go) and google/certificate-transparency:
eight leaves, the root of every size 0..8, the inclusion proofs of entries 0 and 5 in the tree of
8, and the consistency proofs 2->8, 6->8 and 2->5.
"""

from __future__ import annotations

import base64
import itertools

import pytest

from actas.errors import FormatError, InputError, VerificationError
from actas.ledger.checkpoint import Checkpoint, open_checkpoint
from actas.ledger.merkle import EMPTY_ROOT, MerkleTree, leaf_hash, split_point, verify_consistency, verify_inclusion
from actas.signed_note import Signer

LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


INCLUSION = [
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
CONSISTENCY = [
    (
        2,
        8,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

TREE = MerkleTree(leaf_hash(x) for x in LEAVES)


def test_roots_of_every_size_match_the_reference() -> None:
    assert EMPTY_ROOT == ROOTS[0]
    for size in range(len(LEAVES) + 1):
        assert TREE.root(size) == ROOTS[size], size


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_reference_and_verify(index: int, size: int, proof: list[bytes]) -> None:
    assert TREE.inclusion_proof(index, size) == proof
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_reference_and_verify(first: int, second: int, proof: list[bytes]) -> None:
    assert TREE.consistency_proof(first, second) == proof
    verify_consistency(first, second, proof, ROOTS[first], ROOTS[second])


def test_split_point_is_the_largest_power_of_two_below_n() -> None:
    assert [split_point(n) for n in [2, 3, 4, 5, 8, 9, 1000]] == [1, 2, 2, 4, 4, 8, 512]


def reference_root(hashes: list[bytes]) -> bytes:
    """MTH straight from RFC 9162's definition, recursion and all: the independent construction."""
    from actas.ledger.merkle import node_hash

    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = split_point(len(hashes))
    return node_hash(reference_root(hashes[:k]), reference_root(hashes[k:]))


def test_every_proof_in_trees_up_to_40_entries_verifies_and_nothing_else_does() -> None:
    hashes = [leaf_hash(bytes([i, i * 7 % 256])) for i in range(40)]
    tree = MerkleTree(hashes)
    for size in range(1, 41):
        root = tree.root(size)
        assert root == reference_root(hashes[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            verify_inclusion(hashes[index], index, size, proof, root)
            wrong_index = (index + 1) % size
            if wrong_index != index and hashes[wrong_index] != hashes[index]:
                with pytest.raises(VerificationError):
                    verify_inclusion(hashes[wrong_index], index, size, proof, root)
            if proof:
                with pytest.raises(VerificationError):
                    verify_inclusion(hashes[index], index, size, proof[:-1], root)
                with pytest.raises(VerificationError):
                    verify_inclusion(hashes[index], index, size, [*proof, proof[0]], root)
        for first in range(1, size + 1):
            proof = tree.consistency_proof(first, size)
            verify_consistency(first, size, proof, tree.root(first), root)
            if first < size:
                with pytest.raises(VerificationError):
                    verify_consistency(first, size, proof, tree.root(first), tree.root(size - 1) if size > 1 else root)


def test_a_rewritten_history_fails_consistency() -> None:
    clean = MerkleTree(leaf_hash(x) for x in LEAVES)
    forked = MerkleTree(leaf_hash(x) for x in [*LEAVES[:3], b"altered", *LEAVES[4:]])
    proof = forked.consistency_proof(5, 8)
    with pytest.raises(VerificationError, match="not a prefix"):
        verify_consistency(5, 8, proof, clean.root(5), forked.root(8))


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("inclusion_proof", (8, 8)),
        ("inclusion_proof", (0, 9)),
        ("consistency_proof", (0, 4)),
        ("consistency_proof", (5, 4)),
        ("root", (9,)),
    ],
)
def test_impossible_proof_requests_are_refused(call: str, args: tuple[int, ...]) -> None:
    with pytest.raises(InputError):
        getattr(TREE, call)(*args)


def test_verifiers_refuse_impossible_claims() -> None:
    with pytest.raises(VerificationError):
        verify_inclusion(ROOTS[1], 3, 3, [], ROOTS[3])
    with pytest.raises(VerificationError):
        verify_consistency(4, 4, [ROOTS[1]], ROOTS[4], ROOTS[4])
    with pytest.raises(VerificationError):
        verify_consistency(3, 5, [], ROOTS[3], ROOTS[5])
    verify_consistency(4, 4, [], ROOTS[4], ROOTS[4])


# --- checkpoints ---------------------------------------------------------------------------------------------

BOARD = Signer("actas.example/test-board", b"\x05" * 32)


def test_checkpoint_round_trip_and_signature() -> None:
    checkpoint = Checkpoint("actas.example/test-board", 8, ROOTS[8])
    text = checkpoint.sign(BOARD)
    assert text.startswith(f"actas.example/test-board\n8\n{base64.b64encode(ROOTS[8]).decode()}\n\n— ")
    assert open_checkpoint(text, BOARD.verifier, "actas.example/test-board") == checkpoint
    with pytest.raises(VerificationError):
        open_checkpoint(text.replace("\n8\n", "\n9\n"), BOARD.verifier)
    with pytest.raises(VerificationError, match="expected"):
        open_checkpoint(text, BOARD.verifier, "actas.example/other")


@pytest.mark.parametrize(
    "text",
    [
        "origin\n8\n",
        "origin\n08\n" + base64.b64encode(ROOTS[1]).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(ROOTS[1]).decode() + "\n",
        "origin\n1\nnot base64!\n",
        "origin\n1\n" + base64.b64encode(b"short").decode() + "\n",
        " origin\n1\n" + base64.b64encode(ROOTS[1]).decode() + "\n",
        "origin\n18446744073709551616\n" + base64.b64encode(ROOTS[1]).decode() + "\n",
        "origin\n1\n" + base64.b64encode(ROOTS[1]).decode() + "\n\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(FormatError):
        Checkpoint.from_text(text)


def test_extension_lines_are_kept() -> None:
    checkpoint = Checkpoint("o", 1, ROOTS[1], ("time 2030-06-02T22:00:00Z",))
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


def test_large_trees_append_in_logarithmic_steps() -> None:
    tree = MerkleTree()
    for i in range(5000):
        tree.append(i.to_bytes(4, "big"))
    assert tree.size == 5000
    for size, index in itertools.product([1, 4096, 4097, 5000], [0, 2047]):
        if index < size:
            verify_inclusion(tree.leaf(index), index, size, tree.inclusion_proof(index, size), tree.root(size))
