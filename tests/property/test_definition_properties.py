"""Property tests: election definitions and key registries round-trip; the machine is a state machine."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from actas.election import Election
from actas.errors import MachineStateError
from actas.machine.voting_machine import MachineSetup, MachineState, VotingMachine
from actas.registry import KeyRegistry
from actas.signed_note import Signer
from actas.sim.generator import synthetic

AUTHORITY = Signer("authority", b"\x02" * 32)
MACHINE = Signer("vm-1", b"\x03" * 32)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_definitions_round_trip_through_json(n: int, seed: int) -> None:
    election = synthetic(n, seed)
    again = Election.from_json(election.to_json())
    assert again == election and again.fingerprint == election.fingerprint


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 40), st.integers(0, 1000))
def test_registries_round_trip(n: int, seed: int) -> None:
    election = synthetic(n, seed)
    machines = {s.code: MACHINE.verifier for s in election.stations}
    registry = KeyRegistry.for_election(election, AUTHORITY.verifier, machines)
    assert KeyRegistry.from_text(registry.sign(AUTHORITY), authority=AUTHORITY.verifier) == registry


class MachineModel(RuleBasedStateMachine):
    """Random sequences of open, cast, close and bad votes; the machine must match a simple model."""

    OPTIONS = ("A", "B", "C")

    def __init__(self) -> None:
        super().__init__()
        self.machine = VotingMachine(MachineSetup("e", "0" * 64, "s", MACHINE.name, 8, (("c", self.OPTIONS),)))
        self.state = "ready"
        self.votes: list[str] = []

    @rule()
    def open(self) -> None:
        if self.state == "ready":
            self.machine.open(MACHINE, "2030-01-01T08:00:00Z")
            self.state = "open"
        else:
            self._refused(lambda: self.machine.open(MACHINE, "2030-01-01T08:00:00Z"))

    @rule(option=st.sampled_from((*OPTIONS, "null", "D", "")))
    def cast(self, option: str) -> None:
        if self.state == "open" and option in (*self.OPTIONS, "null") and len(self.votes) < 8:
            self.machine.cast(option)
            self.votes.append(option)
        else:
            self._refused(lambda: self.machine.cast(option))

    @rule()
    def close(self) -> None:
        if self.state == "open":
            final = self.machine.close(MACHINE, "2030-01-01T20:00:00Z").acta
            assert [final.contests[0].count(o) for o in self.OPTIONS] == [self.votes.count(o) for o in self.OPTIONS]
            assert final.contests[0].null == self.votes.count("null")
            self.state = "closed"
        else:
            self._refused(lambda: self.machine.close(MACHINE, "2030-01-01T20:00:00Z"))

    def _refused(self, action: object) -> None:
        before = (self.machine.voters, self.machine.code, self.machine.state)
        try:
            action()  # type: ignore[operator]
        except MachineStateError:
            pass
        else:
            raise AssertionError("the machine accepted an action its state forbids")
        assert (self.machine.voters, self.machine.code, self.machine.state) == before

    @invariant()
    def matches_the_model(self) -> None:
        assert self.machine.state is MachineState(self.state)
        assert self.machine.voters == len(self.votes)


TestMachineModel = MachineModel.TestCase
