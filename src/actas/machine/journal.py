"""The machine's append-only journal on disk: every act is durable before it is acknowledged.

One JSON record per line, each followed by a tab and the first 16 hex digits of its SHA-256, so
that a torn last line (the machine lost power while writing) is recognised and dropped on resume,
while damage anywhere else stops the machine with a clear message. A record is written and
fsync'ed before the receipt or acta it stands for is printed, so a vote whose receipt came out is
never lost, and resuming replays the receipt chain, so no vote is counted twice.

    {"type": "setup", ...}        the machine's setup (see MachineSetup)
    {"type": "open", "acta": ...}  the zero acta's payload
    {"type": "vote", "receipt": ...}
    {"type": "close", "acta": ...}
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from actas.acta.codec import parse_payload
from actas.acta.model import SignedActa
from actas.errors import FormatError, InputError
from actas.machine.receipt import Receipt
from actas.machine.voting_machine import MachineSetup, VotingMachine
from actas.signed_note import Signer

MAX_RECORD_BYTES = 64 * 1024
MAX_JOURNAL_BYTES = 1024 * 1024 * 1024


def _line(record: dict[str, Any]) -> bytes:
    body = json.dumps(record, separators=(",", ":"), sort_keys=True)
    return f"{body}\t{hashlib.sha256(body.encode()).hexdigest()[:16]}\n".encode()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JournaledMachine:
    """A voting machine whose every act is written durably to its journal before it returns."""

    def __init__(self, path: Path, machine: VotingMachine, fd: int) -> None:
        self.path = path
        self.machine = machine
        self._fd = fd

    @classmethod
    def create(cls, path: Path, setup: MachineSetup) -> JournaledMachine:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        except FileExistsError:
            raise InputError(f"journal {path} already exists: resume it instead of starting again") from None
        except OSError as exc:
            raise InputError(f"cannot create journal {path}: {exc.strerror}") from None
        journaled = cls(path, VotingMachine(setup), fd)
        journaled._append({"type": "setup", **setup.to_json()})
        _fsync_dir(path)
        return journaled

    @classmethod
    def resume(cls, path: Path) -> JournaledMachine:
        """Replay a journal; a torn last record is cut off, any other damage is refused."""
        try:
            if path.stat().st_size > MAX_JOURNAL_BYTES:
                raise InputError(f"journal {path} is larger than {MAX_JOURNAL_BYTES:,} bytes")
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read journal {path}: {exc.strerror}") from None
        lines = data.split(b"\n")
        torn = lines.pop()  # bytes after the last newline: a record whose write was cut short
        records = []
        for number, line in enumerate(lines, start=1):
            record = _read_record(line)
            if record is None:
                raise FormatError(f"journal {path} line {number} is damaged; refusing to resume")
            records.append(record)
        if not records or records[0].get("type") != "setup":
            raise FormatError(f"journal {path} does not start with the machine's setup")
        machine = VotingMachine(MachineSetup.from_json(records[0]))
        for number, record in enumerate(records[1:], start=2):
            _replay(machine, record, number)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        if torn:
            os.truncate(path, len(data) - len(torn))
            os.fsync(fd)
        return cls(path, machine, fd)

    def close_file(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> JournaledMachine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_file()

    def _append(self, record: dict[str, Any]) -> None:
        line = _line(record)
        written = os.write(self._fd, line)
        if written != len(line):
            raise InputError(f"journal {self.path}: short write, the disk may be full")
        os.fsync(self._fd)

    def open(self, signer: Signer, now: str) -> SignedActa:
        zero = self.machine.open(signer, now)
        self._append({"type": "open", "acta": zero.payload})
        return zero

    def cast(self, choice: str | None | dict[str, str | None]) -> Receipt:
        receipt = self.machine.cast(choice)
        self._append({"type": "vote", "receipt": receipt.to_text()})
        return receipt

    def close(self, signer: Signer, now: str) -> SignedActa:
        final = self.machine.close(signer, now)
        self._append({"type": "close", "acta": final.payload})
        return final


def _read_record(line: bytes) -> dict[str, Any] | None:
    if len(line) > MAX_RECORD_BYTES:
        return None
    body, sep, digest = line.rpartition(b"\t")
    if not sep or hashlib.sha256(body).hexdigest()[:16].encode() != digest:
        return None
    try:
        record = json.loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _replay(machine: VotingMachine, record: dict[str, Any], number: int) -> None:
    kind = record.get("type")
    try:
        if kind == "open":
            machine.replay_open(parse_payload(str(record["acta"])))
        elif kind == "vote":
            machine.replay_vote(Receipt.from_text(str(record["receipt"])))
        elif kind == "close":
            machine.replay_close(parse_payload(str(record["acta"])))
        else:
            raise FormatError(f"unknown record type {kind!r}")
    except (InputError, KeyError) as exc:
        raise FormatError(f"journal line {number}: {exc}") from None
