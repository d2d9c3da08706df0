"""The bulletin board as a server keeps it, one job a module:

- board.py      the board: intake of actas and announcements, and what it publishes
- log.py        the append-only Merkle log over the database, its checkpoints and proofs
- counting.py   what the entries add up to at the latest checkpoint: the results
- witnesses.py  an observer organization's intake of its witnesses' reports
- refusals.py   refused submissions, answered at once and recorded in batches
- outcome.py    the answer to one write

Every statement to the database is in `store.board_store`.
"""

from actas.board.board import OBSERVER, OFFICIAL, ROLES, Board
from actas.board.counting import COUNT_PAGE
from actas.board.outcome import Outcome

__all__ = ["COUNT_PAGE", "OBSERVER", "OFFICIAL", "ROLES", "Board", "Outcome"]
