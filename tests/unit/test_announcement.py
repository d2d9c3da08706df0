"""Announcements: the authority's signed statement of results, strict to read, checked to publish."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.announcement import AnnouncedContest, Announcement, open_announcement
from actas.errors import FormatError, VerificationError
from actas.signed_note import Signer
from tests.property.strategies import tokens

# The Venezuelan electoral council's first bulletin of 29 July 2024 (../shared/data/README.md).
FIRST_BULLETIN = AnnouncedContest("presidente", (("NM", 5_150_092), ("EG", 4_445_978), ("others", 462_704)))


def announcement(small: Any, **changes: Any) -> Announcement:
    fields = {
        "election": small.election.id,
        "fingerprint": small.election.fingerprint,
        "issued": "2030-06-03T06:10:00Z",
        "title": "First bulletin, 80% of actas",
        "contests": (AnnouncedContest("president", (("ALVAREZ", 51), ("BARROS", 44), ("others", 4))),),
        "voters": 99,
    }
    return Announcement(**(fields | changes))


def test_round_trip_and_signature(small: Any) -> None:
    a = announcement(small)
    assert Announcement.from_text(a.to_text()) == a
    region = small.election.units[0].code
    scoped = announcement(small, unit=region)
    assert f"\nunit {region}\ncontest " in scoped.to_text() and "\nunit " not in a.to_text()
    assert Announcement.from_text(scoped.to_text()) == scoped
    assert open_announcement(a.sign(small.keys.authority), small.registry) == a
    assert (
        "contest presidente NM=5150092 EG=4445978 others=462704"
        in announcement(small, contests=(FIRST_BULLETIN,)).to_text()
    )


def test_only_the_authority_can_sign(small: Any) -> None:
    with pytest.raises(VerificationError, match="not signed by the authority"):
        open_announcement(announcement(small).sign(Signer.generate(small.keys.authority.name)), small.registry)
    other = announcement(small, election="another-election")
    with pytest.raises(VerificationError, match="another-election"):
        open_announcement(other.sign(small.keys.authority), small.registry)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("actas announcement v1", "actas announcement v2"),
        ("issued 2030-06-03T06:10:00Z", "issued yesterday"),
        ("ALVAREZ=51", "ALVAREZ=051"),
        ("ALVAREZ=51", "ALVAREZ=-1"),
        ("BARROS=44", "ALVAREZ=44"),
        ("voters 99", "voters ninety"),
        ("voters 99\n", "voters 99\nvoters 98\n"),
        ("contest president", "contest"),
        ("voters 99", "unit R01\nvoters 99"),  # the unit goes right after the title
        ("title First bulletin, 80% of actas\n", "title First bulletin, 80% of actas\nunit R 01\n"),
        ("title First bulletin, 80% of actas\n", "title First bulletin, 80% of actas\nunit\n"),
    ],
)
def test_malformed_announcements_are_refused(small: Any, old: str, new: str) -> None:
    text = announcement(small).to_text()
    assert old in text
    with pytest.raises(FormatError):
        Announcement.from_text(text.replace(old, new))


@given(
    st.lists(st.tuples(tokens, st.integers(0, 10**10 - 1)), min_size=1, max_size=12, unique_by=lambda t: t[0]),
    st.one_of(st.just(""), tokens),
)
def test_any_announced_votes_round_trip(votes: list[tuple[str, int]], unit: str) -> None:
    a = Announcement("e", "0" * 64, "2030-01-01T00:00:00Z", "t", (AnnouncedContest("c", tuple(votes)),), unit=unit)
    assert Announcement.from_text(a.to_text()) == a
