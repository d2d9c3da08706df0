"""The voting machine of one station: open (zero acta) -> cast (receipts) -> close (final acta).

A pure state machine: no clock, no disk. The journal (`actas.store.journal`) makes it durable
and the simulator (`actas.sim.election_day`) drives thousands of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from actas.acta.codec import parse_payload, sign_acta
from actas.acta.model import Acta, ActaKind, ContestCount, SignedActa
from actas.e2e.ballot import next_code
from actas.e2e.group import point
from actas.e2e.hashing import Context
from actas.e2e.mesa import BallotBox, RecordedBallot, Spoiled
from actas.election import NULL_VOTE, Election
from actas.errors import FormatError, MachineStateError
from actas.fields import parse_hex64
from actas.machine.receipt import Receipt, chain_code, receipt_body
from actas.signed_note import Signer


class MachineState(StrEnum):
    READY = "ready"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class MachineSetup:
    """What a machine is loaded with before election day."""

    election: str
    fingerprint: str
    station: str
    machine: str
    registered: int
    ballot: tuple[tuple[str, tuple[str, ...]], ...]
    """(contest id, option ids in ballot order) for each contest."""
    encryption_key: str | None = None
    """The trustees' joint key (hex), for a machine that encrypts each ballot (docs/e2e.md)."""

    @classmethod
    def for_station(
        cls, election: Election, station: str, machine: str, encryption_key: str | None = None
    ) -> MachineSetup:
        found = election.station_by_code.get(station)
        if found is None:
            raise FormatError(f"station {station} is not in election {election.id}")
        return cls(
            election=election.id,
            fingerprint=election.fingerprint,
            station=station,
            machine=machine,
            registered=found.registered,
            ballot=tuple((c.id, c.option_ids) for c in election.contests),
            encryption_key=encryption_key,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "election": self.election,
            "fingerprint": self.fingerprint,
            "station": self.station,
            "machine": self.machine,
            "registered": self.registered,
            "ballot": [[cid, list(options)] for cid, options in self.ballot],
            **({"encryption_key": self.encryption_key} if self.encryption_key else {}),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> MachineSetup:
        try:
            return cls(
                election=str(obj["election"]),
                fingerprint=str(obj["fingerprint"]),
                station=str(obj["station"]),
                machine=str(obj["machine"]),
                registered=int(obj["registered"]),
                ballot=tuple((str(cid), tuple(str(o) for o in options)) for cid, options in obj["ballot"]),
                encryption_key=parse_hex64(obj["encryption_key"], "the trustees' key")
                if obj.get("encryption_key") is not None
                else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"machine setup is incomplete or malformed ({exc.__class__.__name__})") from None


@dataclass(frozen=True)
class MachineRecord:
    """Everything a machine keeps between acts: its setup, the actas it printed, and its running counts.

    Nothing in it says in which order the votes came or when: the counts are totals, and the receipt
    chain's last code is a hash that no one can run backwards."""

    setup: MachineSetup
    zero: str | None
    """The zero acta's payload, once the polls are open."""
    counts: tuple[tuple[int, ...], ...]
    """Per contest, one count per option in ballot order, then the null votes."""
    voters: int
    code: str
    """The last receipt's code (the zero acta's digest before the first vote)."""
    final: str | None
    """The final acta's payload, once the polls are closed."""
    ballots: str | None = None
    """For a machine that encrypts: the last confirmation code, which its ballots' file must end at."""
    spoiled: int = 0
    """For a machine that encrypts: how many ballots voters challenged."""

    @property
    def acts(self) -> int:
        """How many acts the machine has done: opening, each vote, each challenge, closing."""
        return (self.zero is not None) + self.voters + self.spoiled + (self.final is not None)

    def to_json(self) -> dict[str, Any]:
        encrypted = {"ballots": self.ballots, "spoiled": self.spoiled} if self.setup.encryption_key else {}
        return {
            "setup": self.setup.to_json(),
            "zero": self.zero,
            "counts": [list(c) for c in self.counts],
            "voters": self.voters,
            "code": self.code,
            "final": self.final,
            **encrypted,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> MachineRecord:
        try:
            setup, zero, final, voters, code = obj["setup"], obj["zero"], obj["final"], obj["voters"], obj["code"]
            counts = tuple(tuple(c) for c in obj["counts"])
        except (KeyError, TypeError) as exc:
            raise FormatError(f"machine record is incomplete or malformed ({exc.__class__.__name__})") from None
        if not all(isinstance(n, int) and not isinstance(n, bool) for c in counts for n in c):
            raise FormatError("machine record: every count is a whole number")
        if not (isinstance(voters, int) and not isinstance(voters, bool)) or not isinstance(code, str):
            raise FormatError("machine record: voters is a whole number and code a hex digest")
        if not all(p is None or isinstance(p, str) for p in (zero, final)):
            raise FormatError("machine record: the actas are payload texts")
        ballots, spoiled = obj.get("ballots"), obj.get("spoiled", 0)
        if not (ballots is None or isinstance(ballots, str)) or type(spoiled) is not int or spoiled < 0:
            raise FormatError("machine record: its last confirmation code is hex and its challenges a count")
        return cls(MachineSetup.from_json(setup), zero, counts, voters, code, final, ballots, spoiled)


@dataclass(frozen=True)
class BallotStyle:
    """A contest as the machine knows it: its id and its cards."""

    id: str
    option_ids: tuple[str, ...]


class VotingMachine:
    def __init__(self, setup: MachineSetup) -> None:
        self.setup = setup
        self.box = self._box(setup)
        """The encrypted ballots, for a machine set up with the trustees' key."""
        self.spoiled = 0
        self._pending: tuple[list[int], tuple[tuple[str, str], ...]] | None = None
        """The choice of the ballot encrypted and shown, not yet cast or challenged: in memory only."""
        self.state = MachineState.READY
        self._index = [{oid: i for i, oid in enumerate(options)} for _, options in setup.ballot]
        self._counts = [[0] * (len(options) + 1) for _, options in setup.ballot]
        """Per contest, one count per option in ballot order, then the null votes."""
        self.voters = 0
        self.code = ""
        self.zero_digest = ""
        self.opened = ""

    # --- the three acts of election day -------------------------------------------------------------------

    def open(self, signer: Signer, now: str) -> SignedActa:
        self._require(MachineState.READY, "open")
        zero = sign_acta(self._acta(ActaKind.ZERO, now, None), signer)
        self._opened(zero)
        return zero

    def cast(self, choice: str | None | Mapping[str, str | None]) -> Receipt:
        """Record one voter's ballot: an option id (or None / 'null') per contest. A machine that encrypts
        encrypts it and casts it at once (`encrypt` and `cast_encrypted` let the voter see its code and
        challenge it first)."""
        if self.box is not None:
            self.encrypt(choice)
            return self.cast_encrypted()
        self._require_room()
        return self._record(*self._choices(choice))

    def encrypt(self, choice: str | None | Mapping[str, str | None]) -> bytes:
        """Encrypt a voter's choice and give its confirmation code, shown before the voter casts it
        (`cast_encrypted`) or challenges it (`challenge`); nothing is counted yet."""
        self._require_room()
        if self.box is None:
            raise MachineStateError("this machine does not encrypt ballots: it was set up without the trustees' key")
        picks, choices = self._choices(choice)
        code = self.box.encrypt(choices[0][1])
        self._pending = (picks, choices)
        return code

    def cast_encrypted(self) -> Receipt:
        """Cast the ballot encrypted and shown: it counts, its nonces are forgotten."""
        pending = self._take_pending()
        assert self.box is not None
        self.box.cast()
        return self._record(*pending)

    def challenge(self) -> Spoiled:
        """Challenge the ballot encrypted and shown: never counted, its nonces and choice revealed."""
        self._take_pending()
        assert self.box is not None
        self.spoiled += 1
        return self.box.challenge()

    def discard(self) -> None:
        """Forget a ballot encrypted and shown but neither cast nor challenged (its voter left): nothing of
        it was recorded, and its nonces go with it."""
        self._pending = None
        if self.box is not None:
            self.box.pending = None

    def _take_pending(self) -> tuple[list[int], tuple[tuple[str, str], ...]]:
        self._require(MachineState.OPEN, "cast or challenge a ballot")
        if self._pending is None:
            raise MachineStateError("no ballot is waiting to be cast or challenged")
        pending, self._pending = self._pending, None
        return pending

    def _require_room(self) -> None:
        self._require(MachineState.OPEN, "cast a vote")
        if self.voters >= self.setup.registered:
            raise MachineStateError(
                f"station {self.setup.station} has {self.setup.registered} registered voters and all have voted"
            )

    def _choices(self, choice: str | None | Mapping[str, str | None]) -> tuple[list[int], tuple[tuple[str, str], ...]]:
        """The option of each contest a choice names, by index and by id."""
        picks = self._resolve(choice)
        choices = tuple(
            (cid, NULL_VOTE if pick == len(options) else options[pick])
            for (cid, options), pick in zip(self.setup.ballot, picks, strict=True)
        )
        return picks, choices

    def cast_many(self, contest_picks: Sequence[int]) -> None:
        """Record many single-contest votes by option index (len(options) for null): the simulator's path.

        Every vote still moves the receipt chain exactly as `cast` would.
        """
        self._require(MachineState.OPEN, "cast a vote")
        if len(self.setup.ballot) != 1:
            raise MachineStateError("cast_many is for single-contest elections")
        if self.voters + len(contest_picks) > self.setup.registered:
            raise MachineStateError(f"station {self.setup.station} would have more voters than registered")
        cid, options = self.setup.ballot[0]
        if self.box is not None:
            for pick in contest_picks:
                self.box.encrypt((*options, NULL_VOTE)[pick])
                self.box.cast()
        words = [f"{cid} {o}\n".encode() for o in (*options, NULL_VOTE)]
        counts = self._counts[0]
        prefix = receipt_body(self.setup.station, 0, ())[: -len("0\n")].encode()
        code = bytes.fromhex(self.code)
        seq = self.voters
        sha256 = hashlib.sha256
        for pick in contest_picks:
            seq += 1
            counts[pick] += 1
            code = sha256(code + prefix + b"%d\n" % seq + words[pick]).digest()
        self.voters = seq
        self.code = code.hex()

    def close(self, signer: Signer, now: str) -> SignedActa:
        self._require(MachineState.OPEN, "close")
        if self._pending is not None:
            raise MachineStateError("a ballot is waiting to be cast or challenged: the polls close after it")
        if now < self.opened:
            raise MachineStateError(f"cannot close at {now}, before opening at {self.opened}")
        final = sign_acta(self._acta(ActaKind.FINAL, self.opened, now), signer)
        self.state = MachineState.CLOSED
        return final

    # --- the machine's record, for a machine resuming from its journal ----------------------------------

    def record(self, zero: str | None, final: str | None) -> MachineRecord:
        """What the machine must keep to carry on: its setup, its printed actas and its counts, no more (a
        machine that encrypts also its last confirmation code: its encrypted ballots are kept apart)."""
        counts = tuple(tuple(c) for c in self._counts)
        ballots = self.box.last_code.hex() if self.box is not None else None
        return MachineRecord(self.setup, zero, counts, self.voters, self.code, final, ballots, self.spoiled)

    @classmethod
    def from_record(cls, record: MachineRecord, recorded: Sequence[RecordedBallot] = ()) -> VotingMachine:
        """The machine a record describes, refused unless every part of it agrees with the others; a machine
        that encrypts is given its encrypted ballots as recorded, which must end at the record's last code
        and hold its votes and challenges."""
        machine = cls(record.setup)
        if machine.box is not None:
            machine._restore_ballots(record, recorded)
        elif recorded:
            raise FormatError("the journal has encrypted ballots, but its machine does not encrypt")
        shapes = [len(options) + 1 for _, options in record.setup.ballot]
        if [len(c) for c in record.counts] != shapes or any(n < 0 for c in record.counts for n in c):
            raise FormatError("the journal's counts do not fit the ballot")
        if any(sum(c) != record.voters for c in record.counts) or record.voters > record.setup.registered:
            raise FormatError("the journal's counts do not add up to its voters")
        if record.zero is None:
            if record.voters or record.final is not None:
                raise FormatError("the journal records votes or a final acta but no zero acta")
            return machine
        zero = parse_payload(record.zero)
        if zero.acta != machine._acta(ActaKind.ZERO, zero.acta.opened, None):
            raise FormatError("the journal's zero acta is not this machine's")
        machine._opened(zero)
        machine._counts = [list(c) for c in record.counts]
        machine.voters = record.voters
        machine.code = record.code
        if record.voters == 0 and record.code != zero.digest:
            raise FormatError("the journal's receipt chain does not start at its zero acta")
        if record.final is not None:
            final = parse_payload(record.final)
            if final.acta != machine._acta(ActaKind.FINAL, machine.opened, final.acta.closed):
                raise FormatError("the journal's final acta does not match the votes it recorded")
            machine.state = MachineState.CLOSED
        return machine

    def _restore_ballots(self, record: MachineRecord, recorded: Sequence[RecordedBallot]) -> None:
        assert self.box is not None
        code = self.box.last_code
        for place, ballot in enumerate(recorded, start=1):
            code = next_code(code, ballot.ballot)
            if ballot.code != code:
                raise FormatError(f"the machine's encrypted ballots: ballot {place}'s code does not follow")
        self.box.recorded = list(recorded)
        cast = sum(b.spoiled is None for b in recorded)
        if record.ballots != self.box.last_code.hex() or (cast, len(recorded) - cast) != (
            record.voters,
            record.spoiled,
        ):
            raise FormatError(
                "the machine's encrypted ballots do not end where its journal does "
                f"({cast} cast and {len(recorded) - cast} challenged, the journal {record.voters} and {record.spoiled})"
            )
        self.spoiled = record.spoiled

    # --- internals -----------------------------------------------------------------------------------------

    @staticmethod
    def _box(setup: MachineSetup) -> BallotBox | None:
        if setup.encryption_key is None:
            return None
        if len(setup.ballot) != 1:
            raise FormatError("a machine encrypts the ballots of a single-contest election only")
        cid, options = setup.ballot[0]
        context = Context.of(setup.fingerprint, point(bytes.fromhex(setup.encryption_key), "the trustees' key"))
        return BallotBox(context, setup.station, BallotStyle(cid, options))

    def _require(self, state: MachineState, action: str) -> None:
        if self.state is not state:
            raise MachineStateError(f"cannot {action}: the machine of station {self.setup.station} is {self.state}")

    def _opened(self, zero: SignedActa) -> None:
        self.zero_digest = zero.digest
        self.code = zero.digest
        self.opened = zero.acta.opened
        self.state = MachineState.OPEN

    def _resolve(self, choice: str | None | Mapping[str, str | None]) -> list[int]:
        if not isinstance(choice, Mapping):
            if len(self.setup.ballot) != 1:
                raise MachineStateError("this ballot has several contests: give a choice for each")
            choice = {self.setup.ballot[0][0]: choice}
        unknown = set(choice) - {cid for cid, _ in self.setup.ballot}
        if unknown:
            raise MachineStateError(f"no contest {sorted(unknown)[0]} on this ballot")
        picks = []
        for (cid, options), index in zip(self.setup.ballot, self._index, strict=True):
            pick = choice.get(cid)
            if pick is None or pick == NULL_VOTE:
                picks.append(len(options))
            elif pick in index:
                picks.append(index[pick])
            else:
                raise MachineStateError(f"contest {cid}: {pick!r} is not an option on the ballot")
        return picks

    def _record(self, picks: list[int], choices: tuple[tuple[str, str], ...]) -> Receipt:
        seq = self.voters + 1
        code = chain_code(self.code, receipt_body(self.setup.station, seq, choices))
        for counts, pick in zip(self._counts, picks, strict=True):
            counts[pick] += 1
        self.voters = seq
        self.code = code
        return Receipt(self.setup.station, seq, choices, code)

    def _acta(self, kind: ActaKind, opened: str, closed: str | None) -> Acta:
        final = kind is ActaKind.FINAL
        return Acta(
            kind=kind,
            election=self.setup.election,
            fingerprint=self.setup.fingerprint,
            station=self.setup.station,
            machine=self.setup.machine,
            registered=self.setup.registered,
            voters=self.voters,
            receipts=self.voters,
            opened=opened,
            closed=closed if final else None,
            zero=self.zero_digest if final else None,
            chain=self.code if final else None,
            ballots=self.box.last_code.hex() if final and self.box is not None else None,
            contests=tuple(
                ContestCount(cid, options, tuple(counts[:-1]), counts[-1])
                for (cid, options), counts in zip(self.setup.ballot, self._counts, strict=True)
            ),
        )
