"""The election definition: contests, candidates, ballot options, geography and stations.

The definition is published before election day. Its fingerprint (SHA-256 of its canonical JSON,
see `actas.canonical`) is carried by the key registry and by every acta, so an acta cannot be
presented as belonging to another election or to an edited definition. The file format is
specified in docs/election-format.md; `Election.from_json` validates it and names the bad field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from actas.canonical import canonical_json, sha256_hex
from actas.errors import FormatError, InputError

FORMAT_TAG = "actas-election/1"
NULL_VOTE = "null"
"""The word an acta and a receipt use for a null vote; no ballot option may take it as its id."""

TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""Ids and codes: printed in actas and receipts, so no spaces, no '=', no '+'."""


@dataclass(frozen=True)
class Level:
    id: str
    name: str


@dataclass(frozen=True)
class Unit:
    """A place at one level of the geography (a state, a parish, a voting centre)."""

    code: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    color: str | None = None
    """The colour the pages draw the candidate in (`#rrggbb`), where the definition gives one."""


@dataclass(frozen=True)
class BallotOption:
    """A card on the ballot. Several cards (one per party) may count for one candidate."""

    id: str
    name: str
    candidate: str
    logo: str | None = None
    """The party's logo, an image file beside the definition (`logos/azul.png`), for the kiosk's card."""


@dataclass(frozen=True)
class Contest:
    id: str
    name: str
    candidates: tuple[Candidate, ...]
    options: tuple[BallotOption, ...]

    @cached_property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    @cached_property
    def candidate_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.candidates)


@dataclass(frozen=True)
class ShapesFile:
    """The shapes of the first-level units, a GeoJSON file (RFC 7946) beside the definition, for the
    results' map. The definition commits to the file by its SHA-256, so the map drawn is the one published;
    each feature names its unit by the code in its `property`."""

    file: str
    sha256: str
    property: str = "code"

    def to_json(self) -> dict[str, str]:
        named = {"property": self.property} if self.property != "code" else {}
        return {"file": self.file, "sha256": self.sha256, **named}


@dataclass(frozen=True)
class Station:
    """A polling station (mesa): one voting machine, one acta."""

    code: str
    unit: str
    registered: int


def contest_index(ids: Sequence[str], chosen: str | None, where: str) -> int:
    """Which of the contests `ids` an analysis is of: the one chosen, or the only one; an InputError naming
    them otherwise."""
    if chosen is None:
        if len(ids) == 1:
            return 0
        raise InputError(f"{where} has {len(ids)} contests ({', '.join(ids)}): choose one with --contest")
    if chosen not in ids:
        raise InputError(f"{where} has no contest {chosen[:40]!r}; its contests: {', '.join(ids)}")
    return list(ids).index(chosen)


@dataclass(frozen=True)
class Election:
    id: str
    name: str
    date: str
    levels: tuple[Level, ...]
    units: tuple[Unit, ...]
    contests: tuple[Contest, ...]
    stations: tuple[Station, ...]
    station_label: str = "Station"
    language: str | None = None
    """The language its pages, kiosks and printed actas speak by default (`es_VE`); English if none."""
    time_zone: str | None = None
    """The IANA time zone its times are shown in (`America/Caracas`); UTC if none."""
    shapes: ShapesFile | None = None
    """Where the first-level units' shapes are, for a map drawn from them (`actas.shapes`)."""

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the definition's canonical JSON."""
        return sha256_hex(canonical_json(self.to_json()))

    @cached_property
    def station_by_code(self) -> Mapping[str, Station]:
        return {s.code: s for s in self.stations}

    @cached_property
    def unit_by_code(self) -> Mapping[str, Unit]:
        return {u.code: u for u in self.units}

    @property
    def registered(self) -> int:
        return sum(s.registered for s in self.stations)

    def path(self, station: Station) -> tuple[Unit, ...]:
        """The units above a station, from the top level down."""
        return self.units_above(station.unit)

    def units_above(self, code: str) -> tuple[Unit, ...]:
        """The unit of `code` and the units above it, from the top level down (none for the nation, "")."""
        chain: list[Unit] = []
        found: str | None = code or None
        while found is not None:
            unit = self.unit_by_code[found]
            chain.append(unit)
            found = unit.parent
        return tuple(reversed(chain))

    def contest(self, chosen: str | None) -> Contest:
        """The contest an analysis is of: the one chosen, or the only one. An election of several contests
        is never analysed by silently taking one: without a choice, the error names them."""
        return self.contests[contest_index([c.id for c in self.contests], chosen, f"election {self.id}")]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_TAG,
            "id": self.id,
            "name": self.name,
            "date": self.date,
            "station_label": self.station_label,
            "levels": [{"id": lv.id, "name": lv.name} for lv in self.levels],
            "units": [{"code": u.code, "name": u.name, "level": u.level, "parent": u.parent} for u in self.units],
            "contests": [
                {
                    "id": c.id,
                    "name": c.name,
                    "candidates": [
                        {"id": k.id, "name": k.name, **({"color": k.color} if k.color else {})} for k in c.candidates
                    ],
                    "options": [
                        {"id": o.id, "name": o.name, "candidate": o.candidate, **({"logo": o.logo} if o.logo else {})}
                        for o in c.options
                    ],
                }
                for c in self.contests
            ],
            "stations": [{"code": s.code, "unit": s.unit, "registered": s.registered} for s in self.stations],
            **({"language": self.language} if self.language else {}),
            **({"time_zone": self.time_zone} if self.time_zone else {}),
            **({"shapes": self.shapes.to_json()} if self.shapes else {}),
        }

    @classmethod
    def from_json(cls, obj: Any) -> Election:
        """Validate a parsed definition; the first problem found is raised naming its field."""
        return _parse(obj)


# --- validation -------------------------------------------------------------------------------------------


COLOR_RE = re.compile(r"#[0-9a-f]{6}")
LOGO_RE = re.compile(
    r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}(?:/[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}){0,3}\.(?:png|jpg|jpeg|svg|webp)"
)
"""A logo's file, relative to the definition: no absolute path, no `..`, at most four levels deep."""
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")
"""A language as a definition names it: `es`, `es_VE`, `en`."""
SHAPES_RE = re.compile(
    r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}(?:/[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}){0,3}\.(?:geojson|json)"
)
"""The shapes' file, relative to the definition, as a logo's is."""
SHA256_RE = re.compile(r"[0-9a-f]{64}")
PROPERTY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")

ZONE_RE = re.compile(r"(?:UTC|[A-Z][A-Za-z_-]+(?:/[A-Z][A-Za-z0-9_+-]+){1,2})")
"""An IANA time zone's name (`America/Caracas`); whether this machine knows it is checked where a page
or a kiosk is served (`actas.i18n`)."""


def _fail(path: str, expected: str, found: Any) -> FormatError:
    shown = repr(found)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return FormatError(f"election definition: {path}: expected {expected}, found {shown}")


def _obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "an object", value)
    return value


def _list(value: Any, path: str, *, non_empty: bool = True) -> Sequence[Any]:
    if not isinstance(value, list):
        raise _fail(path, "a list", value)
    if non_empty and not value:
        raise _fail(path, "at least one item", value)
    return value


def _text(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise _fail(f"{path}.{key}", "a non-empty string of at most 200 characters", value)
    return value


def _token(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not TOKEN_RE.fullmatch(value):
        raise _fail(f"{path}.{key}", "an id of letters, digits, '.', '_' or '-' (at most 64)", value)
    return value


def _unique(ids: Sequence[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise _fail(f"{path}[{i}]", f"a {what} not already used", ident)
        seen.add(ident)


def _parse(raw: Any) -> Election:
    obj = _obj(raw, "$")
    if obj.get("format") != FORMAT_TAG:
        raise _fail("$.format", repr(FORMAT_TAG), obj.get("format"))
    date = _text(obj, "date", "$")
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        raise _fail("$.date", "a date as YYYY-MM-DD", date) from None
    if len(date) != 10:
        raise _fail("$.date", "a date as YYYY-MM-DD", date)

    levels = tuple(
        Level(_token(_obj(lv, f"$.levels[{i}]"), "id", f"$.levels[{i}]"), _text(lv, "name", f"$.levels[{i}]"))
        for i, lv in enumerate(_list(obj.get("levels"), "$.levels"))
    )
    _unique([lv.id for lv in levels], "$.levels", "level id")
    depth = {lv.id: i for i, lv in enumerate(levels)}

    units = tuple(_parse_unit(u, f"$.units[{i}]") for i, u in enumerate(_list(obj.get("units"), "$.units")))
    _unique([u.code for u in units], "$.units", "unit code")
    by_code = {u.code: u for u in units}
    for i, u in enumerate(units):
        path = f"$.units[{i}]"
        if u.level not in depth:
            raise _fail(f"{path}.level", f"one of the levels {list(depth)}", u.level)
        if depth[u.level] == 0:
            if u.parent is not None:
                raise _fail(f"{path}.parent", "null for a unit of the top level", u.parent)
        else:
            parent = by_code.get(u.parent) if u.parent is not None else None
            if parent is None:
                raise _fail(f"{path}.parent", "the code of a unit in the definition", u.parent)
            if depth[parent.level] != depth[u.level] - 1:
                raise _fail(f"{path}.parent", f"a unit of level {levels[depth[u.level] - 1].id}", u.parent)

    contests = tuple(
        _parse_contest(c, f"$.contests[{i}]") for i, c in enumerate(_list(obj.get("contests"), "$.contests"))
    )
    _unique([c.id for c in contests], "$.contests", "contest id")

    lowest = levels[-1].id
    stations_raw = _list(obj.get("stations"), "$.stations")
    stations = []
    for i, s in enumerate(stations_raw):
        path = f"$.stations[{i}]"
        s = _obj(s, path)
        code = _token(s, "code", path)
        unit = s.get("unit")
        if unit not in by_code or by_code[unit].level != lowest:
            raise _fail(f"{path}.unit", f"the code of a unit of level {lowest}", unit)
        registered = s.get("registered")
        if type(registered) is not int or not 0 <= registered <= 10**8:
            raise _fail(f"{path}.registered", "a whole number of registered voters, 0 or more", registered)
        stations.append(Station(code, unit, registered))
    _unique([s.code for s in stations], "$.stations", "station code")

    station_label = obj.get("station_label", "Station")
    if not isinstance(station_label, str) or not station_label:
        raise _fail("$.station_label", "a non-empty string", station_label)
    spoken = obj.get("language")
    if spoken is not None and (not isinstance(spoken, str) or not LANGUAGE_RE.fullmatch(spoken)):
        raise _fail("$.language", "a language code such as es_VE or en", spoken)
    zone = obj.get("time_zone")
    if zone is not None and (not isinstance(zone, str) or not ZONE_RE.fullmatch(zone)):
        raise _fail("$.time_zone", "an IANA time zone such as America/Caracas", zone)
    known = {"format", "id", "name", "date", "levels", "units", "contests", "stations", "station_label"}
    known |= {"language", "time_zone", "shapes"}
    unknown = sorted(set(obj) - known)
    if unknown:
        raise _fail("$", f"only the fields {sorted(known)}", unknown)
    return Election(
        id=_token(obj, "id", "$"),
        name=_text(obj, "name", "$"),
        date=date,
        levels=levels,
        units=units,
        contests=contests,
        stations=tuple(stations),
        station_label=station_label,
        language=spoken,
        time_zone=zone,
        shapes=_shapes(obj.get("shapes")),
    )


def _shapes(raw: Any) -> ShapesFile | None:
    if raw is None:
        return None
    shapes = _obj(raw, "$.shapes")
    unknown = sorted(set(shapes) - {"file", "sha256", "property"})
    if unknown:
        raise _fail("$.shapes", "only the fields ['file', 'property', 'sha256']", unknown)
    file, digest, prop = shapes.get("file"), shapes.get("sha256"), shapes.get("property", "code")
    if not isinstance(file, str) or not SHAPES_RE.fullmatch(file):
        raise _fail("$.shapes.file", "a relative path to a .geojson or .json file beside the definition", file)
    if not isinstance(digest, str) or not SHA256_RE.fullmatch(digest):
        raise _fail("$.shapes.sha256", "the file's SHA-256 as 64 lowercase hexadecimal digits", digest)
    if not isinstance(prop, str) or not PROPERTY_RE.fullmatch(prop):
        raise _fail("$.shapes.property", "the name of the features' property that holds the unit's code", prop)
    return ShapesFile(file, digest, prop)


def _parse_unit(raw: Any, path: str) -> Unit:
    u = _obj(raw, path)
    parent = u.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise _fail(f"{path}.parent", "a unit code or null", parent)
    return Unit(_token(u, "code", path), _text(u, "name", path), _token(u, "level", path), parent)


def _color(obj: Mapping[str, Any], path: str) -> str | None:
    value = obj.get("color")
    if value is not None and (not isinstance(value, str) or not COLOR_RE.fullmatch(value)):
        raise _fail(f"{path}.color", "a colour as #rrggbb", value)
    return value


def _parse_contest(raw: Any, path: str) -> Contest:
    c = _obj(raw, path)
    candidates = tuple(
        Candidate(
            _token(_obj(k, f"{path}.candidates[{i}]"), "id", f"{path}.candidates[{i}]"),
            _text(k, "name", f"{path}.candidates[{i}]"),
            _color(k, f"{path}.candidates[{i}]"),
        )
        for i, k in enumerate(_list(c.get("candidates"), f"{path}.candidates"))
    )
    _unique([k.id for k in candidates], f"{path}.candidates", "candidate id")
    known = {k.id for k in candidates}
    options = []
    for i, o in enumerate(_list(c.get("options"), f"{path}.options")):
        opath = f"{path}.options[{i}]"
        o = _obj(o, opath)
        oid = _token(o, "id", opath)
        if oid.lower() == NULL_VOTE:
            raise _fail(f"{opath}.id", f"an id other than {NULL_VOTE!r}, which actas use for null votes", oid)
        cand = o.get("candidate")
        if cand not in known:
            raise _fail(f"{opath}.candidate", f"one of the contest's candidates {sorted(known)}", cand)
        logo = o.get("logo")
        if logo is not None and (not isinstance(logo, str) or not LOGO_RE.fullmatch(logo)):
            raise _fail(
                f"{opath}.logo", "a relative path to a .png, .jpg, .svg or .webp file beside the definition", logo
            )
        options.append(BallotOption(oid, _text(o, "name", opath), cand, logo))
    _unique([o.id for o in options], f"{path}.options", "option id")
    without = [k.id for k in candidates if not any(o.candidate == k.id for o in options)]
    if without:
        raise _fail(f"{path}.options", "at least one ballot option for every candidate", without)
    return Contest(_token(c, "id", path), _text(c, "name", path), candidates, tuple(options))
