"""A unit's results as CSV, as its page lists them: one row per child unit, or at the lowest level one row
per mesa, with every candidate's votes in the first contest's ballot order. Made from the same answer as
the page (`UnitResults`), so the file and the page cannot disagree."""

from __future__ import annotations

import csv
import io

from actas.tally.view import UnitResults

SAFE_START = ("=", "+", "-", "@", "\t", "\r")
"""A cell a spreadsheet would read as a formula starts with one of these: such a name gets a leading '."""


def _cell(value: object) -> object:
    return f"'{value}" if isinstance(value, str) and value.startswith(SAFE_START) else value


def unit_csv(unit: UnitResults) -> str:
    """The CSV text: a header, then a row per child unit (or per mesa)."""
    candidates = [c.id for c in unit.contests[0].candidates] if unit.contests else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: a name holding a line break is quoted
    if unit.children:
        writer.writerow(["code", "name", "level", "stations", "reported", "conflicts", "registered", "covered",
                         "voters", "valid", *candidates])  # fmt: skip
        for child in unit.children:
            shares = child.contests[0] if child.contests else None
            votes = dict(shares.candidates) if shares else {}
            c = child.coverage
            writer.writerow([_cell(child.code), _cell(child.name), child.level, c.stations, c.reported, c.conflicts,
                             c.registered, c.covered, c.voters, shares.valid if shares else 0,
                             *(votes.get(k, 0) for k in candidates)])  # fmt: skip
    else:
        writer.writerow(["code", "status", "registered", "voters", "valid", *candidates])
        for s in unit.stations:
            shares = s.contests[0] if s.contests else None
            votes = dict(shares.candidates) if shares else {}
            counted = shares is not None
            writer.writerow([_cell(s.code), s.status, s.registered, s.voters if counted else "",
                             shares.valid if shares else "", *(votes.get(k, "") for k in candidates)])  # fmt: skip
    return buffer.getvalue()
