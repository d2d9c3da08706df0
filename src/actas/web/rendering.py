"""The pages' templates and how data goes into them: one Jinja environment for the server's pages, the
kiosk's and the published results site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from actas.tally.view import percent

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
environment.globals["zip"] = zip
environment.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
environment.filters["percent"] = percent


def page_json(data: Any) -> str:
    """JSON to embed in a <script type="application/json">: '<' escaped so no text closes the element."""
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")


environment.filters["page_json"] = page_json


def render_text(template: str, **context: Any) -> str:
    return environment.get_template(template).render(**context)
