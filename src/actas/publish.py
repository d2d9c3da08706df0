"""A board published as static files (C2SP tlog-tiles, `ledger.tiles`), for any web server, object
store or CDN to serve to any number of readers, with no database on the read path.

Each publication is of one checkpoint and atomic for readers: every file is written whole (a
temporary file, synced, renamed), the tiles and entry bundles first and the checkpoint last, so a
reader who fetched a checkpoint finds every file it needs. Full tiles and bundles never change: one
already there is left as it is, and the partial ones it replaces are removed. The board's key is
beside them as `board.pub`, for whoever has not pinned it (pin it: `--board-key`).

The results of every geography unit are published too, at the checkpoint they were counted at:
`results/<size>/nation.json` and `results/<size>/unit/<code>.json` (the API's `/v1/results`
answers, immutable), the final actas received over time (`results/<size>/progress.json` for the
nation, `results/<size>/progress/<code>.json` for each unit, as `/v1/progress` answers), then
`results/latest.json`, the pointer to the latest set, with the checkpoint and the consistency proof
that let a reader check the set. With the results site's page beside them (`index.html`,
`web.site`), the public results site is static files on a CDN, the tabulation server out of the
public's reach.

On a board that publishes encrypted ballots, each part of a mesa's record is also published alone,
`ballots/part/<N>` (the bytes of entry N: its entry bundle, of up to 256 parts of 192 KiB, is too
large to fetch on a phone), and every confirmation code is indexed by its first four hexadecimal
digits, `ballots/codes/<abcd>.json` (`[[code, entry], ...]`, sorted), so that a voter's phone finds
its ballot with two small files and proves it from the tiles. `ballots/indexed` says the tree size
below which every part is indexed. The index is not trusted: the page proves the part it names
against the signed checkpoint and reads the code in it."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actas.e2e.mesa import record_codes
from actas.errors import FormatError
from actas.files import write_public
from actas.ledger.merkle import MerkleTree
from actas.ledger.tiles import (
    ENTRIES,
    LARGE_ENTRIES,
    WIDTH,
    TilePath,
    bundle_path,
    bundles_of,
    encode_bundle,
    encode_index,
    tile_bytes,
    tiles_of,
)
from actas.signed_note import Verifier

CHECKPOINT, BOARD_KEY = "checkpoint", "board.pub"
RESULTS, LATEST, NATION, PROGRESS = "results", "latest.json", "nation.json", "progress.json"
UNIT_PROGRESS = "progress"
"""Each unit's progress over time, `progress/<code>.json` beside the nation's `progress.json`."""
PAGE, STATIC = "index.html", "static"
KEEP_RESULTS = 10
"""Result sets kept: a reader who fetched an older pointer still finds its files for a while."""
BALLOT_CODES, BALLOT_PARTS, BALLOTS_INDEXED = "ballots/codes", "ballots/part", "ballots/indexed"
SHARD_DIGITS = 4
"""Codes are indexed by their first four hexadecimal digits: 65,536 files, some 180 codes (14 KB) each
for a national election of 12 million ballots."""


@dataclass(frozen=True)
class Publication:
    size: int
    written: int
    """Files written for this checkpoint."""
    kept: int
    """Full tiles and bundles already published, left as they were."""


def publish_board(
    directory: Path,
    tree: MerkleTree,
    size: int,
    note: str,
    entries: Callable[[int, int], Sequence[bytes]],
    board_key: Verifier,
) -> Publication:
    """Publish the tree of `size` entries (a prefix of `tree`) under its checkpoint `note`; `entries(start,
    end)` gives the entries' bytes."""
    written = kept = 0
    for tile in tiles_of(size):
        path = directory / str(tile)
        if tile.full and path.exists():
            kept += 1
            continue
        write_public(path, tile_bytes(tree, tile))
        written += 1
        if tile.full:
            _drop_partials(path)
    for bundle in bundles_of(size):
        if bundle.full and any((directory / str(TilePath(k, bundle.index))).exists() for k in (ENTRIES, LARGE_ENTRIES)):
            kept += 1
            continue
        start = bundle.index * WIDTH
        data = entries(start, start + (bundle.width or WIDTH))
        path = directory / str(bundle_path(bundle, data))
        write_public(path, encode_bundle(data))
        written += 1
        if bundle.full:
            _drop_partials(path)
    write_public(directory / BOARD_KEY, (board_key.to_text() + "\n").encode())
    write_public(directory / CHECKPOINT, note.encode())
    return Publication(size, written + 2, kept)


def _drop_partials(full: Path) -> None:
    """The partial versions of a tile once the full one is there (the spec allows it; a reader of an older
    checkpoint falls back to the full tile)."""
    partials = full.with_name(full.name + ".p")
    if partials.is_dir():
        shutil.rmtree(partials, ignore_errors=True)


def results_path(size: int, code: str) -> str:
    """Where the results of a unit (the nation: "") at a tree size are published."""
    return f"{RESULTS}/{size}/" + (NATION if code == "" else f"unit/{code}.json")


@dataclass(frozen=True)
class ResultsSet:
    """Every unit's results counted at one checkpoint, and what lets a reader check that checkpoint."""

    size: int
    units: Iterable[tuple[str, dict[str, Any]]]
    """(code, the unit's results as `/v1/results` answers them, with its breadcrumb)."""
    note: str
    """The checkpoint readers are given (with its cosignatures), of `size` entries or more."""
    consistency: Sequence[bytes]
    """The consistency proof from the tree of `size` entries to the note's."""
    progress: Sequence[tuple[str, int]]
    """Final actas received, minute by minute (UTC)."""
    unit_progress: Mapping[str, Sequence[tuple[str, int]]]
    """The same for each unit that has a final acta."""


def publish_results(directory: Path, results: ResultsSet) -> int:
    """Publish the results of every unit at the checkpoint of `results.size` entries: one immutable JSON
    file each and the progress over time, then `results/latest.json`, the small pointer readers poll,
    carrying the checkpoint and the consistency proof they check the set by. Older sets past the last
    KEEP_RESULTS are removed. Returns the files written."""
    size = results.size
    written = 0
    for code, data in results.units:
        write_public(directory / results_path(size, code), _json(data))
        written += 1
    write_public(directory / RESULTS / str(size) / PROGRESS, _json({"final_actas_by_minute": results.progress}))
    for code, rows in results.unit_progress.items():
        write_public(
            directory / RESULTS / str(size) / UNIT_PROGRESS / f"{code}.json", _json({"final_actas_by_minute": rows})
        )
        written += 1
    pointer = {
        "size": size,
        "nation": results_path(size, ""),
        "units": f"{RESULTS}/{size}/unit/",
        "progress": f"{RESULTS}/{size}/{PROGRESS}",
        "unit_progress": f"{RESULTS}/{size}/{UNIT_PROGRESS}/",
        "checkpoint": results.note,
        "consistency": [base64.b64encode(h).decode() for h in results.consistency],
    }
    write_public(directory / RESULTS / LATEST, _json(pointer))
    sets = sorted((int(p.name) for p in (directory / RESULTS).iterdir() if p.name.isdigit()), reverse=True)
    for old in sets[KEEP_RESULTS:]:
        shutil.rmtree(directory / RESULTS / str(old), ignore_errors=True)
    return written + 2


def ballots_indexed(directory: Path) -> int:
    """The tree size below which every part of a mesa's record is published and its codes indexed."""
    marker = directory / BALLOTS_INDEXED
    text = marker.read_text() if marker.exists() else "0"
    if not text.isdigit():
        raise FormatError(f"{marker}: not a tree size")
    return int(text)


def part_path(index: int) -> str:
    """Where the part of a mesa's record that is entry `index` is published alone."""
    return f"{BALLOT_PARTS}/{encode_index(index)}"


def publish_ballots(directory: Path, parts: Iterable[tuple[int, bytes]], indexed: int) -> int:
    """Publish these parts of mesas' records (index, bytes) each alone, then add their codes to the index;
    then record that every part below `indexed` is published. Each part is written before the codes that
    name it, and a shard keeps the codes it has: publishing a part again changes nothing. Returns the
    files written."""
    shards: dict[str, dict[str, int]] = {}
    written = 0
    for index, data in parts:
        write_public(directory / part_path(index), data)
        written += 1
        for code in record_codes(data):
            shards.setdefault(code[:SHARD_DIGITS], {})[code] = index
    for prefix, codes in shards.items():
        path = directory / BALLOT_CODES / f"{prefix}.json"
        held = _shard(path) if path.exists() else {}
        write_public(path, _json(sorted({**held, **codes}.items())))
    write_public(directory / BALLOTS_INDEXED, str(indexed).encode())
    return written + len(shards) + 1


def _shard(path: Path) -> dict[str, int]:
    try:
        rows = json.loads(path.read_bytes())
        return {str(code): int(index) for code, index in rows}
    except (ValueError, TypeError):
        raise FormatError(f"{path}: not an index of confirmation codes") from None


def publish_site(directory: Path, pages: Mapping[str, str], assets: Mapping[str, bytes]) -> int:
    """The results site: its pages at the top of the directory (`index.html` in the election's language,
    and one named by each language's code) and the files they load under static/, by file name."""
    written = 0
    for name, body in assets.items():
        write_public(directory / STATIC / name, body)
        written += 1
    for name, page in pages.items():
        write_public(directory / name, page.encode())
    return written + len(pages)


def _json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()
