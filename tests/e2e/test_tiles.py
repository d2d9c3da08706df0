"""The board as static tiles (C2SP tlog-tiles): served by the server, written to a directory at each
checkpoint and by `actas publish`, read back by `actas mirror` and `actas verify`, every tile checked;
a tampered byte anywhere in the published files is caught."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from actas import tile_reader
from actas.errors import FormatError, InputError, VerificationError
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.tiles import bundles_of, tiles_of
from actas.mirror import mirror_board
from actas.server.process import RunningServer, start_server
from actas.signed_note import SignedNote
from tests.conftest import assert_clean_failure, run_actas, simulated_day, wait_for


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_day(tmp_path_factory.mktemp("tilesday"), 150, 3)


@pytest.fixture
def published(day: Path, tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    server = start_server(
        day / "e", day / "d" / "registry.note", f"sqlite:///{tmp_path / 'board.sqlite'}", tmp_path / "board.key",
        options=["--publish", str(tmp_path / "www"), "--results-every", "1"],
    )  # fmt: skip
    sent = run_actas("transmit", day / "d", "--server", server.url, "--outbox", tmp_path / "sent.jsonl")
    assert sent.code == 0, sent.stderr
    yield server, tmp_path / "www"
    server.stop()


def size_of(note: str) -> int:
    return Checkpoint.from_text(SignedNote.from_text(note).text).size


def test_the_server_serves_and_publishes_the_same_tiles_and_readers_check_them(
    published: tuple[RunningServer, Path], tmp_path: Path
) -> None:
    server, www = published
    served = httpx.get(f"{server.url}/checkpoint", timeout=30)
    assert served.status_code == 200 and served.headers["cache-control"] == "no-cache"
    size = size_of(served.text)
    assert size == 302  # the definition, the registry, 150 zero and 150 final actas
    assert wait_for(lambda: (www / "checkpoint").exists() and size_of((www / "checkpoint").read_text()) == size)
    names = [str(p.relative_to(www)) for p in (www / "tile").rglob("*") if p.is_file()] + ["board.pub", "checkpoint"]
    expected = {str(t) for t in tiles_of(size)} | {str(b) for b in bundles_of(size)} | {"board.pub", "checkpoint"}
    assert expected == {"board.pub", "checkpoint", "tile/0/000", "tile/0/001.p/46", "tile/1/000.p/1",
        "tile/entries/000", "tile/entries/001.p/46"}  # fmt: skip
    assert expected <= set(names) and not any(n.startswith("tile/0/000.p/") for n in names)  # replaced by the full
    for name in ("tile/0/000", "tile/0/001.p/46", "tile/1/000.p/1", "tile/entries/001.p/46"):
        answer = httpx.get(f"{server.url}/{name}", timeout=30)
        assert answer.status_code == 200 and answer.content == (www / name).read_bytes()
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert len((www / "tile/0/000").read_bytes()) == 8192
    for outside in ("tile/0/002", "tile/0/001.p/47", "tile/2/000.p/1", "tile/0/1", "tile/0/%2e%2e/000", "tile/"):
        assert httpx.get(f"{server.url}/{outside}", timeout=30).status_code == 404

    def latest() -> dict[str, object] | None:
        pointer = www / "results" / "latest.json"
        return json.loads(pointer.read_text()) if pointer.exists() else None

    assert wait_for(lambda: (latest() or {}).get("size") == size)
    pointer = latest()
    assert pointer is not None and pointer["checkpoint"] == served.text and pointer["consistency"] == []
    nation = json.loads((www / "results" / str(size) / "nation.json").read_text())
    name = nation["name"]
    assert nation == {**httpx.get(f"{server.url}/v1/results", timeout=30).json(), "trail": [{"code": "", "name": name}]}
    region = nation["children"][0]
    unit = json.loads((www / "results" / str(size) / "unit" / f"{region['code']}.json").read_text())
    answer = httpx.get(f"{server.url}/v1/results", params={"code": region["code"]}, timeout=30).json()
    assert unit == {**answer, "trail": [{"code": "", "name": name}, {"code": region["code"], "name": region["name"]}]}
    progress = json.loads((www / pointer["progress"]).read_text())
    assert progress == httpx.get(f"{server.url}/v1/progress", timeout=30).json()
    regional = json.loads((www / pointer["unit_progress"] / f"{region['code']}.json").read_text())
    assert regional == httpx.get(f"{server.url}/v1/progress", params={"code": region["code"]}, timeout=30).json()
    assert sum(n for _, n in regional["final_actas_by_minute"]) == region["reported"] > 0
    assert (www / "index.html").exists() and (www / "static" / "checkpoint.js").exists()

    key = ("--board-key", server.board_key.to_text())
    from_dir = run_actas("verify", www, "--mirror", tmp_path / "m1", *key)
    assert from_dir.code == 0, from_dir.stdout + from_dir.stderr
    from_url = run_actas("mirror", server.url, tmp_path / "m2", "--tiles")
    assert from_url.code == 0, from_url.stderr
    api = run_actas("mirror", server.url, tmp_path / "m3")
    assert api.code == 0
    assert (tmp_path / "m2" / "entries.jsonl").read_bytes() == (tmp_path / "m3" / "entries.jsonl").read_bytes()

    again = run_actas("publish", server.url, "--to", tmp_path / "www2")
    assert again.code == 0, again.stderr
    for name in expected:
        if name != "checkpoint":  # the server's may since carry a later cosignature time; here there are none
            assert (tmp_path / "www2" / name).read_bytes() == (www / name).read_bytes(), name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("tile/entries/001.p/46", "does not hash to its level-0 tile"),
        ("tile/0/001.p/46", "does not hash to its level-0 tile"),
        ("tile/1/000.p/1", "is not the tile of the board's entries"),
        ("tile/0/000", "does not hash to its level-0 tile"),
    ],
)
def test_a_tampered_published_file_is_caught(
    published: tuple[RunningServer, Path], tmp_path: Path, name: str, problem: str
) -> None:
    copy = board_copy(published[1], tmp_path / "copy")  # the server goes on publishing results beside it
    data = bytearray((copy / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (copy / name).write_bytes(bytes(data))
    refused = run_actas("mirror", copy, tmp_path / "m")
    assert refused.code in (1, 2), refused.stdout
    assert problem in " ".join(refused.stderr.split()), refused.stderr
    assert not (tmp_path / "m" / "checkpoint.note").exists()


def board_copy(www: Path, copy: Path) -> Path:
    """The published board alone (tiles, key, checkpoint), once the server has published all of it."""
    assert wait_for(lambda: (www / "checkpoint").exists() and size_of((www / "checkpoint").read_text()) == 302)
    shutil.copytree(www / "tile", copy / "tile", ignore=shutil.ignore_patterns("*.tmp"))
    for board_file in ("board.pub", "checkpoint"):
        shutil.copyfile(www / board_file, copy / board_file)
    return copy


def serve(root: Path, answer: Callable[[SimpleHTTPRequestHandler], bool]) -> tuple[ThreadingHTTPServer, str]:
    """A static host for `root` on loopback whose requests go first to `answer` (True: answered)."""

    class Host(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as CDNs and nginx answer

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def do_GET(self) -> None:
            if not answer(self):
                super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    host = ThreadingHTTPServer(("127.0.0.1", 0), Host)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    return host, f"http://127.0.0.1:{host.server_address[1]}"


def test_a_hostile_static_host_is_refused_and_a_dropped_connection_is_opened_again(
    published: tuple[RunningServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = board_copy(published[1], tmp_path / "copy")
    served: list[str] = []

    def closes_after_each(handler: SimpleHTTPRequestHandler) -> bool:
        served.append(handler.path)
        handler.close_connection = True  # without saying so: the reader finds out on its next request
        return False

    host, url = serve(copy, closes_after_each)
    try:
        assert mirror_board(url, tmp_path / "m", tiles=True).size == 302
    finally:
        host.shutdown()
    assert "/tile/entries/001.p/46" in served

    def status(code: int, headers: dict[str, str]) -> Callable[[SimpleHTTPRequestHandler], bool]:
        def send(handler: SimpleHTTPRequestHandler) -> bool:
            if not handler.path.startswith("/tile/entries/"):
                return False
            handler.send_response(code)
            for name, value in {**headers, "Content-Length": "0"}.items():
                handler.send_header(name, value)
            handler.end_headers()
            return True

        return send

    for code, headers, problem in [
        (500, {}, "answered HTTP 500"),
        (302, {"Location": "http://example.org/"}, "answered HTTP 302"),
    ]:
        host, url = serve(copy, status(code, headers))
        try:
            with pytest.raises(InputError, match=problem):
                mirror_board(url, tmp_path / f"m{code}", tiles=True)
        finally:
            host.shutdown()
        assert not (tmp_path / f"m{code}" / "checkpoint.note").exists()

    monkeypatch.setattr(tile_reader, "MAX_FILE_BYTES", 10_000)  # a bundle is ~100 KB: over the limit
    host, url = serve(copy, lambda handler: False)
    try:
        with pytest.raises(FormatError, match="is larger than 10,000 bytes"):
            mirror_board(url, tmp_path / "big", tiles=True)
    finally:
        host.shutdown()
    assert not (tmp_path / "big" / "checkpoint.note").exists()


@pytest.mark.parametrize(
    ("tamper", "error", "problem"),
    [
        (lambda rows: rows[5].update(kind="report"), FormatError, "entry 5 is listed as 'report', not what it holds"),
        (lambda rows: rows.pop(7), VerificationError, "sent entry 8 where entry 7 was expected"),
        (lambda rows: rows[9].update(data=rows[9]["data"].replace("voters ", "voters 1")), VerificationError,
            "do not hash to the checkpoint's root"),
    ],
)  # fmt: skip
def test_a_mirror_refuses_entries_a_server_alters_as_it_writes_them(
    published: tuple[RunningServer, Path],
    tmp_path: Path,
    tamper: Callable[[list[dict[str, object]]], object],
    error: type[Exception],
    problem: str,
) -> None:
    server = published[0]
    real = {path: httpx.get(f"{server.url}{path}", timeout=30).content for path in
        ("/v1/board/checkpoint", "/v1/board/key", "/v1/board/checkpoints?start=0")}  # fmt: skip
    size = size_of(real["/v1/board/checkpoint"].decode())
    rows = httpx.get(f"{server.url}/v1/board/entries", params={"start": 0, "end": size}, timeout=30).json()["entries"]
    tamper(rows)

    def answer(handler: SimpleHTTPRequestHandler) -> bool:
        body = real.get(handler.path) or json.dumps({"entries": rows}).encode()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return True

    host, url = serve(tmp_path, answer)
    try:
        with pytest.raises(error, match=problem):
            mirror_board(url, tmp_path / "m", tiles=False)
    finally:
        host.shutdown()
    assert not (tmp_path / "m" / "checkpoint.note").exists()


def test_publish_refuses_what_is_not_a_board(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    assert_clean_failure(run_actas("publish", tmp_path / "nothing", "--to", tmp_path / "www"), 2)
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "checkpoint").write_text(json.dumps("not a checkpoint"))
    (tmp_path / "fake" / "tile").mkdir()
    assert_clean_failure(run_actas("mirror", tmp_path / "fake", tmp_path / "m"), 2)
