"""The map of who leads each first-level unit, drawn from the shapes the definition names (`actas.shapes`):
each unit's outline filled with the colour of the candidate leading its counted actas, linked to its
page, and saying in words who leads and by what share. The server's page sends it filled; the script
fills it again as the figures change."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from actas.election import Election
from actas.i18n import Language
from actas.shapes import Outlines
from actas.tally.view import ChildUnit

NO_DATA = "#c3cad1"
"""The fill of a unit with no acta counted yet."""


@dataclass(frozen=True)
class MapUnit:
    code: str
    path: str
    href: str
    fill: str
    label: str
    """Its name and who leads it, as its tooltip and its link's accessible name say."""


@dataclass(frozen=True)
class Choropleth:
    view_box: str
    units: tuple[MapUnit, ...]
    no_data: str = NO_DATA


def choropleth(
    outlines: Outlines,
    election: Election,
    children: tuple[ChildUnit, ...],
    colors: Mapping[str, str],
    lang: Language,
    href: Callable[[str], str],
) -> Choropleth:
    """The map of `outlines`, each unit filled and said from its figures in `children` (none yet: unfilled)."""
    names = {c.id: c.name for contest in election.contests for c in contest.candidates}
    figures = {child.code: child for child in children}
    units = []
    for outline in outlines.units:
        name = election.unit_by_code[outline.code].name
        contest = figures[outline.code].contests[0] if outline.code in figures else None
        lead = contest.leader if contest is not None else None
        if contest is None or lead is None:
            fill, label = NO_DATA, f"{name}: {lang.gettext('no acta counted')}"
        else:
            leader, votes = lead
            fill, label = colors[leader], f"{name}: {names[leader]} {lang.percent(votes, contest.valid)}"
        units.append(MapUnit(outline.code, outline.path, href(outline.code), fill, label))
    return Choropleth(outlines.view_box, tuple(units))
