"""What a write to the board comes to, as the board knows it: an entry (new, the same again, or a second
one for a station, kept and flagged), or a refusal with its reason. How that is said over HTTP is the
server's to decide (`server.answers`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Entry(StrEnum):
    ACCEPTED = "accepted"
    """A new entry."""
    DUPLICATE = "duplicate"
    """The same bytes are on the board already: the answer names that entry."""
    CONFLICT = "conflict"
    """A second, different acta of a station: kept, and the station flagged as in conflict."""


class Reason(StrEnum):
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    INVALID = "invalid"
    """Well formed, but its checks fail (a signature, a sum, an unknown mesa)."""
    FORBIDDEN = "forbidden"
    """Not the sender's to send: another witness's report, an announcement not signed by the authority."""
    NOT_ASSIGNED = "not_assigned"
    """A witness's report on a mesa they are not assigned to, where roving witnesses are not taken."""
    UNAVAILABLE = "unavailable"
    """The database could not take the write: nothing was recorded."""
    INSUFFICIENT_STORAGE = "insufficient_storage"
    """The database's disk is full: nothing was recorded."""


@dataclass(frozen=True)
class Entered:
    """A write the board holds at `index`; `said` is what the answer tells of it (the station or title, and
    once a checkpoint covers it, the receipt)."""

    entry: Entry
    index: int
    said: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Refused:
    reason: Reason
    message: str


Outcome = Entered | Refused
