"""How often each witness may write: a token bucket per witness, so one stolen or runaway token cannot flood a
board or keep its scanners busy. A witness reports on a mesa or two; a roving one on a few more."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimit:
    """`per_minute` writes a minute for each key, `burst` of them at once."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """Key -> (tokens left, when they were counted)."""
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """0 when `key` may write now (and it is counted), else the seconds until it may."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
