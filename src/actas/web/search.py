"""Finding a place or a mesa: every unit by name or code and every mesa by code, accent- and
case-insensitive. The same index answers the search page on the server and, as a small static file,
the search box that answers as one types."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from actas.election import Election

MAX_QUERY = 100
"""Longer queries are cut: no name or code is longer."""
SHOWN = 12


def folded(text: str) -> str:
    """Text as the search compares it: without accents, case or repeated spaces (`Bolívar` → `bolivar`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


@dataclass(frozen=True)
class Hit:
    """One answer: a unit (kind "unit") or a mesa (kind "mesa"), and where it is."""

    kind: str
    code: str
    name: str
    within: str
    """The unit above it, by name ("" at the top level)."""


@dataclass(frozen=True)
class SearchIndex:
    election: Election

    @cached_property
    def _units(self) -> list[tuple[str, str, Hit]]:
        names = {u.code: u.name for u in self.election.units}
        return [
            (folded(u.name), folded(u.code), Hit("unit", u.code, u.name, names.get(u.parent or "", "")))
            for u in self.election.units
        ]

    @cached_property
    def _stations(self) -> list[tuple[str, Hit]]:
        names = {u.code: u.name for u in self.election.units}
        label = self.election.station_label
        return [
            (folded(s.code), Hit("mesa", s.code, f"{label} {s.code}", names.get(s.unit, "")))
            for s in self.election.stations
        ]

    def find(self, query: str, limit: int = SHOWN) -> list[Hit]:
        """Units whose name or code holds the query, best first (the code or name itself, then those that
        start with it, then those with a word that does, then the rest), then mesas whose code starts with
        it."""
        wanted = folded(query[:MAX_QUERY])
        if not wanted:
            return []
        ranked: list[tuple[int, int, Hit]] = []
        for order, (name, code, hit) in enumerate(self._units):
            if wanted in (name, code):
                rank = 0
            elif name.startswith(wanted) or code.startswith(wanted):
                rank = 1
            elif f" {wanted}" in f" {name}":
                rank = 2
            elif wanted in name or wanted in code:
                rank = 3
            else:
                continue
            ranked.append((rank, order, hit))
        found = [hit for _, _, hit in sorted(ranked, key=lambda r: (r[0], r[1]))[:limit]]
        if len(found) < limit:
            found += [hit for code, hit in self._stations if code.startswith(wanted)][: limit - len(found)]
        return found

    def to_json(self) -> dict[str, Any]:
        """The static index the search box loads: units as [code, name, index of the parent or -1], mesas as
        [code, index of its unit], a mesa's code written `+REST` where it is its unit's code followed by REST
        (no code holds a `+`); the box folds text as `folded` does."""
        at = {u.code: i for i, u in enumerate(self.election.units)}

        def short(code: str, unit: str) -> str:
            return f"+{code[len(unit) :]}" if code.startswith(unit) else code

        return {
            "label": self.election.station_label,
            "units": [[u.code, u.name, at.get(u.parent or "", -1)] for u in self.election.units],
            "mesas": [[short(s.code, s.unit), at[s.unit]] for s in self.election.stations],
        }
