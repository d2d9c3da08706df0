"""Do the actas already known decide the outcome, whatever the missing mesas hold? And can an announcement
be true at all, given the actas?

**The outcome bound.** The actas collected give a leader and a runner-up, and a margin between
them. The missing mesas (those of the election with no acta in hand) could overturn that margin
only if they held more votes for the runner-up than the margin, so each bound is the most votes the
missing mesas can hold under one assumption, all of them for the runner-up:

- **(a) registered**: every registered voter of a missing mesa voted, for the runner-up. Needs only
  the registered voters of the whole election and of each collected mesa; assumes nothing about
  turnout, and is the strongest statement.
- **(b) announced**: the missing votes are at most the votes the authority announced minus the votes
  on the collected actas. Assumes the announced total is every vote cast (not too low).
- **(c) average turnout**: the missing mesas voted at the collected mesas' average turnout (or, where
  the mesas' registered voters are not known, cast the collected mesas' average votes per mesa).
  Assumes the missing mesas are not unusual.

Each bound says whether the outcome is decided (the margin is larger), or what is missing to say.

**Consistency of an announcement.** An authority that announces totals "with X% of actas counted"
left out at most the rest of the mesas. Whatever it left out, each candidate's announced votes
must be at least the candidate's votes on the collected actas minus their best mesas as many as
could have been left out; less than that is impossible for clean counting of these actas.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from actas.dataset.announced import OTHERS, Announced
from actas.dataset.model import Dataset
from actas.errors import AuditError

REGISTERED, ANNOUNCED, TURNOUT = "registered", "announced", "average turnout"


@dataclass(frozen=True)
class Bound:
    assumption: str
    needs: str
    """What the bound assumes, in a sentence."""
    missing_votes: int | None
    """The most votes the missing mesas can hold under the assumption (None: it cannot be computed)."""
    reason: str = ""
    """Why it cannot be computed, when it cannot."""

    def decides(self, margin: int) -> bool | None:
        return None if self.missing_votes is None else margin > self.missing_votes


@dataclass(frozen=True)
class CandidateCheck:
    candidate: str
    announced: int
    collected: int
    """The candidate's votes on every collected acta."""
    at_least: int
    """The least the announcement can give the candidate, if it counted these actas but its share's worth of others."""

    @property
    def possible(self) -> bool:
        return self.announced >= self.at_least


@dataclass(frozen=True)
class Outcome:
    stations: int
    declared_stations: int | None
    registered_covered: int | None
    declared_registered: int | None
    votes: dict[str, int]
    """Valid votes per candidate on the collected actas."""
    leader: str
    runner_up: str
    bounds: tuple[Bound, ...]
    checks: tuple[CandidateCheck, ...] = ()
    uncounted_at_most: int | None = None
    """How many mesas the announcement can have left out."""

    @property
    def margin(self) -> int:
        return self.votes[self.leader] - self.votes[self.runner_up]

    @property
    def announcement_possible(self) -> bool:
        return all(c.possible for c in self.checks)


def _votes(dataset: Dataset) -> dict[str, int]:
    totals = dict.fromkeys((cid for cid, _ in dataset.candidates), 0)
    for row in dataset:
        for cid, n in dataset.by_candidate(row.votes).items():
            totals[cid] += n
    return totals


def _bounds(dataset: Dataset, announced: Announced | None, collected_valid: int) -> tuple[Bound, ...]:
    declared_registered = dataset.declared.registered
    known = all(row.registered is not None for row in dataset)
    covered = sum(row.registered or 0 for row in dataset)
    missing_registered = declared_registered - covered if declared_registered is not None and known else None
    registered = Bound(
        REGISTERED,
        "every registered voter of a missing mesa voted, all for the runner-up",
        missing_registered,
        "" if missing_registered is not None else "needs the registered voters of every collected mesa and of all",
    )
    if announced is None:
        by_announcement = Bound(ANNOUNCED, "", None, "needs an announcement")
    else:
        total = announced.valid if announced.valid is not None else announced.total
        needs = f"the {total:,} valid votes announced are every valid vote cast"
        if total < collected_valid:
            reason = f"the {total:,} valid votes announced are fewer than the {collected_valid:,} on the actas"
            by_announcement = Bound(ANNOUNCED, needs, None, reason)
        else:
            by_announcement = Bound(ANNOUNCED, needs, total - collected_valid)
    if missing_registered is not None and covered:
        voters = [row.voters if row.voters is not None else row.valid for row in dataset]
        missing = (missing_registered * sum(voters) + covered - 1) // covered  # rounded up
        turnout = Bound(
            TURNOUT, f"the missing mesas voted at the collected mesas' turnout ({sum(voters) / covered:.1%})", missing
        )
    elif dataset.declared.stations is not None and len(dataset):
        left = dataset.declared.stations - len(dataset)
        missing = (left * collected_valid + len(dataset) - 1) // len(dataset)
        turnout = Bound(
            TURNOUT,
            f"the {left:,} missing mesas cast the collected mesas' average of "
            f"{collected_valid / len(dataset):,.0f} votes",
            missing,
        )
    else:
        turnout = Bound(TURNOUT, "", None, "needs the registered voters or the number of mesas of the whole election")
    return registered, by_announcement, turnout


def _checks(
    dataset: Dataset, announced: Announced, votes: dict[str, int]
) -> tuple[int | None, tuple[CandidateCheck, ...]]:
    stations = dataset.declared.stations
    if announced.actas_counted is None or stations is None:
        return None, ()
    counted = (Decimal(stations) * announced.actas_counted / 100).to_integral_value(ROUND_FLOOR)
    uncounted = stations - int(counted)
    columns = dict(zip((cid for cid, _ in dataset.candidates), dataset.candidate_columns(), strict=True))
    named = {key for key, _ in announced.votes if key != OTHERS}
    checks = []
    for key, announced_votes in announced.votes:
        group = [c for c in columns if c not in named] if key == OTHERS else [key]
        if not all(c in columns for c in group):
            continue
        per_mesa = sorted((sum(row.votes[i] for c in group for i in columns[c]) for row in dataset), reverse=True)
        collected = sum(votes[c] for c in group)
        checks.append(CandidateCheck(key, announced_votes, collected, collected - sum(per_mesa[:uncounted])))
    return uncounted, tuple(checks)


def outcome(dataset: Dataset, announced: Announced | None = None) -> Outcome:
    votes = _votes(dataset)
    if len(votes) < 2:
        raise AuditError("an outcome needs at least two candidates")
    leader, runner_up = sorted(votes, key=lambda c: -votes[c])[:2]
    collected_valid = sum(votes.values())
    known = all(row.registered is not None for row in dataset)
    uncounted, checks = _checks(dataset, announced, votes) if announced is not None else (None, ())
    return Outcome(
        stations=len(dataset),
        declared_stations=dataset.declared.stations,
        registered_covered=sum(row.registered or 0 for row in dataset) if known else None,
        declared_registered=dataset.declared.registered,
        votes=votes,
        leader=leader,
        runner_up=runner_up,
        bounds=_bounds(dataset, announced, collected_valid),
        checks=checks,
        uncounted_at_most=uncounted,
    )


def outcome_json(report: Outcome) -> dict[str, Any]:
    """The outcome as JSON, for `actas outcome --json` and the reports."""
    return {
        "stations": report.stations,
        "declared_stations": report.declared_stations,
        "registered_covered": report.registered_covered,
        "declared_registered": report.declared_registered,
        "votes": report.votes,
        "leader": report.leader,
        "runner_up": report.runner_up,
        "margin": report.margin,
        "bounds": [
            {
                "assumption": b.assumption,
                "needs": b.needs,
                "missing_votes_at_most": b.missing_votes,
                "decided": b.decides(report.margin),
                "reason": b.reason,
            }
            for b in report.bounds
        ],
        "uncounted_at_most": report.uncounted_at_most,
        "candidates": [
            {
                "candidate": c.candidate,
                "announced": c.announced,
                "collected": c.collected,
                "at_least": c.at_least,
                "possible": c.possible,
            }
            for c in report.checks
        ],
        "announcement_possible": report.announcement_possible,
    }
