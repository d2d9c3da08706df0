"""Progressive results: a station whose actas disagree is in conflict, whatever order they arrive in."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.acta.codec import parse_payload, sign_acta
from actas.i18n import language
from actas.sim.election_day import VoterModel, simulate
from actas.tally.progressive import CONFLICT, MISSING, REPORTED, ProgressiveResults, in_conflict
from actas.tally.view import CandidateVotes, ContestResults, Coverage, Headline, UnitResults


def test_a_final_acta_that_follows_another_zero_acta_than_the_one_on_the_board_is_a_conflict(small: Any) -> None:
    station = next(iter(simulate(small.election, small.keys.machines, VoterModel(seed=9), workers=1)))
    zero, final = parse_payload(station.zero), parse_payload(station.final)
    other = sign_acta(
        dataclasses.replace(zero.acta, opened="2030-06-02T06:30:00Z"), small.keys.machines[station.station]
    )
    assert not in_conflict([final.acta], {zero.digest})
    assert in_conflict([final.acta], {other.digest})  # the board holds a zero acta, not the one it followed
    assert in_conflict([final.acta], {zero.digest, other.digest})
    assert in_conflict([], {zero.digest, other.digest})  # opened twice, before any final acta
    assert not in_conflict([final.acta], set())  # its zero acta not arrived (yet): missing is not a conflict
    results = ProgressiveResults(small.election)
    assert results.status(station.station) == MISSING
    results.add_zero(station.station, other.digest)
    results.add(final.acta, final.digest)
    assert results.status(station.station) == CONFLICT and results.view().to_json()["stations"]["reported"] == 0


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_the_results_do_not_depend_on_the_order_the_actas_arrive_in(small: Any, data: st.DataObject) -> None:
    stations = list(simulate(small.election, small.keys.machines, VoterModel(seed=2), workers=1))[:4]
    items: list[tuple[str, Any, str]] = []
    for station in stations:
        for payload in (station.zero, station.final):
            signed = parse_payload(payload)
            items.append((station.station, signed.acta, signed.digest))
    reopened = sign_acta(
        dataclasses.replace(parse_payload(stations[1].zero).acta, opened="2030-06-02T06:45:00Z"),
        small.keys.machines[stations[1].station],
    )
    items.append((stations[1].station, reopened.acta, reopened.digest))
    views = []
    for order in (items, data.draw(st.permutations(items))):
        results = ProgressiveResults(small.election)
        for code, acta, digest in order:
            if acta.kind.value == "final":
                results.add(acta, digest)
            else:
                results.add_zero(code, digest)
        views.append((results.view().to_json(), [results.status(s.station) for s in stations]))
    assert views[0] == views[1]
    assert views[0][1] == [REPORTED, CONFLICT, REPORTED, REPORTED]


def headline_of(votes: list[int], reported: int = 3) -> Headline | None:
    names = ["Ana Álvarez", "Bruno Barros", "Carla Castro"][: len(votes)]
    contest = ContestResults("president", "President", sum(votes), 2, tuple(
        CandidateVotes(str(i), name, n, ()) for i, (name, n) in enumerate(zip(names, votes, strict=True))))  # fmt: skip
    coverage = Coverage(stations=4, reported=reported, conflicts=0, registered=1000, covered=750, voters=sum(votes) + 2)
    return UnitResults("R01", "Region 01", "region", coverage, (contest,), (), ()).headline


def test_the_headline_says_who_leads_by_how_much_over_whom_with_how_much_counted() -> None:
    lead = headline_of([120, 300, 80])
    assert lead is not None and (lead.leader, lead.runner_up, lead.margin) == ("Bruno Barros", "Ana Álvarez", 180)
    english, spanish = language("en"), language("es_VE")
    assert lead.sentence(english) == (
        "Bruno Barros leads Ana Álvarez by 180 votes (36.00 points) in the actas counted so far, "
        "with 3 of 4 actas counted (75.00%), covering 75.00% of registered voters."
    )
    assert lead.sentence(spanish) == (  # the same numbers, as Venezuela writes them
        "Bruno Barros aventaja a Ana Álvarez por 180 votos (36,00 puntos) en las actas contadas hasta ahora, "
        "con 3 de 4 actas contadas (75,00%), que cubren el 75,00% de los electores inscritos."
    )
    tie = headline_of([200, 200, 100])
    assert tie is not None and tie.sentence(english).startswith(
        "Ana Álvarez and Bruno Barros are tied at 200 votes, with 3 of 4"
    )
    alone = headline_of([42])
    assert alone is not None and alone.sentence(english).startswith("Ana Álvarez has all 42 valid votes counted")
    by_one = headline_of([101, 100])
    assert (
        by_one is not None and "by 1 vote (" in by_one.sentence(english) and "por 1 voto (" in by_one.sentence(spanish)
    )
    big = headline_of([1_234_567, 1_000_000])
    assert (
        big is not None and "by 234,567 votes" in big.sentence(english) and "por 234.567 votos" in big.sentence(spanish)
    )
    assert headline_of([0, 0], reported=0) is None  # nothing counted: no one leads
