"""What every route of a server shares, reached through one typed dependency: the board, its group
commit, its exports, the witnesses' rate limit and scanners, and the comparison with the official
board (observer role)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from actas.acta.model import SignedActa
from actas.board import Board
from actas.board.outcome import Entered, Outcome, Refused
from actas.errors import BoardHalted, StorageError
from actas.server.answers import unstored
from actas.server.cosigning import DEFAULT_PACE, RETRY_INTERVAL, Cosigning, CosignPace
from actas.server.exports import Exports
from actas.server.rate_limit import RateLimit
from actas.server.reconciler import Reconciler

log = logging.getLogger("actas.server")
MAX_SCANS = 2
WITNESS_WRITES_PER_MINUTE = 30
WITNESS_BURST = 20


class Refresher:
    """Every write is committed with a checkpoint that covers it. When several processes serve the
    board, each reads the latest checkpoint every interval, so that its results follow the others'."""

    def __init__(self, board: Board, interval: float) -> None:
        self.board = board
        self.interval = interval

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            with contextlib.suppress(StorageError):  # tried again at the next interval
                await run_in_threadpool(self.board.latest_checkpoint)
                await run_in_threadpool(self.board.record_refusals)


Batch = list[tuple[SignedActa, "asyncio.Future[Outcome]"]]
"""Actas checked and waiting to be committed, each with the future its request awaits."""


class Ingest:
    """Group commit. Each request's actas are checked in a worker thread of their own, so requests are
    checked side by side (Ed25519 verification runs outside the interpreter lock) while a batch commits;
    the valid actas then wait in one queue, and all that are waiting are appended in one transaction,
    covered by one new checkpoint and answered with their receipts. On a board with cosigners a committed
    batch is answered once the cosigners were asked about a checkpoint that covers it (`server.cosigning`:
    one round at a time, paced, each covering every batch committed before it), while the next batches
    commit."""

    MAX_BATCH = 2000

    def __init__(self, board: Board, cosigning: Cosigning | None) -> None:
        self.board = board
        self.cosigning = cosigning
        self.queue: asyncio.Queue[tuple[SignedActa, asyncio.Future[Outcome]]] = asyncio.Queue()
        self._answering: set[asyncio.Task[None]] = set()
        """The batches waiting for a cosigned checkpoint that covers them."""

    async def submit(self, payloads: list[bytes]) -> list[Outcome]:
        if self.cosigning is not None:
            self.cosigning.check_running()
        checked = await run_in_threadpool(lambda: [self.board.check(p) for p in payloads])
        answers: list[Outcome | asyncio.Future[Outcome]] = []
        for item in checked:
            if isinstance(item, Refused):
                answers.append(item)
            else:
                future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
                self.queue.put_nowait((item, future))
                answers.append(future)
        outcomes = [answer if isinstance(answer, Entered | Refused) else await answer for answer in answers]
        return await run_in_threadpool(self.board.receipts, outcomes)

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                outcomes = await run_in_threadpool(self.board.commit, [signed for signed, _ in batch])
            except StorageError as exc:  # nothing was committed: every acta of the batch is to be sent again
                for _, future in batch:
                    future.set_result(unstored(exc))
                continue
            except Exception as exc:  # nothing was committed: every request of the batch fails with a 500
                for _, future in batch:
                    future.set_exception(exc)
                continue
            if self.cosigning is None:
                _answer(batch, outcomes)
            else:
                task = asyncio.create_task(self._cosigned(self.cosigning, batch, outcomes))
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)

    @staticmethod
    async def _cosigned(cosigning: Cosigning, batch: Batch, outcomes: list[Entered]) -> None:
        """Answer a committed batch once the cosigners were asked about a checkpoint that covers it (the
        latest when its turn comes: one request to the cosigners answers every batch that waited)."""
        try:
            await cosigning.publish(covering=max((o.index + 1 for o in outcomes), default=0))
        except BoardHalted as exc:  # committed, and kept; the answer says why no receipt comes
            for _, future in batch:
                future.set_exception(exc)
            return
        except Exception:  # committed: answered with the checkpoint the board signed, cosigned or not
            log.exception("publishing a cosigned checkpoint failed")
        _answer(batch, outcomes)


def _answer(batch: Batch, outcomes: list[Entered]) -> None:
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        future.set_result(outcome)


@dataclass
class Served:
    """One server process's view of its board, held by the app and given to every route."""

    board: Board
    ingest: Ingest
    cosigning: Cosigning | None
    """Asks the cosigners (a board with a cosigner policy)."""
    exports: Exports
    reconciler: Reconciler | None
    insecure_http: bool
    writes: RateLimit
    """Each witness's reports and scans (in each server process)."""
    scanners: asyncio.Semaphore
    """Photos read at once: each holds up to a few hundred megabytes of pixels and a core."""

    @classmethod
    def of(
        cls, board: Board, reconciler: Reconciler | None, insecure_http: bool, pace: CosignPace = DEFAULT_PACE
    ) -> Served:
        cosigning = Cosigning(board, pace) if board.publication is not None else None
        return cls(
            board,
            Ingest(board, cosigning),
            cosigning,
            Exports(board),
            reconciler,
            insecure_http,
            RateLimit(WITNESS_WRITES_PER_MINUTE, WITNESS_BURST),
            asyncio.Semaphore(MAX_SCANS),
        )

    async def answered(self, outcome: Outcome) -> Outcome:
        """An outcome of a write outside the group commit (an announcement, a report), with its receipt against
        the checkpoint published once the cosigners were asked."""
        if self.cosigning is None:
            return outcome
        await self.cosigning.publish()
        (answered,) = await run_in_threadpool(self.board.receipts, [outcome])
        return answered

    async def run_cosigning(self) -> None:
        """Ask again, every few seconds, for a checkpoint still short of its quorum (a cosigner was down)."""
        if self.cosigning is None:
            return
        while True:
            await asyncio.sleep(RETRY_INTERVAL)
            with contextlib.suppress(StorageError, BoardHalted):
                await self.cosigning.publish()


def served(request: Request) -> Served:
    found: Served = request.app.state.served
    return found


def board_of(request: Request) -> Board:
    return served(request).board


State = Annotated[Served, Depends(served)]
"""A route's parameter for what the server holds."""
BoardOf = Annotated[Board, Depends(board_of)]
"""A route's parameter for the board."""
