"""The append-only log itself: an RFC 9162 Merkle tree of every entry, kept in the database by
`store.board_store`, a copy of it in memory in each server process, and the checkpoints the board
signs over it.

Writers take the writers' lock and one transaction (`writing`), within which the process's copy is
first brought up to the database's. If the transaction fails, the copy is dropped and rebuilt from
the database, so it never holds an entry that was not committed. What follows the entries (the
results) is told of each entry read and of every checkpoint (`Follower`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from actas.errors import ActasError, InputError, VerificationError
from actas.fields import format_utc_time
from actas.ledger.checkpoint import Checkpoint, open_checkpoint
from actas.ledger.merkle import MerkleTree, leaf_hash
from actas.signed_note import Signer
from actas.store.board_store import BoardStore, Statements, StoredEntry
from actas.store.checkpoint_file import keep_checkpoint, read_checkpoint_note

log = logging.getLogger("actas.board")


def now() -> str:
    return format_utc_time(dt.datetime.now(dt.UTC))


class Follower(Protocol):
    """What follows the log: told of each entry as it is read into the tree, of each checkpoint, and when
    the tree is dropped."""

    def read(self, entry: StoredEntry) -> None: ...

    def advance(self, checkpoint: Checkpoint) -> None: ...

    def reset(self) -> None: ...


class BoardLog:
    def __init__(self, store: BoardStore, signer: Signer, origin: str, checkpoint_file: Path | None) -> None:
        self.store = store
        self.signer = signer
        self.origin = origin
        self.checkpoint_file = checkpoint_file
        self.tree = MerkleTree()
        self.lock = threading.RLock()
        """Held by writers for a whole transaction, and while the tree is brought up to date."""
        self.checkpoint: tuple[Checkpoint, str] | None = None
        """The latest checkpoint this process has seen, with its note, its signature already checked."""
        self.follower: Follower | None = None

    def _follower(self) -> Follower:
        assert self.follower is not None, "a board's log is followed from its start"
        return self.follower

    # --- writing ---------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[Statements]:
        """The writers' lock and transaction, with the tree brought up to date; if the transaction fails, the
        tree is dropped and rebuilt from the database."""
        with self.lock:
            try:
                with self.store.writing() as statements:
                    self.sync(statements)
                    yield statements
            except BaseException:
                self.tree = MerkleTree()
                self._follower().reset()
                raise

    def sync(self, statements: Statements) -> None:
        """Bring the process's tree up to the database's, reading only new entries. Each leaf hash is
        recomputed from the entry's bytes, so an entry altered in the database behind the server's
        back stops it rather than being served."""
        follower = self._follower()
        for entry in statements.entries_from(self.tree.size):
            if entry.index != self.tree.size:
                raise InputError(
                    f"the board's entries are not contiguous: expected {self.tree.size}, found {entry.index}"
                )
            if leaf_hash(entry.data) != entry.leaf_hash:
                raise InputError(
                    f"board entry {entry.index} in the database does not match its leaf hash: it was altered"
                )
            self.tree.append_hash(entry.leaf_hash)
            follower.read(entry)

    def append(self, statements: Statements, items: list[tuple[str, bytes]]) -> int:
        """Add entries in one statement; returns the index of the first. Whoever appends tells the follower
        what the entries are: they know them already."""
        first, at = self.tree.size, now()
        added = []
        for kind, data in items:
            leaf = leaf_hash(data)
            added.append(StoredEntry(self.tree.append_hash(leaf), kind, data, leaf, at))
        statements.add_entries(added)
        return first

    def sign(self, statements: Statements) -> tuple[Checkpoint, str] | None:
        """A checkpoint of the whole tree, in the transaction, if the tree grew since the last one."""
        last = statements.last_checkpoint_size()
        if last is not None and last >= self.tree.size:
            return None
        checkpoint = Checkpoint(self.origin, self.tree.size, self.tree.root())
        note = checkpoint.sign(self.signer)
        statements.add_checkpoint(checkpoint.size, checkpoint.root, note, now())
        return checkpoint, note

    def signed(self, signed: tuple[Checkpoint, str] | None) -> None:
        """Once a checkpoint is committed: it is kept in the checkpoint file, it is the latest this process
        knows, and what it covers is followed."""
        if signed is not None:
            self.keep(signed)
            with self.lock:
                self.checkpoint = signed
                self._follower().advance(signed[0])

    def sign_checkpoint(self) -> Checkpoint | None:
        """Sign a checkpoint of the whole board if it grew since the last one (one signer at a time)."""
        with self.writing() as statements:
            signed = self.sign(statements)
        self.signed(signed)
        return signed[0] if signed else None

    def keep(self, signed: tuple[Checkpoint, str]) -> None:
        """Keep a checkpoint in the checkpoint file; if the disk refuses, the database still holds it, and the
        file is brought up to date with a later one."""
        if self.checkpoint_file is None:
            return
        try:
            keep_checkpoint(self.checkpoint_file, signed[1], signed[0].size)
        except OSError as exc:
            log.warning("cannot keep checkpoint %d in %s: %s", signed[0].size, self.checkpoint_file, exc.strerror)

    # --- at the start -----------------------------------------------------------------------------------------

    def check_own_checkpoints(self, statements: Statements) -> None:
        """Refuse a database whose entries are fewer than, or differ from, those of the latest checkpoint
        signed in it or kept in the checkpoint file: entries removed or replaced behind the server's back."""
        claims = []
        latest = statements.latest_checkpoint_note()
        if latest is not None:
            claims.append(("its own latest checkpoint in the database", latest))
        kept = read_checkpoint_note(self.checkpoint_file) if self.checkpoint_file is not None else None
        if kept is not None:
            claims.append((f"the checkpoint it signed and kept in {self.checkpoint_file}", kept))
        for where, note in claims:
            try:
                checkpoint = open_checkpoint(note, self.signer.verifier, self.origin)
            except ActasError as exc:
                raise VerificationError(f"{where}: {exc}; refusing to serve") from None
            if checkpoint.size > self.tree.size:
                raise VerificationError(
                    f"the board's database holds {self.tree.size:,} entries, fewer than the {checkpoint.size:,} of "
                    f"{where}: entries were removed behind the server's back; refusing to serve"
                )
            if self.tree.root(checkpoint.size) != checkpoint.root:
                raise VerificationError(
                    f"the board's first {checkpoint.size:,} entries (of {self.tree.size:,}) do not hash to the root "
                    f"of {where}: an entry was replaced behind the server's back; refusing to serve"
                )

    # --- reading ---------------------------------------------------------------------------------------------

    def latest_checkpoint(self, counted_size: int) -> tuple[Checkpoint, str] | None:
        """The latest checkpoint signed (by any process), its signature checked; the tree and the follower are
        brought up to it when they are behind (the follower has counted `counted_size` entries)."""
        note = self.store.latest_checkpoint_note()
        if note is None:
            return None
        cached = self.checkpoint
        if cached is not None and cached[1] == note:
            return cached
        checkpoint = open_checkpoint(note, self.signer.verifier, self.origin)
        self.checkpoint = (checkpoint, note)
        if checkpoint.size > counted_size or checkpoint.size > self.tree.size:
            with self.lock, self.store.reading() as statements:
                self.sync(statements)
                self._follower().advance(checkpoint)
        return checkpoint, note

    def checkpoint_at(self, size: int) -> tuple[Checkpoint, str] | None:
        """The signed checkpoint of `size` entries, if there is one."""
        note = self.store.checkpoint_note(size)
        return None if note is None else (open_checkpoint(note, self.signer.verifier, self.origin), note)

    def tree_of(self, size: int) -> MerkleTree | None:
        """The tree, brought up to `size` entries if the database has them.

        Entries are only ever appended to the tree, so a proof for a size it already has is read
        without waiting for the writers' lock."""
        tree = self.tree
        if tree.size < size:
            with self.lock:
                with self.store.reading() as statements:
                    self.sync(statements)
                tree = self.tree
        return tree if size <= tree.size else None

    def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]] | None:
        """(leaf hash, proof) of entry `index` in the tree of `size` entries, or None if there is none."""
        tree = self.tree_of(size)
        if tree is None or not 0 <= index < size:
            return None
        return tree.leaf(index), tree.inclusion_proof(index, size)

    def root_at(self, size: int) -> bytes | None:
        """The root of the board's first `size` entries, or None when the database holds fewer."""
        tree = self.tree_of(size)
        return None if tree is None else tree.root(size)

    def consistency(self, first: int, second: int) -> list[bytes] | None:
        tree = self.tree_of(second)
        if tree is None or not 0 < first <= second:
            return None
        return tree.consistency_proof(first, second)

    def proof_json(self, index: int, latest: tuple[Checkpoint, str] | None) -> dict[str, Any]:
        """The inclusion proof of an entry in the latest checkpoint, as answers carry it (empty if none)."""
        found = self.inclusion(index, latest[0].size) if latest is not None else None
        if latest is None or found is None:
            return {}
        return {"inclusion_proof": {"size": latest[0].size, "proof": [p.hex() for p in found[1]]}}

    def receipt(self, index: int, body: dict[str, Any], latest: tuple[Checkpoint, str] | None) -> dict[str, Any] | None:
        """The receipt of an entry against `latest`, once it covers the entry (None until then)."""
        if latest is None or latest[0].size <= index:
            return None
        checkpoint, note = latest
        found = self.inclusion(index, checkpoint.size)
        if found is None:
            return None
        leaf, proof = found
        return {
            **body,
            "index": index,
            "leaf_hash": leaf.hex(),
            "checkpoint": note,
            "inclusion_proof": [p.hex() for p in proof],
        }
