"""The simulator: real machines, valid actas, and results that depend on the seed alone."""

from __future__ import annotations

from typing import Any

import pytest

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.errors import InputError
from actas.sim.election_day import VoterModel, parse_shares, simulate
from actas.tally.totals import tally


def run(small: Any, **kwargs: Any) -> list[Any]:
    workers = kwargs.pop("workers", 1)
    return list(simulate(small.election, small.keys.machines, VoterModel(**kwargs), workers=workers))


def test_every_simulated_acta_is_valid_and_consistent(small: Any) -> None:
    stations = run(small, seed=3)
    assert [s.station for s in stations] == [s.code for s in small.election.stations]
    for s in stations:
        zero, final = parse_payload(s.zero), parse_payload(s.final)
        assert check_acta(zero, small.registry) == () and check_acta(final, small.registry) == ()
        assert final.acta.zero == zero.digest and final.acta.voters == s.voters


def test_results_depend_on_the_seed_not_on_the_number_of_workers(small: Any) -> None:
    one = [s.final for s in run(small, seed=8, workers=1)]
    two = [s.final for s in run(small, seed=8, workers=2)]
    assert one == two
    assert one != [s.final for s in run(small, seed=9)]


def test_shares_and_turnout_are_honoured(small: Any) -> None:
    stations = run(small, seed=1, turnout=0.9, shares={"CASTRO": 1.0}, regional_spread=0.0, null_share=0.0)
    totals = tally(parse_payload(s.final).acta for s in stations)
    by_candidate = totals.by_candidate(small.election.contests[0])
    assert by_candidate["CASTRO"] >= 0.99 * totals.voters
    assert 0.8 <= totals.voters / totals.registered <= 0.97


@pytest.mark.parametrize("kwargs", [{"turnout": 0.0}, {"turnout": 1.2}, {"null_share": 1.0}, {"regional_spread": 0.7}])
def test_impossible_voter_models_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(InputError):
        VoterModel(**kwargs)


def test_shares_are_parsed_strictly() -> None:
    assert parse_shares("A=2, B=1", ["A", "B"]) == {"A": 2.0, "B": 1.0}
    for bad in ["A", "A=x", "A=-1", "C=1"]:
        with pytest.raises(InputError):
            parse_shares(bad, ["A", "B"])


def test_an_election_with_two_contests(small: Any) -> None:
    import dataclasses

    from actas.files import KeySet

    second = dataclasses.replace(small.election.contests[0], id="senate", name="Senate")
    election = dataclasses.replace(small.election, contests=(small.election.contests[0], second))
    keys = KeySet.generate(election, "authority")
    registry = keys.registry(election)
    stations = list(simulate(election, keys.machines, VoterModel(seed=2), workers=1))
    finals = [parse_payload(s.final) for s in stations]
    assert all(check_acta(f, registry) == () for f in finals)
    assert all(len(f.acta.contests) == 2 and f.acta.contests[1].total == f.acta.voters for f in finals)
