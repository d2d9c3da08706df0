"""The pages of `actas forensics` and `actas report`, built from findings and evidence."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from actas.audit.outcome import ANNOUNCED, Outcome, outcome_json
from actas.dataset.reconcile import PAPER_DIFFERS, STATUSES
from actas.forensics.finding import Finding
from actas.pvalues import p_number
from actas.reports.evidence import Evidence, announced_bound
from actas.reports.page import Page, Section, finding_section
from actas.reports.plots import bars


def flagged_line(findings: tuple[Finding, ...] | list[Finding]) -> str:
    flagged = [f.title for f in findings if f.flagged]
    ran = [f for f in findings if f.flagged is not None]
    held = [f.title for f in findings if f.details.get("calibrated") is False]
    unheld = f" Not calibrated for such data, so never flagged: {'; '.join(held)}." if held else ""
    if not flagged:
        return f"None of the {len(ran)} forensic tests that could run is flagged at its stated level.{unheld}"
    return f"{len(flagged)} of {len(ran)} forensic tests are flagged: {'; '.join(flagged)}.{unheld}"


def forensics_page(name: str, source: str, findings: list[Finding], out_dir: Path) -> Page:
    return Page(
        title=f"Forensics: {name}",
        subtitle=f"{len(findings)} statistical tests on per-station results",
        source=source,
        summary=[flagged_line(findings)] + [f.sentence for f in findings if f.flagged],
        sections=[finding_section(f, out_dir) for f in findings],
    )


def outcome_section(report: Outcome, names: dict[str, str]) -> Section:
    lines = [
        f"{names[report.leader]} leads {names[report.runner_up]} by {report.margin:,} votes on the "
        f"{report.stations:,} actas."
    ]
    for bound in report.bounds:
        if bound.assumption == ANNOUNCED:
            continue
        decided = bound.decides(report.margin)
        lines.append(
            f"({bound.assumption}) cannot say: {bound.reason}."
            if decided is None
            else f"({bound.assumption}) if {bound.needs}, the missing mesas hold at most {bound.missing_votes:,} "
            f"votes, so the outcome is {'decided' if decided else 'not decided'}."
        )
    return Section(
        "Does the result stand whatever the missing mesas hold?",
        "outcome",
        lines,
        flagged=None,
        method=(
            "Each bound is the most votes the mesas without an acta can hold under its assumption, all given to "
            "the runner-up; the outcome is decided when the margin is larger (docs/audit.md)."
        ),
    )


def evidence_page(evidence: Evidence, source: str, out_dir: Path) -> Page:
    dataset = evidence.dataset
    names = dict(dataset.candidates)
    valid = sum(evidence.votes.values())
    order = sorted(evidence.votes, key=lambda c: -evidence.votes[c])
    first = evidence.outcomes[0][1]
    chart = bars(
        [names[c] for c in order],
        [100 * evidence.votes[c] / valid for c in order],
        out_dir / "results.png",
        "% of valid",
    )
    coverage = [
        f"{first.stations:,} actas" + (f" of {first.declared_stations:,} mesas" if first.declared_stations else "")
    ]
    if first.registered_covered and first.declared_registered:
        coverage.append(
            f"covering {first.registered_covered:,} of {first.declared_registered:,} registered voters "
            f"({first.registered_covered / first.declared_registered:.1%})"
        )
    sections = [
        Section(
            "Results on the actas",
            "results",
            [
                f"{names[order[0]]} has {evidence.votes[order[0]]:,} votes ({evidence.votes[order[0]] / valid:.1%}), "
                f"{names[order[1]]} {evidence.votes[order[1]]:,} ({evidence.votes[order[1]] / valid:.1%}), "
                f"of {valid:,} valid votes; " + ", ".join(coverage) + "."
            ],
            table=[["candidate", "votes", "%"]]
            + [[names[c], evidence.votes[c], f"{100 * evidence.votes[c] / valid:.2f}"] for c in order],
            figure=chart,
        ),
        outcome_section(first, names),
    ]
    summary = [sections[0].sentences[0]]
    for bulletin, report in evidence.outcomes[1:]:
        assert bulletin is not None
        lines = [f"Under the announced total: {announced_bound(report)}."]
        for check in report.checks:
            verdict = "possible" if check.possible else "impossible"
            lines.append(
                f"{names.get(check.candidate, check.candidate)}: announced {check.announced:,}; the actas give "
                f"{check.collected:,}, so at least {check.at_least:,} even leaving out {report.uncounted_at_most:,} "
                f"mesas: {verdict}."
            )
        impossible = not report.announcement_possible
        if impossible:
            summary.append(f"{bulletin.title} ({bulletin.issued}) cannot be consistent with the actas.")
        sections.append(
            Section(f"{bulletin.title} ({bulletin.issued})", f"announced-{bulletin.issued}", lines, flagged=impossible)
        )
    for bulletin, finding in evidence.bulletins:
        section = finding_section(finding, out_dir)
        section.title = f"Round percentages: {bulletin.title}"
        section.anchor = f"round-{bulletin.issued}"
        sections.append(section)
        if finding.flagged:
            summary.append(f"{bulletin.title}: {finding.sentence}")
    if evidence.reconciliation is not None:
        r = evidence.reconciliation
        counts = {s: r.count(s) for s in (*STATUSES, PAPER_DIFFERS)}
        sections.append(
            Section(
                "Reconciliation with the observers' actas",
                "reconciliation",
                [
                    ", ".join(f"{v:,} {k}" for k, v in counts.items()) + ".",
                    f"Official rows: {r.signatures(official=True).said()}.",
                    f"Observers' rows: {r.signatures(official=False).said()}.",
                ],
                flagged=r.differs,
                table=[["status", "mesas"]] + [[k, v] for k, v in counts.items()],
            )
        )
    for poll in evidence.polls:
        sections.append(
            Section(
                f"The exit poll against {poll.against}",
                f"exit-poll-{len(sections)}",
                list(poll.said(names)),
                flagged=poll.contradicts,
                table=[["", "poll", "official", "z", "p"]]
                + [
                    [
                        f"lead of {names.get(poll.lead.first, poll.lead.first)}",
                        f"{100 * poll.lead.poll:+.1f} pts",
                        f"{100 * poll.lead.official:+.1f} pts",
                        f"{poll.lead.z:+.1f}",
                        p_number(poll.lead.p_value),
                    ]
                ]
                + [
                    [
                        names.get(c.candidate, c.candidate),
                        f"{c.poll:.1%}",
                        f"{c.official:.1%}",
                        f"{c.z:+.1f}",
                        p_number(c.p_value),
                    ]
                    for c in poll.checks
                ],
            )
        )
    sections += [finding_section(f, out_dir) for f in evidence.findings]
    summary.append(flagged_line(evidence.findings))
    return Page(
        title=f"The evidence: {dataset.name}",
        subtitle=f"{len(dataset):,} actas; {len(evidence.outcomes) - 1} announcement(s)",
        source=source,
        summary=summary,
        sections=sections,
    )


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    r = evidence.reconciliation
    return {
        "dataset": evidence.dataset.name,
        "votes": evidence.votes,
        "outcome": outcome_json(evidence.outcomes[0][1]),
        "announcements": [
            {"title": b.title, "issued": b.issued, **outcome_json(o)} for b, o in evidence.outcomes[1:] if b is not None
        ],
        "round_percentages": [{"title": b.title, **f.to_json()} for b, f in evidence.bulletins],
        "reconciliation": None
        if r is None
        else {
            "stations": {s: r.count(s) for s in (*STATUSES, PAPER_DIFFERS)},
            "signatures": {
                "official": asdict(r.signatures(official=True)),
                "observer": asdict(r.signatures(official=False)),
            },
        },
        "exit_poll": [
            {
                "against": p.against,
                "lead": asdict(p.lead),
                "contradicts": p.contradicts,
                "ratio": p.ratio,
                "checks": [asdict(c) for c in p.checks],
            }
            for p in evidence.polls
        ],
        "forensics": [f.to_json() for f in evidence.findings],
    }
