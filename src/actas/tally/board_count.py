"""What a bulletin board's entries add up to, read in board order: the same code for the server that
keeps the board and for anyone who replays a copy of it.

An official board counts its final actas; an observer organization's board files its witnesses'
reports into the record of each mesa (`witnessed`), whose actas make its totals.
"""

from __future__ import annotations

import json

from actas.acta.codec import parse_payload
from actas.acta.model import Acta
from actas.election import Election
from actas.tally.progressive import ProgressiveResults
from actas.tally.witnessed import Filed, WitnessTally
from actas.witness.report import WitnessReport

ACTA, REPORT = "acta", "report"
Counted = tuple[Acta, str] | Filed


def read_entry(index: int, kind: str, data: bytes) -> Counted | None:
    """The part of an entry that counts: an acta with its digest, or a filed report (None for others)."""
    if kind == ACTA:
        signed = parse_payload(data)
        return signed.acta, signed.digest
    if kind == REPORT:
        report = WitnessReport.from_json(json.loads(data))
        if report.acta is None:
            return Filed(index, report)
        signed = parse_payload(report.acta)
        return Filed(index, report, signed.acta, signed.digest)
    return None


class BoardCount:
    def __init__(self, election: Election, observer: bool) -> None:
        self.witnessed = WitnessTally(election) if observer else None
        self.results = self.witnessed.results if self.witnessed is not None else ProgressiveResults(election)

    def add(self, item: Counted) -> None:
        if isinstance(item, Filed):
            if self.witnessed is not None:
                self.witnessed.add(item)
        else:
            self.results.add(*item)
