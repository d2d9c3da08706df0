"""A bulletin board's entries, replayed, as a dataset: what anyone holding a copy of a board can count.

The board carries everything needed: entry 0 is the election definition, entry 1 the key registry.
Every acta is checked again against that registry, so each row says whether a valid signature
stands behind its counts; an official board counts its final actas, an observer's board its
witnesses' records (`tally.board_count`), whose hand counts of the paper come along.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.dataset.model import Dataset, Declared, Option, Provenance, Signature, StationRow
from actas.election import Contest, Election
from actas.errors import FormatError
from actas.registry import KeyRegistry
from actas.tally.board_count import ACTA, BoardCount, read_entry
from actas.tally.witnessed import Filed


def dataset_from_board(
    entries: Iterable[tuple[int, str, bytes]], name: str, source: str, contest: str | None = None
) -> Dataset:
    """Replay a board's entries, in order from entry 0, into the dataset of one contest: the one chosen,
    or the election's only one (`Election.contest`)."""
    stream = iter(entries)
    try:
        (_, kind0, data0), (_, kind1, data1) = next(stream), next(stream)
    except StopIteration:
        raise FormatError(f"{source}: a board starts with the election definition and the key registry") from None
    if (kind0, kind1) != ("election", "registry"):
        raise FormatError(f"{source}: a board starts with the election definition and the key registry")
    try:
        election = Election.from_json(json.loads(data0))
    except (ValueError, RecursionError):
        raise FormatError(f"{source}: the board's first entry is not an election definition") from None
    chosen = election.contest(contest)
    registry = KeyRegistry.from_text(data1.decode("utf-8"))
    if registry.fingerprint != election.fingerprint:
        raise FormatError(f"{source}: the board's key registry is for another election definition")
    count = BoardCount(election, observer=True)
    signatures: dict[str, Signature] = {}
    where: dict[str, int] = {}
    for index, kind, data in stream:
        item = read_entry(index, kind, data)
        if item is None:
            continue
        payload = item.report.acta if isinstance(item, Filed) else data if kind == ACTA else None
        if payload is not None:
            signed = parse_payload(payload)
            signatures.setdefault(signed.digest, Signature.INVALID if check_acta(signed, registry) else Signature.VALID)
            where.setdefault(signed.digest, index)
        count.add(item)
    return _dataset(election, chosen, count, signatures, where, name, source)


def _dataset(
    election: Election,
    contest: Contest,
    count: BoardCount,
    signatures: dict[str, Signature],
    where: dict[str, int],
    name: str,
    source: str,
) -> Dataset:
    candidates = {c.id: c.name for c in contest.candidates}
    dataset = Dataset(
        name=name,
        contest=contest.id,
        options=tuple(Option(o.id, o.name, o.candidate, candidates[o.candidate]) for o in contest.options),
        levels=tuple(level.id for level in election.levels),
        sources=[source],
        declared=Declared(stations=len(election.stations), registered=election.registered),
    )
    for unit in election.units:
        chain = [unit]
        while chain[-1].parent is not None:
            chain.append(election.unit_by_code[chain[-1].parent])
        dataset.unit_names[tuple(u.code for u in reversed(chain))] = unit.name
    stations = election.station_by_code
    for code, (digest, acta) in sorted(count.results.counted().items()):
        station = stations[code]
        counts = next(c for c in acta.contests if c.contest == contest.id)  # a checked acta has every contest
        dataset.add(
            StationRow(
                code=code,
                path=tuple(u.code for u in election.path(station)),
                registered=station.registered,
                voters=acta.voters,
                votes=counts.votes,
                null=counts.null,
                blank=None,
                provenance=Provenance(0, where[digest], signatures[digest]),
            )
        )
    if count.encrypted is not None:
        for code, verdict in sorted(count.encrypted.verdicts.items()):
            if verdict.decrypted is not None:
                dataset.ballots[code] = tuple(verdict.decrypted.get(o, 0) for o in contest.option_ids)
    if count.witnessed is not None:
        for code, record in sorted(count.witnessed.records().items()):
            hands = [dict(f.report.hand) for f in record.reports if f.report.hand_counted]
            if hands:
                dataset.paper[code] = tuple(hands[0].get(o, 0) for o in contest.option_ids)
    return dataset
