"""The voting machine: its three acts, its refusals, its receipt chain and its durable journal."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from actas.acta.check import check_acta
from actas.errors import FormatError, InputError, MachineStateError
from actas.machine.receipt import Receipt, count_receipts
from actas.machine.voting_machine import MachineRecord, MachineSetup, MachineState, VotingMachine
from actas.store.journal import JOURNAL_BYTES, SLOT_BYTES, JournaledMachine

T0, T1 = "2030-06-02T10:00:00Z", "2030-06-02T22:00:00Z"


def setup_for(small: Any, index: int = 0) -> tuple[MachineSetup, Any]:
    station = small.election.stations[index]
    signer = small.keys.machines[station.code]
    return MachineSetup.for_station(small.election, station.code, signer.name), signer


def test_open_cast_close_gives_valid_zero_and_final_actas(small: Any) -> None:
    setup, signer = setup_for(small)
    machine = VotingMachine(setup)
    zero = machine.open(signer, T0)
    receipts = [machine.cast(v) for v in ["AZUL", "BASE", None, "null", "AZUL"]]
    final = machine.close(signer, T1)
    assert check_acta(zero, small.registry) == () and check_acta(final, small.registry) == ()
    assert zero.acta.voters == 0 and all(v == 0 for v in zero.acta.contests[0].votes)
    count = final.acta.contests[0]
    assert (count.count("AZUL"), count.count("BASE"), count.null, final.acta.voters) == (2, 1, 2, 5)
    assert final.acta.zero == zero.digest and final.acta.chain == receipts[-1].code
    assert [r.seq for r in receipts] == [1, 2, 3, 4, 5]


def test_cast_many_moves_the_chain_exactly_as_cast(small: Any) -> None:
    setup, signer = setup_for(small)
    one, many = VotingMachine(setup), VotingMachine(setup)
    one.open(signer, T0), many.open(signer, T0)
    picks = [0, 3, 7, 7, 1, 0]  # option indices; 7 (= number of options) is null
    options = setup.ballot[0][1]
    for p in picks:
        one.cast(options[p] if p < len(options) else None)
    many.cast_many(picks)
    assert one.close(signer, T1).payload == many.close(signer, T1).payload


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        (["cast"], "is ready"),
        (["open", "close", "cast"], "is closed"),
        (["open", "close", "close"], "is closed"),
        (["open", "open"], "is open"),
        (["close"], "is ready"),
    ],
)
def test_actions_out_of_order_are_refused(small: Any, steps: list[str], words: str) -> None:
    setup, signer = setup_for(small)
    machine = VotingMachine(setup)
    with pytest.raises(MachineStateError, match=words):
        for step in steps:
            if step == "open":
                machine.open(signer, T0)
            elif step == "cast":
                machine.cast("AZUL")
            else:
                machine.close(signer, T1)


@pytest.mark.parametrize("vote", ["PURPLE", "azul", "", {"senate": "AZUL"}])
def test_a_vote_for_an_option_not_on_the_ballot_is_refused(small: Any, vote: Any) -> None:
    setup, signer = setup_for(small)
    machine = VotingMachine(setup)
    machine.open(signer, T0)
    with pytest.raises(MachineStateError):
        machine.cast(vote)
    assert machine.voters == 0


def test_no_more_votes_than_registered_voters(small: Any) -> None:
    setup, signer = setup_for(small)
    machine = VotingMachine(setup)
    machine.open(signer, T0)
    machine.cast_many([0] * setup.registered)
    with pytest.raises(MachineStateError, match="all have voted"):
        machine.cast("AZUL")
    with pytest.raises(MachineStateError):
        machine.cast_many([0])


def paper(small: Any, votes: int = 6) -> tuple[list[Receipt], str, str]:
    setup, signer = setup_for(small)
    machine = VotingMachine(setup)
    zero = machine.open(signer, T0)
    receipts = [machine.cast("AZUL" if i % 2 else "BRISA") for i in range(votes)]
    final = machine.close(signer, T1)
    assert final.acta.chain is not None
    return receipts, zero.digest, final.acta.chain


def test_counting_intact_paper_agrees_with_the_acta(small: Any) -> None:
    receipts, zero, chain = paper(small)
    count = count_receipts(reversed(receipts), station=receipts[0].station, zero=zero, chain=chain)
    assert count.chain_intact and count.receipts == 6 and count.counts["president"] == {"BRISA": 3, "AZUL": 3}


def test_a_removed_receipt_is_found(small: Any) -> None:
    receipts, zero, chain = paper(small)
    count = count_receipts(receipts[:2] + receipts[3:], station=receipts[0].station, zero=zero, chain=chain)
    assert "receipt 3 is missing" in count.problems


def test_a_receipt_removed_from_the_end_is_found(small: Any) -> None:
    receipts, zero, chain = paper(small)
    count = count_receipts(receipts[:-1], station=receipts[0].station, zero=zero, chain=chain)
    assert any("does not end the chain" in p for p in count.problems)


def test_an_added_receipt_is_found(small: Any) -> None:
    receipts, zero, chain = paper(small)
    extra = Receipt(receipts[0].station, 7, (("president", "AZUL"),), receipts[-1].code)
    count = count_receipts([*receipts, extra], station=receipts[0].station, zero=zero, chain=chain)
    assert not count.chain_intact


def test_an_altered_receipt_is_found(small: Any) -> None:
    receipts, zero, chain = paper(small)
    altered = Receipt(receipts[2].station, 3, (("president", "DEMOS"),), receipts[2].code)
    count = count_receipts(receipts[:2] + [altered] + receipts[3:], station=receipts[0].station, zero=zero, chain=chain)
    assert "receipt 3 does not follow receipt 2 in the chain" in count.problems


def test_a_duplicate_or_foreign_receipt_is_found(small: Any) -> None:
    receipts, zero, chain = paper(small)
    foreign = Receipt("elsewhere", 1, receipts[0].choices, receipts[0].code)
    count = count_receipts([*receipts, receipts[1], foreign], station=receipts[0].station, zero=zero, chain=chain)
    assert "two receipts carry number 2" in count.problems and any("elsewhere" in p for p in count.problems)


def test_receipt_text_round_trip_and_refusals(small: Any) -> None:
    receipts, _, _ = paper(small, 1)
    assert Receipt.from_text(receipts[0].to_text()) == receipts[0]
    for bad in ["", "actas receipt v1\n", receipts[0].to_text().replace("seq 1", "seq x"), "x" * 5000]:
        with pytest.raises(FormatError):
            Receipt.from_text(bad)


# --- the journal ---------------------------------------------------------------------------------------------


def journal_with(small: Any, path: Path, votes: list[str | None]) -> tuple[list[str], Any]:
    """A journal of an opened machine that recorded `votes`; returns the receipt codes and the key."""
    setup, signer = setup_for(small)
    with JournaledMachine.create(path, setup) as machine:
        machine.open(signer, T0)
        return [machine.cast(v).code for v in votes], signer


def slots(path: Path) -> tuple[bytes, bytes]:
    data = path.read_bytes()
    return data[:SLOT_BYTES], data[SLOT_BYTES:]


def test_journal_resumes_where_it_stopped(small: Any, tmp_path: Path) -> None:
    path = tmp_path / "vm.journal"
    codes, signer = journal_with(small, path, ["AZUL", "BRISA", None])
    assert path.stat().st_mode & 0o777 == 0o600
    resumed = JournaledMachine.resume(path)
    assert resumed.machine.voters == 3 and resumed.machine.code == codes[-1]
    assert resumed.machine.state is MachineState.OPEN
    resumed.cast("AZUL")
    final = resumed.close(signer, T1)
    resumed.close_file()
    assert final.acta.voters == 4 and check_acta(final, small.registry) == ()
    closed = JournaledMachine.resume(path)
    assert closed.machine.state is MachineState.CLOSED and closed.final == final.payload
    with pytest.raises(MachineStateError):
        closed.cast("AZUL")
    closed.close_file()


def test_the_journal_keeps_no_order_and_no_history_of_the_votes(small: Any, tmp_path: Path) -> None:
    """The same votes in any order leave the same journal but for the last receipt's code (a hash no one can
    run backwards), of the same size whatever the number of votes, and both copies equal."""
    votes = ["AZUL", "BRISA", "AZUL", None, "DEMOS"]
    journals = []
    for n, order in enumerate([votes, votes[::-1], votes[2:] + votes[:2]]):
        path = tmp_path / f"vm{n}.journal"
        codes, _ = journal_with(small, path, order)
        first, second = slots(path)
        assert first == second and path.stat().st_size == JOURNAL_BYTES
        assert b"\\nseq " not in first and b"actas receipt" not in first
        body, _, padding = first.partition(b"\t")
        record = json.loads(body)
        assert record.pop("code") == codes[-1] and not padding[65:].strip(b"\0")
        journals.append(record)
    assert journals[0] == journals[1] == journals[2]


def test_a_power_cut_between_the_two_copies_is_settled_on_resume(small: Any, tmp_path: Path) -> None:
    path = tmp_path / "vm.journal"
    journal_with(small, path, ["AZUL"])
    one = slots(path)[0]  # the record after one vote
    with JournaledMachine.resume(path) as machine:
        machine.cast("BRISA")
    two = slots(path)[0]  # after two
    for first, second, voters in [
        (one, two[:100] + one[100:], 1),  # cut while the new record was written: torn, the vote never printed
        (one, two, 2),  # cut after the new record, before the second copy: one act ahead
        (two[:100] + one[100:], two, 2),  # cut while the second copy was written
    ]:
        path.write_bytes(first + second)
        with JournaledMachine.resume(path) as machine:
            assert machine.machine.voters == voters
        assert slots(path)[0] == slots(path)[1]


def no_vote(record: MachineRecord) -> tuple[int, ...]:
    return (0,) * len(record.counts[0])


def one_vote(record: MachineRecord) -> tuple[int, ...]:
    return (1, *no_vote(record)[1:])


def record_bytes(record: MachineRecord) -> bytes:
    body = json.dumps(record.to_json(), separators=(",", ":"), sort_keys=True).encode()
    line = body + b"\t" + hashlib.sha256(body).hexdigest().encode() + b"\n"
    return line + bytes(SLOT_BYTES - len(line))


@pytest.mark.parametrize(
    "damage",
    [
        lambda r, prev: (b"\0" * SLOT_BYTES, b"x" * SLOT_BYTES),  # both copies damaged
        lambda r, prev: (record_bytes(r), record_bytes(dataclasses.replace(prev, voters=0, counts=(no_vote(r),)))),
        lambda r, prev: (record_bytes(dataclasses.replace(r, voters=r.voters + 1)),) * 2,  # counts do not add up
        lambda r, prev: (record_bytes(dataclasses.replace(r, counts=((r.voters, *no_vote(r)[2:], 1),))),) * 2,
        lambda r, prev: (record_bytes(dataclasses.replace(r, code=prev.code)),) * 2 if r.voters == 0 else (b"",) * 2,
        lambda r, prev: (record_bytes(dataclasses.replace(r, zero=None)),) * 2,  # votes but no zero acta
    ],
)
def test_a_damaged_journal_is_refused_not_repaired(small: Any, tmp_path: Path, damage: Any) -> None:
    path = tmp_path / "vm.journal"
    journal_with(small, path, ["AZUL", "BRISA", "AZUL"])
    with JournaledMachine.resume(path) as machine:
        record = machine.machine.record(machine.zero, machine.final)
    previous = dataclasses.replace(record, voters=1, counts=(one_vote(record),))
    first, second = damage(record, previous)
    path.write_bytes(first + second)
    with pytest.raises(FormatError):
        JournaledMachine.resume(path)


def test_a_final_acta_that_does_not_match_the_counts_is_refused(small: Any, tmp_path: Path) -> None:
    path = tmp_path / "vm.journal"
    _, signer = journal_with(small, path, ["AZUL", "BRISA"])
    with JournaledMachine.resume(path) as machine:
        machine.close(signer, T1)
        record = machine.machine.record(machine.zero, machine.final)
    altered = dataclasses.replace(record, counts=((1, *no_vote(record)[2:], 1),))  # the same voters, other counts
    path.write_bytes(record_bytes(altered) * 2)
    with pytest.raises(FormatError, match="final acta does not match"):
        JournaledMachine.resume(path)


def test_creating_over_an_existing_journal_is_refused(small: Any, tmp_path: Path) -> None:
    setup, _ = setup_for(small)
    path = tmp_path / "vm.journal"
    JournaledMachine.create(path, setup).close_file()
    with pytest.raises(InputError, match="already exists"):
        JournaledMachine.create(path, setup)
