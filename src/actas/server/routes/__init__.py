"""The server's routes, one router per resource: the board itself (board.py), the actas the machines
send to an official board (actas.py), the witnesses' reports to an observer's board (witnesses.py), the
results (results.py) and the exports (exports.py). A role's routers are mounted only on a board of
that role; the other role's paths answer that this is the wrong board (wrong_board.py)."""
