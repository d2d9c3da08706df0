"""The candidates' colours: the definition's where it gives them, otherwise a palette of twelve that stay
apart for people with any of the three dichromacies.

The palette was chosen so that every pair of its colours differs by at least 10 CIEDE2000 units as seen
with normal vision and as simulated for protanopia, deuteranopia and tritanopia (Machado, Oliveira and
Fernandes 2009, severity 1), and each colour has a contrast of at least 3:1 against the white page
(WCAG 2.1, 1.4.11). `tests/web/test_palette.py` computes both. Its order puts the colours furthest apart
first, for the candidates listed first.
"""

from __future__ import annotations

from actas.election import Election

PALETTE = (
    "#3399ee", "#aa2244", "#999900", "#007766", "#bb7799", "#0000ff",
    "#5566dd", "#990088", "#bb4499", "#449966", "#335500", "#667711",
)  # fmt: skip
BEYOND = "#6b7b8c"
"""The colour of a thirteenth candidate and beyond: grey, never a colour another candidate has."""


def candidate_colors(election: Election) -> dict[str, str]:
    """Each candidate's colour, by id: the definition's, or the next palette colour no one else has."""
    colors: dict[str, str] = {}
    for contest in election.contests:
        taken = {k.color for k in contest.candidates if k.color}
        free = iter(c for c in PALETTE if c not in taken)
        for candidate in contest.candidates:
            colors[candidate.id] = candidate.color or next(free, BEYOND)
    return colors
