"""Reading NIST SP 1500-100 v2 election results JSON (precinct level) into a dataset.

The reverse of `actas.exporters.nist`, and written for any system's export of that format: the
reporting units that VoteCounts name are the stations, the units that compose them (through
ComposingGpUnitIds) are the geography, each CandidateSelection is a ballot option of its
candidate, and a precinct's registered voters, voters and undervotes (null) are read where given.
Counts of type `total` are taken when a selection has them, else the other types are added up.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from actas.dataset.model import Dataset, Declared, Option, Provenance, StationRow
from actas.errors import FormatError, InputError
from actas.files import read_bytes

MAX_NIST_BYTES = 1024 * 1024 * 1024
OWN_PREFIX = "gpu-"
"""actas's own exports name a unit `gpu-<code>` and a candidate `cand-<contest>-<id>`; the prefixes are
dropped to give back the codes and ids."""


def _text(value: Any) -> str:
    """The first string of an InternationalizedText, or '' when there is none."""
    if isinstance(value, dict):
        for item in value.get("Text", []):
            if isinstance(item, dict) and isinstance(item.get("Content"), str):
                return str(item["Content"])
    return ""


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or int(value) != value:
        raise FormatError(f"{where}: {value!r} is not a whole number of votes")
    return int(value)


def _optional(unit: dict[str, Any], key: str, where: str) -> int | None:
    return None if unit.get(key) is None else _count(unit[key], f"{where} {key}")


def import_nist(path: Path, contest: str | None = None) -> Dataset:
    if not path.exists():
        raise InputError(f"no file {path}")
    data = read_bytes(path, limit=MAX_NIST_BYTES, what="NIST results file")
    try:
        report = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path} is not JSON: {exc}") from None
    except RecursionError:
        raise FormatError(f"{path} is nested deeper than any results file is") from None
    try:
        return _read(report, path, contest, f"{path.name} sha256:{hashlib.sha256(data).hexdigest()}")
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise FormatError(f"{path} is not NIST 1500-100 v2 election results JSON: missing or wrong {exc}") from None


def _read(report: dict[str, Any], path: Path, wanted: str | None, source: str) -> Dataset:
    if report.get("@type") != "ElectionResults.ElectionReport":
        raise FormatError(f"{path}: expected an ElectionResults.ElectionReport, found {str(report.get('@type'))[:60]}")
    units = {u["@id"]: u for u in report.get("GpUnit", [])}
    parent = {child: u["@id"] for u in units.values() for child in u.get("ComposingGpUnitIds", [])}
    contests = [c for e in report["Election"] for c in e.get("Contest", []) if "ContestSelection" in c]
    names = [c.get("@id", "") for c in contests] + [c.get("Name", "") for c in contests]
    chosen = [c for c in contests if wanted in (None, c.get("@id"), c.get("Name"))]
    if not chosen:
        raise FormatError(f"{path}: no contest {wanted!r} (the contests are: {', '.join(n for n in names if n)})")
    contest = chosen[0]
    people = {c["@id"]: _text(c.get("BallotName")) for e in report["Election"] for c in e.get("Candidate", [])}
    parties = {p["@id"]: p for p in report.get("Party", [])}
    options, counts = [], []
    for selection in contest["ContestSelection"]:
        candidate = (selection.get("CandidateIds") or [selection["@id"]])[0]
        endorsing = (selection.get("EndorsementPartyIds") or [None])[0]
        party = parties.get(endorsing) if endorsing else None
        option_id = _text(party.get("Abbreviation")) if party else ""
        name = (_text(party.get("Name")) if party else "") or people.get(candidate, candidate)
        own = f"cand-{str(contest['@id']).removeprefix('contest-')}-"  # how actas's own exports name candidates
        candidate_id = candidate.removeprefix(own)
        options.append(Option(option_id or candidate_id, name, candidate_id, people.get(candidate, candidate_id)))
        counts.append(_selection_counts(selection, path))
    order = {unit_id: i for i, unit_id in enumerate(units)}
    stations = sorted({unit for c in counts for unit in c}, key=lambda u: order.get(u, -1))
    null = {c["GpUnitId"]: c.get("Undervotes") for c in contest.get("OtherCounts", [])}

    chains = {s: _chain(s, parent, path) for s in stations}
    depth = max((len(c) for c in chains.values()), default=0)
    levels: list[str] = []
    for d in range(depth):
        kinds = [units[c[d]] for c in chains.values() if len(c) == depth and c[d] in units]
        levels.append(kinds[0].get("OtherType") or kinds[0].get("Type", f"level{d + 1}") if kinds else f"level{d + 1}")
    dataset = Dataset(
        name=_text(report["Election"][0].get("Name")) or path.stem,
        contest=str(contest.get("Name") or contest["@id"]),
        options=tuple(options),
        levels=tuple(levels),
        sources=[source],
        declared=Declared(contest.get("TotalSubUnits"), _declared_registered(units)),
    )
    for index, station in enumerate(stations):
        unit = units.get(station)
        if unit is None:
            raise FormatError(f"{path}: counts for reporting unit {station[:60]}, which is not among the GpUnits")
        place = chains[station]
        if len(place) != depth:
            raise FormatError(f"{path}: {station[:60]} is {len(place)} levels deep where other stations are {depth}")
        codes = tuple(p.removeprefix(OWN_PREFIX) for p in place)
        for d, p in enumerate(place):
            dataset.unit_names.setdefault(codes[: d + 1], _text(units[p].get("Name")) or codes[d])
        dataset.add(
            StationRow(
                station.removeprefix(OWN_PREFIX),
                codes,
                _optional(unit, "VotersRegistered", station),
                _optional(unit, "VotersParticipated", station),
                tuple(c.get(station, 0) for c in counts),
                None if null.get(station) is None else _count(null[station], f"{station} Undervotes"),
                None,
                Provenance(0, index + 1),
            )
        )
    return dataset


def _chain(unit_id: str, parent: dict[str, str], path: Path) -> list[str]:
    """The units above a station, top level first, the whole election (the root) left out."""
    found = []
    while unit_id in parent:
        unit_id = parent[unit_id]
        found.append(unit_id)
        if len(found) > 64:
            raise FormatError(f"{path}: the reporting units compose each other in a loop")
    return found[::-1][1:]


def _selection_counts(selection: dict[str, Any], path: Path) -> dict[str, int]:
    items = selection.get("VoteCounts", [])
    totals = [v for v in items if v.get("Type") == "total"]
    found: dict[str, int] = {}
    for item in totals or items:
        where = f"{path}: {selection['@id'][:60]} at {str(item['GpUnitId'])[:60]}"
        found[item["GpUnitId"]] = found.get(item["GpUnitId"], 0) + _count(item["Count"], where)
    return found


def _declared_registered(units: dict[str, dict[str, Any]]) -> int | None:
    """Registered voters of the whole election: the sum over the smallest units, if each gives it."""
    leaves = [u for u in units.values() if not u.get("ComposingGpUnitIds")]
    values = [u.get("VotersRegistered") for u in leaves]
    if not values or any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
        return None
    return sum(v for v in values if isinstance(v, int))
