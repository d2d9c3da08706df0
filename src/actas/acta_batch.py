"""Checking many actas at once, on every core: the path of `actas acta verify` over a bundle.

Worker processes are forked after the registry is parsed, so each shares it instead of reading
it again; payloads travel to them in chunks, and verdicts come back in the input's order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.acta.model import SignedActa
from actas.errors import ActasError, FormatError
from actas.payload_sources import SourcePayload
from actas.registry import KeyRegistry

CHUNK = 1000


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
    return Verdict(item.origin, *_check_payload(item.payload, registry))


def check_signed(origin: str, signed: SignedActa, registry: KeyRegistry) -> Verdict:
    return Verdict(origin, *_result(signed, registry))


_Result = tuple[tuple[str, ...], str | None, str | None, str | None]


def _result(signed: SignedActa, registry: KeyRegistry) -> _Result:
    problems = tuple(str(f) for f in check_acta(signed, registry))
    return problems, signed.acta.station, signed.acta.kind.value, signed.digest


def _check_payload(payload: str | FormatError, registry: KeyRegistry) -> _Result:
    if isinstance(payload, FormatError):
        return (f"unreadable: {payload}",), None, None, None
    try:
        signed = parse_payload(payload)
    except ActasError as exc:
        return (f"unreadable: {exc}",), None, None, None
    return _result(signed, registry)


_registry: KeyRegistry | None = None


def _check_chunk(payloads: list[str | FormatError]) -> list[_Result]:
    assert _registry is not None
    return [_check_payload(p, _registry) for p in payloads]


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
            chunks = _chunks(items)
            # Keep two chunks per worker in flight: enough to keep every core busy, bounded in memory.
            pending: list[tuple[list[SourcePayload], Future[list[_Result]]]] = []
            for chunk in chunks:
                pending.append((chunk, pool.submit(_check_chunk, [item.payload for item in chunk])))
                if len(pending) >= 2 * workers:
                    yield from _collect(*pending.pop(0))
            for chunk, future in pending:
                yield from _collect(chunk, future)
    finally:
        _registry = None


def _collect(chunk: list[SourcePayload], future: Future[list[_Result]]) -> Iterator[Verdict]:
    for item, result in zip(chunk, future.result(), strict=True):
        yield Verdict(item.origin, *result)
