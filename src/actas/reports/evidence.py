"""The whole evidence on an election, assembled from what actas computes elsewhere: results and coverage,
outcome bounds and the announcements' consistency, reconciliation with an observer's actas, the exit
poll, the round-percentage test on each announcement and the per-station forensics."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from actas.audit.outcome import ANNOUNCED, Outcome, outcome
from actas.audit.quick_count import PollComparison, compare_exit_poll, design_effect
from actas.calibration.run import run_tests
from actas.dataset.announced import OTHERS, Announced
from actas.dataset.model import Dataset
from actas.dataset.reconcile import Reconciliation, reconcile
from actas.forensics.columns import columns
from actas.forensics.finding import Finding
from actas.forensics.round_percent import round_percentages


@dataclass(frozen=True)
class ExitPoll:
    shares: Mapping[str, float]
    interviews: int
    places: int
    deff: float | None = None
    """The design effect, if the pollster gives it; otherwise computed from the clusters' size."""
    icc: float = 0.05

    @property
    def design_effect(self) -> float:
        return self.deff if self.deff is not None else design_effect(self.interviews, self.places, self.icc)


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
    if len(set(poll.shares) & set(official)) < 2:
        return None
    return compare_exit_poll(poll.shares, official, poll.interviews, poll.design_effect, against)


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
    filters: bool = True,
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
    findings = run_tests(columns(dataset), min_count=min_count, seed=seed, filters=filters, on_test=on_test)
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
