"""The machine's journal on disk: its state, durable before every act is acknowledged, and no history.

A journal that listed the votes one after another would keep, on the machine, the order in which the
voters chose; whoever holds the poll book's order too could read who voted for whom. So the journal
keeps only what the machine needs to carry on (`MachineRecord`: the setup, the actas printed, the
running counts and the last receipt's code) and overwrites it in place at every act.

The file has two slots of `SLOT_BYTES`, each holding the whole record as one JSON line, the SHA-256
of that line, and zeros to the end of the slot:

    slot 0  {"code":"…","counts":[[…]],"final":null,"setup":{…},"voters":12,"zero":"…"}\t<sha256>\n 0 0 0 …
    slot 1  the same

An act writes the new record into slot 1 and syncs it, then into slot 0 and syncs it: the vote is
durable after the first sync, before its receipt is printed, and after the second both slots hold
the same record, so the file keeps nothing of the state before (a difference between two states
would reveal the last vote). A power cut leaves at most one slot torn or one act behind; resuming
takes the record that is one act ahead and writes it into both slots. Anything else (both slots
damaged, or two records that are not one act apart) stops the machine with a clear message: a
journal is never silently repaired.

A machine that encrypts the ballots (docs/e2e.md) keeps them beside the journal, in `<journal>.ballots`
(0600): its mesa's record, as it will be published, one line a ballot cast or challenged, in the order
the chain of confirmation codes gives them anyway. A ballot's line is appended and synced before the
act is written to the journal, and the journal keeps the last code; resuming cuts the file back to
that code (an act a power cut interrupted before the journal took it was never acknowledged), and a
file that ends before it, or whose chain breaks, stops the machine.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from pathlib import Path

from actas.acta.model import SignedActa
from actas.e2e.mesa import MesaRecord, RecordedBallot, Spoiled, ballot_line
from actas.errors import FormatError, InputError
from actas.machine.receipt import Receipt
from actas.machine.voting_machine import MachineRecord, MachineSetup, VotingMachine
from actas.signed_note import Signer

SLOT_BYTES = 128 * 1024
"""Room for the setup, two actas of at most 16 KiB each (escaped in JSON) and the counts."""
SLOTS = 2
JOURNAL_BYTES = SLOTS * SLOT_BYTES
DIGEST_HEX = 64


def _slot(record: MachineRecord) -> bytes:
    body = json.dumps(record.to_json(), separators=(",", ":"), sort_keys=True).encode()
    line = body + b"\t" + hashlib.sha256(body).hexdigest().encode() + b"\n"
    if len(line) > SLOT_BYTES:
        raise FormatError(f"the machine's record is {len(line):,} bytes, more than a journal slot's {SLOT_BYTES:,}")
    return line + bytes(SLOT_BYTES - len(line))


def _read_slot(data: bytes) -> MachineRecord | None:
    """The record a slot holds, or None when it is torn, damaged or empty."""
    line, newline, _ = data.partition(b"\n")
    body, tab, digest = line.rpartition(b"\t")
    if not newline or not tab or len(digest) != DIGEST_HEX or hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    try:
        obj = json.loads(body)
        return MachineRecord.from_json(obj) if isinstance(obj, dict) else None
    except (ValueError, RecursionError, FormatError):
        return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chosen(first: MachineRecord | None, second: MachineRecord | None, path: Path) -> MachineRecord:
    """The record to carry on from: the one a single interrupted act left ahead, if it is one act ahead."""
    if first is None and second is None:
        raise FormatError(f"journal {path} is damaged in both of its copies; refusing to resume")
    if first is None or second is None or first == second:
        found = first or second
        assert found is not None
        return found
    behind, ahead = sorted((first, second), key=lambda r: r.acts)
    if ahead.acts != behind.acts + 1 or ahead.setup != behind.setup or (behind.zero and ahead.zero != behind.zero):
        raise FormatError(f"journal {path}: its two copies are not one act apart; it was altered, refusing to resume")
    return ahead


class BallotsFile:
    """A machine's encrypted ballots on disk, beside its journal: its mesa's record, appended and synced. The
    ballots themselves are the machine's (`BallotBox.recorded`); the file knows where each line ends."""

    def __init__(self, path: Path, fd: int, ends: list[int]) -> None:
        self.path = path
        self._fd = fd
        self._ends = ends
        """The file's size after its header, then after each ballot's line."""

    @classmethod
    def create(cls, path: Path, machine: VotingMachine) -> BallotsFile:
        assert machine.box is not None
        header = machine.box.record().to_lines()[0].encode()
        fd = _created(path, "encrypted ballots")
        made = cls(path, fd, [len(header)])
        os.pwrite(fd, header, 0)
        made.cut(0)
        return made

    @classmethod
    def resume(cls, path: Path, last_code: str | None) -> tuple[BallotsFile, tuple[RecordedBallot, ...]]:
        """The file and its ballots up to `last_code` (the journal's), a tail past it cut off as never
        acknowledged."""
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError as exc:
            raise InputError(f"cannot read the machine's encrypted ballots {path}: {exc.strerror}") from None
        try:
            with os.fdopen(os.dup(fd), encoding="utf-8", errors="replace") as handle:
                lines = handle.readlines()
            kept = _reaching(lines, last_code, path)
            ballots = MesaRecord.from_lines(lines[: kept + 1]).ballots
            made = cls(path, fd, list(itertools.accumulate(len(line.encode()) for line in lines[: kept + 1])))
            made.cut(kept)
        except BaseException:
            os.close(fd)
            raise
        return made, ballots

    def append(self, ballot: RecordedBallot) -> None:
        line = ballot_line(ballot).encode()
        if os.write(self._fd, line) != len(line):
            raise OSError(28, "short write, the disk may be full")
        os.fsync(self._fd)
        self._ends.append(self._ends[-1] + len(line))

    def cut(self, kept: int) -> None:
        """Back to the first `kept` ballots (an act the journal did not take), synced."""
        del self._ends[kept + 1 :]
        os.ftruncate(self._fd, self._ends[-1])
        os.lseek(self._fd, self._ends[-1], os.SEEK_SET)
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


def _reaching(lines: list[str], last_code: str | None, path: Path) -> int:
    """How many ballots' lines lead to `last_code`; what follows them (a line a power cut tore, an act the
    journal never took) is not read."""
    if not lines:
        raise FormatError(f"{path} is empty; refusing to resume")
    if MesaRecord.from_lines(lines[:1]).start.hex() == last_code:
        return 0
    for kept, line in enumerate(lines[1:], start=1):
        try:
            (ballot,) = MesaRecord.from_lines([lines[0], line]).ballots
        except FormatError:
            break
        if ballot.code.hex() == last_code:
            return kept
    raise FormatError(f"{path} does not reach the journal's last confirmation code; refusing to resume")


def _created(path: Path, what: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{what} {path} already exists: resume it instead of starting again") from None
    except OSError as exc:
        raise InputError(f"cannot create {what} {path}: {exc.strerror}") from None


def ballots_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".ballots")


class JournaledMachine:
    """A voting machine whose state is written durably to its journal before each act returns."""

    def __init__(
        self,
        path: Path,
        machine: VotingMachine,
        fd: int,
        zero: str | None,
        final: str | None,
        ballots: BallotsFile | None = None,
    ) -> None:
        self.path = path
        self.machine = machine
        self._fd = fd
        self.zero = zero
        """The zero acta's payload, once printed."""
        self.final = final
        """The final acta's payload, once printed."""
        self.ballots = ballots
        """A machine that encrypts: its encrypted ballots' file."""
        self._durable = machine.record(zero, final)
        """The record on disk: what the machine goes back to if writing the next one fails."""

    @classmethod
    def create(cls, path: Path, setup: MachineSetup) -> JournaledMachine:
        fd = _created(path, "journal")
        machine = VotingMachine(setup)
        try:
            ballots = BallotsFile.create(ballots_path(path), machine) if machine.box is not None else None
        except BaseException:
            os.close(fd)
            raise
        journaled = cls(path, machine, fd, None, None, ballots)
        try:
            os.ftruncate(fd, JOURNAL_BYTES)
            journaled._write()
            _fsync_dir(path)
        except OSError as exc:
            os.close(fd)
            raise InputError(f"cannot write journal {path}: {exc.strerror}") from None
        return journaled

    @classmethod
    def resume(cls, path: Path) -> JournaledMachine:
        """Read a journal back; what a power cut left half-written is settled, any other damage refused."""
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError as exc:
            raise InputError(f"cannot read journal {path}: {exc.strerror}") from None
        ballots: BallotsFile | None = None
        try:
            data = os.pread(fd, JOURNAL_BYTES + 1, 0)
            if len(data) != JOURNAL_BYTES:
                raise FormatError(f"journal {path} is not a machine's journal: it holds {len(data):,} bytes, "
                                  f"not {JOURNAL_BYTES:,}")  # fmt: skip
            record = _chosen(_read_slot(data[:SLOT_BYTES]), _read_slot(data[SLOT_BYTES:]), path)
            recorded: tuple[RecordedBallot, ...] = ()
            if record.setup.encryption_key is not None:
                ballots, recorded = BallotsFile.resume(ballots_path(path), record.ballots)
            try:
                machine = VotingMachine.from_record(record, recorded)
            except FormatError as exc:
                raise FormatError(f"journal {path}: {exc}") from None
            journaled = cls(path, machine, fd, record.zero, record.final, ballots)
            journaled._write()
        except BaseException:
            os.close(fd)
            if ballots is not None:
                ballots.close()
            raise
        return journaled

    def close_file(self) -> None:
        os.close(self._fd)
        if self.ballots is not None:
            self.ballots.close()

    def __enter__(self) -> JournaledMachine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_file()

    def _write(self) -> None:
        """The machine's record into slot 1, synced, then into slot 0, synced. If that fails, the machine
        goes back to the record on disk, so an act that was not written is not counted either."""
        record = self.machine.record(self.zero, self.final)
        try:
            slot = _slot(record)
            for offset in (SLOT_BYTES, 0):
                if os.pwrite(self._fd, slot, offset) != SLOT_BYTES:
                    raise OSError(28, "short write, the disk may be full")
                os.fsync(self._fd)
        except (OSError, FormatError) as exc:
            self._back_to_disk()
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise InputError(f"journal {self.path}: the act was not recorded: {reason}") from None
        self._durable = record

    def _back_to_disk(self) -> None:
        """The machine as the journal on disk holds it: an act not written is not counted, and a ballot's line
        appended for it is cut off."""
        kept = self._durable.voters + self._durable.spoiled
        box = self.machine.box
        recorded = box.recorded[:kept] if box is not None else []
        if self.ballots is not None:
            self.ballots.cut(kept)
        self.machine = VotingMachine.from_record(self._durable, recorded)
        self.zero, self.final = self._durable.zero, self._durable.final

    def open(self, signer: Signer, now: str) -> SignedActa:
        zero = self.machine.open(signer, now)
        self.zero = zero.payload
        self._write()
        return zero

    def cast(self, choice: str | None | dict[str, str | None]) -> Receipt:
        receipt = self.machine.cast(choice)
        self._kept()
        return receipt

    def encrypt(self, choice: str | None | dict[str, str | None]) -> bytes:
        """Encrypt a voter's choice and give its confirmation code: nothing is written until it is cast or
        challenged (its nonces exist in memory alone)."""
        return self.machine.encrypt(choice)

    def cast_encrypted(self) -> Receipt:
        receipt = self.machine.cast_encrypted()
        self._kept()
        return receipt

    def challenge(self) -> Spoiled:
        spoiled = self.machine.challenge()
        self._kept()
        return spoiled

    def _kept(self) -> None:
        """The act just done, durable: a ballot encrypted is appended to the ballots' file, then the journal
        written; if either fails, the machine goes back to the journal's record."""
        box = self.machine.box
        if self.ballots is not None and box is not None:
            try:
                self.ballots.append(box.recorded[-1])
            except OSError as exc:
                self._back_to_disk()
                raise InputError(f"{self.ballots.path}: the act was not recorded: {exc.strerror}") from None
        self._write()

    def close(self, signer: Signer, now: str) -> SignedActa:
        final = self.machine.close(signer, now)
        self.final = final.payload
        self._write()
        return final
