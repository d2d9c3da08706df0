"""Hypothesis strategies for the project's values."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from actas.acta.model import Acta, ActaKind, ContestCount
from actas.election import TOKEN_RE

_FIRST = string.ascii_letters + string.digits
_REST = _FIRST + "._-"

tokens = st.builds(lambda a, b: a + b, st.sampled_from(_FIRST), st.text(_REST, max_size=20)).filter(
    lambda t: t.lower() != "null" and TOKEN_RE.fullmatch(t) is not None
)
counts = st.integers(min_value=0, max_value=999_999_999)
hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
times = st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")).filter(lambda t: len(t) == 20)


@st.composite
def contest_counts(draw: st.DrawFn) -> ContestCount:
    options = draw(st.lists(tokens, min_size=1, max_size=12, unique=True))
    votes = draw(st.lists(counts, min_size=len(options), max_size=len(options)))
    return ContestCount(draw(tokens), tuple(options), tuple(votes), draw(counts))


@st.composite
def actas(draw: st.DrawFn) -> Acta:
    kind = draw(st.sampled_from(ActaKind))
    final = kind is ActaKind.FINAL
    contests = draw(st.lists(contest_counts(), min_size=1, max_size=3, unique_by=lambda c: c.contest))
    return Acta(
        kind=kind,
        election=draw(tokens),
        fingerprint=draw(hex64),
        station=draw(tokens),
        machine=draw(tokens),
        registered=draw(counts),
        voters=draw(counts),
        receipts=draw(counts),
        opened=draw(times),
        closed=draw(times) if final else None,
        zero=draw(hex64) if final else None,
        chain=draw(hex64) if final else None,
        ballots=draw(st.one_of(st.none(), hex64)) if final else None,
        contests=tuple(contests),
    )
