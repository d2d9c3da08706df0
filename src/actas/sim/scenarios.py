"""What can go wrong on election day, simulated so that the checks can be shown to catch it.

- `clean`: every machine's acta reaches the board as the machine signed it.
- `altered-results`: the authority publishes, for some mesas, counts other than the machine's (votes
  moved from the leading option to the runner-up, the machine's signature left as it was, so it no
  longer verifies), and for others publishes nothing at all. Witnesses who photographed the printed
  acta hold the machine's own.
- `altered-machines`: the machines of a quarter of the mesas count wrong (altered software): they
  print and sign, with their own valid keys, counts that move most of the national leader's votes to
  the national runner-up, enough to change who wins, while the paper receipts in the box are what
  the voters chose. Every signature verifies and the
  witnesses photograph the same wrong acta; only the hand count of the paper, and the audit that
  samples it, can find it.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass

from actas.acta.codec import acta_text, parse_payload, sign_acta
from actas.acta.model import Acta
from actas.signed_note import SignedNote, Signer
from actas.sim import CLEAN

ALTERED_RESULTS, ALTERED_MACHINES = "altered-results", "altered-machines"
SCENARIOS = (CLEAN, ALTERED_RESULTS, ALTERED_MACHINES)
MACHINES_SHARE, MACHINES_MOVE = 0.25, 0.6
"""The share of mesas whose machines count wrong in `altered-machines`, and the share of the leader's
votes each of them gives the runner-up."""


@dataclass(frozen=True)
class Tampering:
    altered: dict[str, str]
    """Station -> the altered final acta the authority publishes instead of the machine's."""
    suppressed: frozenset[str]
    """Stations whose final acta the authority never publishes."""
    machines: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Station -> the final acta its altered machine printed and signed (the paper says otherwise)."""


def alter_counts(payload: str, share: float = 0.1) -> str:
    """The acta with a share of the leading option's votes (at least one) moved to the runner-up in its
    first contest, under the machine's original signature, which therefore fails."""
    signed = parse_payload(payload)
    return SignedNote(acta_text(_moved(signed.acta, share)), signed.note.signatures).to_text()


def _moved(acta: Acta, share: float) -> Acta:
    contest = acta.contests[0]
    ranked = sorted(range(len(contest.votes)), key=lambda i: -contest.votes[i])
    top, second = ranked[0], ranked[1] if len(ranked) > 1 else ranked[0]
    moved = max(1, round(contest.votes[top] * share))
    votes = list(contest.votes)
    if top == second or votes[top] < moved:
        votes[top] += moved  # one option only, or nothing to take: invent votes instead
    else:
        votes[top], votes[second] = votes[top] - moved, votes[second] + moved
    altered = dataclasses.replace(acta, contests=(dataclasses.replace(contest, votes=tuple(votes)),))
    if sum(votes) != sum(contest.votes):
        altered = dataclasses.replace(altered, voters=altered.voters + moved)
    return altered


def _favour(acta: Acta, candidate_of: Mapping[str, str], taken: str, given: str) -> Acta:
    """The acta with MACHINES_MOVE of candidate `taken`'s votes given to candidate `given`'s first card."""
    contest = acta.contests[0]
    votes = list(contest.votes)
    moved = 0
    for i, option in enumerate(contest.options):
        if candidate_of[option] == taken:
            share = round(votes[i] * MACHINES_MOVE)
            votes[i] -= share
            moved += share
    votes[next(i for i, o in enumerate(contest.options) if candidate_of[o] == given)] += moved
    return dataclasses.replace(acta, contests=(dataclasses.replace(contest, votes=tuple(votes)),))


def tamper(
    scenario: str,
    finals: dict[str, str],
    targets: list[str],
    seed: int,
    signers: Mapping[str, Signer],
    candidate_of: Mapping[str, str],
    count: int = 6,
) -> Tampering:
    """For `altered-results`, alter `count` mesas among `targets` and suppress as many others; for
    `altered-machines`, have a share of all the machines sign altered counts; nothing when clean."""
    if scenario == CLEAN:
        return Tampering({}, frozenset())
    if scenario == ALTERED_MACHINES:
        actas = {s: parse_payload(p).acta for s, p in finals.items()}
        totals: dict[str, int] = {}
        for acta in actas.values():
            for option, votes in zip(acta.contests[0].options, acta.contests[0].votes, strict=True):
                totals[candidate_of[option]] = totals.get(candidate_of[option], 0) + votes
        leader, runner_up = sorted(totals, key=lambda c: -totals[c])[:2]
        stations = random.Random(seed).sample(sorted(finals), max(1, round(MACHINES_SHARE * len(finals))))
        machines = {
            s: sign_acta(_favour(actas[s], candidate_of, leader, runner_up), signers[s]).payload
            for s in sorted(stations)
        }
        return Tampering({}, frozenset(), machines)
    chosen = random.Random(seed).sample(sorted(targets), min(2 * count, len(targets)))
    half = len(chosen) // 2
    return Tampering({s: alter_counts(finals[s]) for s in chosen[:half]}, frozenset(chosen[half:]))
