"""The encrypted ballots as an official board takes them (docs/e2e.md): the trustees' key ceremony, published
as entry 2 when the board is made; each mesa's record of encrypted ballots; and each trustee's shares of a
mesa's tally.

Neither a record nor a share is signed, and neither needs to be: a record is taken only when every ballot's
proofs hold and a final acta on the board, signed by the mesa's machine, commits to its last code; a share
only when its proof holds against the trustee's key from the ceremony, for the tally of a record on the
board. Anyone may send them; only the right ones go in. A record whose checks fail is refused, and its
mesa's acta then commits to ballots the board does not hold, which every results view says.

Each accepted record is split in parts of at most PART_BYTES, an entry each, appended together; each part
says which it is and the code it follows, so it is checked alone. Each trustee's shares of one mesa's tally
are one entry (the header and that mesa's line). A witness checks their own mesa's entries alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from actas.acta.codec import parse_payload
from actas.board.counting import Counting
from actas.board.log import BoardLog
from actas.board.outcome import Entered, Entry, Outcome, Reason, Refused
from actas.board.refusals import Refusals
from actas.e2e.elgamal import Ciphertext
from actas.e2e.hashing import Context
from actas.e2e.mesa import MesaRecord, ballot_in, check_mesa
from actas.e2e.records import ceremony_from_text, read_shares, shares_lines
from actas.e2e.tally import MesaShares, shares_refused
from actas.e2e.trustees import Ceremony
from actas.election import Election
from actas.errors import ActasError, InputError
from actas.tally.board_count import BALLOTS, SHARES
from actas.tally.encrypted import PublishedBallots

MAX_MESA_RECORD_BYTES = 48 * 1024 * 1024
"""A mesa's record: about 10.5 kB a ballot of 39 options, so some 4,500 ballots."""
MAX_SHARES_BYTES = 8 * 1024 * 1024
"""A trustee's shares sent at once: some 600 mesas of 39 options."""
PART_BYTES = 192 * 1024
"""The most a part of a record takes as an entry (some 18 ballots of 39 options): entries stay small enough
to page, mirror and bundle into tiles like any other."""
PROBLEMS_SAID = 5
MIN_CODE_DIGITS = 16
"""Hexadecimal digits of a confirmation code that find its ballot: 64 bits, one in 10^19 by chance."""
CODE = re.compile(r"[0-9a-f]{16,64}")
"""How many of a refused record's problems its refusal names."""


def part_bytes(part: MesaRecord) -> bytes:
    """A part of a record as its entry: its JSON lines."""
    return "".join(part.to_lines()).encode()


def tally_bytes(tally: Sequence[Ciphertext]) -> bytes:
    return b"".join(c.alpha + c.beta for c in tally)


@dataclass(frozen=True)
class FoundBallot:
    """A ballot found by its confirmation code, as a voter is told of it."""

    code: str
    station: str
    place: int
    """Its place in its mesa's record, 1 for the first ballot."""
    index: int
    """The entry of the part of the record that holds it."""
    spoiled: str | None
    """For a challenged ballot, the choice its revealed nonces show (checked when the board took it)."""
    part: bytes
    """That entry: the part of the record, whose leaf hash the inclusion proof proves."""


@dataclass(frozen=True)
class CheckedRecord:
    """A mesa's record whose every ballot holds: what is appended, and what is indexed of it."""

    payload: bytes
    record: MesaRecord
    tally: tuple[Ciphertext, ...]


class BallotDesk:
    """The encrypted ballots of an official board: records and shares checked, then appended."""

    def __init__(
        self, election: Election, ceremony_text: str, log: BoardLog, refusals: Refusals, counting: Counting
    ) -> None:
        self.ceremony_text = ceremony_text
        self.ceremony: Ceremony = ceremony_from_text(ceremony_text)
        if self.ceremony.fingerprint != election.fingerprint:
            raise InputError("the key ceremony is of another election definition (fingerprints differ)")
        unusable = self.ceremony.unusable()
        if unusable:
            raise InputError(f"the key ceremony's record cannot be used: {unusable[0]}")
        if len(election.contests) != 1:
            raise InputError("ballots are encrypted for single-contest elections only")
        self.election = election
        self.contest = election.contests[0]
        self.context = Context.of(election.fingerprint, self.ceremony.joint_key())
        self.log = log
        self.refusals = refusals
        self.counting = counting

    # --- a mesa's record ---------------------------------------------------------------------------------------

    def check_record(self, payload: bytes) -> CheckedRecord | Refused:
        """Everything that can be checked without the board: every ballot's proofs, the chain of codes, the
        spoiled ballots' nonces. The slow part, done outside the writers' lock."""
        refuse = self.refusals.refuse
        if len(payload) > MAX_MESA_RECORD_BYTES:
            return refuse(payload, Reason.TOO_LARGE, f"a mesa's record is at most {MAX_MESA_RECORD_BYTES:,} bytes")
        try:
            record = MesaRecord.from_lines(payload.decode("utf-8").splitlines(keepends=True))
        except UnicodeDecodeError:
            return refuse(payload, Reason.MALFORMED, "a mesa's record is UTF-8 text (JSON lines)")
        except ActasError as exc:
            return refuse(payload, Reason.MALFORMED, str(exc))
        station = record.station
        if record.parts != 1:
            return refuse(payload, Reason.MALFORMED, "send a mesa's whole record: the board splits it in parts")
        if station not in self.election.station_by_code:
            return refuse(payload, Reason.INVALID, f"no mesa {station[:64]!r} in election {self.election.id}")
        checked = check_mesa(self.context, self.contest, record)
        if checked.problems:
            more = len(checked.problems) - PROBLEMS_SAID
            said = "; ".join(checked.problems[:PROBLEMS_SAID]) + (f"; and {more:,} more" if more > 0 else "")
            return refuse(payload, Reason.INVALID, f"mesa {station}: {said}", station)
        return CheckedRecord(payload, record, checked.tally)

    def publish_record(self, checked: CheckedRecord) -> Outcome:
        """Append a checked record, once a final acta on the board commits to it and none of its codes is on
        the board already; the same record again is answered with its entry."""
        record, refuse = checked.record, self.refusals.refuse
        station, last = record.station, record.last_code.hex()
        with self.log.writing() as statements:
            found = statements.record_index(last)
            if found is not None:
                return Entered(Entry.DUPLICATE, found, {"station": station})
            committed = [parse_payload(p).acta.ballots for p in statements.final_actas(station)]
            if last not in committed:
                said = (
                    "it has no final acta on the board yet: its final acta, which commits to its ballots, goes first"
                    if not committed
                    else "no final acta of it on the board commits to these ballots (their last code)"
                )
                return refuse(checked.payload, Reason.INVALID, f"mesa {station}: {said}", station)
            codes = [b.code.hex() for b in record.ballots]
            held = statements.codes_held(codes)
            if held:
                code = next(iter(held))
                said = f"confirmation code {code[:16]}… is on the board already, in entry {held[code]}"
                return refuse(checked.payload, Reason.INVALID, f"mesa {station}: {said}", station)
            parts = record.split(PART_BYTES)
            first = self.log.append(statements, [(BALLOTS, part_bytes(p)) for p in parts])
            indices = [first + i for i in range(len(parts))]
            where = [index for index, part in zip(indices, parts, strict=True) for _ in part.ballots]
            statements.add_record(
                station, last, [(i, p.last_code.hex()) for i, p in zip(indices, parts, strict=True)],
                tally_bytes(checked.tally), list(zip(codes, where, strict=True)),
            )  # fmt: skip
            for index, part in zip(indices, parts, strict=True):
                self.counting.pending.append((index, PublishedBallots(**vars(part.summary()), index=index)))
            signed = self.log.sign(statements)
        self.log.signed(signed)
        return Entered(
            Entry.ACCEPTED, indices[-1], {"station": station, "ballots": len(record.ballots), "parts": indices}
        )

    # --- a trustee's shares ------------------------------------------------------------------------------------

    def publish_shares(self, payload: bytes) -> list[tuple[str, Outcome]]:
        """A trustee's shares of one or more mesas' tallies: each mesa's taken when every proof holds against
        the tally of its record on the board, else refused with its reason; the others go in all the same.
        (mesa, outcome) of each, in the order sent; a refusal of the whole with mesa ''."""
        refuse = self.refusals.refuse
        if len(payload) > MAX_SHARES_BYTES:
            return [
                ("", refuse(payload, Reason.TOO_LARGE, f"shares are sent at most {MAX_SHARES_BYTES:,} bytes at once"))
            ]
        try:
            fingerprint, trustee, by_mesa = read_shares(payload.decode("utf-8").splitlines(keepends=True))
        except UnicodeDecodeError:
            return [("", refuse(payload, Reason.MALFORMED, "shares are UTF-8 text (JSON lines)"))]
        except ActasError as exc:
            return [("", refuse(payload, Reason.MALFORMED, str(exc)))]
        if fingerprint != self.election.fingerprint:
            return [
                ("", refuse(payload, Reason.INVALID, f"these shares are of another election than {self.election.id}"))
            ]
        with self.log.store.reading() as statements:
            tallies = {station: statements.record_tallies(station) for station in by_mesa}
        checked: list[tuple[str, MesaShares | Refused]] = []
        for station, given in by_mesa.items():
            line = self._mesa_line(given)
            why = shares_refused(self.context, self.ceremony, self.contest, given)
            if why is None and not tallies[station]:
                why = "no record of its encrypted ballots is on the board"
            elif why is None and tally_bytes(given.tally) not in tallies[station]:
                why = f"trustee {trustee}'s shares are of another tally than its record's: refused"
            refused = None if why is None else refuse(line, Reason.INVALID, f"mesa {station}: {why}", station)
            checked.append((station, refused or given))
        good = [(s, g) for s, g in checked if isinstance(g, MesaShares)]
        entered = dict(self._append_shares(good)) if good else {}
        return [(s, entered[s] if isinstance(g, MesaShares) else g) for s, g in checked]

    def _mesa_line(self, given: MesaShares) -> bytes:
        """One trustee's shares of one mesa as an entry: the shares' header and that mesa's line."""
        return "".join(shares_lines(self.election.fingerprint, given.trustee, [given])).encode()

    def _append_shares(self, good: list[tuple[str, MesaShares]]) -> list[tuple[str, Outcome]]:
        outcomes: list[tuple[str, Outcome]] = []
        with self.log.writing() as statements:
            new = []
            for station, given in good:
                found = statements.share_index(station, given.trustee)
                if found is not None:
                    outcomes.append((station, Entered(Entry.DUPLICATE, found, {"station": station})))
                else:
                    new.append((station, given))
                    outcomes.append(
                        (station, Entered(Entry.ACCEPTED, self.log.tree.size + len(new) - 1, {"station": station}))
                    )
            if new:
                first = self.log.append(statements, [(SHARES, self._mesa_line(g)) for _, g in new])
                statements.add_shares([(first + i, s, g.trustee) for i, (s, g) in enumerate(new)])
                for i, (_, given) in enumerate(new):
                    self.counting.pending.append((first + i, given))
            signed = self.log.sign(statements) if new else None
        self.log.signed(signed)
        return outcomes


def found_ballot(code: str, index: int, place: int, part: bytes) -> FoundBallot:
    recorded = ballot_in(part, code)
    choice = recorded.spoiled.choice if recorded.spoiled is not None else None
    return FoundBallot(code, recorded.ballot.station, place, index, choice, part)
