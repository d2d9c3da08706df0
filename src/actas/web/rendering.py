"""The pages' templates and how data goes into them: a Jinja environment per language for the server's
pages, the kiosk's and the published results site, and the words and number forms their scripts use."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.extract import extract_from_file

from actas.i18n import Language, available, language
from actas.web.assets import STATIC, VENDORED, asset_url
from actas.web.words import word

TEMPLATES = Path(__file__).parent / "templates"


def page_json(data: Any) -> str:
    """JSON to embed in a <script type="application/json">: '<' escaped so no text closes the element."""
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")


@cache
def environment(lang: Language) -> jinja2.Environment:
    """The templates speaking `lang`: `_()` and `{% trans %}` from its catalog, and its number forms."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(lang.translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(zip=zip, lang=lang, asset=asset_url)
    env.filters["thousands"] = lambda n: lang.number(n) if isinstance(n, int) else n
    env.filters["percent"] = lang.percent
    env.filters["moment"] = lang.moment_of
    env.filters["clock"] = lang.time_of
    env.filters["page_json"] = page_json
    env.filters["word"] = lambda code: word(lang, code)
    return env


def render_text(template: str, lang: Language, **context: Any) -> str:
    return environment(lang).get_template(template).render(**context)


@cache
def script_words() -> tuple[str, ...]:
    """Every string the pages' scripts show, as they mark it: `_("...")`."""
    found: dict[str, None] = {}
    for path in sorted(p for p in STATIC.glob("*.js") if p.name not in VENDORED):
        for _line, message, _comments, _context in extract_from_file("javascript", path, keywords={"_": None}):
            if isinstance(message, str):
                found[message] = None
    return tuple(found)


@cache
def script_language(lang: Language) -> Mapping[str, Any]:
    """What a page's script needs to speak `lang`: its tag, time zone, number forms and translated words,
    and the other languages a switch offers."""
    return {
        "code": lang.code,
        "tag": lang.tag,
        "zone": lang.zone.key,
        "numbers": dict(lang.symbols),
        "words": {w: lang.gettext(w) for w in script_words() if lang.gettext(w) != w},
    }


def switch(lang: Language) -> list[dict[str, str]]:
    """The languages a page offers beside its own, each named in itself."""
    return [{"code": code, "name": language(code).name} for code in available() if code != lang.code]
