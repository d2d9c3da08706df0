"""A voting machine set up with the trustees' key encrypts every ballot it counts, and its final acta
commits to them: the acta's `ballots` line is the mesa's last confirmation code, the published record
checks, and the trustees' decryption of its tally equals the acta's counts, null votes included; an
acta whose counts were altered after the fact no longer does. The voter sees the code before casting
and may challenge the ballot, which is never counted. A journaled machine keeps its encrypted ballots
beside its journal and resumes from them, cutting off an act the journal never took."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from actas.acta.codec import acta_text, parse_payload
from actas.e2e.ballot import choices
from actas.e2e.decryption import combine, decrypt_count, decryption_share, share_label
from actas.e2e.elgamal import DiscreteLog
from actas.e2e.hashing import Context
from actas.e2e.mesa import MesaRecord, check_mesa
from actas.e2e.trustees import run_ceremony
from actas.errors import FormatError, InputError, MachineStateError
from actas.machine.voting_machine import MachineSetup, VotingMachine
from actas.signed_note import Signer
from actas.sim.generator import synthetic
from actas.store.journal import JournaledMachine, ballots_path

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


def test_a_machine_that_encrypts_does_not_resume_from_a_record_without_its_ballots() -> None:
    vm = machine()
    zero = vm.open(SIGNER, "2030-06-02T10:00:00Z")
    vm.cast(CONTEST.option_ids[0])
    with pytest.raises(FormatError, match="do not end where its journal does"):
        VotingMachine.from_record(vm.record(zero.payload, None))
    assert VotingMachine.from_record(vm.record(zero.payload, None), vm.box.recorded).voters == 1  # type: ignore[union-attr]


def test_the_voter_sees_the_code_and_casts_or_challenges_and_only_the_cast_ballot_counts() -> None:
    vm = machine()
    vm.open(SIGNER, "2030-06-02T10:00:00Z")
    options = CONTEST.option_ids
    shown = vm.encrypt(options[1])
    with pytest.raises(MachineStateError, match="waiting to be cast or challenged"):
        vm.encrypt(options[0])
    with pytest.raises(MachineStateError, match="the polls close after it"):
        vm.close(SIGNER, "2030-06-02T22:00:00Z")
    spoiled = vm.challenge()
    assert spoiled.choice == options[1] and vm.voters == 0 and vm.spoiled == 1
    with pytest.raises(MachineStateError, match="no ballot is waiting"):
        vm.cast_encrypted()
    code = vm.encrypt(options[0])
    receipt = vm.cast_encrypted()
    assert receipt.seq == 1 and vm.box is not None and vm.box.last_code == code != shown
    final = vm.close(SIGNER, "2030-06-02T22:00:00Z")
    record = vm.box.record()
    assert [b.code for b in record.ballots] == [shown, code] and record.ballots[0].spoiled == spoiled
    assert final.acta.voters == 1 and final.acta.ballots == code.hex()
    assert decrypted(record)[options[0]] == 1 and decrypted(record)[options[1]] == 0
    plain = machine(None)
    plain.open(SIGNER, "2030-06-02T10:00:00Z")
    with pytest.raises(MachineStateError, match="does not encrypt ballots"):
        plain.encrypt(options[0])


def test_a_journaled_machine_keeps_its_encrypted_ballots_and_resumes_from_them(tmp_path: Path) -> None:
    setup = MachineSetup.for_station(ELECTION, STATION.code, SIGNER.name, KEY.hex())
    journal = tmp_path / "machine.journal"
    options = CONTEST.option_ids
    with JournaledMachine.create(journal, setup) as jm:
        jm.open(SIGNER, "2030-06-02T10:00:00Z")
        jm.encrypt(options[2])
        jm.challenge()
        for vote in (options[0], options[3]):
            jm.encrypt(vote)
            jm.cast_encrypted()
        jm.encrypt(options[1])  # shown, never cast: a power cut here loses nothing that was counted
    assert stat.S_IMODE(ballots_path(journal).stat().st_mode) == 0o600
    with JournaledMachine.resume(journal) as jm:
        assert (jm.machine.voters, jm.machine.spoiled) == (2, 1)
        jm.cast(options[1])
        final = jm.close(SIGNER, "2030-06-02T22:00:00Z")
    record = MesaRecord.from_lines(ballots_path(journal).read_text().splitlines(keepends=True))
    assert final.acta.ballots == record.last_code.hex() and len(record.ballots) == 4
    assert decrypted(record) == {**dict.fromkeys(choices(CONTEST), 0), options[0]: 1, options[3]: 1, options[1]: 1}
    with JournaledMachine.resume(journal) as jm:
        assert jm.final == final.payload


@pytest.mark.parametrize("torn", [False, True])
def test_resuming_cuts_the_ballots_back_to_the_journal(tmp_path: Path, torn: bool) -> None:
    """The power goes after a ballot's line is synced but before the journal takes the act (or while the
    line is written): the vote was never acknowledged, and resuming cuts its line off."""
    setup = MachineSetup.for_station(ELECTION, STATION.code, SIGNER.name, KEY.hex())
    journal, ballots = tmp_path / "machine.journal", ballots_path(tmp_path / "machine.journal")
    with JournaledMachine.create(journal, setup) as jm:
        jm.open(SIGNER, "2030-06-02T10:00:00Z")
        jm.cast(CONTEST.option_ids[0])
        before, kept = journal.read_bytes(), ballots.read_bytes()
        jm.cast(CONTEST.option_ids[1])
        line = ballots.read_bytes()[len(kept) :]
    journal.write_bytes(before)
    ballots.write_bytes(kept + (line[: len(line) // 2] if torn else line))
    with JournaledMachine.resume(journal) as jm:
        assert jm.machine.voters == 1 and ballots.read_bytes() == kept
        jm.cast(CONTEST.option_ids[2])
    assert len(ballots.read_text().splitlines()) == 3


def test_ballots_that_do_not_reach_the_journal_or_break_their_chain_stop_the_machine(tmp_path: Path) -> None:
    setup = MachineSetup.for_station(ELECTION, STATION.code, SIGNER.name, KEY.hex())
    journal, ballots = tmp_path / "machine.journal", ballots_path(tmp_path / "machine.journal")
    with JournaledMachine.create(journal, setup) as jm:
        jm.open(SIGNER, "2030-06-02T10:00:00Z")
        for option in CONTEST.option_ids[:3]:
            jm.cast(option)
    lines = ballots.read_text().splitlines(keepends=True)
    ballots.write_text("".join(lines[:3]))  # the last ballot gone
    with pytest.raises(FormatError, match="does not reach the journal's last confirmation code"):
        JournaledMachine.resume(journal)
    ballots.write_text("".join([lines[0], lines[2], lines[1], lines[3]]))  # two swapped
    with pytest.raises(FormatError, match="ballot 1's code does not follow"):
        JournaledMachine.resume(journal)
    ballots.unlink()
    with pytest.raises(InputError, match="cannot read the machine's encrypted ballots"):
        JournaledMachine.resume(journal)


@pytest.mark.parametrize("failing", ["the ballot's line", "the journal"])
def test_an_act_the_disk_did_not_take_is_not_counted_and_its_line_is_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    setup = MachineSetup.for_station(ELECTION, STATION.code, SIGNER.name, KEY.hex())
    journal, ballots = tmp_path / "machine.journal", ballots_path(tmp_path / "machine.journal")
    with JournaledMachine.create(journal, setup) as jm:
        jm.open(SIGNER, "2030-06-02T10:00:00Z")
        jm.cast(CONTEST.option_ids[0])
        kept = ballots.read_bytes()
        real = os.write if failing == "the ballot's line" else os.pwrite

        def full(*args: object) -> int:
            monkeypatch.undo()  # the disk fails once
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(f"actas.store.journal.os.{real.__name__}", full)
        with pytest.raises(InputError, match="the act was not recorded"):
            jm.cast(CONTEST.option_ids[1])
        assert (jm.machine.voters, ballots.read_bytes()) == (1, kept)
        assert jm.machine.box is not None and len(jm.machine.box.recorded) == 1
        jm.cast(CONTEST.option_ids[2])
    with JournaledMachine.resume(journal) as jm:
        record = MesaRecord.from_lines(ballots.read_text().splitlines(keepends=True))
        assert jm.machine.voters == 2 and len(record.ballots) == 2
        assert decrypted(record)[CONTEST.option_ids[1]] == 0 and decrypted(record)[CONTEST.option_ids[2]] == 1
