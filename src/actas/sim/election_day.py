"""Simulated election day: every station's machine opens, records its voters' ballots and closes.

Each machine is the real `VotingMachine`: it signs a zero and a final acta with its own key and
moves the receipt chain for every vote. Only the per-vote durable write of a real machine is
skipped. Stations are spread over the CPU cores; results depend only on the seed.

The voter model: each region (top geography level) draws a turnout and candidate shares around
the national ones (`regional_spread`); each station draws its own around its region's; a
candidate's votes are shared among its party cards with fixed weights (the first card strongest).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from actas.acta.codec import parse_payload
from actas.acta.model import ActaKind
from actas.election import Election
from actas.errors import InputError
from actas.fields import parse_weights
from actas.files import write_bundle, write_public
from actas.machine.voting_machine import MachineSetup, VotingMachine
from actas.signed_note import Signer
from actas.tally.totals import Totals

CHUNK = 400
OPEN_AT = "T10:00:00Z"


@dataclass(frozen=True)
class VoterModel:
    seed: int = 1
    turnout: float = 0.6
    shares: Mapping[str, float] | None = None
    """Candidate id -> national share of valid votes; None draws them from the seed."""
    null_share: float = 0.005
    regional_spread: float = 0.05

    def __post_init__(self) -> None:
        if not 0.0 < self.turnout <= 1.0:
            raise InputError(f"turnout must be in (0, 1], found {self.turnout}")
        if not 0.0 <= self.null_share < 1.0:
            raise InputError(f"null share must be in [0, 1), found {self.null_share}")
        if not 0.0 <= self.regional_spread < 0.5:
            raise InputError(f"regional spread must be in [0, 0.5), found {self.regional_spread}")


@dataclass(frozen=True)
class SimulatedStation:
    station: str
    zero: str
    final: str
    voters: int
    ballots: tuple[str, ...] = ()
    """Its encrypted ballots' record as JSON lines, for a machine set up with the trustees' key."""


@dataclass(frozen=True)
class _Job:
    setups: tuple[MachineSetup, ...]
    seeds: tuple[bytes, ...]
    indices: tuple[int, ...]
    turnout: tuple[float, ...]
    probs: tuple[tuple[tuple[float, ...], ...], ...]
    """Per station, per contest: a probability per option, then null."""
    seed: int
    date: str


def _option_probs(election: Election, model: VoterModel, rng: np.random.Generator) -> list[NDArray[np.float64]]:
    """National probability of each option (then null), per contest."""
    result = []
    for k, contest in enumerate(election.contests):
        ids = contest.candidate_ids
        if k == 0 and model.shares is not None:
            unknown = set(model.shares) - set(ids)
            if unknown:
                raise InputError(f"--shares names {sorted(unknown)[0]}, not a candidate of {contest.id}: {list(ids)}")
            weights = np.array([max(0.0, model.shares.get(c, 0.0)) for c in ids])
            if weights.sum() <= 0:
                raise InputError("--shares must give some candidate a positive share")
        else:
            weights = rng.dirichlet(np.ones(len(ids)))
        weights = weights / weights.sum()
        probs = []
        for cand, share in zip(ids, weights, strict=True):
            cards = [o for o in contest.options if o.candidate == cand]
            card_w = 1.0 / np.arange(1, len(cards) + 1) ** 2
            probs += list(share * card_w / card_w.sum())
        p = np.array(probs) * (1 - model.null_share)
        result.append(np.append(p, model.null_share))
    return result


def _jobs(
    election: Election, signers: Mapping[str, Signer], model: VoterModel, encryption_key: str | None = None
) -> list[_Job]:
    rng = np.random.default_rng(model.seed)
    national = _option_probs(election, model, rng)
    regions = sorted({election.path(s)[0].code for s in election.stations})
    spread = model.regional_spread
    region_turnout = {r: float(np.clip(rng.normal(model.turnout, spread), 0.05, 0.98)) for r in regions}
    concentration = 1.0 / max(spread, 1e-3) ** 2
    region_probs = {r: [rng.dirichlet(p * concentration + 1e-3) for p in national] for r in regions}
    per_station_rng = np.random.default_rng([model.seed, 1])
    jobs: list[_Job] = []
    stations = election.stations
    for start in range(0, len(stations), CHUNK):
        chunk = stations[start : start + CHUNK]
        setups, seeds, turnout, probs = [], [], [], []
        for s in chunk:
            signer = signers.get(s.code)
            if signer is None:
                raise InputError(f"no machine key for station {s.code}")
            region = election.path(s)[0].code
            setups.append(MachineSetup.for_station(election, s.code, signer.name, encryption_key))
            seeds.append(signer.private_bytes())
            t = region_turnout[region]
            turnout.append(float(per_station_rng.beta(t * 60, (1 - t) * 60)))
            probs.append(tuple(tuple(per_station_rng.dirichlet(p * 400 + 1e-3)) for p in region_probs[region]))
        jobs.append(
            _Job(
                tuple(setups),
                tuple(seeds),
                tuple(range(start, start + len(chunk))),
                tuple(turnout),
                tuple(probs),
                model.seed,
                election.date,
            )
        )
    return jobs


def _run(job: _Job) -> list[SimulatedStation]:
    out = []
    for setup, seed, index, turnout, probs in zip(
        job.setups, job.seeds, job.indices, job.turnout, job.probs, strict=True
    ):
        rng = np.random.default_rng([job.seed, 2, index])
        signer = Signer(setup.machine, seed)
        machine = VotingMachine(setup)
        minute = int(rng.integers(0, 20))
        zero = machine.open(signer, f"{job.date}T10:{minute:02d}:00Z")
        if machine.box is not None and index == 0:  # the first mesa's first voter challenges a ballot once
            machine.box.encrypt(setup.ballot[0][1][0])
            machine.box.challenge()
        voters = int(rng.binomial(setup.registered, turnout))
        picks = [rng.permutation(np.repeat(np.arange(len(p)), rng.multinomial(voters, p))) for p in probs]
        if len(picks) == 1:
            machine.cast_many(picks[0].tolist())
        else:
            contest_ids = [cid for cid, _ in setup.ballot]
            for ballot in zip(*(p.tolist() for p in picks), strict=True):
                machine.cast(
                    {
                        cid: (options[k] if k < len(options) else None)
                        for cid, (_, options), k in zip(contest_ids, setup.ballot, ballot, strict=True)
                    }
                )
        minutes = int(rng.integers(0, 120))
        final = machine.close(signer, f"{job.date}T{22 + minutes // 60:02d}:{minutes % 60:02d}:00Z")
        ballots = tuple(machine.box.record().to_lines()) if machine.box is not None else ()
        out.append(SimulatedStation(setup.station, zero.payload, final.payload, voters, ballots))
    return out


def simulate(
    election: Election,
    signers: Mapping[str, Signer],
    model: VoterModel,
    *,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    encryption_key: str | None = None,
) -> Iterator[SimulatedStation]:
    """Run every station's machine; yields stations in the definition's order. With the trustees'
    `encryption_key`, every machine also encrypts each ballot (docs/e2e.md)."""
    jobs = _jobs(election, signers, model, encryption_key)
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(jobs) == 1:
        results: Iterator[list[SimulatedStation]] = map(_run, jobs)
        yield from _report(results, on_progress)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from _report(pool.map(_run, jobs), on_progress)


def simulate_bundle(
    election: Election,
    path: Path,
    signers: Mapping[str, Signer],
    model: VoterModel,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    ballots: tuple[str, Path] | None = None,
) -> Totals:
    """Run every station's machine and write their zero and final actas as a bundle; the finals' totals.
    With `ballots`, (the trustees' key, a directory), each machine encrypts its ballots, and each mesa's
    record is written there as <station>.jsonl."""
    totals = Totals()
    key, directory = ballots if ballots is not None else (None, None)

    def records() -> Iterator[tuple[str, str, str]]:
        for station in simulate(election, signers, model, workers=workers, on_progress=on_progress, encryption_key=key):
            if directory is not None:
                write_public(directory / f"{station.station}.jsonl", "".join(station.ballots).encode())
            totals.add(parse_payload(station.final).acta)
            yield station.station, ActaKind.ZERO.value, station.zero
            yield station.station, ActaKind.FINAL.value, station.final

    write_bundle(path, records())
    return totals


def _report(
    results: Iterator[list[SimulatedStation]], on_progress: Callable[[int], None] | None
) -> Iterator[SimulatedStation]:
    for batch in results:
        yield from batch
        if on_progress:
            on_progress(len(batch))


def parse_shares(text: str, candidates: Sequence[str]) -> dict[str, float]:
    """Read `--shares EG=67,NM=30`: weights per candidate id, any scale."""
    shares = parse_weights(text, "--shares", "CANDIDATE=WEIGHT items")
    unknown = [cid for cid in shares if cid not in candidates]
    if unknown:
        raise InputError(f"--shares: {unknown[0]!r} is not a candidate; candidates are {', '.join(candidates)}")
    return shares
