"""A report page: sections of sentences, tables and figures, written as one self-contained HTML file (the
figures inlined) beside the figures as PNG files, and as JSON."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from actas import __version__
from actas.forensics.finding import Driver, Finding
from actas.reports.plots import draw

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Section:
    title: str
    anchor: str
    sentences: list[str]
    flagged: bool | None = None
    table: list[list[Any]] = field(default_factory=list)
    figure: Path | None = None
    method: str = ""
    reference: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)
    drivers: Sequence[Driver] = ()
    tag: str = ""
    """A word beside the title where there is no verdict, e.g. "not calibrated"."""


@dataclass
class Page:
    title: str
    subtitle: str
    source: str
    summary: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4g}"
    return f"{value:,.0f}"


def finding_section(finding: Finding, figures_dir: Path) -> Section:
    uncalibrated = finding.details.get("calibrated") is False
    figures = [
        ("statistic", finding.statistic),
        ("value", _number(finding.value)),
        ("expected under the null", _number(finding.expected)),
        ("p-value", "—" if finding.p_value is None or uncalibrated else f"{finding.p_value:.3g}"),
        ("95% interval", "—" if finding.interval is None else " to ".join(_number(v) for v in finding.interval)),
        ("stations used", f"{finding.stations:,}"),
        ("left out", f"{finding.excluded:,}"),
    ]
    return Section(
        title=finding.title,
        anchor=finding.test,
        sentences=[finding.sentence],
        flagged=finding.flagged,
        figure=draw(finding, figures_dir),
        method=finding.method,
        reference=finding.reference,
        figures=figures,
        drivers=finding.drivers[:10],
        tag="not calibrated for such data: no verdict" if uncalibrated else "",
    )


def write_page(page: Page, out_dir: Path, data: dict[str, Any]) -> Path:
    """DIR/index.html (self-contained) and DIR/report.json; the PNG figures are already in DIR."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html", "j2"])
    )
    sections = [
        {**s.__dict__, "image": base64.b64encode(s.figure.read_bytes()).decode() if s.figure else None}
        for s in page.sections
    ]
    html = env.get_template("report.html.j2").render(
        page={**page.__dict__, "sections": sections, "version": __version__}
    )
    index = out_dir / "index.html"
    index.write_text(html, encoding="utf-8")
    (out_dir / "report.json").write_text(json.dumps(clean(data), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return index


def clean(value: Any) -> Any:
    """JSON-ready: NaN becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value
