"""The real `actas` command in a subprocess: results, refusals with exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from actas.acta.codec import parse_payload
from actas.machine.receipt import chain_code, receipt_body
from actas.server.process import start_server
from tests.conftest import ACTAS, alive, assert_clean_failure, children_of, run_actas, simulated_day, wait_for


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated election of 20 stations: definition, keys, registry and actas."""
    return simulated_day(tmp_path_factory.mktemp("day"), 20, 4)


def test_election_show_json(day: Path) -> None:
    result = run_actas("election", "show", day / "e", "--json")
    summary = json.loads(result.stdout)
    assert summary["stations"] == 20 and summary["contests"][0]["options"] == 7
    assert [lv["id"] for lv in summary["levels"]] == ["region", "district", "centre"]
    assert "Synthetic election" in run_actas("election", "show", day / "e").stdout


def test_venezuela_preset_from_the_command_line(tmp_path: Path) -> None:
    result = run_actas("election", "generate", "--preset", "venezuela-2024", "--out", tmp_path)
    assert result.code == 0 and "30,026 stations, 21,321,805 registered voters" in result.stdout
    summary = json.loads(run_actas("election", "show", tmp_path, "--json").stdout)
    assert summary["registered"] == 21_321_805 and summary["contests"][0]["options"] == 38


def test_keys_are_private_and_never_printed(day: Path) -> None:
    keys = day / "d" / "keys"
    assert (keys.stat().st_mode & 0o777) == 0o700
    for file in keys.iterdir():
        assert (file.stat().st_mode & 0o777) == 0o600
    result = run_actas("keys", "generate", "--election", day / "e", "--out", day / "k")
    assert result.code == 0 and "PRIVATE" not in result.stdout + result.stderr
    assert "PRIVATE" not in (day / "k" / "registry.note").read_text()


def test_every_acta_of_the_day_verifies(day: Path) -> None:
    result = run_actas("acta", "verify", day / "d", "--registry", day / "d" / "registry.note", "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {"valid": 40, "invalid": 0, "failures": []}


def test_a_tampered_bundle_is_found_and_named(day: Path, tmp_path: Path) -> None:
    lines = (day / "d" / "actas.jsonl").read_text().splitlines()
    record = json.loads(lines[3])
    record["payload"] = record["payload"].replace("voters ", "voters 1", 1)
    lines[3] = json.dumps(record)
    lines[5] = lines[5][:40]
    bundle = tmp_path / "tampered.jsonl"
    bundle.write_text("\n".join(lines) + "\n")
    result = run_actas("acta", "verify", bundle, "--registry", day / "d" / "registry.note")
    assert result.code == 1
    assert "38 valid, 2 invalid" in result.stdout
    assert "tampered.jsonl:4" in result.stdout and "tampered.jsonl:6" in result.stdout


def final_payload(day: Path, index: int = 0) -> str:
    finals = [json.loads(x) for x in (day / "d" / "actas.jsonl").read_text().splitlines() if '"final"' in x]
    return str(finals[index]["payload"])


def test_verify_a_payload_file_a_literal_payload_and_stdin(day: Path, tmp_path: Path) -> None:
    payload = final_payload(day)
    (tmp_path / "acta.txt").write_text(payload)
    registry = day / "d" / "registry.note"
    pasted = payload.rstrip("\n")  # a payload pasted on a command line loses its final newline
    for source, stdin in [(tmp_path / "acta.txt", None), (payload, None), (pasted, None), ("-", payload)]:
        result = run_actas("acta", "verify", source, "--registry", registry, stdin=stdin)
        assert result.code == 0 and result.stdout.startswith("valid final acta"), result


def test_an_altered_count_exits_1_with_the_reason(day: Path, tmp_path: Path) -> None:
    payload = final_payload(day)
    votes = payload.split("contest president ")[1].split(" ")[0]
    option, count = votes.split("=")
    forged = payload.replace(f" {option}={count} ", f" {option}={int(count) + 1} ")
    (tmp_path / "forged.txt").write_text(forged)
    result = run_actas("acta", "verify", tmp_path / "forged.txt", "--registry", day / "d" / "registry.note")
    assert result.code == 1 and "INVALID" in result.stdout and "signature" in result.stdout


def test_render_and_verify_the_printed_image(day: Path, tmp_path: Path) -> None:
    code = final_payload(day).split("\nstation ")[1].split("\n")[0]
    result = run_actas(
        "acta",
        "render",
        day / "d",
        "--station",
        code,
        "--election",
        day / "e",
        "--png",
        tmp_path / "a.png",
        "--pdf",
        tmp_path / "a.pdf",
    )
    assert result.code == 0, result.stderr
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    verified = run_actas("acta", "verify", tmp_path / "a.png", "--registry", day / "d" / "registry.note")
    assert verified.code == 0 and f"station {code}" in verified.stdout


def test_an_acta_from_another_election_is_invalid(day: Path, tmp_path: Path) -> None:
    run_actas("election", "generate", "--preset", "synthetic", "--stations", 20, "--seed", 5, "--out", tmp_path / "e")
    run_actas("keys", "generate", "--election", tmp_path / "e", "--out", tmp_path)
    result = run_actas("acta", "verify", final_payload(day), "--registry", tmp_path / "registry.note")
    assert result.code == 1 and "election:" in result.stdout


def test_a_pinned_authority_key_that_differs_is_refused(day: Path, tmp_path: Path) -> None:
    run_actas("keys", "generate", "--election", day / "e", "--out", tmp_path)
    other = (tmp_path / "registry.note").read_text().split("\nauthority ")[1].split("\n")[0]
    result = run_actas(
        "acta", "verify", final_payload(day), "--registry", day / "d" / "registry.note", "--authority", other
    )
    assert_clean_failure(result, 1)
    assert "pinned" in result.stderr


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_bytes(b"\x00\xff garbage"), "UTF-8"),
        (lambda p: p.write_text("hello\n"), "is neither"),
        (lambda p: p.write_text("actas acta v1\nkind final\n"), "signed note"),
        (lambda p: p.write_text("actas acta v1\n" + "9" * 100_000), "bytes"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n broken"), "is not an image that can be read"),
    ],
)
def test_unusable_input_exits_2_with_one_line(day: Path, tmp_path: Path, make: object, words: str) -> None:
    target = tmp_path / ("input.png" if "PNG" in words or "image" in words else "input.txt")
    make(target)  # type: ignore[operator]
    source = target if words != "is neither" else "hello-not-a-file"
    result = run_actas("acta", "verify", source, "--registry", day / "d" / "registry.note")
    assert_clean_failure(result, 2)
    assert words in result.stderr and result.stderr.count("\n") == 1


def test_an_image_without_a_code_exits_2(day: Path, tmp_path: Path) -> None:
    from PIL import Image

    Image.new("L", (300, 300), 255).save(tmp_path / "blank.png")
    result = run_actas("acta", "verify", tmp_path / "blank.png", "--registry", day / "d" / "registry.note")
    assert_clean_failure(result, 2)
    assert "no QR code" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["election", "show", "/nonexistent"],
        ["election", "generate", "--preset", "atlantis", "--out", "x"],
        ["simulate", "--election", "/nonexistent", "--out", "x"],
        ["acta", "verify", "x", "--registry", "/nonexistent"],
        ["acta", "render", "x"],
        ["machine", "status", "--journal", "/nonexistent"],
        ["nonsense-command"],
    ],
)
def test_bad_usage_exits_2_without_a_traceback(args: list[str], tmp_path: Path) -> None:
    assert_clean_failure(run_actas(*args, cwd=tmp_path), 2)


def test_simulate_refuses_bad_parameters(day: Path, tmp_path: Path) -> None:
    for extra in (["--turnout", "1.5"], ["--shares", "NOBODY=3"], ["--shares", "ALVAREZ=x"], ["--scenario", "mystery"]):
        assert_clean_failure(run_actas("simulate", "--election", day / "e", "--out", tmp_path, *extra), 2)


# --- one machine, its journal, and a crash -------------------------------------------------------------------


def test_a_machine_killed_mid_day_resumes_without_losing_or_double_counting(day: Path, tmp_path: Path) -> None:
    code = final_payload(day).split("\nstation ")[1].split("\n")[0]
    keys, journal = day / "d" / "keys" / "machines.keys", tmp_path / "vm.journal"
    opened = run_actas(
        "machine", "open", "--election", day / "e", "--station", code, "--key", keys, "--journal", journal
    )
    assert opened.code == 0 and opened.stdout.startswith("actas acta v1\nkind zero")

    proc = subprocess.Popen(
        [str(ACTAS), "machine", "cast", "--journal", str(journal), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert proc.stdin is not None and proc.stdout is not None
    votes = ["AZUL", "BRISA", "null", "DEMOS"] * 25
    proc.stdin.write("\n".join(votes) + "\n")
    proc.stdin.flush()
    printed = []
    while len(printed) < 30:  # receipts that came out of the printer before the power cut
        line = proc.stdout.readline()
        if line.startswith("code "):
            printed.append(line.split()[1])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    status = json.loads(run_actas("machine", "status", "--journal", journal, "--json").stdout)
    assert status["state"] == "open"
    assert 30 <= status["voters"] <= len(votes)  # every printed receipt was journaled first

    more = run_actas("machine", "cast", "--journal", journal, "AZUL", "BASE")
    assert more.code == 0 and "seq " + str(status["voters"] + 2) in more.stdout
    final = run_actas("machine", "close", "--journal", journal, "--key", keys, "--acta", tmp_path / "final.txt")
    assert final.code == 0 and f"voters {status['voters'] + 2}\n" in final.stdout
    acta = parse_payload(final.stdout).acta
    counted = [*votes[: status["voters"]], "AZUL", "BASE"]  # each vote once: none lost, none twice
    assert dict(zip(acta.contests[0].options, acta.contests[0].votes, strict=True)) == {
        o: counted.count(o) for o in acta.contests[0].options
    }
    assert acta.contests[0].null == counted.count("null")
    chain = acta.zero or ""
    for seq, option in enumerate(counted, start=1):
        chain = chain_code(chain, receipt_body(code, seq, [("president", option)]))
        if seq <= len(printed):
            assert chain == printed[seq - 1]  # the receipts that came out are the start of the same chain
    assert acta.chain == chain
    verified = run_actas("acta", "verify", tmp_path / "final.txt", "--registry", day / "d" / "registry.note")
    assert verified.code == 0, verified.stdout
    assert_clean_failure(run_actas("machine", "cast", "--journal", journal, "AZUL"), 2)
    assert_clean_failure(run_actas("machine", "close", "--journal", journal, "--key", keys), 2)


def test_a_vote_for_an_unknown_option_is_refused_and_not_counted(day: Path, tmp_path: Path) -> None:
    code = final_payload(day, 1).split("\nstation ")[1].split("\n")[0]
    keys, journal = day / "d" / "keys" / "machines.keys", tmp_path / "vm.journal"
    run_actas("machine", "open", "--election", day / "e", "--station", code, "--key", keys, "--journal", journal)
    result = run_actas("machine", "cast", "--journal", journal, "AZUL", "PURPLE")
    assert_clean_failure(result, 2)
    assert "'PURPLE' is not an option" in result.stderr
    assert json.loads(run_actas("machine", "status", "--journal", journal, "--json").stdout)["voters"] == 1


def test_a_world_readable_key_is_refused(day: Path, tmp_path: Path) -> None:
    key = tmp_path / "loose.keys"
    key.write_text((day / "d" / "keys" / "machines.keys").read_text())
    key.chmod(0o644)
    code = final_payload(day).split("\nstation ")[1].split("\n")[0]
    result = run_actas(
        "machine", "open", "--election", day / "e", "--station", code, "--key", key, "--journal", tmp_path / "j"
    )
    assert_clean_failure(result, 2)
    assert "chmod 600" in result.stderr


def test_the_demo_runs_end_to_end_and_its_servers_stop_with_it(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [str(ACTAS), "demo", "--stations", "60", "--out", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert demo.stdout is not None
        lines = []
        for line in demo.stdout:  # the demo is serving both boards once it says so
            lines.append(line)
            if "Serving until interrupted" in line:
                break
        servers = children_of(demo.pid)
        assert len(servers) == 2 and all(alive(p) for p in servers)
        demo.send_signal(signal.SIGTERM)  # Ctrl-C: tests/web/test_pages.py
        assert demo.wait(timeout=120) in (0, 130)
        assert not any(alive(p) for p in servers)
    finally:
        demo.kill()
    said = " ".join("".join(lines).split())
    assert "120 of 120 actas valid" in said and "the checks found what they should" in said
    assert "the server's totals equal the machines' actas' totals" in said and "120 actas accepted, 0 refused" in said
    assert "inclusion proof of R01.001.0001.01's final acta verifies" in said
    assert "read back from its pixels: valid" in said
    assert len(list((tmp_path / "demo" / "printed").glob("*.pdf"))) == 3
    witnessed = re.search(
        r"(\d+) witnesses at (\d+) mesas photographed the printed acta: (\d+) read and verified", said
    )
    # keys are new on every run, so are the QR codes: now and then a photo cannot be read (its mesa then
    # counts as partial for the observers, and as only official in the reconciliation)
    assert witnessed is not None and int(witnessed[2]) == 24 and int(witnessed[1]) - 2 <= int(witnessed[3])
    assert "0 different" in said and "0 only-observer, 0 paper-differs" in said
    assert "the witnesses' actas agree with the official board" in said
    assert "ok: every acta against the key registry (120 actas)" in said and "FAILED" not in said
    assert "11. Outcome bound from the witnesses' 24 actas alone" in said
    assert re.search(r"12\. Risk-limiting audit .*: \d+ draws, 0 with paper that differs: risk 0\.0\d+\. STOP", said)


def test_the_demo_finds_every_mesa_the_authority_altered_or_suppressed(tmp_path: Path) -> None:
    result = run_actas(
        "demo", "--no-serve", "--stations", 60, "--out", tmp_path / "demo", "--scenario", "altered-results"
    )
    assert result.code == 0, result.stderr
    said = " ".join(result.stdout.split())
    assert "the server's totals DIFFER FROM the machines' actas' totals" in said
    altered = re.findall(r"(R[\d.]+): [^;]*; official acta's signature INVALID", said)
    suppressed = re.findall(r"(R[\d.]+): witnesses hold its acta; the official board never published it", said)
    assert len(altered) == len(suppressed) == 6 and not set(altered) & set(suppressed)
    assert "6 different" in said and "6 only-observer" in said
    assert "the reconciliation found all 12 tampered mesas (6 altered, 6 suppressed)" in said
    assert "FAILED: every acta against the key registry" in said
    assert said.count("does not match the acta's contents") == 6
    unknown = run_actas("demo", "--no-serve", "--scenario", "stolen-election", "--out", tmp_path / "x")
    assert_clean_failure(unknown, 2)


def test_the_demo_audit_finds_machines_that_counted_other_than_the_paper(tmp_path: Path) -> None:
    result = run_actas(
        "demo", "--no-serve", "--stations", 60, "--out", tmp_path / "demo", "--scenario", "altered-machines"
    )
    assert result.code == 0, result.stderr
    said = " ".join(result.stdout.split())
    assert "15 machines print and sign counts other than their paper" in said
    assert "ok: every acta against the key registry (120 actas)" in said  # their signatures are genuine
    found = re.search(r"hand counts show that (\d+) of the (\d+) witnessed mesas with an altered machine", said)
    assert found is not None and found[1] == found[2] != "0"
    assert re.search(
        r"12\. Risk-limiting audit .*: \d+ draws, [1-9]\d* with paper that differs: .*FULL HAND COUNT", said
    )


def test_an_oversized_bundle_line_is_reported_and_the_rest_still_checked(day: Path, tmp_path: Path) -> None:
    lines = (day / "d" / "actas.jsonl").read_text().splitlines()
    bundle = tmp_path / "big.jsonl"
    bundle.write_text("\n".join([lines[0], '{"payload": "' + "x" * 200_000 + '"}', *lines[1:]]) + "\n")
    result = run_actas("acta", "verify", bundle, "--registry", day / "d" / "registry.note")
    assert result.code == 1 and "40 valid, 1 invalid" in result.stdout and "longer than" in result.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_servers_worker_processes_die_with_it(tmp_path: Path, sig: signal.Signals) -> None:
    day = simulated_day(tmp_path, 6, 3)
    db = f"sqlite:///{tmp_path / 'board.sqlite'}"
    server = start_server(day / "e", day / "d" / "registry.note", db, tmp_path / "board.key", workers=2)
    try:
        workers = wait_for(lambda: found if len(found := children_of(server.process.pid)) == 2 else None)
        assert workers is not None and all(alive(p) for p in workers)
        server.process.send_signal(sig)
        assert server.process.wait(timeout=60) == 0  # stopped as asked: not a failure
        assert wait_for(lambda: not any(alive(p) for p in workers), timeout=30)
    finally:
        server.stop(signal.SIGKILL)


def test_the_demo_with_encrypted_ballots_finds_exactly_the_altered_machines(tmp_path: Path) -> None:
    result = run_actas(
        "demo", "--no-serve", "--stations", 12, "--out", tmp_path / "demo", "--scenario", "altered-machines", "--e2e"
    )
    assert result.code == 0, result.stdout + result.stderr
    said = " ".join(result.stdout.split())
    altered = re.search(r"(\d+) machines print and sign counts other than their paper", said)
    assert altered is not None and int(altered[1]) > 0
    assert "2b. Trustees Ana, Bruno, Carla, Diego, Elena made the election's key, any 3 of them can decrypt" in said
    assert re.search(r"A voter of mesa \S+ challenged a ballot: code [0-9a-f]{16}…, which its nonces decrypt to", said)
    assert re.search(r"6b\. Encrypted ballots 12 mesas' records on the board, every ballot's proofs checked", said)
    assert "trustees Ana, Carla, Elena published their shares of every mesa's tally (36 taken)" in said
    found = re.search(
        r"(\d+) of 12 mesas: the trustees' decryption of the ballots equals the signed acta; (\d+) differ", said
    )
    assert found is not None and int(found[2]) == int(altered[1]) and int(found[1]) + int(found[2]) == 12
    verified = said[said.index("10. Public verification") : said.index("11. Outcome bound")]
    assert "FAILED: the encrypted ballots (12 mesas' records" in verified  # the altered machines' mesas, named
    assert f"{found[1]} decrypted tallies equal their acta, {found[2]} differ" in verified
    assert "the acta says" in said and "the ballots" in said
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (tmp_path / "demo" / "trustees").iterdir())
