"""What the pages show of a mesa's encrypted ballots (docs/e2e.md): its state, and once the trustees have
decrypted its tally, each option's count in the ballots beside its acta's, the differing ones marked."""

from __future__ import annotations

from dataclasses import dataclass

from actas.board import Board
from actas.election import NULL_VOTE


@dataclass(frozen=True)
class BallotRow:
    option: str
    """The option's name; empty for the null votes."""
    acta: int | None
    """The count its counted final acta gives (None without one)."""
    ballots: int


@dataclass(frozen=True)
class MesaBallots:
    status: str
    """missing, published, agrees, differs or unchecked (`tally.encrypted`)."""
    ballots: int
    """Ballots cast in its record (the challenged ones are not counted)."""
    rows: tuple[BallotRow, ...]
    """Each option's decrypted count beside the acta's, once decrypted."""
    problems: tuple[str, ...]


def mesa_ballots(board: Board, station: str) -> MesaBallots | None:
    """A mesa's encrypted ballots as its page shows them; None on a board that publishes none."""
    encrypted = board.count.encrypted
    if encrypted is None:
        return None
    record = encrypted.record(station)
    verdict = encrypted.verdicts.get(station)
    acta = board.results.counted_final(station)
    signed: dict[str, int] = {}
    if acta is not None:
        counted = acta.contests[0]
        signed = {**dict(zip(counted.options, counted.votes, strict=True)), NULL_VOTE: counted.null}
    names = {o.id: o.name for o in board.election.contests[0].options}
    rows = tuple(
        BallotRow(names.get(option, "") if option != NULL_VOTE else "", signed.get(option), count)
        for option, count in (verdict.decrypted or {}).items()
    ) if verdict is not None else ()  # fmt: skip
    problems = verdict.problems if verdict is not None and verdict.status != "differs" else ()
    count = record.cast if record is not None else 0
    return MesaBallots(encrypted.status(station), count, rows, problems)
