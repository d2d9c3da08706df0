"""Strict readers for the fields of the project's line-based text formats (actas, registries)."""

from __future__ import annotations

import datetime as dt
import math
import re

from actas.errors import FormatError, InputError

MAX_COUNT = 999_999_999
_UINT_RE = re.compile(r"0|[1-9][0-9]{0,8}")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def parse_uint(text: str, where: str) -> int:
    """A whole number written canonically: ASCII digits, no sign, no leading zero, at most 9 digits."""
    if not _UINT_RE.fullmatch(text):
        shown = text[:20]
        raise FormatError(f"{where}: expected a whole number (0 to {MAX_COUNT}, no leading zeros), found {shown!r}")
    return int(text)


def parse_hex64(text: str, where: str) -> str:
    """A SHA-256 digest as 64 lowercase hex digits."""
    if not _HEX64_RE.fullmatch(text):
        raise FormatError(f"{where}: expected 64 lowercase hex digits (a SHA-256), found {text[:20]!r}")
    return text


def parse_utc_time(text: str, where: str) -> str:
    """A UTC time as YYYY-MM-DDTHH:MM:SSZ (RFC 3339, whole seconds)."""
    if _TIME_RE.fullmatch(text):
        try:
            dt.datetime.fromisoformat(text[:-1])
            return text
        except ValueError:
            pass
    raise FormatError(f"{where}: expected a UTC time as YYYY-MM-DDTHH:MM:SSZ, found {text[:25]!r}")


def format_utc_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_weights(text: str, option: str, expected: str, at_most: float = math.inf) -> dict[str, float]:
    """KEY=NUMBER,... as given on a command line (shares, weights): a number from 0 to `at_most` per key;
    anything else is an InputError that names the option, what it expects and the item found."""
    found: dict[str, float] = {}
    for item in text.split(","):
        key, sep, value = item.strip().partition("=")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not sep or not 0 <= number <= at_most:
            raise InputError(f"{option}: expected {expected}, found {item.strip()!r}")
        found[key] = number
    return found
