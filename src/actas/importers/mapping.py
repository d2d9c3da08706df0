"""The mapping file: how to read a CSV of per-station results (TOML; see docs/import.md).

A mapping names the columns that hold the geography, the station, its registered voters and
voters, the null and blank votes, and the counts of each ballot option (a column each, the wide
format; or one row per option per station, the long format), and says how to read the file. Every
key is checked when the mapping is read, and a mistake is named with its place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actas.dataset.derived import Derived, compile_pattern
from actas.dataset.model import Declared, Option
from actas.errors import FormatError
from actas.importers.toml_file import read_toml

MAX_MAPPING_BYTES = 1024 * 1024
PRESETS = Path(__file__).parent / "presets"


@dataclass(frozen=True)
class Level:
    name: str
    code: tuple[str, ...]
    """Columns whose values, joined with '.', are the unit's code."""
    label: str | None = None
    """Column with the unit's name, if any."""


@dataclass(frozen=True)
class MappedOption:
    option: Option
    source: str
    """The column (wide) or the value of the option column (long) that holds its count."""


@dataclass(frozen=True)
class Mapping:
    name: str
    contest: str
    encoding: str
    delimiter: str
    skip_rows: int
    member: str | None
    levels: tuple[Level, ...]
    station: tuple[str, ...]
    registered: str | None
    voters: str | None
    null: str | None
    blank: str | None
    valid: str | None
    options: tuple[MappedOption, ...]
    long_option: str | None = None
    long_votes: str | None = None
    keep: dict[str, str] = field(default_factory=dict)
    """Long format: only rows whose columns hold these values (e.g. one office of a ballot)."""
    unknown: frozenset[str] = frozenset({""})
    declared: Declared = field(default_factory=Declared)
    derived: tuple[Derived, ...] = ()
    """Columns made from the file's own, in order, before anything else is read."""

    @property
    def wide(self) -> bool:
        return self.long_option is None

    def required_columns(self) -> list[str]:
        columns = [c for level in self.levels for c in (*level.code, level.label) if c]
        columns += list(self.station)
        columns += [c for c in (self.registered, self.voters, self.null, self.blank, self.valid) if c]
        if self.wide:
            columns += [o.source for o in self.options]
        else:
            columns += [c for c in (self.long_option, self.long_votes) if c] + list(self.keep)
        made = {d.name for d in self.derived}
        sources = [c for d in self.derived for c in d.sources if c not in made]
        return list(dict.fromkeys([c for c in columns if c not in made] + sources))


class _Table:
    """A TOML table being read: remembers where it is, to name the key that is wrong."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise FormatError(f"mapping: {where} must be a table")
        self.data, self.where, self.used = data, where, set[str]()

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise FormatError(f"mapping: {self.where}.{key} is required")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise FormatError(f"mapping: {self.where}.{key} has the wrong type ({type(value).__name__})")
        return value

    def columns(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.get(key, (str, list), required=required)
        if value is None:
            return ()
        names = [value] if isinstance(value, str) else value
        if not names or not all(isinstance(n, str) and n for n in names):
            raise FormatError(f"mapping: {self.where}.{key} must be a column name or a list of them")
        return tuple(names)

    def column(self, key: str) -> str | None:
        value: str | None = self.get(key, str)
        return value

    def table(self, key: str) -> _Table:
        return _Table(self.get(key, dict, default={}), f"{self.where}.{key}" if self.where else key)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise FormatError(f"mapping: unknown key {', '.join(unknown)} in {self.where or 'the top level'}")


def load_mapping(source: str) -> Mapping:
    """A mapping from a file, or a preset shipped with actas by name (e.g. `venezuela-2024`)."""
    return parse_mapping(read_toml(source, PRESETS, "mapping file", MAX_MAPPING_BYTES)[1])


def parse_mapping(data: dict[str, Any]) -> Mapping:
    top = _Table(data, "")
    dataset = top.table("dataset")
    read = top.table("read")
    station = top.table("station")
    declared = top.table("declared")
    long = top.table("long")
    levels = []
    for i, item in enumerate(top.get("level", list, default=[])):
        level = _Table(item, f"level[{i}]")
        levels.append(
            Level(level.get("name", str, required=True), level.columns("code", required=True), level.column("label"))
        )
        level.done()
    options = []
    for i, item in enumerate(top.get("option", list, default=[])):
        table = _Table(item, f"option[{i}]")
        source = table.get("column", str) or table.get("value", str)
        if not source:
            raise FormatError(f"mapping: option[{i}] needs a column (wide format) or a value (long format)")
        option_id = table.get("id", str, default=source.strip().lower().replace(" ", "-"))
        name = table.get("name", str, default=source)
        candidate = table.get("candidate", str, default=option_id)
        candidate_name = table.get("candidate_name", str, default=name)
        table.done()
        options.append(MappedOption(Option(option_id, name, candidate, candidate_name), source))
    if not options:
        raise FormatError("mapping: no [[option]]: name the columns (or values) that hold the counts")
    derived: list[Derived] = []
    for i, item in enumerate(top.get("column", list, default=[])):
        derived.append(_derived(_Table(item, f"column[{i}]"), {d.name for d in derived}))
    for i, d in enumerate(derived):
        later = {e.name for e in derived[i:]} & set(d.sources)
        if later:
            raise FormatError(f"mapping: column[{i}] is made from {sorted(later)}, made only after it")
    unknown = station.get("unknown", list, default=[""])
    mapping = Mapping(
        name=dataset.get("name", str, required=True),
        contest=dataset.get("contest", str, default="contest"),
        encoding=read.get("encoding", str, default="utf-8-sig"),
        delimiter=read.get("delimiter", str, default=","),
        skip_rows=read.get("skip_rows", int, default=0),
        member=read.get("member", str),
        levels=tuple(levels),
        station=station.columns("id", required=True),
        registered=station.column("registered"),
        voters=station.column("voters"),
        null=station.column("null"),
        blank=station.column("blank"),
        valid=station.column("valid"),
        options=tuple(options),
        long_option=long.column("option"),
        long_votes=long.column("votes"),
        keep={str(k): str(v) for k, v in long.get("keep", dict, default={}).items()},
        unknown=frozenset(str(u) for u in unknown),
        declared=Declared(declared.get("stations", int), declared.get("registered", int)),
        derived=tuple(derived),
    )
    for table in (top, dataset, read, station, declared, long):
        table.done()
    if len(mapping.delimiter) != 1:
        raise FormatError("mapping: read.delimiter must be one character")
    if mapping.skip_rows < 0:
        raise FormatError("mapping: read.skip_rows cannot be negative")
    if (mapping.long_option is None) != (mapping.long_votes is None):
        raise FormatError("mapping: [long] needs both option and votes")
    try:
        "".encode(mapping.encoding)
    except LookupError:
        raise FormatError(f"mapping: read.encoding {mapping.encoding!r} is not an encoding Python knows") from None
    ids = [o.option.id for o in options]
    if len(set(ids)) != len(ids):
        raise FormatError(f"mapping: option ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return mapping


def _derived(table: _Table, earlier: set[str]) -> Derived:
    """One [[column]]: a column made from others (see actas.dataset.derived)."""
    name = table.get("name", str, required=True)
    if not name or name in earlier:
        raise FormatError(f"mapping: {table.where}.name {name!r} is empty or already made by an earlier [[column]]")
    pattern = table.get("match", str)
    try:
        match = None if pattern is None else compile_pattern(pattern)
    except ValueError as exc:
        raise FormatError(f"mapping: {table.where}.match is not a regular expression actas reads: {exc}") from None
    zeros = table.get("zeros", (str, int))
    made = Derived(
        name=name,
        sources=table.columns("from", required=True),
        join=table.get("join", str, default=""),
        split=table.get("split", str),
        part=table.get("part", int, default=0),
        match=match,
        value=table.get("value", str, default="{1}" if match is not None and match.groups else "{0}"),
        zeros=zeros,
    )
    table.done()
    problem = made.check()
    if problem is not None:
        raise FormatError(f"mapping: {table.where}: {problem}")
    return made
