"""What a page costs on a slow connection, and what it lets one take away: text answers gzipped, static
files under hashed names kept for a year, and every unit's data as CSV beside its JSON."""

from __future__ import annotations

import csv
import gzip
import io
import re

import httpx

from actas.files import load_election
from actas.server.process import RunningServer
from actas.web.assets import IMMUTABLE, assets
from tests.web.conftest import Day


def raw(url: str, **headers: str) -> tuple[httpx.Headers, bytes, int]:
    """The answer as sent, not decoded: httpx would otherwise undo the gzip."""
    with httpx.Client() as client, client.stream("GET", url, headers=headers) as response:
        return response.headers, b"".join(response.iter_raw()), response.status_code


def test_text_answers_are_gzipped_for_a_browser_that_accepts_it(full_board: RunningServer) -> None:
    for path in ("/", "/v1/results", "/v1/export/mesas.csv", "/v1/search-index.json", "/static/results.js"):
        plain_headers, plain, _ = raw(full_board.url + path, **{"accept-encoding": "identity"})
        packed_headers, packed, _ = raw(full_board.url + path, **{"accept-encoding": "gzip, br"})
        assert "content-encoding" not in plain_headers, path
        assert packed_headers.get("content-encoding") == "gzip", path
        assert "accept-encoding" in packed_headers["vary"].lower()
        assert gzip.decompress(packed) == plain, path
        assert len(packed) < len(plain) / 2, (path, len(packed), len(plain))
    size = int(httpx.get(full_board.url + "/checkpoint").text.splitlines()[1])
    assert size < 256  # a partial tile: tlog-tiles names it by its width
    tile_headers, _, status = raw(full_board.url + f"/tile/0/000.p/{size}", **{"accept-encoding": "gzip"})
    assert status == 200 and "content-encoding" not in tile_headers  # hashes do not compress


def test_static_files_load_under_hashed_names_kept_for_a_year(full_board: RunningServer) -> None:
    page = httpx.get(full_board.url + "/").text
    loaded = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    named = {a.name for a in assets().values() if f"/static/{a.hashed}" in loaded}
    assert {"results.js", "actas.css", "words.js", "search.js"} <= named
    for path in loaded:
        assert re.fullmatch(r"/static/[a-z_]+\.[0-9a-f]{12}\.(js|css)", path), path
        answer = httpx.get(full_board.url + path)
        assert answer.status_code == 200 and answer.headers["cache-control"] == IMMUTABLE
        name = path.split("/")[-1]
        plain = next(a for a in assets().values() if a.hashed == name)
        assert answer.content == plain.body  # the name is the content's: a change is a new name
        again = httpx.get(full_board.url + path, headers={"if-none-match": answer.headers["etag"]})
        assert again.status_code == 304
    unhashed = httpx.get(full_board.url + "/static/results.js")
    assert unhashed.status_code == 200 and unhashed.headers["cache-control"] == "no-cache"
    for hostile in ("/static/..%2Fpages.py", "/static/results.000000000000.js", "/static/" + "a" * 5000):
        assert httpx.get(full_board.url + hostile).status_code == 404, hostile


def test_each_unit_downloads_as_csv_with_the_numbers_of_its_page(full_board: RunningServer, web_day: Day) -> None:
    election = load_election(web_day.election)
    page = httpx.get(full_board.url + "/").text
    for link in ("/v1/results.csv?code=", "/v1/export/mesas.csv", "/v1/export/nist.json", "/v1/board/entries.jsonl"):
        assert f'href="{link}' in page, link
    nation = httpx.get(full_board.url + "/v1/results").json()
    answer = httpx.get(full_board.url + "/v1/results.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["code"] for r in rows] == [c["code"] for c in nation["children"]]
    candidates = [c["id"] for c in nation["contests"][0]["candidates"]]
    for row, child in zip(rows, nation["children"], strict=True):
        assert int(row["voters"]) == child["voters"] and int(row["reported"]) == child["reported"]
        assert [int(row[k]) for k in candidates] == [child["contests"][0]["candidates"][k] for k in candidates]
    centre = election.stations[0].unit
    mesas = list(csv.DictReader(io.StringIO(httpx.get(full_board.url + f"/v1/results.csv?code={centre}").text)))
    view = httpx.get(full_board.url + f"/v1/results?code={centre}").json()
    assert [m["code"] for m in mesas] == [s["code"] for s in view["station_list"]]
    assert [int(m["voters"]) for m in mesas] == [s["voters"] for s in view["station_list"]]
    assert httpx.get(full_board.url + "/v1/results.csv?code=nowhere").status_code == 404
