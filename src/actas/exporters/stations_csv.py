"""Results as CSV: one row per station, counted, in conflict or missing, with where its acta is on the board,
and on a board that publishes encrypted ballots what they say of it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence

from actas.acta.model import Acta
from actas.election import Election


def station_rows(
    election: Election,
    counted: Mapping[str, tuple[str, Acta]],
    conflicts: set[str],
    ballots: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """The CSV text, a line at a time (header first), so a large election streams. Given what each mesa's
    encrypted ballots say (`tally.encrypted`), a last column `ballots` says it: `agrees`, `differs`..."""
    header = ["station", *(lv.id for lv in election.levels), "registered", "status", "voters"]
    for contest in election.contests:
        header += [f"{contest.id}:{o}" for o in contest.option_ids] + [f"{contest.id}:null"]
    header += ["acta_sha256", *(["ballots"] if ballots is not None else [])]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(row: Sequence[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        return buffer.getvalue()

    yield line(header)
    width = sum(len(c.options) + 1 for c in election.contests)
    for s in election.stations:
        path = [u.code for u in election.path(s)]
        if s.code in counted:
            digest, acta = counted[s.code]
            counts: list[object] = []
            for c in acta.contests:
                counts += [*c.votes, c.null]
            row = [s.code, *path, s.registered, "counted", acta.voters, *counts, digest]
        else:
            status = "conflict" if s.code in conflicts else "missing"
            row = [s.code, *path, s.registered, status, "", *([""] * width), ""]
        yield line(row if ballots is None else [*row, ballots.get(s.code, "")])
