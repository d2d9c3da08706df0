"""Every error actas raises on purpose.

    ActasError                      base; carries the CLI exit code
    ├── InputError                  could not run: the input is unusable (exit 2)
    │   ├── FormatError             a file, payload or field is not in its documented format
    │   ├── KeyFileError            a key file is missing, unreadable or not a key
    │   ├── TooLargeError           an input is larger than its limit (found while reading it)
    │   └── StorageError            the database cannot take a write now (full, gone): nothing was written
    │   ├── MachineStateError       the voting machine refuses an action in its current state
    │   └── AuditError              an audit's or a quick count's arithmetic cannot be done on these figures
    ├── VerificationError           the input was read and checked, and a check failed (exit 1)
    └── StillCounting               a restarted server is still counting its board: no results yet

Messages say what failed, what was expected and what was found, and never include secrets.
"""

from __future__ import annotations


class ActasError(Exception):
    """Base of every error actas raises on purpose."""

    exit_code = 2


class InputError(ActasError):
    """The input could not be used at all."""

    exit_code = 2


class FormatError(InputError):
    """A file, payload or field does not follow its documented format."""


class KeyFileError(InputError):
    """A key file is missing, unreadable, or does not hold a key."""


class TooLargeError(InputError):
    """An input is larger than its limit, found while it was read (a declared size is not trusted)."""


class StorageError(InputError):
    """The board's database could not take a write (its disk is full, it went away): nothing was written,
    and the same write can be tried again later."""

    def __init__(self, message: str, *, full: bool) -> None:
        super().__init__(message)
        self.full = full


class MachineStateError(InputError):
    """The voting machine refuses an action that its state does not allow."""


class AuditError(InputError):
    """An audit's or a quick count's arithmetic cannot be done on these figures: a contest with no loser, a
    sample larger than its population, a parameter out of range."""


class VerificationError(ActasError):
    """The input was read, and a check on it failed."""

    exit_code = 1


class StillCounting(ActasError):
    """A server that restarted is still counting what its board's entries add up to; it answers results
    once it has (it takes submissions meanwhile)."""


class BoardHalted(VerificationError):
    """The board's own cosigners hold a checkpoint, signed with the board's key, that its database no longer
    extends (it was rolled back or forked): the server takes nothing more."""
