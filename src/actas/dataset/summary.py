"""Totals and coverage of a dataset at any level of its geography, as plain data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from actas.dataset.model import Dataset, Signatures, level_index, natural_order


def summarize(dataset: Dataset, level: str | None = None) -> dict[str, Any]:
    """The nation's totals and coverage, and one entry per unit of `level` (none for the nation)."""
    depth = level_index(dataset.levels, level)
    columns = dataset.candidate_columns()
    units: dict[tuple[str, ...], dict[str, Any]] = {}
    nation = _empty(len(columns))
    for row in dataset.rows:
        place = row.path[:depth]
        targets = [nation] if depth == 0 else [nation, units.setdefault(place, _empty(len(columns)))]
        for unit in targets:
            unit["stations"] += 1
            if row.registered is not None:
                unit["registered"] += row.registered
                unit["stations_with_registered"] += 1
            if row.voters is not None:
                unit["voters"] += row.voters
            if row.null is not None:
                unit["null"] += row.null
                unit["stations_with_null"] += 1
            if row.blank is not None:
                unit["blank"] += row.blank
            for k, positions in enumerate(columns):
                unit["votes"][k] += sum(row.votes[i] for i in positions)
    candidates = dataset.candidates
    return {
        "dataset": dataset.name,
        "contest": dataset.contest,
        "sources": dataset.sources,
        "level": level or "national",
        "declared": {"stations": dataset.declared.stations, "registered": dataset.declared.registered},
        "candidates": [{"id": c, "name": n} for c, n in candidates],
        "signatures": asdict(Signatures.of(row.provenance.signature for row in dataset.rows)),
        "national": _finish(nation, "", "national", candidates),
        "units": [
            _finish(unit, "/".join(place), dataset.unit_names.get(place, place[-1]), candidates)
            for place, unit in sorted(units.items(), key=lambda item: natural_order(item[0]))
        ],
    }


def _empty(width: int) -> dict[str, Any]:
    return {
        "stations": 0,
        "stations_with_registered": 0,
        "stations_with_null": 0,
        "registered": 0,
        "voters": 0,
        "null": 0,
        "blank": 0,
        "votes": [0] * width,
    }


def _finish(unit: dict[str, Any], code: str, name: str, candidates: list[tuple[str, str]]) -> dict[str, Any]:
    votes = unit.pop("votes")
    return {
        "code": code,
        "name": name,
        **unit,
        "valid": sum(votes),
        "votes": {c: v for (c, _), v in zip(candidates, votes, strict=True)},
    }
