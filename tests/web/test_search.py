"""Finding a place or a mesa: by name or code at any level, accents and case ignored, on the server's
search page without a script and in the search box as one types, from the same index."""

from __future__ import annotations

import gzip
import html
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.election import Election
from actas.errors import FormatError
from actas.files import load_election
from actas.server.process import RunningServer, start_server
from actas.server.voters import VoterTable, voter_key
from actas.sim.generator import venezuela
from actas.web.search import SearchIndex, folded
from tests.web.conftest import Day
from tests.web.test_browser import browser, page  # noqa: F401  (fixtures)


def test_places_are_found_by_name_or_code_whatever_the_accents_and_case() -> None:
    ve = venezuela()
    index = SearchIndex(ve)
    assert folded("  Bolívar   MÉRIDA ") == "bolivar merida"
    state = next(u for u in ve.units if u.name == "Táchira")
    for query in ("tachira", "TÁCHIRA", "Tachi", state.code):
        assert index.find(query)[0].code == state.code, query  # those that start with it come first
    municipality = index.find("municipio 01 (bolivar")[0]
    assert municipality.kind == "unit" and municipality.within == "Bolívar"
    mesa = ve.stations[123]
    found = index.find(mesa.code)
    assert any(h.kind == "mesa" and h.code == mesa.code for h in found)
    assert index.find("") == [] and index.find("   ") == [] and index.find("zzz-no-such-place") == []
    assert len(index.find("a")) == 12  # a page of answers, never the whole election


@settings(deadline=None, max_examples=60)  # no timing: these machines are shared
@given(st.text(max_size=300))
def test_any_query_answers_at_most_a_page_of_places_that_hold_it(query: str) -> None:
    index = SEARCH
    found = index.find(query)
    assert len(found) <= 12
    wanted = folded(query[:100])
    for hit in found:
        assert wanted in folded(hit.name) or wanted in folded(hit.code)


SEARCH = SearchIndex(venezuela())


def test_the_search_box_index_names_every_unit_and_mesa_and_is_small() -> None:
    ve = venezuela()
    data = SEARCH.to_json()
    units = data["units"]
    assert len(units) == len(ve.units) and len(data["mesas"]) == len(ve.stations) == 30026
    for (short, unit), station in zip(data["mesas"], ve.stations, strict=True):
        code = units[unit][0] + short[1:] if short.startswith("+") else short
        assert code == station.code and units[unit][0] == station.unit
    sent = gzip.compress(json.dumps(data, separators=(",", ":")).encode())
    assert len(sent) < 200_000  # 30,026 mesas and every place of Venezuela, as a phone downloads it


def test_the_search_page_answers_without_a_script_and_escapes_what_it_is_given(
    full_board: RunningServer, web_day: Day
) -> None:
    election = load_election(web_day.election)
    region = next(u for u in election.units if u.parent is None)
    answer = httpx.get(full_board.url + "/search", params={"q": region.name.upper()})
    assert answer.status_code == 200 and f'href="/results/{region.code}"' in answer.text
    station = election.stations[0]
    assert f'href="/mesa/{station.code}"' in httpx.get(full_board.url + "/search", params={"q": station.code}).text
    hostile = "<script>alert(1)</script>" + "x" * 5000
    page_text = httpx.get(full_board.url + "/search", params={"q": hostile}).text
    assert "<script>alert" not in page_text and html.escape(hostile[:100]) in page_text
    assert "0 places or mesas found" in page_text
    index = httpx.get(full_board.url + "/v1/search-index.json")
    assert index.json() == SearchIndex(election).to_json()
    again = httpx.get(full_board.url + "/v1/search-index.json", headers={"if-none-match": index.headers["etag"]})
    assert again.status_code == 304


def test_the_search_box_finds_as_one_types(
    page: Any,  # noqa: F811
    full_board: RunningServer,
    web_day: Day,
) -> None:
    election = load_election(web_day.election)
    district = next(u for u in election.units if u.level == "district")
    page.goto(full_board.url + "/")
    page.fill("#q", folded(district.name).upper())  # typed without accents, in capitals
    page.wait_for_selector("#search-results a")
    first = page.locator("#search-results a").first
    assert first.inner_text() == district.name
    first.click()
    page.wait_for_selector(f"#unit-name:text-is('{district.name}')")
    assert page.url.endswith(f"/results/{district.code}")
    page.fill("#q", "no such place anywhere")
    page.wait_for_selector("#search-results li:text-matches('no such place')")


def test_the_published_site_carries_its_search_index(tmp_path: Path, web_day: Day) -> None:
    from actas.signed_note import Signer
    from actas.web.site import SEARCH_INDEX, site_pages

    election = load_election(web_day.election)
    pages = site_pages(election, "actas/test/official", Signer.generate("test").verifier, None)
    assert json.loads(pages[SEARCH_INDEX]) == SearchIndex(election).to_json()
    assert {"index.html", "en.html", "es_VE.html"} <= set(pages)


def voters_csv(path: Path, election: Election, extra: str = "") -> dict[str, str]:
    """A voters' table of the election, as an authority publishes one: a few ids per station."""
    ids = {f"V-{10_000_000 + 7 * i:,}".replace(",", "."): s.code for i, s in enumerate(election.stations * 3)}
    path.write_text("national_id,station,name\n" + "".join(f"{k},{v},X\n" for k, v in ids.items()) + extra)
    return ids


def test_a_voters_table_is_indexed_once_and_found_by_any_writing_of_an_id(tmp_path: Path, web_day: Day) -> None:
    election = load_election(web_day.election)
    table_file = tmp_path / "voters.csv"
    ids = voters_csv(table_file, election)
    index = tmp_path / "voters.sqlite"
    table = VoterTable.load(table_file, election, index)
    assert len(table) == len(ids)
    written, station = next(iter(ids.items()))
    assert voter_key(written) == written.replace("-", "").replace(".", "")
    for asked in (written, written.lower(), written.replace(".", ""), " " + written.replace("-", " ") + " "):
        assert table.station_of(asked) == station, asked
    assert table.station_of("V-1") is None and table.station_of("<script>") is None and table.station_of("") is None
    built = index.stat().st_mtime_ns
    assert VoterTable.load(table_file, election, index).station_of(written) == station
    assert index.stat().st_mtime_ns == built  # the same file: the index is kept
    station_of_last = election.stations[-1].code
    table_file.write_text(f"national_id,station\n{written},{station_of_last}\n")
    assert VoterTable.load(table_file, election, index).station_of(written) == station_of_last  # changed: rebuilt


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ("V-1,NOWHERE\n", "no station 'NOWHERE'"),
        ("<b>,{station}\n", "is not an id"),
        ("V-10.000.000,{station}\n", "appears twice"),
        ("V-2\n", "has 1 columns"),
        ("V-3," + "x" * 5000 + "\n", "longer than 1,000 bytes"),
    ],
)
def test_a_bad_voters_table_is_refused_naming_its_row_and_the_index_in_use_is_kept(
    tmp_path: Path, web_day: Day, extra: str, said: str
) -> None:
    election = load_election(web_day.election)
    good = tmp_path / "good.csv"
    ids = voters_csv(good, election)
    index = tmp_path / "voters.sqlite"
    VoterTable.load(good, election, index)
    bad = tmp_path / "bad.csv"
    voters_csv(bad, election, extra.format(station=election.stations[0].code))
    with pytest.raises(FormatError, match=said):
        VoterTable.load(bad, election, index)
    written, station = next(iter(ids.items()))
    assert VoterTable(index).station_of(written) == station  # nothing changed
    assert not list(tmp_path.glob("*.building"))
    no_header = tmp_path / "plain.csv"
    no_header.write_text("V-1,X\n")
    with pytest.raises(FormatError, match="national_id and station"):
        VoterTable.load(no_header, election, tmp_path / "other.sqlite")


def test_the_server_finds_a_voters_mesa_by_national_id(tmp_path: Path, web_day: Day) -> None:
    election = load_election(web_day.election)
    table_file = tmp_path / "voters.csv"
    ids = voters_csv(table_file, election)
    written, station = list(ids.items())[5]
    with start_server(
        web_day.election, web_day.registry, f"sqlite:///{tmp_path / 'b.sqlite'}", tmp_path / "b.key",
        options=["--voters", str(table_file)],
    ) as server:  # fmt: skip
        answer = httpx.get(f"{server.url}/v1/voters/{written.replace('-', '')}")
        assert answer.status_code == 200 and answer.json()["station"] == station
        assert answer.json()["trail"][-1]["code"] == election.station_by_code[station].unit
        assert httpx.get(f"{server.url}/v1/voters/V-99").status_code == 404
        page = httpx.get(f"{server.url}/search", params={"q": written}).text
        assert "votes at" in page and f'href="/mesa/{station}"' in page
        assert 'data-voters="' in httpx.get(server.url + "/").text
    assert (tmp_path / "voters.sqlite").is_file()  # beside the board's key


def test_a_board_without_the_voters_table_answers_no_voter(full_board: RunningServer) -> None:
    assert httpx.get(f"{full_board.url}/v1/voters/V-12345678").status_code == 404
    assert 'data-voters="' not in httpx.get(full_board.url + "/").text
