"""Consistent sampling with SHA-256, compatible with Rivest's `consistent_sampler` (the sampler the Arlo
audit software uses), so that observers can draw the same sample with that tool.

Every item (a mesa, a receipt) gets a *ticket number*, a real number in (0, 1) written as a
decimal string `0.ddd…`, computed from a public seed (dice rolled in public, say) and the item's
id alone; the sample is the items in increasing order of ticket number. Because an item's ticket
does not depend on the others, the sample of a subset is the sample of the whole, filtered:
that is what makes the sampling *consistent*.

- The digits of SHA-256(text) as a decimal integer (at least 64 digits), **reversed** so that
  the unbiased low-order digits come first, after `0.`, make `uniform(text)`.
- The first ticket of an item is `uniform(hex SHA-256(seed) + id)`.
- With replacement, a drawn item goes back with a larger ticket: keep the number's leading 9s
  and replace what follows with the digits of `uniform(x + ":" + i)` for i = 1, 2, … until the
  result is larger than x.

Ticket numbers are compared as strings, which for `0.` followed by digits is their numeric order;
ties (never seen in practice) are broken by id. Ids and seeds are used as their text.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from actas.errors import AuditError


class Ticket(NamedTuple):
    number: str
    id: str
    generation: int


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def uniform(text: str) -> str:
    """A pseudorandom real in (0, 1) from SHA-256 of the text, as `0.` and its digits."""
    digits = f"{int(sha256_hex(text), 16):064d}"
    return "0." + digits[::-1]


def first_ticket(item: str, seed: str) -> Ticket:
    return Ticket(uniform(sha256_hex(seed) + item), item, 1)


def next_number(x: str) -> str:
    """A pseudorandom real in (x, 1), the ticket of an item drawn and put back."""
    if not x.startswith("0.") or not x[2:].isdigit():
        raise AuditError(f"a ticket number is '0.' and digits, found {x[:40]!r}")
    padded = x + "0"  # so that a number of nines only still has a first digit below 9
    keep = next(i for i in range(2, len(padded)) if padded[i] < "9")
    attempt, y = 0, "0."
    while y <= padded:
        attempt += 1
        y = padded[:keep] + uniform(f"{x}:{attempt}")[2:]
    return y


def next_ticket(ticket: Ticket) -> Ticket:
    return Ticket(next_number(ticket.number), ticket.id, ticket.generation + 1)


def draw(items: Iterable[str], seed: str, *, with_replacement: bool = False) -> Iterator[Ticket]:
    """Every ticket in sampling order: each item once, or (with replacement) without end."""
    heap = [first_ticket(item, seed) for item in items]
    if len({t.id for t in heap}) != len(heap):
        raise AuditError("the items to sample from must have distinct ids")
    heapq.heapify(heap)
    while heap:
        ticket = heapq.heappop(heap)
        if with_replacement:
            heapq.heappush(heap, next_ticket(ticket))
        yield ticket


def sample(items: Iterable[str], seed: str, size: int, *, with_replacement: bool = False) -> list[Ticket]:
    """The first `size` tickets in sampling order."""
    tickets = draw(items, seed, with_replacement=with_replacement)
    return [ticket for ticket, _ in zip(tickets, range(size), strict=False)]


def trim(number: str, digits: int = 9) -> str:
    """A ticket number shortened for display: `digits` digits after its leading nines (truncated)."""
    padded = number + "0"
    keep = next(i for i in range(2, len(padded)) if padded[i] < "9")
    return number[: keep + digits]
