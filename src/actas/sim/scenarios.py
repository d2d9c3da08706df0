"""What can go wrong on election day, simulated so that the checks can be shown to catch it.

- `honest`: every machine's acta reaches the board as the machine signed it.
- `altered-results`: the authority publishes, for some mesas, counts other than the machine's (votes
  moved from the leading option to the runner-up, the machine's signature left as it was, so it no
  longer verifies), and for others publishes nothing at all. Witnesses who photographed the printed
  acta hold the machine's own.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from actas.acta.codec import acta_text, parse_payload
from actas.signed_note import SignedNote

HONEST, ALTERED_RESULTS = "honest", "altered-results"
SCENARIOS = (HONEST, ALTERED_RESULTS)


@dataclass(frozen=True)
class Tampering:
    altered: dict[str, str]
    """Station -> the altered final acta the authority publishes instead of the machine's."""
    suppressed: frozenset[str]
    """Stations whose final acta the authority never publishes."""


def alter_counts(payload: str, share: float = 0.1) -> str:
    """The acta with a share of the leading option's votes (at least one) moved to the runner-up in its
    first contest, under the machine's original signature, which therefore fails."""
    signed = parse_payload(payload)
    contest = signed.acta.contests[0]
    ranked = sorted(range(len(contest.votes)), key=lambda i: -contest.votes[i])
    top, second = ranked[0], ranked[1] if len(ranked) > 1 else ranked[0]
    moved = max(1, round(contest.votes[top] * share))
    votes = list(contest.votes)
    if top == second or votes[top] < moved:
        votes[top] += moved  # one option only, or nothing to take: invent votes instead
    else:
        votes[top], votes[second] = votes[top] - moved, votes[second] + moved
    acta = dataclasses.replace(signed.acta, contests=(dataclasses.replace(contest, votes=tuple(votes)),))
    if sum(votes) != sum(contest.votes):
        acta = dataclasses.replace(acta, voters=acta.voters + moved)
    return SignedNote(acta_text(acta), signed.note.signatures).to_text()


def tamper(scenario: str, finals: dict[str, str], targets: list[str], seed: int, count: int = 6) -> Tampering:
    """For `altered-results`, alter `count` mesas among `targets` and suppress as many others; nothing
    otherwise."""
    if scenario == HONEST:
        return Tampering({}, frozenset())
    chosen = random.Random(seed).sample(sorted(targets), min(2 * count, len(targets)))
    half = len(chosen) // 2
    return Tampering({s: alter_counts(finals[s]) for s in chosen[:half]}, frozenset(chosen[half:]))
