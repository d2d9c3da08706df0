"""Simulated per-station results, clean or with fraud of a known kind and size, to hold the forensic
tests to known truth.

Unlike `simulate`, no voting machine runs: the counts are drawn directly, a million stations in a few
seconds. The clean model (a `Population`): each station's registered voters are drawn from a given
list of sizes (a real election's, for calibration) or from a gamma distribution; each of 20 regions
draws a turnout around the national one and candidate shares around the national ones; each station
draws its own around its region's, then its voters (binomial), spoiled ballots (1%) and the
candidates' votes (multinomial).

Scenarios, each changing the clean counts of some stations:
- `stuffing`: Klimek et al.'s ballot stuffing. With probability `incremental` a station gives the
  winner a fraction x = |N(0, 0.075)| of its non-voters and of the other candidates' votes; with
  probability `extreme`, x = 1 - |N(0, 0.075)|, turnout near 100% almost all for the winner.
- `invented`: a share `invented` of the stations report counts written by hand: a turnout and a
  winner's share chosen as whole percentages, the ballots computed from the turnout, the winner's
  votes from the share and rounded to a multiple of 5, the other candidates' votes made up as
  multiples of 5 but the last, which takes what is left.
- `target-percentages`: the stations are clean, but the announced totals are made from target
  percentages (one decimal) of the total rather than added up (see `announce`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from actas.dataset.announced import Announced
from actas.dataset.model import Dataset, Option, Provenance, StationRow
from actas.errors import InputError
from actas.forensics.columns import Columns
from actas.forensics.fingerprint import SIGMA_X
from actas.sim import CLEAN, FRAUDS, INVENTED, STUFFING, TARGET

CANDIDATES = (
    ("ALVAREZ", "Ana Álvarez"),
    ("BARROS", "Bruno Barros"),
    ("CASTRO", "Carla Castro"),
    ("DUARTE", "Diego Duarte"),
)
SHARES = np.array([0.46, 0.38, 0.11, 0.05])
REGIONS = 20
MAX_STATIONS = 2_000_000


@dataclass(frozen=True)
class Fraud:
    incremental: float = 0.0
    extreme: float = 0.0
    invented: float = 0.0

    def __post_init__(self) -> None:
        for name, value in (("incremental", self.incremental), ("extreme", self.extreme), ("invented", self.invented)):
            if not 0.0 <= value <= 1.0:
                raise InputError(f"the {name} fraud share must be between 0 and 1, found {value}")
        if self.incremental + self.extreme > 1.0:
            raise InputError("incremental and extreme fraud shares add up to more than 1")


@dataclass(frozen=True)
class Population:
    """What a clean election's stations look like."""

    sizes: NDArray[np.int64] | None = None
    """Registered voters to draw each station's from (with replacement); None: 50 + Gamma(8, 60)."""
    shares: tuple[float, ...] = tuple(SHARES.tolist())
    """The four candidates' national shares."""
    turnout: float = 0.62
    regional_spread: float = 0.04
    """The standard deviation of the regions' turnouts around the national one."""
    concentration: float = 80.0
    """How tightly stations' turnouts gather around their region's (a beta's a + b): lower is more varied."""

    def __post_init__(self) -> None:
        if len(self.shares) != len(CANDIDATES) or min(self.shares) <= 0 or abs(sum(self.shares) - 1) > 1e-6:
            raise InputError(f"give {len(CANDIDATES)} positive shares that add up to 1")
        if not 0.05 <= self.turnout <= 0.95 or self.regional_spread < 0 or self.concentration <= 2:
            raise InputError("the turnout must be between 5% and 95%, its spreads positive")
        if self.sizes is not None and (len(self.sizes) == 0 or int(self.sizes.min()) < 1):
            raise InputError("station sizes must be at least 1 registered voter")


@dataclass(frozen=True)
class Simulated:
    columns: Columns
    region: NDArray[np.int64]
    null: NDArray[np.int64]
    kind: NDArray[np.int8]
    """0 clean, 1 incremental stuffing, 2 extreme stuffing, 3 invented by hand."""
    scenario: str
    seed: int


def simulate_results(
    stations: int,
    seed: int = 1,
    scenario: str = CLEAN,
    fraud: Fraud | None = None,
    population: Population | None = None,
) -> Simulated:
    if scenario not in FRAUDS:
        raise InputError(f"unknown scenario {scenario!r}: choose one of {', '.join(FRAUDS)}")
    if not 1 <= stations <= MAX_STATIONS:
        raise InputError(f"--stations must be between 1 and {MAX_STATIONS:,}, found {stations:,}")
    fraud = fraud or _default(scenario)
    pop = population or Population()
    shares = np.array(pop.shares)
    rng = np.random.default_rng([seed, 7])
    region = rng.integers(0, REGIONS, stations)
    region_turnout = np.clip(rng.normal(pop.turnout, pop.regional_spread, REGIONS), 0.03, 0.97)
    region_shares = rng.dirichlet(shares * 300, REGIONS)
    if pop.sizes is None:
        registered = (rng.gamma(8.0, 60.0, stations) + 50).astype(np.int64)
    else:
        registered = rng.choice(pop.sizes.astype(np.int64), stations)
    k = pop.concentration
    t = rng.beta(region_turnout[region] * k, (1 - region_turnout[region]) * k)
    p = np.array([rng.dirichlet(region_shares[r] * 250) for r in range(REGIONS)])[region]
    p = 0.7 * p + 0.3 * rng.dirichlet(shares * 250, stations)
    voters = rng.binomial(registered, t)
    null = rng.binomial(voters, 0.01)
    votes = rng.multinomial(voters - null, p / p.sum(axis=1, keepdims=True))
    kind = np.zeros(stations, dtype=np.int8)
    if scenario == STUFFING:
        votes, null, kind = _stuff(rng, registered, votes, null, fraud)
    elif scenario == INVENTED:
        votes, null, kind = _invent(rng, registered, votes, null, fraud)
    columns = Columns(
        codes=tuple(f"R{r + 1:02d}.{i + 1:07d}" for i, r in enumerate(region.tolist())),
        candidates=tuple(c for c, _ in CANDIDATES),
        names=tuple(n for _, n in CANDIDATES),
        votes=votes,
        registered=registered.astype(np.float64),
        ballots=(votes.sum(axis=1) + null).astype(np.float64),
    )
    return Simulated(columns, region, null, kind, scenario, seed)


def _default(scenario: str) -> Fraud:
    return {
        STUFFING: Fraud(incremental=0.2, extreme=0.03),
        INVENTED: Fraud(invented=0.1),
    }.get(scenario, Fraud())


def _stuff(
    rng: np.random.Generator, registered: NDArray[np.int64], votes: NDArray[np.int64], null: NDArray[np.int64], f: Fraud
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]]:
    n = len(registered)
    u = rng.random(n)
    size = np.abs(rng.standard_normal(n)) * SIGMA_X
    kind = np.where(u < f.incremental, 1, np.where(u < f.incremental + f.extreme, 2, 0)).astype(np.int8)
    x = np.where(kind == 1, np.minimum(size, 1.0), np.where(kind == 2, np.maximum(1.0 - size, 0.0), 0.0))
    winner = int(np.argmax(votes.sum(axis=0)))
    absent = registered - votes.sum(axis=1) - null
    stuffed = np.round(x * absent).astype(np.int64)
    taken = np.round(votes * x[:, None]).astype(np.int64)
    taken[:, winner] = 0
    out = votes - taken
    out[:, winner] += stuffed + taken.sum(axis=1)
    return out, null, kind


def _invent(
    rng: np.random.Generator, registered: NDArray[np.int64], votes: NDArray[np.int64], null: NDArray[np.int64], f: Fraud
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]]:
    n, k = votes.shape
    chosen = np.asarray(rng.random(n) < f.invented, dtype=np.bool_)
    m = int(chosen.sum())
    winner = int(np.argmax(votes.sum(axis=0)))
    reg = registered[chosen]
    turnout = rng.integers(70, 96, m) / 100
    share = rng.integers(60, 91, m) / 100
    ballots = np.round(turnout * reg).astype(np.int64)
    spoiled = np.round(ballots * rng.choice([0.0, 0.01, 0.02], m)).astype(np.int64)
    valid = ballots - spoiled
    lead = np.round(share * valid / 5).astype(np.int64) * 5
    rest = valid - lead
    others = [i for i in range(k) if i != winner]
    weights = rng.dirichlet(np.ones(len(others)) * 2, m)
    made = np.round(rest[:, None] * weights / 5).astype(np.int64) * 5
    made[:, -1] = np.maximum(rest - made[:, :-1].sum(axis=1), 0)
    out_votes = votes.copy()
    block = np.zeros((m, k), dtype=np.int64)
    block[:, winner] = valid - made.sum(axis=1)
    block[:, others] = made
    out_votes[chosen] = block
    out_null = null.copy()
    out_null[chosen] = spoiled
    return out_votes, out_null, np.where(chosen, 3, 0).astype(np.int8)


def as_dataset(sim: Simulated) -> Dataset:
    c = sim.columns
    dataset = Dataset(
        name=f"simulated results ({sim.scenario}, {len(c.codes):,} stations, seed {sim.seed})",
        contest="president",
        options=tuple(Option(cid, name, cid, name) for cid, name in CANDIDATES),
        levels=("region",),
        sources=[f"actas simulate-results --scenario {sim.scenario} --seed {sim.seed}"],
    )
    rows = dataset.rows
    for i, (code, region, reg, votes, null) in enumerate(
        zip(c.codes, sim.region.tolist(), c.registered.tolist(), c.votes.tolist(), sim.null.tolist(), strict=True)
    ):
        rows.append(
            StationRow(
                code,
                (f"R{region + 1:02d}",),
                int(reg),
                sum(votes) + null,
                tuple(votes),
                null,
                None,
                Provenance(0, i + 1),
            )
        )
    dataset.unit_names.update({(f"R{r + 1:02d}",): f"Region {r + 1}" for r in range(REGIONS)})
    return dataset


def announce(sim: Simulated, decimals: int = 1) -> Announced:
    """The authority's announced totals: added up from the stations, or, under `target-percentages`,
    made from percentages rounded to `decimals` (the sum of the stations' votes times each)."""
    c = sim.columns
    totals = c.votes.sum(axis=0)
    valid = int(totals.sum())
    if sim.scenario == TARGET:
        scale = 10 ** (decimals + 2)
        grid = np.round(totals * scale / valid).astype(np.int64)
        grid[0] += scale - int(grid.sum())
        totals = np.array([(2 * g * valid + scale) // (2 * scale) for g in grid.tolist()], dtype=np.int64)
    return Announced(
        authority="Simulated electoral authority",
        title=f"Announced totals ({sim.scenario})",
        issued="2030-06-03",
        contest="president",
        votes=tuple((cid, int(v)) for cid, v in zip(c.candidates, totals.tolist(), strict=True)),
        actas_counted=None,
        valid=int(totals.sum()),
        registered=int(c.registered.sum()),
    )
