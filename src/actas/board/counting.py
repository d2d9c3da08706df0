"""What the board's entries add up to, at the latest checkpoint: the results (and on an observer's board
the record of every mesa), the announcements and the arrivals of final actas over time.

It follows the log (`log.Follower`): each entry read is parsed, and counted once a signed checkpoint
covers it. A server that restarts on a large board counts the entries already there in the
background, on every core (`count_board`); until it has, results are not answered (`StillCounting`).
Results are read under their own lock, so that reading them never waits for a disk write."""

from __future__ import annotations

import base64
import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from actas.election import Election
from actas.errors import ActasError, InputError, StillCounting
from actas.i18n import available, language
from actas.ledger.checkpoint import Checkpoint
from actas.store.board_store import StoredEntry
from actas.tally.board_count import ACTA, BoardCount, Counted, read_entries, read_entry
from actas.tally.progressive import ProgressiveResults
from actas.tally.view import UnitResults
from actas.tally.witnessed import WitnessTally

log = logging.getLogger("actas.board")
COUNT_PAGE = 5000
UNPARSED = 2**63
MINUTE = len("2030-06-02T23:41")
FINAL_ACTA_START = b"actas acta v1\nkind final\n"
"""How every final acta's payload starts: enough to count its arrival without reading it."""
STATION_LINE = b"\nstation "
"""The line that names an acta's station: enough to count its arrival in the station's units."""

Entries = Callable[[int, int], Iterable[tuple[int, str, bytes]]]


def checkpoint_json(checkpoint: Checkpoint | None) -> dict[str, Any] | None:
    """The checkpoint results were counted at, as answers name it: its size and root."""
    return None if checkpoint is None else {"size": checkpoint.size, "root": base64.b64encode(checkpoint.root).decode()}


@dataclass(frozen=True)
class ResultsView:
    """A unit's results at the checkpoint they were counted at, as the server answers them."""

    election: str
    checkpoint: Checkpoint | None
    unit: UnitResults
    updated: str | None = None
    """When the board signed that checkpoint (UTC, ISO 8601): when these results last changed."""

    @property
    def size(self) -> int:
        """The entries the checkpoint covers (0 before any): what the answer's ETag names."""
        return 0 if self.checkpoint is None else self.checkpoint.size

    @cached_property
    def json(self) -> dict[str, Any]:
        """The API's answer: made once, then served as it is. The headline is said in every language the
        pages speak, from the same numbers."""
        answer = {
            "election": self.election,
            "checkpoint": checkpoint_json(self.checkpoint),
            "updated": self.updated,
            **self.unit.to_json(),
        }
        headline = self.unit.headline
        if headline is not None:
            answer["headline"]["sentences"] = {code: headline.sentence(language(code)) for code in available()}
        return answer


class Counting:
    def __init__(
        self,
        election: Election,
        observer: bool,
        writers_lock: threading.RLock,
        signed_at: Callable[[int], str | None] = lambda size: None,
    ) -> None:
        self.election = election
        self._signed_at = signed_at
        """When the board signed its checkpoint of a size: what "updated" on the pages says."""
        self._signed_time: tuple[int, str | None] = (-1, None)
        """(size, when signed) of the last checkpoint a results view asked about: looked up once per
        checkpoint, by a reader, never on the writers' path."""
        self.observer = observer
        self.count = BoardCount(election, observer)
        self.lock = threading.Lock()
        """Held only while results change or are read."""
        self._writers_lock = writers_lock
        self.counted_at: Checkpoint | None = None
        """The checkpoint the results were counted at."""
        self._views: dict[str, ResultsView] = {}
        """Results views already made at that checkpoint, by unit: a snapshot answered from memory."""
        self.pending: list[tuple[int, Counted]] = []
        self.parse_from = 0
        """Entries from this index on are read for counting as they are read into the tree."""
        self.uncounted = 0
        """Entries before this index are still to be counted by `count_board` (0: nothing waits)."""
        self._counting = 0
        """How many of those `count_board` has counted."""
        self._generation = 0
        """Moves on each time the tree is dropped, so a count of the old tree stops."""
        self._count_failed = ""
        """Why the start's entries could not be counted, if they could not."""
        self.announced: list[tuple[int, str]] = []
        """(index, signed note) of the announcements in the tree, kept with it."""
        self._arrivals: dict[str, int] = {}
        """Final actas on the board by the minute (UTC) they were received: kept with the tree, as entries
        are read or appended, so the progress over time never needs a query."""
        self._finals: list[tuple[str, str]] = []
        """(station, minute UTC) of every final acta on the board, in the order received: any unit's
        progress over time."""

    # --- following the log -------------------------------------------------------------------------------------

    def read(self, entry: StoredEntry) -> None:
        if entry.kind == "announcement":
            self.announced.append((entry.index, entry.data.decode("utf-8")))
        elif entry.kind == ACTA and entry.data.startswith(FINAL_ACTA_START):
            self.arrived(entry.received_at, [_station_line(entry.data)])
        if entry.index >= self.parse_from:
            item = read_entry(entry.index, entry.kind, entry.data)
            if item is not None:
                self.pending.append((entry.index, item))

    def reset(self) -> None:
        with self.lock:
            self._arrivals = {}
            self._finals = []
            self.announced = []
            self.count = BoardCount(self.election, self.observer)
            self.counted_at = None
            self._views = {}
            self.pending = []
            self.parse_from = self.uncounted = self._counting = 0
            self._generation += 1

    def advance(self, checkpoint: Checkpoint) -> None:
        """Count the entries a checkpoint covers into the results."""
        keep = []
        with self.lock:
            if checkpoint.size <= self.size or self.uncounted:
                return  # counted already, or the start's entries are being counted: these wait their turn
            for index, item in self.pending:
                if index < checkpoint.size:
                    self.count.add(item)
                else:
                    keep.append((index, item))
            self.pending = keep
            self.counted_at = checkpoint
            self._views = {}

    def arrived(self, received_at: str, stations: list[str]) -> None:
        """Final actas of `stations` received at `received_at`."""
        if stations:
            minute = received_at[:MINUTE]
            self._arrivals[minute] = self._arrivals.get(minute, 0) + len(stations)
            self._finals.extend((station, minute) for station in stations)

    @property
    def size(self) -> int:
        """The size of the checkpoint the results were counted at (0 before any)."""
        counted = self.counted_at
        return 0 if counted is None else counted.size

    # --- a restarted server's count -----------------------------------------------------------------------------

    def count_board(self, entries: Entries, latest: Callable[[], tuple[Checkpoint, str] | None], page: int) -> None:
        """Count, in board order, the entries the start left uncounted, then everything that came since. The
        entries are read a page at a time and their actas parsed on every core, while this thread counts
        them in order."""
        generation, total = self._generation, self.uncounted
        pages = [(start, min(start + page, total)) for start in range(0, total, page)]
        workers = min(os.cpu_count() or 1, len(pages))
        try:
            if workers <= 1:
                for start, end in pages:
                    if not self._count_page(read_entries(list(entries(start, end))), end, generation):
                        return
            else:
                self._count_in_parallel(entries, pages, workers, generation)
        except ActasError as exc:
            with self.lock:
                self._count_failed = str(exc)
            log.error("the board cannot be counted: %s", exc)
            return
        with self._writers_lock, self.lock:
            if generation == self._generation:
                self.uncounted = 0
        signed = latest()
        if signed is not None:
            self.advance(signed[0])

    def _count_in_parallel(self, entries: Entries, pages: list[tuple[int, int]], workers: int, generation: int) -> None:
        spawn = multiprocessing.get_context("spawn")  # a server has threads: its processes are not forked
        with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
            reading: deque[tuple[int, Future[list[tuple[int, Counted]]]]] = deque()
            for number, (start, end) in enumerate(pages):
                reading.append((end, pool.submit(read_entries, list(entries(start, end)))))
                if len(reading) <= 2 * workers and number + 1 < len(pages):
                    continue  # two pages a process in flight: busy, and bounded in memory
                while reading and (len(reading) > 2 * workers or number + 1 == len(pages)):
                    done, counted = reading.popleft()
                    if not self._count_page(counted.result(), done, generation):
                        return

    def _count_page(self, items: list[tuple[int, Counted]], end: int, generation: int) -> bool:
        """Count one page of the start's entries; False when the tree was dropped meanwhile (it is counted
        again from the start, as the entries are read again)."""
        with self.lock:
            if generation != self._generation:
                return False
            for _, item in items:
                self.count.add(item)
            self._counting = end
        return True

    # --- reading the results --------------------------------------------------------------------------------------

    @property
    def results(self) -> ProgressiveResults:
        return self.count.results

    @property
    def witnessed(self) -> WitnessTally:
        """The observer's record of every mesa (an official board has none)."""
        if self.count.witnessed is None:
            raise InputError("an official board has no witnesses' reports")
        return self.count.witnessed

    def require_counted(self) -> None:
        """Results are answered only once the board is counted (the caller holds the results lock)."""
        if self._count_failed:
            raise StillCounting(f"the board's entries cannot be counted: {self._count_failed}")
        if self.uncounted:
            raise StillCounting(
                f"the board is being counted after the server restarted: {self._counting:,} of "
                f"{self.uncounted:,} entries so far; results follow when they are all counted"
            )

    def results_view(self, code: str) -> ResultsView:
        """The results of a unit (KeyError if there is none) at the latest checkpoint counted, which the answer
        names. Made once per checkpoint and unit, then answered from memory."""
        while True:
            counted = self.counted_at
            updated = self._updated(counted)
            with self.lock:
                if self.counted_at is not counted:  # counted on meanwhile: ask again, of the new checkpoint
                    continue
                self.require_counted()
                view = self._views.get(code)
                if view is None:
                    view = ResultsView(self.election.id, counted, self.results.view(code), updated)
                    self._views[code] = view
                return view

    def _updated(self, counted: Checkpoint | None) -> str | None:
        """When the board signed the checkpoint `counted` (None before any)."""
        if counted is None:
            return None
        size, signed = self._signed_time
        if size != counted.size:
            signed = self._signed_at(counted.size)
            self._signed_time = (counted.size, signed)
        return signed

    def arrivals(self, code: str = "") -> list[tuple[str, int]]:
        """(minute UTC, final actas received in it), in order: the progress over time of the unit of `code`
        (the nation by default; KeyError for a code the election does not have)."""
        if not code:
            return sorted(dict(self._arrivals).items())  # a plain dict's copy is atomic: no wait for a writer
        if code not in self.election.unit_by_code:
            raise KeyError(code)
        paths = self._paths
        counts: dict[str, int] = {}
        for station, minute in self._finals[:]:  # a list's copy is atomic too
            if code in paths.get(station, ()):
                counts[minute] = counts.get(minute, 0) + 1
        return sorted(counts.items())

    def unit_arrivals(self) -> dict[str, list[tuple[str, int]]]:
        """The progress over time of every unit with a final acta, in one pass (for publishing)."""
        paths = self._paths
        counts: dict[str, dict[str, int]] = {}
        for station, minute in self._finals[:]:
            for code in paths.get(station, ()):
                unit = counts.setdefault(code, {})
                unit[minute] = unit.get(minute, 0) + 1
        return {code: sorted(unit.items()) for code, unit in counts.items()}

    @cached_property
    def _paths(self) -> dict[str, tuple[str, ...]]:
        """The codes of the units above each station of the election."""
        return {s.code: tuple(u.code for u in self.election.path(s)) for s in self.election.stations}


def _station_line(data: bytes) -> str:
    """The station an acta's bytes name on their `station` line ("" if none: such an acta is refused
    when it is counted)."""
    start = data.find(STATION_LINE)
    if start < 0:
        return ""
    start += len(STATION_LINE)
    end = data.find(b"\n", start)
    return data[start : end if end >= 0 else len(data)].decode("utf-8", "replace")
