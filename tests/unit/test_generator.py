"""The generator: Venezuela's real sizes and ballot, and synthetic elections of any size, deterministic."""

from __future__ import annotations

from collections import Counter

import pytest

from actas.dataset.venezuela_2024 import CANDIDATES
from actas.errors import InputError
from actas.sim.generator import generate, synthetic


def test_venezuela_2024_has_the_real_sizes_and_ballot() -> None:
    election = generate("venezuela-2024")
    levels = Counter(u.level for u in election.units)
    assert levels["state"] == 24
    assert levels["municipality"] == 335
    assert 1_050 <= levels["parish"] <= 1_150
    assert 15_500 <= levels["centre"] <= 16_100
    assert len(election.stations) == 30_026
    assert election.registered == 21_321_805
    contest = election.contests[0]
    assert [c.name for c in contest.candidates][:2] == ["Nicolás Maduro", "Luis Eduardo Martínez"]
    assert len(contest.candidates) == 10 and len(contest.options) == 38
    # Party cards per candidate, in the order the 2024 acta QR codes list them (../shared/data/README.md).
    cards = Counter(o.candidate for o in contest.options)
    assert [cards[c.id] for c in contest.candidates] == [13, 6, 1, 4, 6, 1, 2, 3, 1, 1]
    assert [o.candidate for o in contest.options] == [cid for cid, _, opts in CANDIDATES for _ in opts]
    assert election.station_label == "Mesa"
    assert all(s.registered >= 50 for s in election.stations)
    # Mesa codes follow the CNE's centre code: state, municipality, parish (2 digits each), centre (3).
    first = election.stations[0]
    assert first.code.split(".")[0] == first.unit and len(first.unit) == 9


def test_generation_is_deterministic_for_a_seed() -> None:
    assert generate("venezuela-2024", seed=3).fingerprint == generate("venezuela-2024", seed=3).fingerprint
    assert synthetic(500, 9).fingerprint == synthetic(500, 9).fingerprint
    assert synthetic(500, 9).fingerprint != synthetic(500, 10).fingerprint


@pytest.mark.parametrize("n", [1, 2, 7, 1_000, 50_000])
def test_synthetic_has_exactly_the_stations_asked_for(n: int) -> None:
    election = synthetic(n, 1)
    assert len(election.stations) == n
    assert len({s.code for s in election.stations}) == n


def test_synthetic_scales_to_a_brazil_sized_election() -> None:
    election = synthetic(500_000, 2)
    assert len(election.stations) == 500_000
    assert len(election.fingerprint) == 64


@pytest.mark.parametrize(
    ("preset", "stations"), [("mars-2030", None), ("synthetic", 0), ("synthetic", 10**8), ("venezuela-2024", 5)]
)
def test_bad_presets_and_sizes_are_refused(preset: str, stations: int | None) -> None:
    with pytest.raises(InputError):
        generate(preset, stations=stations)
