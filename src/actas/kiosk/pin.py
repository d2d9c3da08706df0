"""The poll workers' PIN: at least six digits, compared in constant time, and a lockout that holds for a day.

Five wrong PINs in a row lock the PIN for 1 minute; each further lockout is longer (5, 15, then 60
minutes each time). Nothing but a correct PIN brings the lockout back to its first step: not time
passing, and not restarting the kiosk, because the count is kept in a file (0600) beside the
journal. With six digits that leaves an attacker about a hundred guesses in a fourteen-hour day,
one chance in ten thousand. Every wrong PIN and every lockout is logged; the log says nothing of
any vote.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from actas.errors import FormatError, InputError
from actas.files import read_private, write_private

PIN_RE = re.compile(r"[0-9]{6,64}")
TRIES_BEFORE_LOCKOUT = 5
LOCKOUT_MINUTES = (1, 5, 15, 60)
MAX_STATE_BYTES = 1024

log = logging.getLogger("actas.kiosk")


def load_pin(path: Path) -> bytes:
    """The SHA-256 of the PIN in a 0600 file, refused unless it is at least six digits."""
    pin = read_private(path, 256, "PIN file").strip()
    if not PIN_RE.fullmatch(pin):
        raise InputError(f"{path}: the PIN must be 6 to 64 digits (0-9)")
    return hashlib.sha256(pin.encode()).digest()


@dataclass
class Lockout:
    failures: int = 0
    """Wrong PINs in a row since the last lockout or the last correct PIN."""
    lockouts: int = 0
    """Lockouts since the last correct PIN: which step of LOCKOUT_MINUTES the next one takes."""
    until: float = 0.0
    """Locked until this time (seconds since the epoch: it holds across restarts)."""


class PinGuard:
    """Checks PINs and keeps the lockout in `state_path`."""

    def __init__(self, pin_sha256: bytes, state_path: Path, clock: Callable[[], float] = time.time) -> None:
        self.pin_sha256 = pin_sha256
        self.state_path = state_path
        self.clock = clock
        self.state = self._load()

    def _load(self) -> Lockout:
        if not self.state_path.exists():
            return Lockout()
        try:
            obj = json.loads(read_private(self.state_path, MAX_STATE_BYTES, "PIN lockout file"))
            return Lockout(int(obj["failures"]), int(obj["lockouts"]), float(obj["until"]))
        except (ValueError, KeyError, TypeError):
            raise FormatError(f"{self.state_path} is damaged: the kiosk starts once a poll worker removes it") from None

    def _save(self) -> None:
        state = self.state
        write_private(self.state_path, json.dumps({"failures": state.failures, "lockouts": state.lockouts,
                                                   "until": state.until}))  # fmt: skip

    def check(self, pin: object) -> str | None:
        """Why a PIN is refused, if it is."""
        now, state = self.clock(), self.state
        if now < state.until:
            return f"too many wrong PINs: the PIN is locked for {(state.until - now) / 60:.0f} more minutes"
        given = hashlib.sha256(pin.encode()).digest() if isinstance(pin, str) else b""
        if hmac.compare_digest(given, self.pin_sha256):
            if state.failures or state.lockouts:
                self.state = Lockout()
                self._save()
            return None
        state.failures += 1
        log.warning("wrong PIN (%d in a row)", state.failures)
        if state.failures >= TRIES_BEFORE_LOCKOUT:
            minutes = LOCKOUT_MINUTES[min(state.lockouts, len(LOCKOUT_MINUTES) - 1)]
            state.failures, state.lockouts, state.until = 0, state.lockouts + 1, now + 60 * minutes
            log.warning("PIN locked for %d minutes after %d wrong PINs in a row", minutes, TRIES_BEFORE_LOCKOUT)
        self._save()
        return "wrong PIN"
