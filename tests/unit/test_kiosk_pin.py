"""The poll workers' PIN and sessions, on a clock the test moves: lockouts that escalate and hold for a day."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from actas.errors import FormatError
from actas.kiosk.app import SESSION_IDLE_SECONDS, Sessions
from actas.kiosk.pin import LOCKOUT_MINUTES, TRIES_BEFORE_LOCKOUT, PinGuard

PIN = "975310"


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def guard(path: Path, clock: Clock) -> PinGuard:
    return PinGuard(hashlib.sha256(PIN.encode()).digest(), path, clock)


def lock(pins: PinGuard) -> None:
    for _ in range(TRIES_BEFORE_LOCKOUT):
        assert pins.check("000000") == "wrong PIN"


def test_lockouts_escalate_and_only_a_correct_pin_resets_them(tmp_path: Path) -> None:
    clock = Clock()
    pins = guard(tmp_path / "pin.lockout", clock)
    assert pins.check(PIN) is None
    for minutes in [*LOCKOUT_MINUTES, LOCKOUT_MINUTES[-1]]:
        lock(pins)
        clock.now += 60 * minutes - 1
        refused = pins.check(PIN)
        assert refused is not None and "locked" in refused  # even the right PIN, until the time is up
        clock.now += 2
        clock.now += 24 * 3600  # a day later the next lockout is still the longer one
    assert pins.check(PIN) is None
    lock(pins)
    clock.now += 60 * LOCKOUT_MINUTES[0] + 1
    assert pins.check(PIN) is None  # back to the first step after a correct PIN


def test_the_lockout_survives_a_restart_and_its_file_is_private(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "pin.lockout"
    lock(guard(path, clock))
    assert path.stat().st_mode & 0o777 == 0o600
    restarted = guard(path, clock)
    refused = restarted.check(PIN)
    assert refused is not None and "locked" in refused
    clock.now += 61
    lock(restarted)
    clock.now += 60 * LOCKOUT_MINUTES[1] - 5
    assert "locked" in (guard(path, clock).check(PIN) or "")


def test_four_wrong_pins_then_the_right_one_starts_the_count_again(tmp_path: Path) -> None:
    pins = guard(tmp_path / "pin.lockout", Clock())
    for _ in range(3):
        for _ in range(TRIES_BEFORE_LOCKOUT - 1):
            assert pins.check("123456") == "wrong PIN"
        assert pins.check(PIN) is None
    assert pins.check(None) == "wrong PIN" and pins.check(975310) == "wrong PIN"


def test_a_damaged_lockout_file_keeps_the_kiosk_from_starting(tmp_path: Path) -> None:
    path = tmp_path / "pin.lockout"
    path.write_text("{not json")
    path.chmod(0o600)
    with pytest.raises(FormatError, match="damaged"):
        guard(path, Clock())


def test_a_session_lapses_after_its_idle_time_and_use_keeps_it() -> None:
    clock = Clock()
    sessions = Sessions(clock)
    token = sessions.start()
    for _ in range(5):
        clock.now += SESSION_IDLE_SECONDS - 1
        assert sessions.valid(token)
    clock.now += SESSION_IDLE_SECONDS + 1
    assert not sessions.valid(token) and not sessions.valid(None) and not sessions.valid("forged")
    other = sessions.start()
    sessions.end(other)
    assert not sessions.valid(other)
