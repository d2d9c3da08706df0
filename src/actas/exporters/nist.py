"""Results as NIST SP 1500-100 Revision 2 Election Results Reporting JSON (precinct level).

Schema: ../shared/specs/nist-1500-100-v2 (root ElectionResults.ElectionReport); tests validate every
export against it. The mapping: the nation and every geography unit are ReportingUnits (a level whose
id is one of NIST's unit types keeps it, others are `other` with the level id as OtherType), each
station a `precinct`; each candidate a Candidate; each party card a Party and a CandidateSelection
that names its candidate and endorsing party, with one `total` VoteCounts per counted station; null
votes are the contest's Undervotes (a ballot cast with no valid choice), and voters the station's
BallotsCast. Stations in conflict or missing have no counts, and the status says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actas.acta.model import Acta
from actas.election import Election

NIST_UNIT_TYPES = {
    "borough", "city", "country", "county", "municipality", "precinct", "school", "state", "town",
    "township", "village", "ward", "vote-center", "polling-place",
}  # fmt: skip


def _text(value: str) -> dict[str, Any]:
    return {
        "@type": "ElectionResults.InternationalizedText",
        "Text": [{"@type": "ElectionResults.LanguageString", "Content": value, "Language": "und"}],
    }


def _unit_id(code: str) -> str:
    return f"gpu-{code}" if code else "gpu-nation"


def election_report(
    election: Election,
    counted: Mapping[str, Acta],
    *,
    generated: str,
    issuer: str,
    notes: str,
    version: str,
) -> dict[str, Any]:
    """The report of an election from the final actas counted at one checkpoint."""
    children: dict[str, list[str]] = {}
    for u in election.units:
        children.setdefault(u.parent or "", []).append(_unit_id(u.code))
    for s in election.stations:
        children.setdefault(s.unit, []).append(_unit_id(s.code))
    gp_units: list[dict[str, Any]] = [
        {
            "@id": "gpu-nation",
            "@type": "ElectionResults.ReportingUnit",
            "Type": "country" if election.levels[0].id != "country" else "other",
            "Name": _text(election.name),
            "ComposingGpUnitIds": children.get("", []),
            "TotalSubUnits": len(election.stations),
            "SubUnitsReported": len(counted),
        }
    ]
    for u in election.units:
        unit: dict[str, Any] = {
            "@id": _unit_id(u.code),
            "@type": "ElectionResults.ReportingUnit",
            "Name": _text(u.name),
            "ComposingGpUnitIds": children.get(u.code, []),
        }
        if u.level in NIST_UNIT_TYPES:
            unit["Type"] = u.level
        else:
            unit["Type"], unit["OtherType"] = "other", u.level
        gp_units.append(unit)
    for s in election.stations:
        station: dict[str, Any] = {
            "@id": _unit_id(s.code),
            "@type": "ElectionResults.ReportingUnit",
            "Type": "precinct",
            "Name": _text(f"{election.station_label} {s.code}"),
            "VotersRegistered": s.registered,
        }
        if s.code in counted:
            station["VotersParticipated"] = counted[s.code].voters
        gp_units.append(station)

    parties, candidates, contests = [], [], []
    for index, contest in enumerate(election.contests):
        for cand in contest.candidates:
            candidates.append(
                {
                    "@id": f"cand-{contest.id}-{cand.id}",
                    "@type": "ElectionResults.Candidate",
                    "BallotName": _text(cand.name),
                }
            )
        selections = []
        for order, option in enumerate(contest.options, start=1):
            parties.append(
                {
                    "@id": f"party-{contest.id}-{option.id}",
                    "@type": "ElectionResults.Party",
                    "Name": _text(option.name),
                    "Abbreviation": _text(option.id),
                }
            )
            selections.append(
                {
                    "@id": f"sel-{contest.id}-{option.id}",
                    "@type": "ElectionResults.CandidateSelection",
                    "SequenceOrder": order,
                    "CandidateIds": [f"cand-{contest.id}-{option.candidate}"],
                    "EndorsementPartyIds": [f"party-{contest.id}-{option.id}"],
                    "VoteCounts": [
                        {
                            "@type": "ElectionResults.VoteCounts",
                            "GpUnitId": _unit_id(code),
                            "Type": "total",
                            "Count": acta.contests[index].votes[order - 1],
                        }
                        for code, acta in counted.items()
                    ],
                }
            )
        contests.append(
            {
                "@id": f"contest-{contest.id}",
                "@type": "ElectionResults.CandidateContest",
                "ElectionDistrictId": "gpu-nation",
                "Name": contest.name,
                "VotesAllowed": 1,
                "VoteVariation": "plurality",
                "SequenceOrder": index + 1,
                "TotalSubUnits": len(election.stations),
                "SubUnitsReported": len(counted),
                "ContestSelection": selections,
                "OtherCounts": [
                    {
                        "@type": "ElectionResults.OtherCounts",
                        "GpUnitId": _unit_id(code),
                        "Undervotes": acta.contests[index].null,
                    }
                    for code, acta in counted.items()
                ],
            }
        )
    complete = len(counted) == len(election.stations)
    return {
        "@type": "ElectionResults.ElectionReport",
        "Format": "precinct-level",
        "GeneratedDate": generated,
        "Issuer": issuer,
        "IssuerAbbreviation": "actas",
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Status": "unofficial-complete" if complete else "unofficial-partial",
        "VendorApplicationId": f"actas {version}",
        "Notes": notes,
        "GpUnit": gp_units,
        "Party": parties,
        "Election": [
            {
                "@type": "ElectionResults.Election",
                "ElectionScopeId": "gpu-nation",
                "Name": _text(election.name),
                "StartDate": election.date,
                "EndDate": election.date,
                "Type": "general",
                "Candidate": candidates,
                "Contest": contests,
                "BallotCounts": [
                    {
                        "@type": "ElectionResults.BallotCounts",
                        "GpUnitId": _unit_id(code),
                        "Type": "total",
                        "BallotsCast": acta.voters,
                    }
                    for code, acta in counted.items()
                ],
            }
        ],
    }
