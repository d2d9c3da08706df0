"""What a bulletin board's entries add up to, read in board order: the same code for the server that
keeps the board and for anyone who replays a copy of it.

An official board counts its final actas; an observer organization's board files its witnesses'
reports into the record of each mesa (`witnessed`), whose actas make its totals.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from actas.acta.codec import FORMAT_LINE as ACTA_FORMAT
from actas.acta.codec import parse_payload
from actas.acta.model import Acta, ActaKind
from actas.announcement import HEADER as ANNOUNCEMENT_FORMAT
from actas.e2e.mesa import RECORD_FORMAT, record_summary
from actas.e2e.records import CEREMONY_FORMAT, SHARES_FORMAT, ceremony_from_text, mesa_shares_entry
from actas.e2e.tally import MesaShares
from actas.e2e.trustees import Ceremony
from actas.election import FORMAT_TAG as ELECTION_FORMAT
from actas.election import Election
from actas.errors import FormatError
from actas.registry import HEADER as REGISTRY_FORMAT
from actas.tally.encrypted import EncryptedTally, PublishedBallots
from actas.tally.progressive import ProgressiveResults
from actas.tally.witnessed import Filed, WitnessTally
from actas.witness.credentials import FORMAT_LINE as WITNESS_LIST_FORMAT
from actas.witness.credentials import WitnessList
from actas.witness.report import FORMAT as REPORT_FORMAT
from actas.witness.report import WitnessReport

ACTA, REPORT, WITNESSES = "acta", "report", "witnesses"
CEREMONY, BALLOTS, SHARES = "ceremony", "ballots", "shares"


@dataclass(frozen=True)
class ZeroActa:
    """A zero acta as the count needs it: its station and digest (a final acta names the zero it follows)."""

    station: str
    digest: str


Counted = tuple[Acta, str] | ZeroActa | Filed | WitnessList | Ceremony | PublishedBallots | MesaShares
"""What counts in an entry: a final acta with its digest, a zero acta, a filed report, the witness list
that says which reports are assigned; the trustees' key ceremony, a mesa's record of encrypted ballots,
a trustee's shares of its tally."""


def counted_acta(acta: Acta, digest: str) -> tuple[Acta, str] | ZeroActa:
    return (acta, digest) if acta.kind is ActaKind.FINAL else ZeroActa(acta.station, digest)


_FIRST_LINES = {
    ACTA_FORMAT: ACTA,
    REGISTRY_FORMAT: "registry",
    ANNOUNCEMENT_FORMAT: "announcement",
    WITNESS_LIST_FORMAT: WITNESSES,
}
_JSON_FORMATS = {
    ELECTION_FORMAT: "election",
    REPORT_FORMAT: REPORT,
    CEREMONY_FORMAT: CEREMONY,
    RECORD_FORMAT: BALLOTS,
    SHARES_FORMAT: SHARES,
}


def entry_kind(data: bytes) -> str | None:
    """What an entry is, read from its own bytes (the first line of a text, the format of a JSON object,
    or of the first line of JSON lines).

    The kind a board lists beside an entry is not under the Merkle tree's hashes; whoever replays a
    copy of a board checks it against this instead of trusting it."""
    if data.startswith(b"{"):
        head = data.split(b"\n", 1)[0]
        try:
            found = json.loads(head if head.endswith(b"}") else data).get("format")
        except (ValueError, AttributeError, RecursionError):
            return None
        return _JSON_FORMATS.get(found) if isinstance(found, str) else None
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    return _FIRST_LINES.get(first)


def read_entry(index: int, kind: str, data: bytes) -> Counted | None:
    """The part of an entry that counts: an acta with its digest, or a filed report (None for others)."""
    if kind == ACTA:  # the entry is the payload's exact bytes: its digest is theirs, no need to write it out again
        return counted_acta(parse_payload(data).acta, hashlib.sha256(data).hexdigest())
    if kind == REPORT:
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError):
            raise FormatError(f"entry {index} is not a witness's report (JSON)") from None
        report = WitnessReport.from_json(obj)
        if report.acta is None:
            return Filed(index, report)
        signed = parse_payload(report.acta)
        return Filed(index, report, signed.acta, signed.digest)
    if kind == CEREMONY:
        return ceremony_from_text(_text(data, index, "a key ceremony's record"))
    if kind == BALLOTS:
        return PublishedBallots(**vars(record_summary(data)), index=index)
    if kind == SHARES:
        return mesa_shares_entry(_text(data, index, "a trustee's shares"), f"entry {index}")[1]
    if kind == WITNESSES:
        try:
            return WitnessList.from_note(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise FormatError(f"entry {index} is not a witness list (UTF-8 text)") from None
    return None


def _text(data: bytes, index: int, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"entry {index} is not {what} (UTF-8 text)") from None


def read_entries(rows: list[tuple[int, str, bytes]]) -> list[tuple[int, Counted]]:
    """What counts in each of a page of entries (index, kind, bytes), in order: a job for another process."""
    return [(index, item) for index, kind, data in rows if (item := read_entry(index, kind, data)) is not None]


class BoardCount:
    def __init__(self, election: Election, observer: bool) -> None:
        self.election = election
        self.witnessed = WitnessTally(election) if observer else None
        self.results = self.witnessed.results if self.witnessed is not None else ProgressiveResults(election)

    @property
    def encrypted(self) -> EncryptedTally | None:
        """What the encrypted ballots say of each mesa, on a board that publishes them."""
        return self.results.encrypted

    def add(self, item: Counted) -> None:
        encrypted = self.results.encrypted
        if isinstance(item, Filed):
            if self.witnessed is not None:
                self.witnessed.add(item)
        elif isinstance(item, ZeroActa):
            self.results.add_zero(item.station, item.digest)
            if encrypted is not None:
                encrypted.settle(item.station, self.results.counted_final(item.station))
        elif isinstance(item, WitnessList):
            if self.witnessed is not None:
                self.witnessed.assign(item.assignments())
        elif isinstance(item, Ceremony):
            if encrypted is None:
                self.results.encrypted = EncryptedTally(self.election, item)
        elif isinstance(item, PublishedBallots):
            if encrypted is not None:
                encrypted.add_ballots(item, self.results.counted_final(item.station))
        elif isinstance(item, MesaShares):
            if encrypted is not None:
                encrypted.add_shares(item, self.results.counted_final(item.station))
        else:
            self.results.add(*item)
            if encrypted is not None:
                encrypted.settle(item[0].station, self.results.counted_final(item[0].station))
