"""The acta's QR code(s): ISO/IEC 18004, byte mode, error correction level M.

A payload of at most MAX_PART_BYTES goes into one code verbatim, so any phone's QR app shows the
acta as text. A longer payload is cut, at line ends where it can be, into parts that each begin
with a header line, as Brazil's boletim de urna numbers its codes `i:n`:

    actas-qr <i>:<n> <first 16 hex digits of SHA-256(payload)>

The digest ties the parts of one acta together; the acta's own signature protects its contents.
MAX_PART_BYTES keeps each code at version 16 (81x81 modules) or below, which a phone camera reads
from a thermal-paper print at about 0.8 mm a module.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import segno

from actas.errors import FormatError

MAX_PART_BYTES = 440
ERROR_LEVEL = "m"
PART_PREFIX = "actas-qr "
MAX_PARTS = 16
_HEADER_RE = re.compile(r"actas-qr ([1-9][0-9]?):([1-9][0-9]?) ([0-9a-f]{16})\n")


def _digest16(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def split_payload(payload: str) -> list[str]:
    """The text of each QR code for a payload, in order."""
    if len(payload.encode()) <= MAX_PART_BYTES:
        return [payload]
    budget = MAX_PART_BYTES - len(f"{PART_PREFIX}{MAX_PARTS}:{MAX_PARTS} {'0' * 16}\n")
    chunks: list[str] = []
    current = ""
    for piece in _pieces(payload.splitlines(keepends=True), budget):
        if current and len((current + piece).encode()) > budget:
            chunks.append(current)
            current = ""
        current += piece
    chunks.append(current)
    if len(chunks) > MAX_PARTS:
        raise FormatError(f"payload needs {len(chunks)} QR codes, more than {MAX_PARTS}")
    digest = _digest16(payload)
    return [f"{PART_PREFIX}{i}:{len(chunks)} {digest}\n{chunk}" for i, chunk in enumerate(chunks, start=1)]


def _pieces(lines: list[str], budget: int) -> Iterable[str]:
    """Lines, with any line longer than the budget cut at character boundaries."""
    for line in lines:
        while len(line.encode()) > budget:
            cut = budget
            while len(line[:cut].encode()) > budget:
                cut -= 1
            yield line[:cut]
            line = line[cut:]
        yield line


def join_parts(texts: Iterable[str]) -> list[str]:
    """Put scanned QR texts back together into whole payloads (single-code payloads pass through)."""
    payloads: list[str] = []
    groups: dict[str, dict[int, str]] = {}
    totals: dict[str, int] = {}
    for text in texts:
        if not text.startswith(PART_PREFIX):
            if text not in payloads:
                payloads.append(text)
            continue
        match = _HEADER_RE.match(text)
        if match is None:
            raise FormatError(f"QR part header is malformed: {text.split(chr(10), 1)[0][:60]!r}")
        i, n, digest = int(match[1]), int(match[2]), match[3]
        if i > n or n > MAX_PARTS:
            raise FormatError(f"QR part {i}:{n} is out of range")
        if totals.setdefault(digest, n) != n:
            raise FormatError(f"QR parts of acta {digest} disagree on how many parts there are")
        chunk = text[match.end() :]
        if groups.setdefault(digest, {}).setdefault(i, chunk) != chunk:
            raise FormatError(f"two different QR parts {i}:{n} for acta {digest}")
    for digest, parts in groups.items():
        n = totals[digest]
        missing = [str(i) for i in range(1, n + 1) if i not in parts]
        if missing:
            raise FormatError(f"QR codes of acta {digest} are incomplete: part(s) {', '.join(missing)} of {n} missing")
        payload = "".join(parts[i] for i in range(1, n + 1))
        if _digest16(payload) != digest:
            raise FormatError(f"QR parts of acta {digest} do not join into the acta they name")
        payloads.append(payload)
    return payloads


def qr_codes(payload: str) -> list[segno.QRCode]:
    return [
        segno.make_qr(part.encode(), error=ERROR_LEVEL, mode="byte", boost_error=False)
        for part in split_payload(payload)
    ]
