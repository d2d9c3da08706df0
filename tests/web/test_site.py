"""The published results site in a real Chromium, served by a plain static web server: an official board
with three cosigners publishes its tiles, every unit's results and the site's page (`actas serve
--publish`); the page checks the cosigned checkpoint in the browser and the consistency proof from the
checkpoint the results were counted at, shows the figures only then, and refuses, saying why, every
tampered variant of what was published."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from actas.ledger.checkpoint import Checkpoint
from actas.ledger.merkle import verify_consistency
from actas.server.process import start_server
from actas.signed_note import SignedNote
from tests.conftest import running_cosigners, wait_for
from tests.web.conftest import Day, publish
from tests.web.test_browser import browser, page  # noqa: F401  (fixtures)


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
