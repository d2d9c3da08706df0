"""Every error actas raises on purpose.

    ActasError                      base; carries the CLI exit code
    ├── InputError                  could not run: the input is unusable (exit 2)
    │   ├── FormatError             a file, payload or field is not in its documented format
    │   ├── KeyFileError            a key file is missing, unreadable or not a key
    │   └── MachineStateError       the voting machine refuses an action in its current state
    └── VerificationError           the input was read and checked, and a check failed (exit 1)

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


class MachineStateError(InputError):
    """The voting machine refuses an action that its state does not allow."""


class VerificationError(ActasError):
    """The input was read, and a check on it failed."""

    exit_code = 1
