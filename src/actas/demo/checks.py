"""The demo's last steps, as anyone who trusts nobody would take them: verify the official board from a
mirror, bound what the mesas without a witness could change, and audit the official counts against
the paper receipts of mesas drawn from a public seed."""

from __future__ import annotations

import shutil
from fractions import Fraction
from itertools import islice
from pathlib import Path

from actas.acta.codec import parse_payload
from actas.audit.batch_comparison import FULL_COUNT, STOP, Plan, plan_from_dataset, status
from actas.audit.macro import ppeb, sample_size
from actas.audit.outcome import ANNOUNCED, outcome
from actas.console import out, progress
from actas.demo.parallel import Found
from actas.election import Election
from actas.mirror import latest_checkpoint, mirror_board, mirror_checkpoints, mirror_entries
from actas.server.process import RunningServer
from actas.sim import CLEAN
from actas.sim.scenarios import ALTERED_MACHINES, ALTERED_RESULTS
from actas.verification import held_receipts, verify_board

RISK_LIMIT = 0.05
MAX_ROUNDS = 6


def final_checks(
    out_dir: Path,
    official: RunningServer,
    election: Election,
    found: Found,
    paper: dict[str, str],
    scenario: str,
    seed: int,
    differing: int = 0,
) -> bool:
    """Steps 10 to 12; True when each check behaved as the scenario says it should (`differing` mesas whose
    encrypted ballots differ from their acta are named by the verification)."""
    verified = _verify(out_dir, official)
    _bound(found)
    decision = _audit(found, election, paper, str(seed))
    expected_failures = {CLEAN: 0, ALTERED_MACHINES: 0, ALTERED_RESULTS: 6}[scenario] + differing
    audit_ok = decision == STOP if scenario == CLEAN else decision != STOP if scenario == ALTERED_MACHINES else True
    return verified == expected_failures and audit_ok


def _verify(out_dir: Path, official: RunningServer) -> int:
    mirror = out_dir / "official-mirror"
    shutil.rmtree(mirror, ignore_errors=True)
    with progress() as bar:
        task = bar.add_task("mirroring and verifying the official board", total=None)
        mirror_board(official.url, mirror, lambda done, size: bar.update(task, completed=done, total=size))
        note, head = latest_checkpoint(mirror)
        report = verify_board(
            mirror_entries(mirror, head.size),
            note,
            mirror_checkpoints(mirror),
            official.board_key,
            held=held_receipts(out_dir / "sent.jsonl"),  # what the machines were given must still hold
        )
    checks = "; ".join(f"{'ok' if passed else 'FAILED'}: {what} ({detail})" for what, passed, detail in report.checks)
    out.print(f"[bold]10. Public verification[/bold] of a mirror of the official board in {mirror}: {checks}")
    for failure in report.failures[:10]:
        out.print(f"  {failure.item}: {failure.problem}", markup=False)
    return report.failed


def _bound(found: Found) -> None:
    result = outcome(found.observers)
    names = dict(found.observers.candidates)
    said = []
    for bound in result.bounds:
        if bound.assumption == ANNOUNCED:
            continue
        decided = bound.decides(result.margin)
        verdict = "cannot say" if decided is None else "decided" if decided else "NOT decided"
        said.append(f"({bound.assumption}) {verdict}")
    out.print(
        f"[bold]11. Outcome bound[/bold] from the witnesses' {result.stations:,} actas alone: "
        f"{names[result.leader]} leads {names[result.runner_up]} by {result.margin:,} votes; whatever the "
        f"other mesas hold: {', '.join(said)}"
    )


def _audit(found: Found, election: Election, paper: dict[str, str], seed: str) -> str:
    """A batch-comparison audit of the official results, the paper counted by hand in each drawn mesa."""
    plan = plan_from_dataset(found.official, RISK_LIMIT)
    counted: dict[str, dict[str, int]] = {}
    bounds = plan.bounds()
    size = sample_size(sum(bounds.values(), Fraction(0)), RISK_LIMIT)
    draws: list[str] = []
    rounds = []
    now = status(plan, draws, counted)
    for _ in range(MAX_ROUNDS):
        draws = list(islice(ppeb(bounds, seed), len(draws) + size))
        for mesa in set(draws) - set(counted):
            counted[mesa] = _hand_count(plan, election, paper[mesa])
        now = status(plan, draws, counted)
        differing = sum(1 for m, t in now.taints if t > 0)
        rounds.append(f"{len(draws):,} draws, {differing:,} with paper that differs: risk {float(now.risk):.4f}")
        if now.decision == STOP or now.decision == FULL_COUNT or now.next_draws is None:
            break
        size = now.next_draws
    out.print(
        f"[bold]12. Risk-limiting audit[/bold] of the official counts against the paper (batch comparison, "
        f"risk limit {RISK_LIMIT:.0%}, seed {seed}): " + "; ".join(rounds) + f". {now.decision.upper()}: {now.reason}"
    )
    return now.decision


def _hand_count(plan: Plan, election: Election, paper: str) -> dict[str, int]:
    """The receipts of a mesa counted by candidate: what the voters chose."""
    contest = election.contests[0]
    counts = dict.fromkeys(plan.candidates, 0)
    acta = parse_payload(paper).acta
    for option, votes in zip(acta.contests[0].options, acta.contests[0].votes, strict=True):
        candidate = next(o.candidate for o in contest.options if o.id == option)
        counts[candidate] += votes
    return counts
