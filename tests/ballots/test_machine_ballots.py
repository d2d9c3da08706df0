"""A voting machine set up with the trustees' key encrypts every ballot it counts, and its final acta
commits to them: the acta's `ballots` line is the mesa's last confirmation code, the published record
checks, and the trustees' decryption of its tally equals the acta's counts, null votes included; an
acta whose counts were altered after the fact no longer does."""

from __future__ import annotations

import dataclasses

import pytest

from actas.acta.codec import acta_text, parse_payload
from actas.e2e.ballot import choices
from actas.e2e.decryption import combine, decrypt_count, decryption_share, share_label
from actas.e2e.elgamal import DiscreteLog
from actas.e2e.hashing import Context
from actas.e2e.mesa import MesaRecord, check_mesa
from actas.e2e.trustees import run_ceremony
from actas.errors import FormatError, MachineStateError
from actas.machine.voting_machine import MachineSetup, VotingMachine
from actas.signed_note import Signer
from actas.sim.generator import synthetic

ELECTION = synthetic(20, 3)
CONTEST = ELECTION.contests[0]
STATION = ELECTION.stations[0]
TRUSTEES, CEREMONY = run_ceremony(ELECTION.fingerprint, ["A", "B", "C"], 2)
KEY = CEREMONY.joint_key()
SIGNER = Signer("vm-test", bytes(32))


def machine(key: str | None = KEY.hex()) -> VotingMachine:
    return VotingMachine(MachineSetup.for_station(ELECTION, STATION.code, SIGNER.name, key))


def decrypted(record: MesaRecord) -> dict[str, int | None]:
    context = Context.of(ELECTION.fingerprint, KEY)
    checked = check_mesa(context, CONTEST, record)
    assert checked.problems == ()
    counts = {}
    for option, ciphertext in zip(choices(CONTEST), checked.tally, strict=True):
        label = share_label(STATION.code, CONTEST.id, option)
        shares = {
            t.index: decryption_share(
                context, t.index, t.share or 0, CEREMONY.share_key(t.index), ciphertext, label
            ).share
            for t in TRUSTEES[1:]
        }
        counts[option] = decrypt_count(ciphertext, combine(shares, 2), DiscreteLog(), STATION.registered)
    return counts


def test_the_final_acta_commits_to_the_encrypted_ballots_and_their_tally_equals_its_counts() -> None:
    vm = machine()
    vm.open(SIGNER, "2030-06-02T10:00:00Z")
    options = CONTEST.option_ids
    for vote in (options[0], None, options[2], options[0]):
        vm.cast(vote)
    vm.cast_many([0, 3, len(options), 0])  # the simulator's path encrypts too
    final = vm.close(SIGNER, "2030-06-02T22:00:00Z")
    assert vm.box is not None
    record = MesaRecord.from_lines(vm.box.record().to_lines())
    assert final.acta.ballots == record.last_code.hex() and f"\nballots {record.last_code.hex()}\n" in final.payload
    assert parse_payload(final.payload) == final
    counted = final.acta.contests[0]
    expected = {**dict(zip(counted.options, counted.votes, strict=True)), "null": counted.null}
    assert decrypted(record) == expected and sum(expected.values()) == 8
    altered = dataclasses.replace(counted, votes=(counted.votes[0] - 1, counted.votes[1] + 1, *counted.votes[2:]))
    assert {**dict(zip(altered.options, altered.votes, strict=True)), "null": altered.null} != decrypted(record)


def test_a_machine_without_the_key_prints_the_acta_it_always_printed() -> None:
    vm = machine(None)
    vm.open(SIGNER, "2030-06-02T10:00:00Z")
    vm.cast(CONTEST.option_ids[0])
    final = vm.close(SIGNER, "2030-06-02T22:00:00Z")
    assert vm.box is None and final.acta.ballots is None and "\nballots " not in acta_text(final.acta)


def test_the_key_travels_with_the_setup_and_is_checked() -> None:
    setup = MachineSetup.for_station(ELECTION, STATION.code, SIGNER.name, KEY.hex())
    assert MachineSetup.from_json(setup.to_json()) == setup
    assert "encryption_key" not in MachineSetup.for_station(ELECTION, STATION.code, SIGNER.name).to_json()
    with pytest.raises(FormatError, match="the trustees' key: expected 64 lowercase hex"):
        MachineSetup.from_json({**setup.to_json(), "encryption_key": "XYZ"})
    with pytest.raises(FormatError, match="not a point of the prime-order group"):
        VotingMachine(dataclasses.replace(setup, encryption_key="ec" + "ff" * 30 + "7f"))


def test_a_machine_that_encrypts_does_not_resume_from_a_journal_without_its_ballots() -> None:
    vm = machine()
    zero = vm.open(SIGNER, "2030-06-02T10:00:00Z")
    vm.cast(CONTEST.option_ids[0])
    with pytest.raises(MachineStateError, match="cannot resume"):
        VotingMachine.from_record(vm.record(zero.payload, None))
