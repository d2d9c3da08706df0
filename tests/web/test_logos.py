"""Party logos on the kiosk's cards: image files beside the definition, named by each ballot option,
read with a size limit and a type their bytes show, never from outside the definition's directory."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from actas.election import Election
from actas.errors import FormatError, InputError, TooLargeError
from actas.files import MAX_LOGO_BYTES, load_election, load_logos
from actas.sim.generator import synthetic
from tests.conftest import run_actas
from tests.web.conftest import Day, RunningKiosk, start_kiosk


def png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, format="PNG")
    return buffer.getvalue()


def with_logos(directory: Path, logos: dict[str, str]) -> Path:
    """The synthetic definition, its first cards given the logos named, written into `directory`."""
    definition = synthetic(4, 2).to_json()
    for option in definition["contests"][0]["options"]:
        if option["id"] in logos:
            option["logo"] = logos[option["id"]]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "election.json").write_text(json.dumps(definition))
    return directory


def test_a_definition_names_each_cards_logo_by_a_path_beside_it() -> None:
    definition = synthetic(4, 2).to_json()
    option = definition["contests"][0]["options"][0]
    assert "logo" not in option  # a definition without logos is as it was, fingerprint and all
    option["logo"] = "logos/azul.png"
    assert Election.from_json(definition).contests[0].options[0].logo == "logos/azul.png"
    for bad in ("../azul.png", "/etc/azul.png", "logos/../../azul.png", "azul.exe", ".hidden.png", 7):
        option["logo"] = bad
        with pytest.raises(FormatError, match=r"options\[0\]\.logo"):
            Election.from_json(definition)


def test_logos_are_read_with_a_limit_and_a_type_their_bytes_show(tmp_path: Path) -> None:
    directory = with_logos(tmp_path / "e", {"AZUL": "logos/azul.png", "BRISA": "logos/brisa.svg"})
    (directory / "logos").mkdir()
    (directory / "logos" / "azul.png").write_bytes(png("#3399ee"))
    (directory / "logos" / "brisa.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>')
    logos = load_logos(load_election(directory), directory)
    assert {k: v[1] for k, v in logos.items()} == {"AZUL": "image/png", "BRISA": "image/svg+xml"}
    (directory / "logos" / "azul.png").write_bytes(b"MZ\x90\x00 not an image")
    with pytest.raises(FormatError, match="not a PNG"):
        load_logos(load_election(directory), directory)
    (directory / "logos" / "azul.png").write_bytes(png("#3399ee") + bytes(MAX_LOGO_BYTES))
    with pytest.raises(TooLargeError):
        load_logos(load_election(directory), directory)
    (directory / "logos" / "azul.png").unlink()
    (directory / "logos" / "azul.png").symlink_to(tmp_path / "elsewhere.png")  # a link out of the directory
    (tmp_path / "elsewhere.png").write_bytes(png("#000000"))
    with pytest.raises(InputError, match="not beside the definition"):
        load_logos(load_election(directory), directory)


@pytest.fixture
def logo_kiosk(tmp_path: Path) -> Iterator[RunningKiosk]:
    """A kiosk of an election whose first card has a logo: the definition, its machines' keys and its
    registry made as a user makes them."""
    root = tmp_path / "day"
    directory = with_logos(root / "e", {"AZUL": "logos/azul.png"})
    (directory / "logos").mkdir()
    (directory / "logos" / "azul.png").write_bytes(png("#3399ee"))
    simulated = run_actas("simulate", "--election", directory, "--out", root / "d", "--seed", 2, "--workers", 1)
    assert simulated.code == 0, simulated.stderr
    day = Day(root, directory, root / "d" / "registry.note", root / "none", {})
    station = load_election(directory).stations[0].code
    kiosk = start_kiosk(day, station, tmp_path / "vm", None)
    yield kiosk
    kiosk.stop()


def test_the_kiosk_shows_each_cards_logo(logo_kiosk: RunningKiosk) -> None:
    page = httpx.get(logo_kiosk.url + "/").text
    cards = json.loads(page.split('<script id="initial" type="application/json">')[1].split("</script>")[0])
    options = {o["id"]: o for o in cards["contests"][0]["options"]}
    assert options["AZUL"]["logo"] == "/logo/AZUL" and "logo" not in options["BRISA"]
    served = httpx.get(logo_kiosk.url + "/logo/AZUL")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (64, 64)
    assert httpx.get(logo_kiosk.url + "/logo/BRISA").status_code == 404
    assert httpx.get(logo_kiosk.url + "/logo/..%2Felection.json").status_code == 404
