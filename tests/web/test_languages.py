"""The pages in their users' language: every word a person reads is in the catalogs, translated into
Spanish (Venezuela); a Spanish page carries no English left over from the templates; numbers, shares and
times are written as the locale writes them, in the election's time zone; and a switch keeps the choice."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from PIL import Image

from actas.acta.codec import parse_payload
from actas.election import Election
from actas.errors import FormatError, InputError
from actas.i18n import LOCALES, available, language, spoken
from actas.machine.receipt import Receipt
from actas.paper.qr_image import decode_qr_texts
from actas.paper.render import render_acta, render_confirmation, render_receipt
from actas.server.process import RunningServer, start_server
from actas.sim.generator import synthetic, venezuela
from actas.web.assets import STATIC, VENDORED
from actas.web.rendering import TEMPLATES, script_words
from tests.conftest import run_actas
from tests.web.conftest import publish

ROOT = Path(__file__).parents[2]
VECTOR = json.loads((ROOT / "tests" / "vectors" / "acta-v1.json").read_text("utf-8"))
SPANISH = LOCALES / "es_VE" / "LC_MESSAGES" / "actas.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}|</?[a-z]+")
"""What a translation must keep: python-format and script placeholders, and the HTML tags around words."""
ALLOWED_UNTRANSLATED = {"actas", "API", "JSON"}
"""Words a template may show as they are: the project's name and the names of formats."""


def extracted() -> dict[str, str | tuple[str, ...]]:
    """What the sources mark for translation now, as `make catalogs` extracts it (babel.cfg)."""
    method_map = [
        ("actas/**.py", "python"),
        ("actas/web/templates/**.j2", "jinja2"),
        ("actas/web/static/zxing-reader.js", "ignore"),
        ("actas/web/static/noble-ed25519.js", "ignore"),
        ("actas/web/static/**.js", "javascript"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: dict[str, str | tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "src"), method_map, keywords=keywords
    ):
        if message:
            found[message[0] if isinstance(message, tuple) else message] = message
    return found


def test_every_word_the_sources_mark_is_in_the_spanish_catalog_translated_with_its_placeholders() -> None:
    catalog = read_po(SPANISH.open("rb"))
    marked = extracted()
    assert len(marked) > 250
    missing = sorted(key for key in marked if key not in catalog or not catalog[key].string)
    assert not missing, f"not in {SPANISH.relative_to(ROOT)} (run `make catalogs` and translate): {missing[:10]}"
    stale = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and _key(m.id) not in marked)
    assert not stale, f"in the catalog but no longer in the sources: {stale[:10]}"
    assert not [m.id for m in catalog if m.id and m.fuzzy], "fuzzy translations are not shown: review them"
    for message in catalog:
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(sources[-1]))
        assert sorted(PLACEHOLDER.findall(translations[-1])) == expected, (message.id, translations[-1])
        for translated in translations[:-1]:  # the singular may say "one" where the plural says %(n)s
            assert set(PLACEHOLDER.findall(translated)) <= set(expected), (message.id, translated)
    # the catalog the build compiles is the one in the repository, and the template is current
    template = read_po((LOCALES / "actas.pot").open("rb"))
    assert {_key(m.id) for m in template if m.id} == set(marked), "src/actas/locale/actas.pot is stale"


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _visible_text(template: str) -> str:
    """A template's words outside Jinja: the text a page would show untranslated."""
    text = re.sub(r"{%-? trans.*?endtrans -?%}", " ", template, flags=re.S)
    text = re.sub(r"{#.*?#}|{{.*?}}|{%.*?%}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    attributes = " ".join(
        value for value in re.findall(r'\b(?:alt|aria-label|placeholder|title)="([^"]*)"', text) if "{{" not in value
    )
    text = re.sub(r"<[^>]*>", " ", text)
    return f"{text} {attributes}"


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html.j2")))
def test_no_template_shows_a_word_that_is_not_marked_for_translation(template: str) -> None:
    words = set(re.findall(r"[A-Za-zÀ-ÿ]{2,}", html.unescape(_visible_text((TEMPLATES / template).read_text()))))
    assert words <= ALLOWED_UNTRANSLATED, f"{template} shows untranslated: {sorted(words - ALLOWED_UNTRANSLATED)}"


def test_no_script_writes_words_into_a_page_without_the_catalog() -> None:
    for script in (p for p in STATIC.glob("*.js") if p.name not in VENDORED):
        source = script.read_text()
        raw = re.findall(r"""(?:textContent|ariaLabel)\s*=\s*(?:[^;]*?\?\s*)?["'`]([A-Za-z][^"'`]*)""", source)
        assert not raw, f"{script.name} writes untranslated text: {raw[:5]}"
    assert "Live: checked {time}." in script_words() and "Not shown: {why}" in script_words()


def test_numbers_shares_and_times_are_written_as_the_locale_writes_them_in_the_elections_time_zone() -> None:
    spanish, english = language("es_VE", "America/Caracas"), language("en", "America/Caracas")
    assert (spanish.number(68939), english.number(68939)) == ("68.939", "68,939")
    assert (spanish.percent(5123, 10000), english.percent(5123, 10000)) == ("51,23%", "51.23%")
    assert spanish.percent(1, 0) == "–" and spanish.points(3.14159) == "3,14"
    closing = dt.datetime(2024, 7, 29, 4, 5, tzinfo=dt.UTC)  # 00:05 in Caracas (UTC-4)
    assert spanish.time(closing) == "00:05 (hora de Venezuela)"
    assert english.time(closing) == "00:05 (Venezuela Time)"
    assert spanish.moment_of("2024-07-29T04:05:00Z").endswith("00:05 (hora de Venezuela)")
    assert spanish.moment_of("not a time") == "not a time"
    assert spanish.symbols == {"decimal": ",", "group": ".", "percent": "{}%"}
    assert (spanish.tag, spanish.name) == ("es-VE", "Español (Venezuela)")
    assert language("es_AR").code == "es_VE" and language("fr").code == "en"  # the closest catalog
    assert available() == ("en", "es_VE")
    with pytest.raises(InputError, match="unknown language"):
        language("../../etc")
    with pytest.raises(InputError, match="unknown time zone"):
        language("es_VE", "Mars/Olympus")


def test_the_definition_names_its_language_and_time_zone_and_one_that_names_none_keeps_its_fingerprint() -> None:
    ve = venezuela()
    assert (ve.language, ve.time_zone, spoken(ve).code) == ("es_VE", "America/Caracas", "es_VE")
    again = Election.from_json(ve.to_json())
    assert again == ve and again.fingerprint == ve.fingerprint
    plain = ve.to_json()
    del plain["language"], plain["time_zone"]
    unnamed = Election.from_json(plain)
    assert (unnamed.language, spoken(unnamed).code, spoken(unnamed).zone.key) == (None, "en", "UTC")
    assert "language" not in unnamed.to_json() and unnamed.fingerprint != ve.fingerprint
    for field, value in (("language", "Spanish"), ("language", 7), ("time_zone", "Caracas"), ("time_zone", 1)):
        with pytest.raises(FormatError, match=f"\\$.{field}"):
            Election.from_json({**ve.to_json(), field: value})


# --- the pages, served --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spanish_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day of an election that speaks Spanish, in Caracas's time zone, as a user generates and simulates it."""
    root = tmp_path_factory.mktemp("spanish")
    generated = run_actas(
        "election", "generate", "--preset", "synthetic", "--stations", 12, "--seed", 5, "--out", root / "e",
        "--language", "es_VE", "--time-zone", "America/Caracas",
    )  # fmt: skip
    assert generated.code == 0, generated.stderr
    simulated = run_actas("simulate", "--election", root / "e", "--out", root / "d", "--seed", 5, "--workers", 2)
    assert simulated.code == 0, simulated.stderr
    return root


@pytest.fixture(scope="module")
def served(spanish_day: Path) -> Iterator[RunningServer]:
    running = start_server(
        spanish_day / "e", spanish_day / "d" / "registry.note", f"sqlite:///{spanish_day / 'b.sqlite'}",
        spanish_day / "b.key",
    )  # fmt: skip
    payloads = [json.loads(line)["payload"] for line in (spanish_day / "d" / "actas.jsonl").read_text().splitlines()]
    publish(running, payloads)
    yield running
    running.stop()


def _english_left_over(page: str) -> list[str]:
    """English sentences of the templates and scripts found in a page's visible text."""
    catalog = read_po(SPANISH.open("rb"))
    shown = " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", page, flags=re.S))).split()
    )
    found = []
    for message in catalog:
        if not message.id or isinstance(message.id, tuple):
            continue
        english = re.sub(r"<[^>]+>", " ", message.id)
        for part in re.split(r"%\([a-z_]+\)s|\{[a-z_]+\}", english):
            part = " ".join(part.split()).strip(" .,:;()")
            if len(part.split()) >= 3 and part not in " ".join(str(message.string).split()) and part in shown:
                found.append(part)
    return found


def test_a_spanish_election_shows_its_pages_in_spanish_with_a_switch_to_english_that_is_kept(
    served: RunningServer, spanish_day: Path
) -> None:
    records = [json.loads(line) for line in (spanish_day / "d" / "actas.jsonl").read_text().splitlines()]
    station = next(parse_payload(r["payload"]).acta.station for r in records if r["kind"] == "final")
    pages = ["/", f"/mesa/{station}", "/results/nowhere", f"/mesa/{station}x"]
    results = httpx.get(served.url + "/v1/results").json()
    pages.append(f"/results/{results['children'][0]['code']}")
    for path in pages:
        page = httpx.get(served.url + path).text
        assert '<html lang="es-VE">' in page, path
        assert not _english_left_over(page), (path, _english_left_over(page))
    national = httpx.get(served.url + "/").text
    assert "Actas contadas" in national and "aventaja a" in national
    voters = results["voters"]
    assert f'id="voters">{voters:,}'.replace(",", ".") + "<" in national  # 68.939, not 68,939
    mesa = httpx.get(f"{served.url}/mesa/{station}").text
    assert "(hora de Venezuela)" in mesa and "Acta final" in mesa
    # the switch: English asked for once, then kept by a cookie; an unknown language changes nothing
    with httpx.Client(base_url=served.url) as browser:
        switched = browser.get("/?lang=en")
        assert '<html lang="en">' in switched.text and 'href="?lang=es_VE"' in switched.text
        assert len(_english_left_over(switched.text)) > 5  # the check finds English where there is English
        assert "samesite=strict" in switched.headers["set-cookie"].lower()
        assert '<html lang="en">' in browser.get(f"/mesa/{station}").text
        assert '<html lang="en">' in browser.get("/?lang=klingon").text
        assert '<html lang="es-VE">' in browser.get("/?lang=es_VE").text
        assert '<html lang="es-VE">' in browser.get("/").text


def test_the_printed_acta_and_receipt_speak_the_elections_language() -> None:
    ve = synthetic(4, 3, naming="es_VE")
    station = ve.stations[0]
    contest = ve.contests[0]
    receipt = Receipt(station.code, 7, ((contest.id, "null"),), "ab" * 32)
    printed = [t.get_text() for t in render_receipt(receipt, ve).texts]
    assert printed[0] == "COMPROBANTE DE VOTO" and "Comprobante 7" in printed and "Voto nulo" in printed
    assert "Deposite este comprobante en la urna." in printed
    english = [t.get_text() for t in render_receipt(receipt, synthetic(4, 3)).texts]
    assert english[0] == "VOTE RECEIPT" and "Null vote" in english
    signed = parse_payload(VECTOR["final_acta"])
    sheet = [t.get_text() for t in render_acta(signed).texts]  # no definition: English, as the acta says it
    assert sheet[0] == "TALLY SHEET (ACTA) - FINAL RESULTS" and "Voters" in sheet
    as_spoken = Election.from_json({**VECTOR["definition"], "language": "es_VE", "time_zone": "America/Caracas"})
    spanish = [t.get_text() for t in render_acta(signed, as_spoken).texts]
    assert spanish[0] == "ACTA DE ESCRUTINIO - RESULTADOS FINALES" and "Votantes" in spanish
    assert any(text.endswith("(hora de Venezuela)") for text in spanish)  # the opening, in Caracas's time


def test_the_confirmation_slip_carries_the_code_and_nothing_of_a_cast_vote() -> None:
    ve = synthetic(4, 3, naming="es_VE")
    station, contest = ve.stations[0].code, ve.contests[0]
    code = bytes.fromhex("6639a55114a068cd" + "ab" * 24)
    slip = render_confirmation(code, station, ve)
    said = [t.get_text() for t in slip.texts]
    assert said[0] == "CÓDIGO DE CONFIRMACIÓN" and "6639 a551 14a0 68cd" in said
    assert not any(o.name in " ".join(said) for o in contest.options) and "Voto nulo" not in said
    buffer = io.BytesIO()
    slip.savefig(buffer, format="png", dpi=200, facecolor="white")
    assert decode_qr_texts(Image.open(buffer)) == [code.hex()]  # read back from its pixels
    challenged = [t.get_text() for t in render_confirmation(code, station, ve, contest.options[2].id).texts]
    assert "IMPUGNADA: NO SE CUENTA" in challenged and contest.options[2].name in challenged
    english = [t.get_text() for t in render_confirmation(code, station, synthetic(4, 3), "null").texts]
    assert english[0] == "CONFIRMATION CODE" and "Null vote" in english
