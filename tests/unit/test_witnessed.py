"""The observer's record of each mesa, from its witnesses' reports: statuses, flags, coverage and totals."""

from __future__ import annotations

import dataclasses

import pytest

from actas.acta.codec import sign_acta
from actas.acta.model import SignedActa
from actas.sim.election_day import VoterModel, simulate
from actas.tally.witnessed import COMPLETE, CONFLICT, MISSING, PARTIAL, Filed, WitnessTally, acta_counts, judge
from actas.witness.report import Incident, WitnessReport
from tests.conftest import Setup


@pytest.fixture(scope="module")
def finals(small: Setup) -> list[SignedActa]:
    from actas.acta.codec import parse_payload

    return [
        parse_payload(s.final) for s in simulate(small.election, small.keys.machines, VoterModel(seed=3), workers=1)
    ]


def filed(index: int, signed: SignedActa | None, witness: str, station: str = "", **kw: object) -> Filed:
    hand = kw.pop("hand", None)
    report = WitnessReport(
        station=station or (signed.acta.station if signed else ""),
        witness=witness,
        acta=signed.payload if signed else None,
        acta_status="verified" if signed else "none",
        hand_counted=hand is not None,
        hand=tuple(hand.items()) if isinstance(hand, dict) else (),
        receipts=sum(hand.values()) if isinstance(hand, dict) else None,
        **kw,  # type: ignore[arg-type]
    )
    return Filed(index, report, signed.acta if signed else None, signed.digest if signed else None)


def test_the_statuses_of_a_mesa(finals: list[SignedActa], small: Setup) -> None:
    a = finals[0]
    station = a.acta.station
    contest = a.acta.contests[0]
    top = contest.votes.index(max(contest.votes))
    moved = tuple(n - (i == top) + (i == (top + 1) % len(contest.votes)) for i, n in enumerate(contest.votes))
    other = sign_acta(
        dataclasses.replace(a.acta, contests=(dataclasses.replace(contest, votes=moved),)),
        small.keys.machines[station],
    )  # a second acta of the same machine, one vote moved
    assert other.digest != a.digest
    assert judge(station, []).status == MISSING
    assert judge(station, [filed(1, None, "W1", station)]).status == PARTIAL
    one = judge(station, [filed(1, a, "W1")])
    assert (one.status, one.confirmed) == (COMPLETE, False)
    two = judge(station, [filed(1, a, "W1"), filed(2, a, "W2"), filed(3, None, "W3", station)])
    assert (two.status, two.confirmed) == (COMPLETE, True)
    assert judge(station, [filed(1, a, "W1"), filed(2, other, "W2")]).status == CONFLICT


def test_a_hand_count_differing_from_the_acta_or_another_hand_count_is_flagged(finals: list[SignedActa]) -> None:
    a = finals[0]
    station = a.acta.station
    same = acta_counts(a.acta)
    assert not judge(station, [filed(1, a, "W1", hand=same)]).paper_differs
    assert not judge(station, [filed(1, a, "W1", hand={k: v for k, v in same.items() if v})]).paper_differs
    off = {**same, next(iter(same)): same[next(iter(same))] + 1}
    assert judge(station, [filed(1, a, "W1", hand=off)]).paper_differs
    assert judge(
        station, [filed(1, None, "W1", station, hand=same), filed(2, None, "W2", station, hand=off)]
    ).paper_differs


def test_coverage_and_totals_follow_every_report_and_correction(finals: list[SignedActa], small: Setup) -> None:
    tally = WitnessTally(small.election)
    total = len(small.election.stations)
    a, b = finals[0], finals[1]
    tally.add(filed(1, a, "W1", incidents=(Incident("machine-replaced", "at noon"),)))
    tally.add(filed(2, None, "W2", b.acta.station))
    nation = tally.coverage()
    assert (nation["complete"], nation["partial"], nation["missing"], nation["incidents"]) == (1, 1, total - 2, 1)
    assert tally.results.view().to_json()["stations"]["reported"] == 1
    assert tally.results.view().to_json()["voters"] == a.acta.voters

    tally.add(filed(3, b, "W2"))  # W2 corrects their report on b: now with the acta
    record = tally.record(b.acta.station)
    assert record.status == COMPLETE and record.superseded == (2,)
    nation = tally.coverage()
    assert (nation["complete"], nation["partial"]) == (2, 0)
    assert tally.results.view().to_json()["voters"] == a.acta.voters + b.acta.voters
    for unit in nation["children"]:
        assert unit["complete"] + unit["partial"] + unit["conflict"] + unit["missing"] == unit["stations"]
    assert sum(u["complete"] for u in nation["children"]) == 2
    with pytest.raises(KeyError):
        tally.coverage("no-such-unit")
    with pytest.raises(KeyError):
        tally.add(filed(4, None, "W1", "no-such-mesa"))
