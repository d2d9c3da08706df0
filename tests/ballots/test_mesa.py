"""A mesa's encrypted ballots (`actas.e2e.mesa`): the machine encrypts each vote, the voter casts it or
challenges it, and the record it publishes is checked ballot by ballot and chain link by chain link;
the cast ballots' tally is decrypted by 3 of 5 trustees and equals the votes cast, never counting a
spoiled ballot; a machine that lies about a challenged ballot, drops, adds, reorders or replays a
ballot is named."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.e2e.ballot import choices, encrypt_ballot
from actas.e2e.decryption import combine, decrypt_count, decryption_share, share_holds, share_label
from actas.e2e.elgamal import DiscreteLog
from actas.e2e.hashing import Context
from actas.e2e.mesa import BallotBox, MesaRecord, RecordedBallot, Spoiled, check_mesa
from actas.e2e.trustees import run_ceremony
from actas.errors import FormatError, MachineStateError
from actas.sim.generator import synthetic

ELECTION = synthetic(20, 3)
CONTEST = ELECTION.contests[0]
STATION = ELECTION.stations[0].code
OPTIONS = choices(CONTEST)
TRUSTEES, CEREMONY = run_ceremony(ELECTION.fingerprint, [f"T{i}" for i in range(1, 6)], 3)
CONTEXT = Context.of(ELECTION.fingerprint, CEREMONY.joint_key())
VOTES = [OPTIONS[0], OPTIONS[3], OPTIONS[0], "null", OPTIONS[5], OPTIONS[0]]


def day(challenge_at: int = 2) -> tuple[BallotBox, list[bytes]]:
    """The votes cast in order, the voter at `challenge_at` challenging once before casting."""
    box = BallotBox(CONTEXT, STATION, CONTEST)
    shown = []
    for i, vote in enumerate(VOTES):
        if i == challenge_at:
            box.encrypt(OPTIONS[1])
            box.challenge()
        shown.append(box.encrypt(vote))
        assert box.cast() == shown[-1]  # the code shown before the choice is the code cast
    return box, shown


def decrypt(tally: tuple, chosen: tuple[int, ...] = (2, 4, 5)) -> list[int | None]:
    counts = []
    for option, ciphertext in zip(OPTIONS, tally, strict=True):
        label = share_label(STATION, CONTEST.id, option)
        shares = {}
        for t in (TRUSTEES[i - 1] for i in chosen):
            assert t.share is not None
            share = decryption_share(CONTEXT, t.index, t.share, CEREMONY.share_key(t.index), ciphertext, label)
            assert share_holds(CONTEXT, share, CEREMONY.share_key(t.index), ciphertext, label)
            shares[t.index] = share.share
        counts.append(decrypt_count(ciphertext, combine(shares, 3), DiscreteLog(), len(VOTES)))
    return counts


def test_a_mesas_record_checks_and_its_tally_decrypts_to_the_votes_cast_without_the_spoiled_one() -> None:
    box, _ = day()
    record = MesaRecord.from_lines(box.record().to_lines())
    assert record == box.record()
    checked = check_mesa(CONTEXT, CONTEST, record)
    assert checked.problems == () and checked.cast == len(VOTES)
    assert [choice for _, choice in checked.spoiled] == [OPTIONS[1]]
    expected = Counter(VOTES)
    assert decrypt(checked.tally) == [expected[o] for o in OPTIONS]
    assert decrypt(checked.tally, (1, 3, 5)) == decrypt(checked.tally, (2, 3, 4))
    assert checked.last_code == box.last_code == record.ballots[-1].code


def test_the_box_casts_or_challenges_only_a_pending_ballot() -> None:
    box = BallotBox(CONTEXT, STATION, CONTEST)
    with pytest.raises(MachineStateError, match="no ballot is waiting"):
        box.cast()
    box.encrypt(OPTIONS[0])
    with pytest.raises(MachineStateError, match="waiting to be cast or challenged"):
        box.encrypt(OPTIONS[1])
    spoiled = box.challenge()
    assert spoiled.choice == OPTIONS[0] and box.pending is None


def test_a_machine_that_encrypts_another_choice_is_caught_when_challenged() -> None:
    box, _ = day()
    record = box.record()
    at = next(i for i, b in enumerate(record.ballots) if b.spoiled is not None)
    lying = encrypt_ballot(CONTEXT, STATION, CONTEST, OPTIONS[4])  # the voter chose OPTIONS[1]
    ballots = list(record.ballots)
    ballots[at] = RecordedBallot(ballots[at].code, lying.ballot, Spoiled(OPTIONS[1], lying.nonces))
    problems = check_mesa(CONTEXT, CONTEST, dataclasses.replace(record, ballots=tuple(ballots))).problems
    assert any(f"spoiled, its nonces show {OPTIONS[4]}, not {OPTIONS[1]}" in p for p in problems), problems


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda b: b[:2] + b[3:], "does not follow"),  # a ballot dropped
        (lambda b: [b[1], b[0], *b[2:]], "does not follow"),  # two swapped
        (lambda b: [*b, b[-1]], "shares a nonce with ballot"),  # one replayed
    ],
    ids=["dropped", "reordered", "replayed"],
)
def test_a_ballot_dropped_reordered_or_replayed_is_named(change: object, said: str) -> None:
    record = day()[0].record()
    changed = dataclasses.replace(record, ballots=tuple(change(list(record.ballots))))  # type: ignore[operator]
    problems = check_mesa(CONTEXT, CONTEST, changed).problems
    assert any(said in p for p in problems), problems


def test_a_ballot_replaced_by_another_valid_one_breaks_the_chain() -> None:
    record = day()[0].record()
    other = encrypt_ballot(CONTEXT, STATION, CONTEST, OPTIONS[2]).ballot
    ballots = list(record.ballots)
    ballots[1] = dataclasses.replace(ballots[1], ballot=other)
    problems = check_mesa(CONTEXT, CONTEST, dataclasses.replace(record, ballots=tuple(ballots))).problems
    assert problems and "ballot 2" in problems[0] and "does not follow" in problems[0]


def test_a_record_of_another_election_or_contest_is_named() -> None:
    record = day()[0].record()
    assert (
        "the record is of another election" in check_mesa(Context.of("00" * 32, CONTEXT.key), CONTEST, record).problems
    )
    renamed = dataclasses.replace(record, contest="senate")
    assert any("not president" in p for p in check_mesa(CONTEXT, CONTEST, renamed).problems)


LINES = day()[0].record().to_lines()


@settings(max_examples=120, deadline=None)
@given(st.integers(1, len(LINES) - 1), st.data())
def test_any_character_changed_in_a_ballots_line_is_caught(line: int, data: st.DataObject) -> None:
    text = LINES[line]
    at = data.draw(st.integers(0, len(text) - 2))  # not the newline
    new = data.draw(st.sampled_from('0123456789abcdefABCDEF+/="{}:, xyz'))
    if text[at] == new:
        return
    lines = [*LINES[:line], text[:at] + new + text[at + 1 :], *LINES[line + 1 :]]
    try:
        record = MesaRecord.from_lines(lines)
    except FormatError:
        return
    assert check_mesa(CONTEXT, CONTEST, record).problems


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        ([], "empty"),
        (['{"format": "x"}\n'], "expected format"),
        (["[1]\n"], "not a JSON object"),
        (["{\n"], "not a JSON object"),
        ([LINES[0], '{"code": "zz", "ballot": "AA=="}\n'], "not hexadecimal and base64"),
        ([LINES[0], '{"code": "' + "00" * 31 + '", "ballot": "AA=="}\n'], "a 32-byte code in lowercase"),
        ([LINES[0], "x" * 70_000 + "\n"], "longer than"),
    ],
)
def test_a_bad_record_is_refused_naming_its_line(lines: list[str], said: str) -> None:
    with pytest.raises(FormatError, match=said):
        MesaRecord.from_lines(lines)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4_000))
def test_a_record_split_in_parts_joins_back_and_each_part_checks_alone(most: int) -> None:
    record = day()[0].record()
    parts = record.split(most)
    assert [b for p in parts for b in p.ballots] == list(record.ballots)
    assert [(p.part, p.parts) for p in parts] == [(i, len(parts)) for i in range(1, len(parts) + 1)]
    assert parts[-1].last_code == record.last_code
    assert all(len("".join(p.to_lines())) <= most or len(p.ballots) == 1 for p in parts)  # a line is never split
    tallies = []
    for before, part in zip([None, *parts], parts, strict=False):
        read = MesaRecord.from_lines(part.to_lines())
        assert read == part and read.start == (before.last_code if before else record.start)
        checked = check_mesa(CONTEXT, CONTEST, read)
        assert checked.problems == ()
        tallies.append(checked.tally)
    summed = tuple(sum(column[1:], column[0]) for column in zip(*tallies, strict=True))
    assert summed == check_mesa(CONTEXT, CONTEST, record).tally


def test_a_part_out_of_its_place_does_not_check() -> None:
    parts = day()[0].record().split(3_000)
    assert len(parts) >= 3
    moved = dataclasses.replace(parts[2], after=parts[0].last_code)
    assert "does not follow from the ballots before it" in check_mesa(CONTEXT, CONTEST, moved).problems[0]


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ({"part": 0, "parts": 2, "after": ""}, "a part is numbered"),
        ({"part": 3, "parts": 2, "after": "00" * 32}, "a part is numbered"),
        ({"part": 1, "parts": 1, "after": ""}, "a part is numbered"),
        ({"part": 2, "parts": 2, "after": ""}, "names the code before its first ballot"),
        ({"part": 1, "parts": 2, "after": "00" * 32}, "names the code before its first ballot"),
        ({"part": 2, "parts": 2, "after": "ZZ" * 32}, "names the code before its first ballot"),
        ({"part": "2", "parts": 2, "after": "00" * 32}, "a part is numbered"),
    ],
)
def test_a_parts_header_is_read_strictly(header: dict[str, object], said: str) -> None:
    import json

    first = json.loads(LINES[0]) | header
    with pytest.raises(FormatError, match=said):
        MesaRecord.from_lines([json.dumps(first) + "\n", *LINES[1:]])
