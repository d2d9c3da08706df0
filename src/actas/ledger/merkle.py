"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1.

Leaf hash H(0x00 || entry), node hash H(0x01 || left || right), with H = SHA-256 and the tree over
n leaves split at the largest power of two smaller than n. `MerkleTree` keeps every complete
subtree's hash, so appending a leaf costs O(log n) and any root, inclusion proof (PATH) or
consistency proof (PROOF) for any earlier size costs O(log^2 n) hashes at most. The two
verification functions follow the algorithms of sections 2.1.3.2 and 2.1.4.2 step by step, and
need nothing but the proof: they are what a mirror or an observer runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from actas.errors import InputError, VerificationError

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
PARTIAL_CACHE = 1 << 16


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only Merkle tree over leaf hashes, with the hash of every complete subtree kept."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self._partial: dict[tuple[int, int], bytes] = {}
        """Hashes of incomplete subtrees already computed: a range of leaves never changes, and the
        proofs of a batch of entries against one checkpoint share most of them."""
        self.extend_hashes(leaf_hashes)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, entry: bytes) -> int:
        """Add an entry; returns its index."""
        return self.append_hash(leaf_hash(entry))

    def append_hash(self, h: bytes) -> int:
        if len(h) != HASH_SIZE:
            raise InputError(f"a leaf hash is {HASH_SIZE} bytes, found {len(h)}")
        index = self.size
        self._levels[0].append(h)
        level, i = 0, index
        while i % 2 == 1:  # this node completes a pair: hash it into its parent
            parent = node_hash(self._levels[level][i - 1], self._levels[level][i])
            level, i = level + 1, i // 2
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(parent)
        return index

    def extend_hashes(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaf hashes at once: the same tree as appending each, each level's new pairs
        hashed in one pass."""
        added = list(leaf_hashes)
        if any(len(h) != HASH_SIZE for h in added):
            raise InputError(f"a leaf hash is {HASH_SIZE} bytes")
        self._levels[0].extend(added)
        level = 0
        while True:
            below = self._levels[level]
            done = len(self._levels[level + 1]) if level + 1 < len(self._levels) else 0
            pairs = len(below) // 2
            if pairs == done:
                return
            if level + 1 == len(self._levels):
                self._levels.append([])
            self._levels[level + 1].extend(node_hash(below[2 * k], below[2 * k + 1]) for k in range(done, pairs))
            level += 1

    def leaf(self, index: int) -> bytes:
        return self._levels[0][index]

    def subtree_hashes(self, height: int, start: int, end: int) -> list[bytes]:
        """The hashes of the complete subtrees of 2^height leaves numbered start to end - 1 at that height."""
        if height >= len(self._levels) or end > len(self._levels[height]) or not 0 <= start <= end:
            raise InputError(f"the tree has no complete subtrees {start} to {end} of height {height}")
        return self._levels[height][start:end]

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise InputError(f"tree size {size} is not between 0 and the tree's {self.size} entries")

    def _range(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for the ranges the RFC's recursions ask for."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:  # a complete subtree: kept
            return self._levels[n.bit_length() - 1][start // n]
        found = self._partial.get((start, end))
        if found is None:
            if len(self._partial) >= PARTIAL_CACHE:
                self._partial.clear()
            k = split_point(n)
            found = self._partial[start, end] = node_hash(self._range(start, start + k), self._range(start + k, end))
        return found

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._range(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]): the audit path of entry `index` in the tree of `size` entries."""
        size = self.size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise InputError(f"entry {index} is not in a tree of {size} entries")
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = split_point(n)
        if m < k:
            return [*self._path(m, start, start + k), self._range(start + k, end)]
        return [*self._path(m - k, start + k, end), self._range(start, start + k)]

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[second]): that the tree of `first` entries is a prefix of the one of `second`."""
        second = self.size if second is None else second
        self._check_size(second)
        if not 0 < first <= second:
            raise InputError(f"a consistency proof needs 0 < first <= second, found {first} and {second}")
        return self._subproof(first, 0, second, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self._range(start, end)]
        k = split_point(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, whole), self._range(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self._range(start, start + k)]


def _shift_while(fn: int, sn: int, lsb_set: bool) -> tuple[int, int]:
    """Right-shift both until LSB(fn) is `lsb_set` or fn is 0."""
    while fn and bool(fn & 1) != lsb_set:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(entry_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 section 2.1.3.2. Raises VerificationError saying why a proof fails."""
    if not 0 <= index < size:
        raise VerificationError(f"inclusion: entry {index} cannot be in a tree of {size} entries")
    fn, sn, r = index, size - 1, entry_hash
    for p in proof:
        if sn == 0:
            raise VerificationError(f"inclusion: the proof has more hashes than a tree of {size} entries needs")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_while(fn, sn, True)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(f"inclusion: the proof has too few hashes for a tree of {size} entries")
    if r != root:
        raise VerificationError(f"inclusion: entry {index} does not lead to root {root.hex()[:16]}...")


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes) -> None:
    """RFC 9162 section 2.1.4.2: the tree of `first` entries is a prefix of the tree of `second`."""
    if not 0 < first <= second:
        raise VerificationError(f"consistency: needs 0 < first <= second, found {first} and {second}")
    if first == second:
        if proof or first_root != second_root:
            raise VerificationError("consistency: the same size must give the same root and an empty proof")
        return
    if not proof:
        raise VerificationError("consistency: the proof is empty")
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    fn, sn = _shift_while(fn, sn, False)
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency: the proof has more hashes than the trees need")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_while(fn, sn, True)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise VerificationError(
            f"consistency: the tree of {first} entries is not a prefix of the tree of {second} by this proof"
        )
