"""The board's exports (NIST SP 1500-100 JSON, a CSV of every mesa), made once per checkpoint and served from
memory, so that however many people download them, ingest does not wait.

An export names the checkpoint it was counted at and is the same bytes for everyone who asks at that
checkpoint; its ETag is the checkpoint's size, so an unchanged board costs a 304. At the latest
checkpoint the export is made from the counts the server already holds (a snapshot taken under the
results lock in milliseconds); at an earlier one, from the board's entries recounted. Exports are
made one at a time (the others wait for it, then share it), and only the latest few are kept.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from actas import __version__
from actas.acta.model import Acta
from actas.board import Board
from actas.exporters.nist import election_report
from actas.exporters.stations_csv import station_rows
from actas.ledger.checkpoint import Checkpoint

KEPT = 4
"""Exports kept in memory (each kind at the latest checkpoints)."""


@dataclass(frozen=True)
class Counted:
    """What an export is made of: a checkpoint and the final actas counted at it."""

    checkpoint: Checkpoint
    counted: dict[str, tuple[str, Acta]]
    conflicts: set[str]
    ballots: dict[str, str] | None = None
    """What each mesa's encrypted ballots say, on a board that publishes them."""


@dataclass(frozen=True)
class Export:
    body: bytes
    size: int
    """The size of the checkpoint it was counted at."""
    media_type: str
    filename: str | None = None

    @property
    def etag(self) -> str:
        return f'"{self.size}"'


def _nist(board: Board, state: Counted) -> Export:
    import json

    checkpoint = state.checkpoint
    root = base64.b64encode(checkpoint.root).decode()
    report = election_report(
        board.election,
        {code: acta for code, (_, acta) in state.counted.items()},
        generated=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        issuer=f"actas tabulation server, board {board.origin}",
        notes=f"Computed from the final actas on bulletin board {board.origin} at checkpoint "
        f"size {checkpoint.size}, root {root}; stations in conflict are not counted.",
        version=__version__,
    )
    return Export(json.dumps(report).encode(), checkpoint.size, "application/json")


def _csv(board: Board, state: Counted) -> Export:
    text = "".join(station_rows(board.election, state.counted, state.conflicts, state.ballots))
    name = f"{board.election.id}-{state.checkpoint.size}.csv"
    return Export(text.encode(), state.checkpoint.size, "text/csv", name)


MAKERS: dict[str, Callable[[Board, Counted], Export]] = {"nist.json": _nist, "mesas.csv": _csv}


class Exports:
    def __init__(self, board: Board) -> None:
        self.board = board
        self._kept: OrderedDict[tuple[str, int], Export] = OrderedDict()
        self._making: dict[tuple[str, int], asyncio.Future[Export | None]] = {}
        self._one_at_a_time = asyncio.Semaphore(1)

    async def get(self, kind: str, size: int | None) -> Export | None:
        """The export of `kind` at the checkpoint of `size` entries (the latest counted when None), or None
        when the board signed no checkpoint of that size."""
        if size is None:
            size = self.board.results_size
        key = (kind, size)
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        making = self._making.get(key)
        if making is not None:
            return await asyncio.shield(making)
        future: asyncio.Future[Export | None] = asyncio.get_running_loop().create_future()
        self._making[key] = future
        try:
            async with self._one_at_a_time:
                made = await run_in_threadpool(self._make, kind, size)
            if made is not None:
                self._kept[key] = made
                while len(self._kept) > KEPT:
                    self._kept.popitem(last=False)
            future.set_result(made)
            return made
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            del self._making[key]

    def _make(self, kind: str, size: int) -> Export | None:
        state = self._counted(size)
        return None if state is None else MAKERS[kind](self.board, state)

    def _counted(self, size: int) -> Counted | None:
        snapshot = self.board.counted_snapshot()
        if snapshot is not None and snapshot[0].size == size:
            return Counted(*snapshot)
        found = self.board.checkpoint_at(size)
        if found is None:
            return None
        results = self.board.results_at(found[0].size)
        encrypted = results.encrypted
        ballots = encrypted.statuses() if encrypted is not None else None
        return Counted(found[0], results.counted(), set(results.conflicts()), ballots)
