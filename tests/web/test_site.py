"""The published results site in a real Chromium, served by a plain static web server: an official board
with three cosigners publishes its tiles, every unit's results and the site's page (`actas serve
--publish`); the page checks the cosigned checkpoint in the browser and the consistency proof from the
checkpoint the results were counted at, shows the figures only then, and refuses, saying why, every
tampered variant of what was published."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from actas.board.outcome import Entered
from actas.e2e.mesa import RECORD_FORMAT, MesaRecord, record_codes
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.merkle import MerkleTree, verify_consistency
from actas.publish import part_path, publish_ballots, publish_board, publish_site
from actas.server.process import start_server
from actas.server.publishing import Publisher
from actas.signed_note import SignedNote, Signer
from actas.web.site import site_assets, site_pages
from tests.ballots.test_board_ballots import ORIGIN as BALLOT_ORIGIN
from tests.ballots.test_board_ballots import Day as BallotDay
from tests.ballots.test_board_ballots import counted, day, open_board, parts  # noqa: F401  (fixtures)
from tests.ballots.test_board_ballots import publish as publish_record
from tests.conftest import running_cosigners, wait_for
from tests.web.conftest import Day, publish
from tests.web.test_accessibility import violations
from tests.web.test_browser import browser, page, shot  # noqa: F401  (fixtures)


@pytest.fixture
def static_host(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain static web server (Python's) over a directory: no actas code on the read path."""
    root = tmp_path / "host"
    root.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    port = process.stdout.readline().split(" port ")[1].split()[0]
    yield f"http://127.0.0.1:{port}", root
    process.terminate()
    process.wait(timeout=30)


def latest(directory: Path) -> dict[str, Any] | None:
    pointer = directory / "results" / "latest.json"
    return json.loads(pointer.read_text()) if pointer.exists() else None


def pointer_nation(directory: Path) -> Any:
    """The nation's results the latest pointer names."""
    pointer = latest(directory)
    assert pointer is not None
    return json.loads((directory / pointer["nation"]).read_text())


def note_size(note: str) -> int:
    return Checkpoint.from_text(SignedNote.from_text(note).text).size


def variant(live: Path, name: str, change: Callable[[Path], None]) -> str:
    """A copy of the published site with one thing changed; its path on the host."""
    copy = live.with_name(name)
    shutil.copytree(live, copy)
    change(copy)
    return name


def rewrite_pointer(site: Path, **fields: Any) -> None:
    pointer = json.loads((site / "results" / "latest.json").read_text())
    (site / "results" / "latest.json").write_text(json.dumps({**pointer, **fields}))


def test_the_published_site_checks_the_cosigned_checkpoint_and_refuses_what_was_tampered_with(
    page: Any,  # noqa: F811
    web_day: Day,
    tmp_path: Path,
    static_host: tuple[str, Path],
) -> None:
    url, host = static_host
    live = host / "live"
    payloads = web_day.payloads()
    with running_cosigners(web_day.root, tmp_path) as cosigners:
        server = start_server(
            web_day.election, web_day.registry, f"sqlite:///{tmp_path / 'board.sqlite'}", cosigners.board_key,
            options=["--cosigners", str(cosigners.policy_file), "--cosign-timeout", "5",
                "--publish", str(live), "--results-every", "1"],
        )  # fmt: skip
        with server:
            publish(server, payloads[: len(payloads) // 2])
            first = note_size(httpx.get(f"{server.url}/v1/board/checkpoint", timeout=30).text)
            assert wait_for(lambda: (latest(live) or {}).get("size") == first)
            earlier = latest(live)
            publish(server, payloads[len(payloads) // 2 :])
            last = note_size(httpx.get(f"{server.url}/v1/board/checkpoint", timeout=30).text)
            assert wait_for(lambda: (latest(live) or {}).get("size") == last)
            proof = httpx.get(f"{server.url}/v1/board/proof/consistency", params={"from": first, "to": last}).json()
    assert earlier is not None and first < last and (live / "index.html").exists()
    pointer = latest(live)
    assert pointer is not None and note_size(pointer["checkpoint"]) == last and pointer["consistency"] == []

    page.goto(f"{url}/live/")  # the servers are gone: only the static host answers
    page.wait_for_selector("#verdict[data-state='checked']")
    verdict = page.inner_text("#verdict")
    assert f"checkpoint of {last:,} entries" in verdict and "cosigner0.test, cosigner1.test, cosigner2.test" in verdict
    assert page.inner_text("#reported").startswith("24 of 24") and page.is_visible("#figures")
    # the map, drawn from the definition's shapes, is filled once the figures are checked, never before
    assert 'fill="#c3cad1"' in (live / "index.html").read_text()
    leader = max(pointer_nation(live)["children"][0]["contests"][0]["candidates"].items(), key=lambda kv: kv[1])[0]
    colors = page.evaluate("JSON.parse(document.getElementById('initial').textContent).colors")
    assert page.get_attribute("#choropleth path", "fill") == colors[leader]
    region = page.locator("#children tbody a").first
    name = region.inner_text()
    region.click()
    page.wait_for_selector(f"#unit-name:text-is('{name}')")
    page.wait_for_selector("#verdict[data-state='checked']")
    assert "?unit=" in page.url and page.inner_text("#trail").startswith(
        json.loads(web_day.election.joinpath("election.json").read_text())["name"]
    )

    # The set counted at the earlier checkpoint, under the latest note: the proof that the latest extends it.
    hashes = [base64.b64encode(bytes.fromhex(h)).decode() for h in proof["proof"]]
    nation = json.loads((live / earlier["nation"]).read_text())
    checkpoint = Checkpoint.from_text(SignedNote.from_text(pointer["checkpoint"]).text)
    verify_consistency(
        first,
        last,
        [bytes.fromhex(h) for h in proof["proof"]],
        base64.b64decode(nation["checkpoint"]["root"]),
        checkpoint.root,
    )
    older = {**earlier, "checkpoint": pointer["checkpoint"], "consistency": hashes}
    path = variant(live, "older", lambda site: rewrite_pointer(site, **older))
    page.goto(f"{url}/{path}/")
    page.wait_for_selector("#verdict[data-state='checked']")
    assert f"{first:,} entries, which its checkpoint of {last:,} entries extends" in page.inner_text("#verdict")
    assert page.inner_text("#reported").startswith(f"{nation['stations']['reported']} of 24")

    note = pointer["checkpoint"]
    body, signatures = note.split("\n\n")
    lines = signatures.splitlines()
    tampered = {
        "short": (  # two of the three cosignatures dropped
            lambda site: rewrite_pointer(site, checkpoint=body + "\n\n" + "\n".join(lines[:2]) + "\n"),
            "has 1 valid cosignatures where 2 are required",
        ),
        "forged": (  # the checkpoint's size changed under its signatures
            lambda site: rewrite_pointer(site, checkpoint=note.replace(f"\n{last}\n", f"\n{last + 1}\n", 1)),
            "the board's signature",
        ),
        "bad-proof": (
            lambda site: rewrite_pointer(
                site, **{**older, "consistency": [*hashes[:-1], base64.b64encode(bytes(32)).decode()]}
            ),
            "the consistency proof fails",
        ),
        "other-root": (  # results claimed for another tree of the same size
            lambda site: (site / pointer["nation"]).write_text(
                (site / pointer["nation"])
                .read_text()
                .replace(checkpoint_root(pointer), base64.b64encode(bytes(32)).decode())
            ),
            "the consistency proof fails",
        ),
        "other-board": (
            lambda site: rewrite_pointer(
                site, checkpoint=note.replace(body.split("\n")[0], "actas/another/official", 1)
            ),
            "the board's signature",
        ),
    }
    for name, (change, problem) in tampered.items():
        page.goto(f"{url}/{variant(live, name, change)}/")
        page.wait_for_selector("#verdict[data-state='failed']")
        assert problem in page.inner_text("#verdict"), (name, page.inner_text("#verdict"))
        assert not page.is_visible("#figures"), name


def checkpoint_root(pointer: dict[str, Any]) -> str:
    return base64.b64encode(Checkpoint.from_text(SignedNote.from_text(pointer["checkpoint"]).text).root).decode()


def synthetic_board(directory: Path, entries: list[bytes], signer: Signer) -> None:
    """A board of these entries published as tiles under a checkpoint the signer signs, with no server."""
    tree = MerkleTree()
    for entry in entries:
        tree.append(entry)
    note = signer.sign(Checkpoint(BALLOT_ORIGIN, tree.size, tree.root()).to_text()).to_text()
    publish_board(directory, tree, tree.size, note, lambda a, b: entries[a:b], signer.verifier)


def test_a_voter_finds_their_ballot_on_the_published_site_proved_from_the_tiles(
    page: Any,  # noqa: F811
    day: BallotDay,  # noqa: F811
    parts: None,  # noqa: F811
    tmp_path: Path,
    static_host: tuple[str, Path],
) -> None:
    """A board with three mesas' encrypted ballots publishes its site (`serve --publish`); the servers gone,
    a voter's phone finds a cast ballot and a challenged one by 16 digits of their codes, each proved in the
    browser from the tiles to the signed checkpoint. A part changed, an index pointing at another entry, a
    code that is not on the board and one that is not a code are each refused, saying why. Then a board of
    70,001 entries (three levels of tiles) proves entries at every edge of its tiles."""
    url, host = static_host
    live = host / "live"
    board = open_board(f"sqlite:///{tmp_path / 'b.sqlite'}", day)
    for i, station in enumerate(day.stations):
        assert isinstance(board.submit(station.zero.encode()), Entered)
        assert isinstance(board.submit(station.final.encode()), Entered)
        assert isinstance(publish_record(board, day.record(i)), Entered)
    for shares in day.shares((1, 2), (0, 1, 2)).values():  # a quorum of trustees decrypts every mesa
        board.publish_shares(shares)
    counted(board)
    publisher = Publisher(board, live, 1)
    publisher.publish_site()
    assert publisher.publish() is not None and publisher.publish_results() == board.tree.size
    size = board.tree.size
    board.db.dispose()
    record = MesaRecord.from_lines(day.record(0).decode().splitlines(keepends=True))
    challenged = next(b for b in record.ballots if b.spoiled is not None)
    cast = next(b for b in record.ballots if b.spoiled is None)
    station = day.stations[0].station
    page.set_viewport_size({"width": 360, "height": 800})

    def look(site: str, code: str, state: str, language: str = "") -> str:
        page.goto(f"{url}/{site}/{language}?ballot={code}")
        page.wait_for_selector(f"#ballot-verdict[data-state='{state}']")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # fits a phone
        return page.inner_text("#ballot-view")

    shown = look("live", " ".join(textwrap.wrap(cast.code.hex()[:16].upper(), 4)), "checked")
    assert (
        f"{day.election.station_label} {station}:" in shown
        and "You cast this ballot" in shown
        and page.is_hidden("#results-view")
    )
    assert f"checkpoint of {size:,} entries includes it" in shown
    assert cast.code.hex()[:8] in page.inner_text("#ballot-full-code").replace(" ", "")
    shot(page, "phone-site-ballot-en")
    page.click("#ballot-place a")  # the results of its place, where each mesa's ballots are set against its acta
    page.wait_for_selector("#verdict[data-state='checked']")
    assert "agrees with its acta" in page.inner_text(f"tr[data-station='{station}']")
    option = next(o.name for o in day.election.contests[0].options if o.id == challenged.spoiled.choice)  # type: ignore[union-attr]
    shown = look("live", challenged.code.hex()[:20], "checked", "es_VE.html")
    assert "impugnó" in shown and option in shown
    shot(page, "phone-site-ballot-challenged-es_VE")
    assert "No ballot with this confirmation code" in look("live", "f" * 64, "failed")
    assert "16 to 64 hexadecimal digits" in look("live", "not-a-code", "failed")

    context = page.context.browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True)
    axed = context.new_page()  # axe needs the page's CSP bypassed
    found: dict[str, list[str]] = {}
    for language in ("en.html", "es_VE.html"):
        for code, state in ((challenged.code.hex()[:16], "checked"), ("f" * 64, "failed")):
            axed.goto(f"{url}/live/{language}?ballot={code}")
            axed.wait_for_selector(f"#ballot-verdict[data-state='{state}']")
            found |= {f"{language} {state}": v for v in [violations(axed)] if v}
    context.close()
    assert not found, found

    def index_of(code: str) -> int:
        return {c: i for c, i in json.loads((live / "ballots" / "codes" / f"{code[:4]}.json").read_text())}[code]

    index = index_of(cast.code.hex())
    tampered = variant(live, "tampered", lambda s: (s / part_path(index)).write_bytes(
        (s / part_path(index)).read_bytes().replace(b'"station"', b'"station" ')))  # fmt: skip
    assert "is not entry" in look(tampered, cast.code.hex()[:16], "failed")
    other = index_of(record_codes(day.record(1))[0])  # a part of another mesa's record

    def misdirect(site: Path) -> None:
        shard = site / "ballots" / "codes" / f"{cast.code.hex()[:4]}.json"
        rows = [[c, other if c == cast.code.hex() else i] for c, i in json.loads(shard.read_text())]
        shard.write_text(json.dumps(rows))

    assert "holds no ballot of this code" in look(
        variant(live, "misdirected", misdirect), cast.code.hex()[:16], "failed"
    )

    # Every edge of the tiles: entries 0 and 255 (the first level-0 tile), 256, 65,535 and 65,536 (the first
    # level-1 tile's edge) and the last, in a tree whose right edge is partial at every level.
    signer = Signer("actas.test.board", b"\x0c" * 32)
    wanted = [0, 255, 256, 65_535, 65_536, 70_000]
    entries = [b"entry %d" % i for i in range(70_001)]
    codes = {i: hashlib.sha256(b"%d" % i).hexdigest() for i in wanted}
    twins = {1000: "ab" * 8 + "0" * 48, 1001: "ab" * 8 + "1" * 48}  # the same first 16 digits
    for i, code in (codes | twins).items():
        header = {"format": RECORD_FORMAT, "fingerprint": "0" * 64, "station": f"S{i}", "contest": "c"}
        entries[i] = f'{json.dumps(header)}\n{{"code": "{code}"}}\n'.encode()
    big = host / "big"
    synthetic_board(big, entries, signer)
    publish_ballots(big, [(i, entries[i]) for i in (*wanted, *twins)], len(entries))
    publish_site(big, site_pages(day.election, BALLOT_ORIGIN, signer.verifier, None, None, True), site_assets())
    for i, code in codes.items():
        shown = look("big", code[:16], "checked")
        assert f"entry {i:,} of the board holds this ballot" in shown and "70,001 entries" in shown
    assert "More than one ballot's code starts with these digits" in look("big", "ab" * 8, "failed")
    assert "entry 1,001 of the board holds this ballot" in look("big", "ab" * 8 + "1", "checked")
    (big / "tile" / "1" / "000").write_bytes(bytes(8192))  # the level-1 hashes below entry 65,536
    assert "is not entry 65,535" in look("big", codes[65_535][:16], "failed")
    assert "70,001 entries" in look("big", codes[70_000][:16], "checked")  # whose proof needs none of them
