"""Election definitions for simulations: the `venezuela-2024` preset and `synthetic` ones of any size.

Both are deterministic for a seed. Sizes come out exact (the Venezuelan totals are met to the
voter); names of places below the state level are made up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from actas.dataset import venezuela_2024 as ve
from actas.election import BallotOption, Candidate, Contest, Election, Level, Station, Unit
from actas.errors import InputError
from actas.sim import PRESETS
from actas.sim.split import split_total

MAX_STATIONS = 2_000_000


def generate(preset: str, *, stations: int | None = None, seed: int = 2024) -> Election:
    if preset == "venezuela-2024":
        if stations not in (None, ve.MESAS):
            raise InputError(f"the venezuela-2024 preset has {ve.MESAS} mesas; --stations applies to 'synthetic'")
        return venezuela(seed)
    if preset == "synthetic":
        return synthetic(1000 if stations is None else stations, seed)
    raise InputError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")


def _children(parents: Sequence[str], counts: NDArray[np.int64], width: int, sep: str = "") -> list[tuple[str, str]]:
    """(code, parent code) of each child, numbered from 1 under its parent with at least `width` digits
    (more where a parent has that many children)."""
    width = max(width, len(str(int(counts.max(initial=0)))))
    return [(f"{p}{sep}{k:0{width}d}", p) for p, n in zip(parents, counts, strict=True) for k in range(1, int(n) + 1)]


def venezuela(seed: int = 2024) -> Election:
    rng = np.random.default_rng(seed)
    table = ve.STATES

    def col(i: int) -> NDArray[np.float64]:
        return np.array([row[i] for row in table], dtype=np.float64)

    munis = [row[2] for row in table]
    mesas = split_total(ve.MESAS, len(table), rng, weights=col(3))
    registered = split_total(ve.REGISTERED, len(table), rng, weights=col(4))
    extra_parishes = split_total(ve.PARISHES - sum(munis), len(table), rng, minimum=0, weights=col(5))
    parishes = [m + int(x) for m, x in zip(munis, extra_parishes, strict=True)]
    extra_centres = split_total(ve.CENTRES - ve.PARISHES, len(table), rng, minimum=0, weights=col(6))
    centres = [p + int(x) for p, x in zip(parishes, extra_centres, strict=True)]

    units: list[Unit] = []
    stations: list[Station] = []
    for i, (code, name, n_munis, *_rest) in enumerate(table):
        units.append(Unit(code, name, "state", None))
        muni = _children([code], np.array([n_munis]), 2)
        units += [Unit(c, f"Municipio {c[2:]} ({name})", "municipality", p) for c, p in muni]
        par = _children([c for c, _ in muni], split_total(int(parishes[i]), n_munis, rng), 2)
        units += [Unit(c, f"Parroquia {c[2:]}", "parish", p) for c, p in par]
        cen = _children([c for c, _ in par], split_total(int(centres[i]), len(par), rng), 3)
        units += [Unit(c, f"Centro de votación {c}", "centre", p) for c, p in cen]
        per_centre = split_total(int(mesas[i]), len(cen), rng, shape=1.5)
        mesa_codes = _children([c for c, _ in cen], per_centre, 2, ".")
        sizes = split_total(int(registered[i]), len(mesa_codes), rng, minimum=50, shape=16.0)
        stations += [Station(c, p, int(r)) for (c, p), r in zip(mesa_codes, sizes, strict=True)]

    candidates = tuple(Candidate(cid, name) for cid, name, _ in ve.CANDIDATES)
    options = tuple(BallotOption(oid, oname, cid) for cid, _, cards in ve.CANDIDATES for oid, oname in cards)
    return Election(
        id="ve-2024-presidential",
        name="Elección Presidencial 2024",
        date="2024-07-28",
        levels=(
            Level("state", "Estado"),
            Level("municipality", "Municipio"),
            Level("parish", "Parroquia"),
            Level("centre", "Centro de votación"),
        ),
        units=tuple(units),
        contests=(Contest("presidente", "Presidente de la República", candidates, options),),
        stations=tuple(stations),
        station_label="Mesa",
        language="es_VE",
        time_zone="America/Caracas",
    )


SYNTHETIC_CANDIDATES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "ALVAREZ",
        "Ana Álvarez",
        (("AZUL", "Partido Azul"), ("AURORA", "Movimiento Aurora"), ("ARCO", "Arco Cívico")),
    ),
    ("BARROS", "Bruno Barros", (("BRISA", "Brisa Nacional"), ("BASE", "Base Popular"))),
    ("CASTRO", "Carla Castro", (("CIVICO", "Frente Cívico"),)),
    ("DUARTE", "Diego Duarte", (("DEMOS", "Demos"),)),
)


@dataclass(frozen=True)
class Naming:
    """What a synthetic election calls itself and its parts, in one language."""

    election: str
    levels: tuple[str, str, str]
    unit: tuple[str, str, str]
    contest: str
    station: str
    language: str | None = None
    time_zone: str | None = None


NAMINGS = {
    "en": Naming(
        "Synthetic election ({n:,} stations, seed {seed})", ("Region", "District", "Voting centre"),
        ("Region {code}", "District {code}", "Centre {code}"), "President", "Station",
    ),
    "es_VE": Naming(
        "Elección simulada ({n} mesas, semilla {seed})", ("Estado", "Municipio", "Centro de votación"),
        ("Estado {code}", "Municipio {code}", "Centro {code}"), "Presidente de la República", "Mesa",
        "es_VE", "America/Caracas",
    ),
}  # fmt: skip
"""The synthetic election in English (no language named, as before languages were) and in Venezuela's
Spanish, with its time zone."""


def synthetic(n_stations: int, seed: int = 1, naming: str = "en") -> Election:
    """An election of any size: regions > districts > centres > stations, about two stations a centre,
    named in `naming`'s language (its structure and its fingerprint's counts do not depend on it)."""
    names = NAMINGS[naming]
    if not 1 <= n_stations <= MAX_STATIONS:
        raise InputError(f"--stations must be between 1 and {MAX_STATIONS:,}, found {n_stations:,}")
    rng = np.random.default_rng(seed)
    n_centres = max(1, n_stations // 2)
    n_districts = max(1, n_centres // 25)
    n_regions = max(1, min(40, n_districts // 8))
    regions = [f"R{k:02d}" for k in range(1, n_regions + 1)]
    districts = _children(regions, split_total(n_districts, n_regions, rng), 3, ".")
    centres = _children([c for c, _ in districts], split_total(n_centres, n_districts, rng), 4, ".")
    per_centre = split_total(n_stations, n_centres, rng, shape=3.0)
    codes = _children([c for c, _ in centres], per_centre, 2, ".")
    sizes = rng.gamma(8.0, 50.0, n_stations).astype(np.int64) + 20
    units = [Unit(r, names.unit[0].format(code=r[1:]), "region", None) for r in regions]
    units += [Unit(c, names.unit[1].format(code=c), "district", p) for c, p in districts]
    units += [Unit(c, names.unit[2].format(code=c), "centre", p) for c, p in centres]
    candidates = tuple(Candidate(cid, name) for cid, name, _ in SYNTHETIC_CANDIDATES)
    options = tuple(BallotOption(oid, oname, cid) for cid, _, cards in SYNTHETIC_CANDIDATES for oid, oname in cards)
    return Election(
        id=f"synthetic-{n_stations}-{seed}",
        name=names.election.format(n=n_stations, seed=seed),
        date="2030-06-02",
        levels=tuple(Level(i, n) for i, n in zip(("region", "district", "centre"), names.levels, strict=True)),
        units=tuple(units),
        contests=(Contest("president", names.contest, candidates, options),),
        stations=tuple(Station(c, p, int(r)) for (c, p), r in zip(codes, sizes, strict=True)),
        station_label=names.station,
        language=names.language,
        time_zone=names.time_zone,
    )
