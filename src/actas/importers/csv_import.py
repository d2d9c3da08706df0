"""Reading a CSV of per-station results into a dataset, as a mapping says.

Every row is either loaded or reported with its line number and the reason it could not be used;
nothing is dropped in silence. Rows that load but look wrong (more votes than registered voters, a
valid-votes column that disagrees with the counts) are loaded and reported as warnings. A file
whose header lacks a column the mapping names is refused as a whole, naming the missing columns.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from actas.dataset.derived import DerivationError, Derived
from actas.dataset.model import Dataset, Provenance, StationRow
from actas.errors import FormatError, InputError
from actas.files import READ_CHUNK
from actas.importers.mapping import Mapping

MAX_COUNT = 10**9
"""No station counts a billion votes: a larger number is a misread column, refused."""
_WHOLE = re.compile(r"\s*([0-9]+)(?:\.0+)?\s*")
_BREAKS = re.compile(r"[\t\r\n]")
MAX_FIELD = 1024 * 1024
MAX_LINE = 8 * MAX_FIELD
"""The longest line read (a line of commas would otherwise be one row of millions of fields)."""
MAX_LINES = 50_000_000
"""More lines than the long format of the largest national election needs (stations times options)."""
MAX_REFUSED = 100_000
"""Past this many rows that cannot be used, the file is not what the mapping describes: reading stops."""
MAX_WARNINGS = 100_000


class RowError(Exception):
    """Why one row cannot be used."""


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    loaded: int = 0
    blank_lines: int = 0
    filtered: int = 0
    """Long format: rows of other contests, left out by the mapping's `keep`."""
    refused: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    warnings_unlisted: int = 0
    """Warnings past MAX_WARNINGS, counted and not listed."""

    def warn(self, line: int, reason: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append((line, reason))
        else:
            self.warnings_unlisted += 1


def parse_count(cell: str, column: str) -> int:
    if cell.isascii() and cell.isdigit() and len(cell) < 10:
        return int(cell)
    match = _WHOLE.fullmatch(cell)
    if match is None:
        raise RowError(f"column {column}: {cell[:40]!r} is not a whole number of votes")
    value = int(match[1])
    if value > MAX_COUNT:
        raise RowError(f"column {column}: {value} is more than any station counts")
    return value


def _optional(cell: str, column: str, unknown: frozenset[str]) -> int | None:
    return None if cell.strip() in unknown else parse_count(cell, column)


class _Hashing(io.RawIOBase):
    """A file's bytes as they are read, hashed on the way: one pass, whatever the file is (a pipe too)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.raw.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.sha256.update(chunk)
        return len(chunk)


@dataclass
class Opened:
    text: IO[str]
    hashing: _Hashing | None
    """None for a zip archive, whose digest was taken before it was read."""
    digest: str | None = None

    def sha256(self) -> str:
        """The digest of the whole file, once its text has been read to the end."""
        if self.hashing is None:
            assert self.digest is not None
            return self.digest
        while self.hashing.read(READ_CHUNK):
            pass
        return self.hashing.sha256.hexdigest()


@contextmanager
def open_text(path: Path, encoding: str, member: str | None = None) -> Iterator[Opened]:
    """A CSV file as text, plain, gzip-compressed or inside a zip archive, hashed as it is read."""
    if not path.exists() or path.is_dir():
        raise InputError(f"no file {path}")
    try:
        if path.suffix.lower() == ".zip":
            if not path.is_file():
                raise InputError(f"{path}: a zip archive is read from a file, not a device or a pipe")
            with path.open("rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
                chosen = member or (names[0] if len(names) == 1 else None)
                if chosen is None or chosen not in names:
                    raise InputError(f"{path}: say which file of the archive to read (read.member): {names[:10]}")
                with archive.open(chosen) as inside:
                    yield Opened(io.TextIOWrapper(inside, encoding=encoding, newline=""), None, digest)
            return
        with path.open("rb") as file:
            hashing = _Hashing(file)
            buffered = io.BufferedReader(hashing, READ_CHUNK)
            raw = gzip.GzipFile(fileobj=buffered) if path.suffix.lower() == ".gz" else buffered
            yield Opened(io.TextIOWrapper(cast(IO[bytes], raw), encoding=encoding, newline=""), hashing)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None


def _bounded_lines(text: IO[str], path: Path) -> Iterator[str]:
    """The lines of a CSV, each at most MAX_LINE characters and at most MAX_LINES of them, checked as they are
    read (a compressed file may unpack to anything)."""
    for number in range(1, MAX_LINES + 1):
        line = text.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE:
            raise FormatError(f"{path}: line {number} is longer than {MAX_LINE:,} characters")
        yield line
    if text.readline(1):
        raise FormatError(f"{path}: more than {MAX_LINES:,} lines, more than any election's stations")


def import_csv(
    path: Path, mapping: Mapping, progress: Callable[[int], None] | None = None
) -> tuple[Dataset, ImportReport]:
    """Read `path` as `mapping` says; `progress` is told now and then how many rows have been read."""
    dataset = Dataset(
        name=mapping.name,
        contest=mapping.contest,
        options=tuple(o.option for o in mapping.options),
        levels=tuple(level.name for level in mapping.levels),
        sources=[],
        declared=mapping.declared,
    )
    report = ImportReport(path.name)
    csv.field_size_limit(MAX_FIELD)
    with open_text(path, mapping.encoding, mapping.member) as opened:
        reader = csv.reader(_bounded_lines(opened.text, path), delimiter=mapping.delimiter)
        try:
            for _ in range(mapping.skip_rows):
                next(reader, None)
            header = next(reader, None)
            if header is None:
                raise FormatError(f"{path}: no header line (the file is empty)")
            header = [h.strip() for h in header]
            missing = [c for c in mapping.required_columns() if c not in header]
            if missing:
                raise FormatError(
                    f"{path}: the mapping names columns the file does not have: {', '.join(missing)} "
                    f"(the file has: {', '.join(header[:40])})"
                )
            reading = _Reader(mapping, header, dataset, report)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    report.blank_lines += 1
                    continue
                report.rows += 1
                try:
                    reading.row(row, reader.line_num)
                except RowError as exc:
                    report.refused.append((reader.line_num, str(exc)))
                    if len(report.refused) > MAX_REFUSED:
                        raise FormatError(
                            f"{path}: more than {MAX_REFUSED:,} rows could not be used (the first: line "
                            f"{report.refused[0][0]}, {report.refused[0][1]}): not a file this mapping describes"
                        ) from None
                if progress is not None and report.rows % 10_000 == 0:
                    progress(report.rows)
            reading.finish()
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"{path} is not {mapping.encoding} text after line {reader.line_num} ({exc.reason}); "
                "set read.encoding in the mapping"
            ) from None
        except csv.Error as exc:
            raise FormatError(f"{path}: line {reader.line_num}: not CSV as the mapping describes it: {exc}") from None
        report.source = f"{path.name} sha256:{opened.sha256()}"
    dataset.sources.append(report.source)
    report.loaded = len(dataset)
    return dataset, report


class _Reader:
    def __init__(self, mapping: Mapping, header: list[str], dataset: Dataset, report: ImportReport) -> None:
        self.m, self.dataset, self.report = mapping, dataset, report
        self.col = {name: i for i, name in reversed(list(enumerate(header)))}
        self.width = len(header)
        self.derived: list[tuple[Derived, list[int]]] = []
        for k, d in enumerate(mapping.derived):
            if d.name in self.col:
                raise FormatError(f"the mapping's [[column]] {d.name!r} is already a column of the file: rename it")
            self.derived.append((d, [self.col[c] for c in d.sources]))
            self.col[d.name] = self.width + k
        self.seen: dict[str, int] = {}
        self.option_index = {o.source: i for i, o in enumerate(mapping.options)}
        self.long: dict[str, tuple[int, list[str], list[int | None]]] = {}
        """Long format: station -> (first line, its first row, its counts so far)."""

    def _cell(self, row: list[str], column: str) -> str:
        return row[self.col[column]]

    def _code(self, row: list[str], columns: tuple[str, ...], what: str) -> str:
        if len(columns) == 1:
            code = row[self.col[columns[0]]].strip()
            if not code:
                raise RowError(f"no {what}: column {columns[0]} is empty")
        else:
            parts = [row[self.col[c]].strip() for c in columns]
            if not all(parts):
                empty = [c for c, part in zip(columns, parts, strict=True) if not part]
                raise RowError(f"no {what}: column {', '.join(empty)} is empty")
            code = ".".join(parts)
        if _BREAKS.search(code):
            raise RowError(f"the {what} {code[:40]!r} holds a tab or a line break")
        return code

    def row(self, row: list[str], line: int) -> None:
        if len(row) != self.width:
            raise RowError(f"{len(row)} fields where the header has {self.width}")
        for derived, sources in self.derived:
            try:
                row.append(derived.apply([row[i] for i in sources]))
            except DerivationError as exc:
                raise RowError(str(exc)) from None
        code = self._code(row, self.m.station, "station id")
        if self.m.wide:
            if code in self.seen:
                raise RowError(f"station {code} is already on line {self.seen[code]}")
            votes = tuple(parse_count(self._cell(row, o.source), o.source) for o in self.m.options)
            self._add(code, row, line, votes)
            return
        for column, wanted in self.m.keep.items():
            if self._cell(row, column).strip() != wanted:
                self.report.filtered += 1
                return
        value = self._cell(row, self.m.long_option or "").strip()
        position = self.option_index.get(value)
        if position is None:
            raise RowError(f"{self.m.long_option} {value[:60]!r} is not an option of the mapping")
        count = parse_count(self._cell(row, self.m.long_votes or ""), self.m.long_votes or "")
        first, first_row, counts = self.long.setdefault(code, (line, row, [None] * len(self.m.options)))
        if counts[position] is not None:
            raise RowError(f"station {code} already has a count for {value[:60]!r}")
        if first_row is not row and [self._cell(first_row, c) for c in self.m.station] != [
            self._cell(row, c) for c in self.m.station
        ]:
            raise RowError(f"station {code} is spelled differently from line {first}")
        counts[position] = count

    def finish(self) -> None:
        for code, (line, row, counts) in self.long.items():
            missing = [self.m.options[i].source for i, c in enumerate(counts) if c is None]
            if missing:
                self.report.warn(line, f"station {code}: no row for {', '.join(missing)}: counted as 0")
            try:
                self._add(code, row, line, tuple(c or 0 for c in counts))
            except RowError as exc:
                self.report.refused.append((line, str(exc)))

    def _add(self, code: str, row: list[str], line: int, votes: tuple[int, ...]) -> None:
        m, unknown = self.m, self.m.unknown
        place = tuple(self._code(row, level.code, f"{level.name} code") for level in m.levels)
        optional = {
            name: _optional(self._cell(row, column), column, unknown) if column else None
            for name, column in (
                ("registered", m.registered),
                ("voters", m.voters),
                ("null", m.null),
                ("blank", m.blank),
                ("valid", m.valid),
            )
        }
        for depth, level in enumerate(m.levels):
            if level.label:
                self.dataset.unit_names.setdefault(place[: depth + 1], self._cell(row, level.label).strip())
        station = StationRow(
            code,
            place,
            optional["registered"],
            optional["voters"],
            votes,
            optional["null"],
            optional["blank"],
            Provenance(0, line),
        )
        self.dataset.add(station)
        self.seen[code] = line
        self._warn(station, optional["valid"], line)

    def _warn(self, station: StationRow, valid: int | None, line: int) -> None:
        cast = station.valid + (station.null or 0) + (station.blank or 0)
        if station.voters is not None:
            cast = max(cast, station.voters)
        if station.registered is not None and cast > station.registered:
            self.report.warn(line, f"station {station.code}: {cast} votes for {station.registered} registered voters")
        if valid is not None and valid != station.valid:
            self.report.warn(
                line, f"station {station.code}: valid votes {valid} but the options add up to {station.valid}"
            )
