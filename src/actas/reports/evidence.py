"""The whole evidence on an election, assembled from what actas computes elsewhere: results and coverage,
outcome bounds and the announcements' consistency, reconciliation with an observer's actas, the exit
poll, the round-percentage test on each announcement and the per-station forensics."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from actas.audit.outcome import ANNOUNCED, Outcome, outcome
from actas.audit.quick_count import ExitPollCheck, exit_poll_check, response_ratio
from actas.dataset.announced import OTHERS, Announced
from actas.dataset.model import Dataset
from actas.dataset.reconcile import Reconciliation, reconcile
from actas.forensics.columns import columns
from actas.forensics.finding import Finding
from actas.forensics.round_percent import round_percentages
from actas.forensics.run import run_tests


@dataclass(frozen=True)
class ExitPoll:
    shares: Mapping[str, float]
    interviews: int
    places: int
    source: str = "exit poll"


@dataclass(frozen=True)
class PollComparison:
    against: str
    checks: tuple[ExitPollCheck, ...]
    first: str
    second: str
    ratio: float


@dataclass(frozen=True)
class Evidence:
    dataset: Dataset
    votes: dict[str, int]
    outcomes: tuple[tuple[Announced | None, Outcome], ...]
    bulletins: tuple[tuple[Announced, Finding], ...]
    reconciliation: Reconciliation | None
    polls: tuple[PollComparison, ...]
    findings: tuple[Finding, ...]


def announced_round_percentages(bulletin: Announced) -> Finding:
    """The round-percentage test on a bulletin, trying as total the sum of its counts, then its valid votes
    and its voters where it gives them."""
    totals = [("the sum of the announced counts", bulletin.total)]
    if bulletin.valid:
        totals.append(("the announced valid votes", bulletin.valid))
    if bulletin.voters:
        totals.append(("the announced voters", bulletin.voters))
    return round_percentages(list(bulletin.votes), totals)


def compare_poll(poll: ExitPoll, official: Mapping[str, float], against: str) -> PollComparison | None:
    shared = set(poll.shares) & set(official)
    if len(shared) < 2:
        return None
    checks = exit_poll_check(poll.shares, official, poll.interviews, poll.places)
    first, second = sorted((c for c in checks), key=lambda c: -c.poll)[:2]
    return PollComparison(
        against,
        tuple(checks),
        first.candidate,
        second.candidate,
        response_ratio(poll.shares, official, first.candidate, second.candidate),
    )


def shares_of(votes: Mapping[str, int]) -> dict[str, float]:
    total = sum(votes.values())
    return {c: v / total for c, v in votes.items() if c != OTHERS} if total else {}


def gather(
    dataset: Dataset,
    bulletins: Sequence[Announced] = (),
    observer: Dataset | None = None,
    poll: ExitPoll | None = None,
    *,
    min_count: int = 100,
    seed: int = 2012,
    on_test: Callable[[str], None] | None = None,
) -> Evidence:
    first = outcome(dataset)
    outcomes: list[tuple[Announced | None, Outcome]] = [(None, first)]
    outcomes += [(b, outcome(dataset, b)) for b in bulletins]
    polls = []
    if poll is not None:
        for label, official in [("the actas", shares_of(first.votes))] + [
            (b.title, shares_of(dict(b.votes))) for b in bulletins
        ]:
            compared = compare_poll(poll, official, label)
            if compared:
                polls.append(compared)
    findings = run_tests(columns(dataset), min_count=min_count, seed=seed, on_test=on_test)
    return Evidence(
        dataset=dataset,
        votes=first.votes,
        outcomes=tuple(outcomes),
        bulletins=tuple((b, announced_round_percentages(b)) for b in bulletins),
        reconciliation=reconcile(dataset, observer) if observer is not None else None,
        polls=tuple(polls),
        findings=tuple(findings),
    )


def announced_bound(report: Outcome) -> str:
    """The bound under the announced total, in a sentence."""
    bound = next(b for b in report.bounds if b.assumption == ANNOUNCED)
    decided = bound.decides(report.margin)
    if decided is None:
        return f"cannot say: {bound.reason}"
    return f"if {bound.needs}, the missing mesas hold at most {bound.missing_votes:,} votes: " + (
        "the outcome is decided" if decided else "not decided"
    )
