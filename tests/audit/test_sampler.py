"""The consistent sampler against the published values of Rivest's `consistent_sampler` (the docstring
examples of consistent_sampler.py and the demo examples in its repository, ron-rivest/consistent_sampler,
the version the Arlo audit software installs): the same seed and ids give the same tickets and order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.audit.sampler import draw, first_ticket, next_number, next_ticket, sample, sha256_hex, trim, uniform
from actas.errors import AuditError


def test_the_published_hash_values() -> None:
    assert sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2
    assert uniform("abc") == "0.56998071861792858926477341561059638840106636224182943832566300809078486324348"


def test_the_published_tickets() -> None:
    first = first_ticket("AB-130", "01382438112797316654")
    assert first.number == "0.26299714122838008416507544297546663599715395525154425586041245287750224561854"
    assert next_ticket(first).number == (
        "0.8232357229934205790595761924514048157652891124687533667363938813600770093316"
    )
    assert next_number("0.25471") == "0.642853261655004694691182528114375607701032283189922170593838029306715548381901"
    heap = {t.id: t.number[:12] for t in (first_ticket(i, "xy()134!g2n") for i in ["dog", "cat", "fish", "goat"])}
    assert heap == {"cat": "0.2486641389", "dog": "0.3388603561", "fish": "0.7468593208", "goat": "0.4959984207"}


def test_the_published_samples() -> None:
    shuffled = [t.id for t in draw(["A-1", "A-2", "A-3", "B-1", "B-2", "B-3"], "314159")]
    assert shuffled == ["B-2", "B-3", "A-3", "A-2", "B-1", "A-1"]
    assert [t.id for t in sample(["A-1", "A-2", "A-3", "B-1", "B-2", "B-3"], "314159", 3)] == ["B-2", "B-3", "A-3"]
    replaced = sample(["A#2", "B#7", "C#1", "D#4"], "314159", 8, with_replacement=True)
    assert [t.id for t in replaced] == ["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"]
    assert [t.generation for t in replaced][:3] == [1, 1, 2]
    shown = [(trim(t.number), t.id, t.generation) for t in draw(["ab-1", "ab-2", "cd-1", "ef-3"], "314159")]
    assert shown == [
        ("0.317685817", "cd-1", 1),
        ("0.832984519", "ef-3", 1),
        ("0.9098039269", "ab-1", 1),
        ("0.9231549043", "ab-2", 1),
    ]


@given(st.sets(st.text(min_size=1, max_size=8), min_size=1, max_size=30), st.text(max_size=10), st.data())
def test_the_sample_of_a_subset_is_the_sample_of_the_whole_filtered(
    items: set[str], seed: str, data: st.DataObject
) -> None:
    subset = data.draw(st.sets(st.sampled_from(sorted(items))))
    whole = [t.id for t in draw(sorted(items), seed)]
    assert [t.id for t in draw(sorted(subset), seed)] == [i for i in whole if i in subset]
    assert sorted(whole) == sorted(items)


@given(st.from_regex(r"0\.[0-9]{1,30}", fullmatch=True))
def test_a_replaced_ticket_is_always_larger(number: str) -> None:
    assert next_number(number) > number


def test_bad_input_is_refused() -> None:
    with pytest.raises(AuditError, match="distinct"):
        list(draw(["a", "a"], "1"))
    with pytest.raises(AuditError, match="digits"):
        next_number("1.5")
