"""Checking many actas at once, on every core: the path of `actas acta verify` over a bundle.

Worker processes are forked after the registry is parsed, so each shares it instead of reading
it again; payloads travel to them in chunks, and verdicts come back in the input's order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.errors import ActasError, FormatError
from actas.payload_sources import SourcePayload
from actas.registry import KeyRegistry

CHUNK = 2000


@dataclass(frozen=True)
class Verdict:
    origin: str
    problems: tuple[str, ...]
    station: str | None = None
    kind: str | None = None
    sha256: str | None = None

    @property
    def valid(self) -> bool:
        return not self.problems


def check_one(item: SourcePayload, registry: KeyRegistry) -> Verdict:
    if isinstance(item.payload, FormatError):
        return Verdict(item.origin, (f"unreadable: {item.payload}",))
    try:
        signed = parse_payload(item.payload)
    except ActasError as exc:
        return Verdict(item.origin, (f"unreadable: {exc}",))
    problems = tuple(str(f) for f in check_acta(signed, registry))
    return Verdict(item.origin, problems, signed.acta.station, signed.acta.kind.value, signed.digest)


_registry: KeyRegistry | None = None


def _check_chunk(items: list[SourcePayload]) -> list[Verdict]:
    assert _registry is not None
    return [check_one(item, _registry) for item in items]


def _chunks(items: Iterable[SourcePayload]) -> Iterator[list[SourcePayload]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def check_many(items: Iterable[SourcePayload], registry: KeyRegistry, workers: int | None = None) -> Iterator[Verdict]:
    """Verdicts for every payload, in order, using `workers` processes (one per core by default)."""
    global _registry
    workers = workers or os.cpu_count() or 1
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from (check_one(item, registry) for item in items)
        return
    _registry = registry
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for verdicts in pool.map(_check_chunk, _chunks(items)):
                yield from verdicts
    finally:
        _registry = None
