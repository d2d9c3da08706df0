"""An observer's board compared with the official board, mesa by mesa, while both grow.

The official board is mirrored into a directory of this process's own (only its new entries are fetched
each time), every checkpoint and entry checked again, and its final actas set beside the witnesses'
actas and hand counts on this board (`actas.dataset.reconcile`). The latest comparison is kept for the
pages and the API; if the official board cannot be read, that is said instead, and it is tried again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from actas.board import Board
from actas.dataset.from_board import dataset_from_board
from actas.dataset.reconcile import DIFFERENT, ONLY_OBSERVER, Compared, reconcile
from actas.errors import ActasError
from actas.fields import format_utc_time
from actas.mirror import latest_checkpoint, mirror_board, mirror_entries, require_quorum

MAX_LISTED = 5000
"""Differing mesas listed at most (the counts always cover every mesa). A mesa differs when the two boards
hold different counts for it, when only the witnesses hold its acta (the official board never published
it), when the paper counted by hand differs, or when the official board's own encrypted ballots differ
from its acta; a mesa only the official board holds is not a difference, only a mesa the witnesses did
not cover."""


def _compared_json(s: Compared) -> dict[str, Any]:
    def diffs(items: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [
            {"candidate": d.candidate, "official": d.official, "observer": d.observer, "delta": d.delta} for d in items
        ]

    return {
        "station": s.station,
        "status": s.status,
        "differences": diffs(s.differences),
        "paper": diffs(s.paper),
        "ballots": diffs(s.ballots),
        "official_signature": s.official_signature,
        "observer_signature": s.observer_signature,
    }


class Reconciler:
    def __init__(self, board: Board, official_url: str, interval: float) -> None:
        self.board = board
        self.official = official_url.rstrip("/")
        self.interval = interval
        self._folder = tempfile.TemporaryDirectory(prefix="actas-official-")
        self.latest: dict[str, Any] | None = None

    def refresh(self) -> dict[str, Any]:
        """Mirror the official board's new entries and compare; the comparison, or why there is none."""
        now = format_utc_time(dt.datetime.now(dt.UTC))
        try:
            mirror = Path(self._folder.name)
            checkpoint = mirror_board(self.official, mirror)
            require_quorum(mirror, latest_checkpoint(mirror)[0])  # the policy the official registry publishes
            official = dataset_from_board(
                mirror_entries(mirror, checkpoint.size), "official board", f"{self.official} at {checkpoint.size}"
            )
            size = self.board.results_size
            observer = dataset_from_board(self.board.entries(0, size), "witnesses' board", self.board.origin)
        except ActasError as exc:
            self.latest = {"official": self.official, "checked_at": now, "error": str(exc)}
            return self.latest
        compared = reconcile(official, observer)
        differing = [s for s in compared.stations if s.status in (DIFFERENT, ONLY_OBSERVER) or s.paper or s.ballots]
        self.latest = {
            "official": self.official,
            "checked_at": now,
            "official_size": checkpoint.size,
            "observer_size": size,
            "counts": {status: compared.count(status) for status in compared.kinds},
            "signatures": {
                "official": compared.signatures(official=True).said(),
                "observer": compared.signatures(official=False).said(),
            },
            "signature_counts": {
                side: dataclasses.asdict(compared.signatures(official=side == "official"))
                for side in ("official", "observer")
            },
            "stations": [_compared_json(s) for s in differing[:MAX_LISTED]],
            "listed": min(len(differing), MAX_LISTED),
            "differing": len(differing),
        }
        return self.latest

    async def run(self) -> None:
        while True:
            await run_in_threadpool(self.refresh)
            await asyncio.sleep(self.interval)

    def close(self) -> None:
        self._folder.cleanup()
