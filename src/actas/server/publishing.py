"""`actas serve --publish DIR`: the board written as static tiles (`publish`) after each new checkpoint,
for a static host or a CDN to serve while the server itself stays out of the public's reach. One
server process publishes at a time (a lock file in DIR); readers never see a half-written
publication, since the checkpoint is written last. Every unit's results are published too, every
--results-every seconds, at a checkpoint the published one extends, with the results site's page
(`web.site`) that reads and checks them."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from actas.board import Board
from actas.errors import ActasError, StillCounting
from actas.publish import (
    Publication,
    ResultsSet,
    ballots_indexed,
    publish_ballots,
    publish_board,
    publish_results,
    publish_site,
)
from actas.server.routes.tiles import latest_note
from actas.shapes import Outlines
from actas.web.site import site_assets, site_pages, trail

log = logging.getLogger("actas.publish")
LOCK = ".publishing"


RESULTS_INTERVAL = 30.0
"""Seconds between two publications of every unit's results (each is a file per unit)."""
ATTEMPTS = 3
PARTS_AT_ONCE = 2_000
"""Parts of mesas' records published before their codes are indexed: some 36,000 codes."""


class Publisher:
    def __init__(
        self,
        board: Board,
        directory: Path,
        interval: float,
        results_interval: float = RESULTS_INTERVAL,
        outlines: Outlines | None = None,
    ) -> None:
        self.board = board
        self.outlines = outlines
        """The first-level units' shapes, for the site's map."""
        self.directory = directory
        self.interval = interval
        self.results_interval = results_interval
        self.published = -1
        self.results_published = -1
        self.results_at = 0.0

    @contextlib.contextmanager
    def _turn(self) -> Iterator[bool]:
        """Whether this process holds the publishing lock (another process may be publishing)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def publish(self) -> Publication | None:
        """Publish the latest checkpoint if it is newer than the one published (None when there is nothing
        new, or another process is publishing)."""
        found = latest_note(self.board)
        if found is None or found[1] <= self.published:
            return None
        note, size, _ = found
        with self._turn() as mine:
            tree = self.board.log.tree_of(size) if mine else None
            if tree is None:
                return None
            entries = self.board.entries
            done = publish_board(
                self.directory,
                tree,
                size,
                note,
                lambda a, b: [d for _, _, d in entries(a, b)],
                self.board.signer.verifier,
            )
            if self.board.ballots is not None:
                self.publish_ballots(size)
        self.published = size
        return done

    def publish_ballots(self, size: int) -> None:
        """Each part of a mesa's record below `size` not published yet, alone, with its codes indexed, a
        batch at a time (a board restarted late in the day has a million parts to catch up)."""
        parts = self.board.record_parts(ballots_indexed(self.directory), size)
        for start in range(0, len(parts), PARTS_AT_ONCE):
            batch = parts[start : start + PARTS_AT_ONCE]
            more = start + PARTS_AT_ONCE < len(parts)
            read = ((i, self.board.entries(i, i + 1)[0][2]) for i in batch)
            publish_ballots(self.directory, read, parts[start + PARTS_AT_ONCE] if more else size)

    def publish_results(self) -> int | None:
        """Every unit's results at one counted checkpoint, when due and newer than the last published (tried
        again if a checkpoint is counted meanwhile, or at the next round while the checkpoint readers are
        given does not cover it yet); the tree size they were counted at."""
        if time.monotonic() - self.results_at < self.results_interval:
            return None
        board = self.board
        codes = ["", *(u.code for u in board.election.units)]
        for _ in range(ATTEMPTS):
            try:
                views = [(code, board.results_view(code)) for code in codes]
            except StillCounting:
                return None
            sizes = {view.size for _, view in views}
            if len(sizes) != 1:
                continue
            (size,) = sizes
            given = latest_note(board)
            if size <= self.results_published or given is None or given[1] < size:
                return None
            note, covering, _ = given
            proof = board.consistency(size, covering) if size < covering else []
            if proof is None:
                return None
            units = ((code, {**view.json, "trail": trail(board.election, code)}) for code, view in views)
            with self._turn() as mine:
                if not mine:
                    return None
                publish_results(
                    self.directory, ResultsSet(size, units, note, proof, board.arrivals(), board.unit_arrivals())
                )
            self.results_published, self.results_at = size, time.monotonic()
            return size
        return None

    def publish_site(self) -> None:
        """The results site's page and its scripts, with the keys it checks the board by."""
        board = self.board
        policy = board.publication.policy if board.publication is not None else None
        pages = site_pages(
            board.election, board.origin, board.signer.verifier, policy, self.outlines, board.ballots is not None
        )
        with self._turn() as mine:
            if mine:
                publish_site(self.directory, pages, site_assets())

    async def run(self) -> None:
        try:
            await run_in_threadpool(self.publish_site)
        except OSError as exc:  # the board and the results are published all the same
            log.warning("cannot write the results site to %s: %s", self.directory, exc.strerror)
        while True:
            with contextlib.suppress(ActasError):
                try:
                    await run_in_threadpool(self.publish)
                    await run_in_threadpool(self.publish_results)
                except OSError as exc:  # tried again at the next interval
                    log.warning("cannot publish to %s: %s", self.directory, exc.strerror)
            await asyncio.sleep(self.interval)
