"""Witnesses' credentials: the organization gives each witness a secret token and publishes only its hash.

The witness list is plain text, one witness a line with the SHA-256 of the witness's token:

    actas witness list v1
    W-0001 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    W-0002 ...

The observer server publishes it on its board, so anyone can check that every report on the board
came from a witness the organization registered, and no one can use the list to send a report. A
token is 256 random bits, which makes its hash safe to publish.
"""

from __future__ import annotations

import hashlib
import re

from actas.errors import FormatError

FORMAT_LINE = "actas witness list v1"
MAX_WITNESSES = 1_000_000
MAX_WITNESS_LIST_BYTES = 100 * MAX_WITNESSES
_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]{0,63}) ([0-9a-f]{64})")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def witness_list_text(witnesses: dict[str, str]) -> str:
    """The list's text from witness id -> token hash, in id order."""
    return "".join([FORMAT_LINE + "\n", *(f"{w} {h}\n" for w, h in sorted(witnesses.items()))])


def parse_witness_list(text: str) -> dict[str, str]:
    """Witness id -> token hash; every line is checked, no id or hash appears twice."""
    lines = text.split("\n")
    if lines[0] != FORMAT_LINE or lines[-1] != "":
        raise FormatError(f"witness list: the first line must be {FORMAT_LINE!r} and the text end with a newline")
    if len(lines) - 2 > MAX_WITNESSES:
        raise FormatError(f"witness list: more than {MAX_WITNESSES:,} witnesses")
    witnesses: dict[str, str] = {}
    for number, line in enumerate(lines[1:-1], start=2):
        match = _LINE.fullmatch(line)
        if match is None:
            raise FormatError(f"witness list line {number}: expected 'WITNESS-ID SHA256-OF-TOKEN', found {line[:80]!r}")
        witness, digest = match.groups()
        if witness in witnesses:
            raise FormatError(f"witness list line {number}: witness {witness} is listed twice")
        witnesses[witness] = digest
    if len(set(witnesses.values())) != len(witnesses):
        raise FormatError("witness list: two witnesses have the same token")
    return witnesses
