"""A dataset's stations as NumPy columns, the form every per-station test reads.

Turnout is ballots over registered voters (the voters when the source gives them, else valid, null
and blank votes added up); the winner's share is the national winner's votes over the station's
valid votes. Unknown values are NaN, and a test leaves out the stations it cannot use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from actas.dataset.model import Dataset
from actas.errors import InputError


@dataclass(frozen=True)
class Columns:
    codes: tuple[str, ...]
    candidates: tuple[str, ...]
    names: tuple[str, ...]
    votes: NDArray[np.int64]
    """Stations × candidates (a candidate's party cards added up)."""
    registered: NDArray[np.float64]
    ballots: NDArray[np.float64]

    def __post_init__(self) -> None:
        n = len(self.codes)
        if self.votes.shape != (n, len(self.candidates)) or self.registered.shape != (n,) or self.ballots.shape != (n,):
            raise InputError("the columns do not have one row per station")
        if n == 0:
            raise InputError("there are no stations to test")
        if len(self.candidates) < 2:
            raise InputError("the forensic tests need at least two candidates")

    @property
    def valid(self) -> NDArray[np.int64]:
        total: NDArray[np.int64] = self.votes.sum(axis=1)
        return total

    @property
    def winner(self) -> int:
        """Index of the candidate with the most votes in all the stations."""
        return int(np.argmax(self.votes.sum(axis=0)))

    @property
    def winner_votes(self) -> NDArray[np.int64]:
        return self.votes[:, self.winner]

    @property
    def turnout(self) -> NDArray[np.float64]:
        """Ballots over registered voters; NaN where either is unknown or nobody is registered."""
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.ballots / self.registered
        return np.where(self.registered > 0, t, np.nan)

    @property
    def winner_share(self) -> NDArray[np.float64]:
        """The national winner's share of the station's valid votes; NaN where none were cast."""
        valid = self.valid
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(valid > 0, self.winner_votes / valid, np.nan)


def columns(dataset: Dataset) -> Columns:
    candidates = dataset.candidates
    index = {cid: i for i, (cid, _) in enumerate(candidates)}
    mapping = np.zeros((len(dataset.options), len(candidates)), dtype=np.int64)
    for row, option in enumerate(dataset.options):
        mapping[row, index[option.candidate]] = 1
    rows = dataset.rows
    votes = np.array([r.votes for r in rows], dtype=np.int64).reshape(len(rows), len(dataset.options)) @ mapping
    registered = np.array([np.nan if r.registered is None else r.registered for r in rows], dtype=np.float64)
    ballots = np.array([r.ballots for r in rows], dtype=np.float64)
    return Columns(
        codes=tuple(r.code for r in rows),
        candidates=tuple(c for c, _ in candidates),
        names=tuple(n for _, n in candidates),
        votes=votes,
        registered=registered,
        ballots=ballots,
    )
