"""The ceremony's files (`actas.e2e.records`): the public record and a trustee's secret file read back as
written; every character changed in the record outside the sealed shares (which only their recipient
can open) is refused as it is read or named by its check; bad fields are named. A trustee's shares read
back as written, and any character changed in them is refused, fails a proof or names another tally."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.e2e.ballot import choices, encrypt_ballot
from actas.e2e.elgamal import total
from actas.e2e.hashing import Context
from actas.e2e.records import (
    ceremony_from_text,
    ceremony_to_json,
    dumps,
    read_shares,
    shares_lines,
    trustee_from_text,
    trustee_to_json,
)
from actas.e2e.tally import MesaShares, shares_refused, tally_shares
from actas.e2e.trustees import run_ceremony
from actas.errors import FormatError
from actas.sim.generator import synthetic

FINGERPRINT = synthetic(20, 3).fingerprint
TRUSTEES, CEREMONY = run_ceremony(FINGERPRINT, ["Ana", "Bruno", "Carla", "Diego"], 3)
TEXT = dumps(ceremony_to_json(CEREMONY))


def test_the_record_and_a_trustee_file_read_back_as_written() -> None:
    assert ceremony_from_text(TEXT) == CEREMONY
    for t in TRUSTEES:
        again, fingerprint = trustee_from_text(dumps(trustee_to_json(t, FINGERPRINT)))
        assert again == t and fingerprint == FINGERPRINT


def outside_sealed_shares(text: str) -> list[int]:
    """The positions of the record's characters that are not inside a sealed share."""
    obj = json.loads(text)
    shares = {s["share"] for s in obj["sealed"]}
    hidden = set()
    for share in shares:
        at = text.index(share)
        hidden |= set(range(at, at + len(share)))
    return [i for i in range(len(text)) if i not in hidden and not text[i].isspace()]


POSITIONS = outside_sealed_shares(TEXT)


def caught(text: str) -> bool:
    try:
        ceremony = ceremony_from_text(text)
    except FormatError:
        return True
    return ceremony != CEREMONY and (bool(ceremony.problems()) or ceremony.joint_key() != CEREMONY.joint_key())


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(POSITIONS), st.characters(codec="ascii"))
def test_any_character_changed_outside_the_sealed_shares_is_caught(at: int, new: str) -> None:
    if TEXT[at] == new:
        return
    changed = TEXT[:at] + new + TEXT[at + 1 :]
    try:
        same = json.loads(changed) == json.loads(TEXT)
    except json.JSONDecodeError:
        same = False
    if not same:  # a change JSON reads the same (an escape for the same letter) changes nothing
        assert caught(changed), (at, TEXT[at], new)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda o: o.update(format="x"), "expected format"),
        (lambda o: o.update(trustees=0), "trustees: expected a whole number"),
        (lambda o: o.update(quorum=9), "a quorum of 9 out of 4"),
        (lambda o: o.update(qualified=[1, 2, 3]), "qualified trustees are not"),
        (lambda o: o.update(joint_key="00" * 32), "joint key is not"),
        (lambda o: o["announcements"][0].update(commitments=["ff" * 32] * 3), "not a point of the prime-order group"),
        (lambda o: o["announcements"][0]["proofs"][0].__setitem__(0, "ff" * 32), "below the group's order"),
        (lambda o: o["announcements"][0].update(box_key="AAAA"), "box_key: expected 32 bytes"),
        (lambda o: o["sealed"][0].update(share="!"), "share: expected 80 bytes"),
        (lambda o: o["announcements"][0].update(name=""), "name: expected a name"),
    ],
)
def test_a_bad_field_of_the_record_is_named(change: object, said: str) -> None:
    obj = json.loads(TEXT)
    change(obj)  # type: ignore[operator]
    with pytest.raises(FormatError, match=said):
        ceremony_from_text(json.dumps(obj))


def test_a_renamed_trustee_fails_its_proofs() -> None:
    obj = json.loads(TEXT)
    obj["announcements"][1]["name"] = "Mallory"
    with pytest.raises(FormatError, match="qualified trustees are not"):
        ceremony_from_text(json.dumps(obj))  # trustee 2's proofs fail, so it is no longer qualified


def test_a_withheld_share_is_complained_of() -> None:
    trustees, record = run_ceremony(FINGERPRINT, ["A", "B", "C"], 2, lambda sealed: sealed[1:], answering=False)
    assert record.qualified() == tuple(sorted({1, 2, 3} - {record.complaints[0].dealer}))
    _, answered = run_ceremony(FINGERPRINT, ["A", "B", "C"], 2, lambda sealed: sealed[1:])
    assert answered.qualified() == (1, 2, 3) and answered.problems() == []


def test_a_trustee_file_that_is_not_one_is_refused() -> None:
    good = trustee_to_json(TRUSTEES[0], FINGERPRINT)
    for change, said in [
        ({"format": "x"}, "expected format"),
        ({"coefficients": good["coefficients"][:1]}, "coefficients: expected 3"),
        ({"index": 9}, "trustee 9 of 4"),
        ({"share": "zz" * 32}, "share: expected 64 lowercase hexadecimal digits"),
        ({"fingerprint": "ABC"}, "fingerprint: expected 64 lowercase"),
    ]:
        with pytest.raises(FormatError, match=said):
            trustee_from_text(json.dumps({**good, **change}))
    with pytest.raises(FormatError, match="not valid JSON"):
        trustee_from_text("{")
    with pytest.raises(FormatError, match="more than"):
        trustee_from_text(" " * (5 * 1024 * 1024))


def shares_file() -> tuple[str, dict[str, MesaShares]]:
    """Trustee 2's shares of two mesas' tallies, of ballots encrypted under the ceremony's key."""
    election = synthetic(20, 3)
    context = Context.of(FINGERPRINT, CEREMONY.joint_key())
    contest = election.contests[0]
    mesas = {}
    for station in (s.code for s in election.stations[:2]):
        ballots = [encrypt_ballot(context, station, contest, c).ballot for c in ("null", contest.option_ids[0])]
        tally = tuple(total(b.selections[i].ciphertext for b in ballots) for i in range(len(choices(contest))))
        member = TRUSTEES[1]
        key = CEREMONY.share_key(member.index)
        mesas[station] = tally_shares(context, member.index, member.share or 0, key, station, contest, tally)
    return "".join(shares_lines(FINGERPRINT, 2, mesas.values())), mesas


SHARES_TEXT, SHARES = shares_file()
SHARES_CONTEXT = Context.of(FINGERPRINT, CEREMONY.joint_key())


def test_a_trustees_shares_read_back_as_written_and_hold() -> None:
    fingerprint, trustee, found = read_shares(SHARES_TEXT.splitlines(keepends=True))
    assert (fingerprint, trustee, found) == (FINGERPRINT, 2, SHARES)
    contest = synthetic(20, 3).contests[0]
    assert all(shares_refused(SHARES_CONTEXT, CEREMONY, contest, s) is None for s in found.values())


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(SHARES_TEXT) - 1), st.sampled_from('0123456789abcdefx"[],: {}'))
def test_any_character_changed_in_a_trustees_shares_is_caught(at: int, new: str) -> None:
    if SHARES_TEXT[at] == new or SHARES_TEXT[at] == "\n":
        return
    changed = SHARES_TEXT[:at] + new + SHARES_TEXT[at + 1 :]
    try:
        fingerprint, trustee, found = read_shares(changed.splitlines(keepends=True))
    except FormatError:
        return
    contest = synthetic(20, 3).contests[0]
    assert (
        fingerprint != FINGERPRINT
        or trustee != 2
        or found.keys() != SHARES.keys()
        or any(
            shares_refused(SHARES_CONTEXT, CEREMONY, contest, s) is not None or s.tally != SHARES[s.station].tally
            for s in found.values()
        )
    )
