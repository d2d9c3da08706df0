"""The Venezuelan case (docs/case-venezuela-2024.md): the opposition's actas against the council's
bulletins and the exit poll, every number computed from the data in ../shared/data/venezuela_2024/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from actas.audit.quick_count import response_ratio
from actas.calibration.published import published
from actas.errors import InputError
from actas.importers.announced_file import load_announced
from actas.importers.csv_import import import_csv
from actas.importers.mapping import load_mapping
from actas.reports.election import outcome_section
from actas.reports.evidence import gather, shares_of
from actas.reports.page import TEMPLATES
from actas.reports.plots import bars, draw

CSV = "RESULTADOS_2024_CSV_V1.csv.gz"
BULLETINS = ("venezuela-2024-cne-1", "venezuela-2024-cne-2")
EDISON = {"EG": 0.65, "NM": 0.31}
IMAGES = Path("images") / "case-venezuela-2024"


def write_case(data_dir: Path, out_file: Path) -> Path:
    path = data_dir / CSV
    if not path.is_file():
        raise InputError(f"{path} not found: --data must be the venezuela_2024 folder of the shared data")
    dataset, _ = import_csv(path, load_mapping("venezuela-2024-v1"))
    bulletins = [load_announced(b) for b in BULLETINS]
    evidence = gather(dataset, bulletins)
    images = out_file.parent / IMAGES
    images.mkdir(parents=True, exist_ok=True)
    names = dict(dataset.candidates)
    votes = evidence.votes
    valid = sum(votes.values())
    order = sorted(votes, key=lambda c: -votes[c])
    bars([names[c] for c in order], [100 * votes[c] / valid for c in order], images / "results.png", "% of valid")
    for finding in evidence.findings:
        draw(finding, images)
    first = evidence.outcomes[0][1]
    outcome = outcome_section(first, names)
    calibration = published()
    context: dict[str, Any] = {
        "source": f"`{CSV}` ({dataset.sources[0]})",
        "ds": {
            "stations": f"{first.stations:,}",
            "declared_stations": f"{first.declared_stations:,}",
            "station_share": f"{first.stations / (first.declared_stations or 1):.1%}",
            "registered": f"{first.registered_covered or 0:,}",
            "declared_registered": f"{first.declared_registered or 0:,}",
            "registered_share": f"{(first.registered_covered or 0) / (first.declared_registered or 1):.1%}",
            "table": [[names[c], f"{votes[c]:,}", f"{100 * votes[c] / valid:.2f}"] for c in order],
        },
        "outcome": {
            "leader": names[first.leader],
            "runner_up": names[first.runner_up],
            "margin": f"{first.margin:,}",
            "bounds": outcome.sentences[1:],
        },
        "bulletins": [],
        "findings": [
            {
                "title": f.title,
                "flagged": f.flagged,
                "sentence": f.sentence,
                "calibrated": f.details.get("calibrated") is not False,
            }
            for f in evidence.findings
        ],
        "calibration": {
            "elections": len(calibration.elections),
            "smallest": f"{min(e.stations for e in calibration.elections):,}",
            "largest": f"{calibration.largest:,}",
            "within": first.stations <= calibration.largest,
            "nominal": [f.title for f in evidence.findings if not calibration.raised(f.test)],
            "raised": [f.title for f in evidence.findings if calibration.raised(f.test)],
        },
    }
    for (bulletin, report), (_, finding) in zip(evidence.outcomes[1:], evidence.bulletins, strict=True):
        assert bulletin is not None
        checks = [
            f"{names.get(c.candidate, 'The others together')}: announced {c.announced:,}; the actas alone give "
            f"{c.collected:,}, so at least {c.at_least:,} even if the {report.uncounted_at_most:,} mesas the bulletin "
            f"could leave out were their best: **{'possible' if c.possible else 'impossible'}**."
            for c in report.checks
        ]
        context["bulletins"].append(
            {"title": bulletin.title, "issued": bulletin.issued, "checks": checks, "round": finding.sentence}
        )
    lines = []
    for label, official in [("the opposition's actas", shares_of(votes))] + [
        (b.title, shares_of(dict(b.votes))) for b in bulletins
    ]:
        ratio = response_ratio(EDISON, official, "EG", "NM")
        lines.append(
            f"against {label} (González {official['EG']:.1%}, Maduro {official['NM']:.1%}): González's voters would "
            f"have had to answer {ratio:.2f} times as often as Maduro's."
        )
    context["poll"] = {"text": "González 65%, Maduro 31%", "lines": lines}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False, keep_trailing_newline=True)
    out_file.write_text(env.get_template("case-venezuela-2024.md.j2").render(**context), encoding="utf-8")
    return out_file
