"""Witness reports: canonical JSON that reads back as written; every malformed field refused by name."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.errors import FormatError
from actas.witness.report import INCIDENTS, Incident, WitnessReport

code = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
digest = st.from_regex(r"[0-9a-f]{64}", fullmatch=True)


@st.composite
def reports(draw: st.DrawFn) -> WitnessReport:
    status = draw(st.sampled_from(["verified", "unsigned", "none"]))
    counted = draw(st.booleans())
    hand = draw(st.dictionaries(code, st.integers(0, 10**6), min_size=1, max_size=5)) if counted else {}
    return WitnessReport(
        station=draw(code),
        witness=draw(code),
        acta=None if status == "none" else draw(st.text(min_size=1, max_size=200)),
        acta_status=status,
        hand_counted=counted,
        hand=tuple(hand.items()),
        receipts=draw(st.integers(0, 10**6)) if counted else None,
        incidents=tuple(
            draw(st.lists(st.builds(Incident, st.sampled_from(INCIDENTS), st.text(max_size=80)), max_size=3))
        ),
        photos=tuple(draw(st.lists(digest, max_size=3))),
    )


@given(reports())
def test_a_report_round_trips_through_its_canonical_bytes(report: WitnessReport) -> None:
    data = report.to_bytes()
    assert WitnessReport.from_json(json.loads(data)) == report
    assert WitnessReport.from_json(json.loads(data)).to_bytes() == data


BROKEN: list[tuple[dict[str, Any], str]] = [
    ({"station": "a b"}, "station"),
    ({"witness": ""}, "witness"),
    ({"acta_status": "maybe"}, "acta_status"),
    ({"acta": None}, "an acta goes with status"),
    ({"hand": {"PSUV": -1}}, "hand count of PSUV"),
    ({"hand": {}}, "a hand count has"),
    ({"receipts": True}, "receipts"),
    ({"incidents": [{"kind": "alien-landing", "note": ""}]}, "alien-landing"),
    ({"incidents": [{"kind": "other"}]}, "each incident"),
    ({"photos": ["ABC"]}, "SHA-256"),
    ({"format": "v2"}, "format"),
    ({"extra": 1}, "unknown fields"),
]


@pytest.mark.parametrize(("change", "message"), BROKEN)
def test_a_malformed_report_is_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    good = WitnessReport("010101001.01", "W-1", "actas acta v1 ...", "verified", True, (("PSUV", 3),), 3).to_json()
    with pytest.raises(FormatError, match=message):
        WitnessReport.from_json({**good, **change})
