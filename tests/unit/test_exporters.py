"""Exports: NIST SP 1500-100 v2 JSON validates against the published schema; the CSV adds up."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from actas.acta.codec import parse_payload
from actas.exporters.nist import election_report
from actas.exporters.stations_csv import station_rows
from actas.sim.election_day import VoterModel, simulate
from actas.tally.progressive import ProgressiveResults
from actas.tally.totals import tally

SCHEMA = (
    Path(__file__).parents[2].parent
    / "shared"
    / "specs"
    / "nist-1500-100-v2"
    / "NIST_V2_election_results_reporting.json"
)


@pytest.fixture(scope="module")
def counted(small: Any) -> ProgressiveResults:
    results = ProgressiveResults(small.election)
    for station in list(simulate(small.election, small.keys.machines, VoterModel(seed=4), workers=1))[:9]:
        signed = parse_payload(station.final)
        results.add(signed.acta, signed.digest)
    return results


def test_nist_report_validates_and_carries_every_vote(small: Any, counted: ProgressiveResults) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"the NIST schema is not at {SCHEMA} (../shared/specs is absent)")
    actas = {code: acta for code, (_, acta) in counted.counted().items()}
    report = election_report(
        small.election, actas, generated="2030-06-02T23:00:00+00:00", issuer="test", notes="test", version="0"
    )
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    contest = report["Election"][0]["Contest"][0]
    votes = sum(v["Count"] for sel in contest["ContestSelection"] for v in sel["VoteCounts"])
    nulls = sum(o["Undervotes"] for o in contest["OtherCounts"])
    totals = tally(actas.values())
    assert votes == sum(totals.options["president"].values()) and nulls == totals.null["president"]
    assert sum(b["BallotsCast"] for b in report["Election"][0]["BallotCounts"]) == totals.voters
    assert report["Status"] == "unofficial-partial" and contest["SubUnitsReported"] == 9


def test_csv_has_a_row_per_station_and_adds_up(small: Any, counted: ProgressiveResults) -> None:
    text = "".join(station_rows(small.election, counted.counted(), set(counted.conflicts())))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["station"] for r in rows] == [s.code for s in small.election.stations]
    assert sum(r["status"] == "counted" for r in rows) == 9 and sum(r["status"] == "missing" for r in rows) == 3
    view = counted.view().to_json()
    assert sum(int(r["voters"]) for r in rows if r["voters"]) == view["voters"]
    azul = next(o for c in view["contests"][0]["candidates"] for o in c["options"] if o["id"] == "AZUL")
    assert sum(int(r["president:AZUL"]) for r in rows if r["president:AZUL"]) == azul["votes"]


def test_progressive_results_set_a_conflicted_station_aside(small: Any) -> None:
    import dataclasses

    from actas.acta.codec import sign_acta

    results = ProgressiveResults(small.election)
    station = next(iter(simulate(small.election, small.keys.machines, VoterModel(seed=4), workers=1)))
    first = parse_payload(station.final)
    assert results.add(first.acta, first.digest) is False
    before = results.view().to_json()
    assert before["stations"]["reported"] == 1 and before["voters"] == first.acta.voters
    assert results.add(first.acta, first.digest) is False  # the same acta again changes nothing
    changed = dataclasses.replace(first.acta, closed="2030-06-02T23:59:00Z")
    second = sign_acta(changed, small.keys.machines[first.acta.station])
    assert results.add(second.acta, second.digest) is True
    after = results.view().to_json()
    assert after["stations"] == {"expected": 12, "reported": 0, "conflicts": 1} and after["voters"] == 0
    assert results.conflicts() == [first.acta.station] and results.counted() == {}
