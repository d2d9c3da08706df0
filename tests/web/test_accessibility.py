"""axe-core, vendored from the npm registry, and the proof that it finds what it should. It runs on every
page in both languages, at a desktop's width and a phone's, in `test_phone.py`, and finds no violation
of the WCAG 2.1 A and AA rules it checks: contrast, names, labels, landmarks, language."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from actas.server.process import RunningServer
from tests.web.test_browser import browser  # noqa: F401  (fixtures)

AXE = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
"""axe-core 4.14.1 from the npm registry (tests/vendor/axe-core/README.md)."""
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def violations(page: Any) -> list[str]:
    """What axe finds on the page as it is now, one line per rule and element."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async (tags) => (await axe.run(document, { runOnly: { type: 'tag', values: tags } })).violations"
        ".flatMap(v => v.nodes.map(n => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary}`))",
        RULES,
    )
    return list(found)


def test_the_vendored_axe_is_the_published_one() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


def test_axe_finds_a_violation_where_there_is_one(
    browser: Any,  # noqa: F811
    full_board: RunningServer,
) -> None:
    """The check can fail: light grey text on white, and an image without a name, are found."""
    official = full_board
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(official.url + "/")
    page.wait_for_selector("#children tbody tr")
    page.evaluate(
        "document.querySelector('#headline').style.color = '#cccccc';"
        "document.querySelector('main').append(Object.assign(document.createElement('img'), {src: 'data:,'}))"
    )
    found = " ".join(violations(page))
    assert "color-contrast" in found and "image-alt" in found
    context.close()
