"""`actas trustees ceremony` and `actas trustees check`, run as a user runs them: the record and each
trustee's own 0600 file; the check passes on the record and names what is wrong with an altered one or
one of another election; bad requests are refused in one line, with nothing written."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from actas.acta.codec import parse_payload, sign_acta
from actas.e2e.group import base_mul
from actas.e2e.records import ceremony_from_text, read_shares, trustee_from_text
from actas.e2e.trustees import Ceremony
from actas.files import KeySet
from actas.ledger.checkpoint import open_checkpoint
from actas.ledger.merkle import leaf_hash, verify_inclusion
from actas.server.process import start_server
from tests.conftest import Run, assert_clean_failure, behind_the_servers_back, run_actas, wait_for
from tests.e2e.test_server import assert_no_server_error


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trustees")
    made = run_actas("election", "generate", "--preset", "synthetic", "--stations", 20, "--out", root / "e")
    assert made.code == 0, made.stderr
    return root / "e"


def test_a_ceremony_writes_its_record_and_each_trustees_own_file(election: Path, tmp_path: Path) -> None:
    done = run_actas("trustees", "ceremony", "--election", election, "--out", tmp_path / "c", "--trustees", 4,
                     "--quorum", 3, "--names", "Ana, Bruno,Carla,Diego")  # fmt: skip
    assert done.code == 0, done.stderr
    record = (tmp_path / "c" / "ceremony.json").read_text()
    ceremony: Ceremony = ceremony_from_text(record)
    assert [a.name for a in ceremony.announcements] == ["Ana", "Bruno", "Carla", "Diego"]
    assert ceremony.joint_key().hex() in done.stdout
    files = sorted((tmp_path / "c" / "trustees").iterdir())
    assert [f.name for f in files] == [f"trustee-{i}.key" for i in range(1, 5)]
    assert stat.S_IMODE((tmp_path / "c" / "trustees").stat().st_mode) == 0o700
    for i, file in enumerate(files, start=1):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        trustee, _ = trustee_from_text(file.read_text())
        assert trustee.index == i and trustee.share is not None
        assert base_mul(trustee.share) == ceremony.share_key(i)  # its secret share matches the record
        assert trustee_from_text(file.read_text())[0].coefficients[0].to_bytes(32, "little").hex() not in record
        assert file.read_text() not in done.stdout + done.stderr  # secrets never printed
    checked = run_actas("trustees", "check", tmp_path / "c" / "ceremony.json", "--election", election, "--json")
    assert checked.code == 0, checked.stderr
    assert json.loads(checked.stdout) == {
        "joint_key": ceremony.joint_key().hex(),
        "qualified": [1, 2, 3, 4],
        "problems": [],
    }


def test_an_altered_record_or_another_elections_is_named(election: Path, tmp_path: Path) -> None:
    assert run_actas("trustees", "ceremony", "--election", election, "--out", tmp_path / "c").code == 0
    record = json.loads((tmp_path / "c" / "ceremony.json").read_text())
    other = tmp_path / "other"
    assert run_actas("election", "generate", "--preset", "synthetic", "--stations", 21, "--out", other).code == 0
    wrong = run_actas("trustees", "check", tmp_path / "c" / "ceremony.json", "--election", other)
    assert wrong.code == 1 and "it is for the election of fingerprint" in wrong.stdout
    record["joint_key"] = base_mul(7).hex()
    (tmp_path / "forged.json").write_text(json.dumps(record))
    forged = run_actas("trustees", "check", tmp_path / "forged.json", "--election", election)
    assert_clean_failure(forged, 2)
    assert "joint key is not the sum" in forged.stderr


def test_bad_requests_are_refused_and_write_nothing(election: Path, tmp_path: Path) -> None:
    for args, said in [
        (("--trustees", 3, "--quorum", 4), "--quorum 4 of --trustees 3"),
        (("--trustees", 0, "--quorum", 0), "need 1 <= quorum"),
        (("--trustees", 2, "--quorum", 1, "--names", "Ana"), "--names: give 2 names"),
    ]:
        refused = run_actas("trustees", "ceremony", "--election", election, "--out", tmp_path / "c", *args)
        assert_clean_failure(refused, 2)
        assert said in refused.stderr
        assert not (tmp_path / "c").exists()
    assert run_actas("trustees", "ceremony", "--election", election, "--out", tmp_path / "c").code == 0
    before = (tmp_path / "c" / "ceremony.json").read_text()
    again = run_actas("trustees", "ceremony", "--election", election, "--out", tmp_path / "c")
    assert_clean_failure(again, 2)
    assert "never run over another" in again.stderr and (tmp_path / "c" / "ceremony.json").read_text() == before


@pytest.fixture(scope="module")
def encrypted_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small election whose machines encrypted every ballot, 3 of 5 trustees, and trustees 1, 2, 4
    and 5 each with their shares of every mesa's tally."""
    root = tmp_path_factory.mktemp("encrypted")
    steps = [
        ("election", "generate", "--preset", "synthetic", "--stations", 3, "--out", root / "e"),
        ("trustees", "ceremony", "--election", root / "e", "--out", root / "c"),
        ("simulate", "--election", root / "e", "--out", root / "d", "--encrypt", root / "c" / "ceremony.json"),
    ]
    for step in steps:
        done = run_actas(*step)
        assert done.code == 0, done.stderr
    for i in (1, 2, 4, 5):
        done = run_actas("trustees", "decrypt", "--trustee", root / "c" / "trustees" / f"trustee-{i}.key",
                         "--ceremony", root / "c" / "ceremony.json", "--election", root / "e",
                         "--ballots", root / "d" / "ballots", "--out", root / f"shares-{i}.jsonl")  # fmt: skip
        assert done.code == 0, done.stderr
    return root


def differences(change: Altered) -> list[str]:
    return [
        f"{option}: the acta says {signed}, the ballots {cast}"
        for option, signed, cast in zip(change.options, change.signed, change.cast, strict=True)
        if signed != cast
    ]


def tally(root: Path, *shares: Path, day: str = "d") -> Run:
    args = [arg for path in shares for arg in ("--shares", path)]
    return run_actas("trustees", "tally", "--ceremony", root / "c" / "ceremony.json", "--election", root / "e",
                     "--day", root / day, "--json", *args)  # fmt: skip


def test_any_three_trustees_decrypt_every_mesas_tally_and_it_equals_the_signed_acta(encrypted_day: Path) -> None:
    root = encrypted_day
    done = tally(root, *(root / f"shares-{i}.jsonl" for i in (1, 4, 5)))
    assert done.code == 0, done.stdout + done.stderr
    verdicts = json.loads(done.stdout)
    finals = {
        json.loads(line)["station"]: parse_payload(json.loads(line)["payload"]).acta
        for line in (root / "d" / "actas.jsonl").read_text().splitlines()
        if json.loads(line)["kind"] == "final"
    }
    assert len(verdicts) == 3 and all(v["status"] == "agrees" and not v["problems"] for v in verdicts)
    for v in verdicts:
        counted = finals[v["station"]].contests[0]
        assert v["decrypted"] == {**dict(zip(counted.options, counted.votes, strict=True)), "null": counted.null}
        assert finals[v["station"]].ballots is not None


@dataclass(frozen=True)
class Altered:
    station: str
    options: tuple[str, ...]
    signed: tuple[int, ...]
    """The counts the altered acta gives."""
    cast: tuple[int, ...]
    """The counts the machine's ballots hold."""


def altered(root: Path) -> Altered:
    """root/altered: the day, with one mesa's final acta altered and signed again by its machine (one vote
    moved from the leading card), its `ballots` line unchanged."""
    shutil.copytree(root / "d", root / "altered", dirs_exist_ok=True)
    keys = KeySet.load(root / "d" / "keys")
    lines = (root / "d" / "actas.jsonl").read_text().splitlines()
    record = next(json.loads(line) for line in lines if json.loads(line)["kind"] == "final")
    signed = parse_payload(record["payload"])
    contest = signed.acta.contests[0]
    most = contest.votes.index(max(contest.votes))
    other = (most + 1) % len(contest.votes)
    moved = list(contest.votes)
    moved[most], moved[other] = moved[most] - 1, moved[other] + 1
    acta = dataclasses.replace(signed.acta, contests=(dataclasses.replace(contest, votes=tuple(moved)),))
    forged = sign_acta(acta, keys.machines[acta.station]).payload
    (root / "altered" / "actas.jsonl").write_text(
        "\n".join(line if json.loads(line) != record else json.dumps({**record, "payload": forged}) for line in lines)
        + "\n"
    )
    return Altered(acta.station, contest.options, tuple(moved), contest.votes)


def test_an_acta_altered_and_re_signed_by_its_machine_is_named_against_its_ballots(
    encrypted_day: Path, tmp_path: Path
) -> None:
    root = encrypted_day
    change = altered(root)
    done = tally(root, *(root / f"shares-{i}.jsonl" for i in (1, 2, 4)), day="altered")
    assert done.code == 1
    verdicts = {v["station"]: v for v in json.loads(done.stdout)}
    bad = verdicts[change.station]
    assert bad["status"] == "differs", bad
    assert bad["problems"] == differences(change)
    assert sum(v["status"] == "agrees" for v in verdicts.values()) == 2


def test_a_false_share_is_refused_and_the_quorum_met_without_it(encrypted_day: Path, tmp_path: Path) -> None:
    root = encrypted_day
    lines = (root / "shares-2.jsonl").read_text().splitlines()
    first = json.loads(lines[1])
    first["shares"][0][0] = base_mul(12345).hex()
    (tmp_path / "lying.jsonl").write_text("\n".join([lines[0], json.dumps(first), *lines[2:]]) + "\n")
    done = tally(root, tmp_path / "lying.jsonl", *(root / f"shares-{i}.jsonl" for i in (1, 4, 5)))
    assert done.code == 0, done.stdout
    verdict = next(v for v in json.loads(done.stdout) if v["station"] == first["station"])
    assert verdict["status"] == "agrees" and verdict["refused"] == ["trustee 2's shares do not hold: refused"]
    short = tally(root, tmp_path / "lying.jsonl", root / "shares-1.jsonl", root / "shares-4.jsonl")
    assert short.code == 1
    verdict = next(v for v in json.loads(short.stdout) if v["station"] == first["station"])
    assert verdict["status"] == "unchecked"
    assert "2 trustees' shares hold, fewer than the quorum of 3" in verdict["problems"]


def test_a_voter_finds_their_ballot_by_its_code(encrypted_day: Path) -> None:
    root = encrypted_day
    first = sorted((root / "d" / "ballots").glob("*.jsonl"))[0]
    lines = [json.loads(line) for line in first.read_text().splitlines()[1:]]
    challenged = next(line for line in lines if "spoiled" in line)
    cast = next(line for line in lines if "spoiled" not in line)
    common = ("--day", root / "d", "--election", root / "e", "--ceremony", root / "c" / "ceremony.json", "--json")
    shown = run_actas("ballot", "check", challenged["code"][:16], *common)
    assert shown.code == 0, shown.stdout + shown.stderr
    facts = json.loads(shown.stdout)
    options = json.loads((root / "e" / "election.json").read_text())["contests"][0]["options"]
    assert facts["status"] == "challenged" and facts["choice_revealed"] == options[0]["id"]
    assert facts["code"] == challenged["code"] and facts["mesa"] == first.stem and facts["acta_commits"]
    counted = json.loads(run_actas("ballot", "check", cast["code"], *common).stdout)
    assert counted["status"] == "cast" and counted["record_holds"] and counted["choice_revealed"] is None
    said = run_actas("ballot", "check", cast["code"], *common[:-1])
    assert said.code == 0 and f"counted in mesa {first.stem}'s tally" in said.stdout
    missing = run_actas("ballot", "check", "0" * 64, *common)
    assert missing.code == 1 and json.loads(missing.stdout) == {"code": "0" * 64, "found": False}
    assert_clean_failure(run_actas("ballot", "check", "abc", *common), 2)


def test_the_board_takes_the_ballots_and_shares_decrypts_each_mesa_and_flags_the_altered_one(
    encrypted_day: Path, tmp_path: Path
) -> None:
    root = encrypted_day
    change = altered(root)
    record = root / "c" / "ceremony.json"
    db = f"sqlite:///{tmp_path / 'board.sqlite'}"
    with start_server(root / "e", root / "altered" / "registry.note", db, tmp_path / "board.key",
                      options=["--ceremony", str(record)]) as server:  # fmt: skip
        url, key = server.url, server.board_key.to_text()
        send = ("--server", url, "--board-key", key, "--retry-for", "5s")
        publish = ("ballot", "publish", root / "d" / "ballots", "--election", root / "e", *send)
        early = run_actas(*publish)
        assert early.code == 1 and "its final acta, which commits to its ballots, goes first" in early.stdout
        assert run_actas("transmit", root / "altered", *send).code == 0
        taken = run_actas(*publish)
        assert taken.code == 0 and "3 accepted" in taken.stdout, taken.stdout + taken.stderr
        assert "3 already on the board" in run_actas(*publish).stdout
        lying = tmp_path / "lying.jsonl"
        lines = (root / "shares-2.jsonl").read_text().splitlines()
        first = json.loads(lines[1])
        first["shares"][0][0] = base_mul(12345).hex()
        lying.write_text("\n".join([lines[0], json.dumps(first), *lines[2:]]) + "\n")
        refused = run_actas("trustees", "publish", lying, *send)
        assert refused.code == 1 and "trustee 2's shares do not hold" in refused.stdout, refused.stdout
        from_board = run_actas("trustees", "decrypt", "--trustee", root / "c" / "trustees" / "trustee-5.key",
                               "--ceremony", record, "--election", root / "e", "--ballots", url,
                               "--board-key", key, "--out", tmp_path / "board-5.jsonl")  # fmt: skip
        assert from_board.code == 0, from_board.stdout + from_board.stderr
        mine, files = (read_shares(p.read_text().splitlines(keepends=True))[2] for p in (
            tmp_path / "board-5.jsonl", root / "shares-5.jsonl"))  # fmt: skip
        assert mine.keys() == files.keys() and all(  # the same tally and shares as from the machines' files
            (mine[m].tally, [x.share for x in mine[m].shares]) == (files[m].tally, [x.share for x in files[m].shares])
            for m in mine
        )
        for shares in (root / "shares-1.jsonl", root / "shares-4.jsonl", tmp_path / "board-5.jsonl"):
            assert run_actas("trustees", "publish", shares, *send).code == 0
        view = wait_for(lambda: _decrypted(url))
        assert view is not None and (view["agree"], view["differ"], view["differ_list"]) == (2, 1, [change.station])
        export = list(csv.DictReader(io.StringIO(httpx.get(f"{url}/v1/export/mesas.csv").text)))
        assert {row["station"]: row["ballots"] for row in export} == {
            row["station"]: "differs" if row["station"] == change.station else "agrees" for row in export
        }
        page = httpx.get(f"{url}/mesa/{change.station}", params={"lang": "es_VE"}).text
        assert "difiere de su acta" in page and 'class="differs"' in page
        ballot_line = json.loads((root / "d" / "ballots" / f"{change.station}.jsonl").read_text().splitlines()[3])
        code = ballot_line["code"]
        found = httpx.get(f"{url}/v1/ballot/{code[:16]}").json()
        assert (found["code"], found["station"], found["state"], found["mesa"]) == (code, change.station, "cast",
                                                                                   "differs")  # fmt: skip
        checkpoint = open_checkpoint(found["checkpoint"], server.board_key)
        proof = [bytes.fromhex(p) for p in found["inclusion_proof"]["proof"]]
        leaf = leaf_hash(found["entry"].encode())
        verify_inclusion(leaf, found["index"], checkpoint.size, proof, checkpoint.root)
        assert code in found["entry"]
        mine = httpx.get(f"{url}/ballot/{code[:16]}", params={"lang": "es_VE"})
        assert mine.status_code == 200 and "Su boleta está en el tablero" in mine.text
        assert httpx.get(f"{url}/ballot/{'0' * 16}").status_code == 404
        checked = run_actas("verify", url, "--mirror", tmp_path / "m", "--board-key", key, "--json")
        assert checked.code == 1, checked.stdout + checked.stderr
        report = json.loads(checked.stdout)
        checks = {c["check"]: c["passed"] for c in report["checks"]}
        assert checks == {**{c: True for c in checks}, "the encrypted ballots": False}
        assert [f for f in report["failures"]] == [
            {"item": f"mesa {change.station}", "problem": "its decrypted ballots differ from its acta: "
             + "; ".join(differences(change))}
        ]  # fmt: skip
        assert_no_server_error(url)  # every path of a board with encrypted ballots, fuzzed from its description
        voter = run_actas("ballot", "check", code[:16], "--server", url, "--board-key", key, "--json")
        assert voter.code == 1, voter.stdout + voter.stderr  # the mesa's acta differs from its ballots
        facts = json.loads(voter.stdout)
        ballots = len((root / "d" / "ballots" / f"{change.station}.jsonl").read_text().splitlines()) - 1
        assert (facts["mesa"], facts["state"], facts["board_says"], facts["ballots_checked"], facts["shares"]) == (
            change.station, "cast", "differs", ballots, 3,
        )  # fmt: skip
        assert facts["problems"] == [] and facts["verdict"]["status"] == "differs"  # decrypted by the voter's check
        assert facts["verdict"]["problems"] == differences(change) and facts["verdict"]["refused"] == []
        said = run_actas("ballot", "check", code[:16], "--server", url, "--board-key", key)
        assert said.code == 1 and f"the mesa's {ballots:,} ballots checked here; the board says: differs" in said.stdout
        assert "decrypted here from the trustees' shares, DIFFERS from its signed acta" in said.stdout
        other_station = next(r["station"] for r in export if r["station"] != change.station)
        agreeing = json.loads((root / "d" / "ballots" / f"{other_station}.jsonl").read_text().splitlines()[1])
        honest = run_actas("ballot", "check", agreeing["code"], "--server", url, "--board-key", key, "--json")
        assert honest.code == 0 and json.loads(honest.stdout)["verdict"]["status"] == "agrees", honest.stdout
        holder = next(i for i, row in enumerate(_entries(url)) if row["kind"] == "ballots" and code in str(row["data"]))
        rows = str(_entries(url)[holder]["data"]).splitlines(keepends=True)
        other = next(i for i, line in enumerate(rows[1:], start=1) if code not in line)
        changed = json.loads(rows[other])
        middle = len(changed["ballot"]) // 2  # a character in the middle of a ciphertext or proof, its length kept
        changed["ballot"] = (
            changed["ballot"][:middle] + "AB"[changed["ballot"][middle] == "A"] + changed["ballot"][middle + 1 :]
        )
        rows[other] = json.dumps(changed) + "\n"
        registry = (root / "altered" / "registry.note").read_text()
        forged = registry.replace(change.station, change.station[:-1] + "9", 1)  # a machine's key moved to another mesa
        behind_the_servers_back(
            db,
            ("UPDATE board_entries SET data = :d WHERE idx = :i", {"d": "".join(rows).encode(), "i": holder}),
            ("UPDATE board_entries SET data = :d WHERE idx = 1", {"d": forged.encode()}),
        )
        caught = run_actas("ballot", "check", code[:16], "--server", url, "--board-key", key, "--json")
        problems = json.loads(caught.stdout)["problems"]
        assert caught.code == 1 and any(p.startswith("the ballot's part: not proved") for p in problems), problems
        assert any(re.match(r"ballot \d+ \([0-9a-f]{12}\): ", p) for p in problems), problems  # the ballot named
        assert any(p.startswith("the key registry: not proved on the board") for p in problems), problems
        mismatch = f"the board says mesa {change.station}'s ballots differ from its acta; decrypted here, they cannot"
        assert any(p.startswith(mismatch) for p in problems), problems  # the ballot changed: the shares are not its
    mirror = tmp_path / "m" / "entries.jsonl"  # a copy whose holder changed one ballot's code
    rows = [json.loads(line) for line in mirror.read_text().splitlines()]
    part = next(i for i, row in enumerate(rows) if row["kind"] == "ballots")
    lines = rows[part]["data"].splitlines(keepends=True)
    ballot = json.loads(lines[1])
    lines[1] = json.dumps(ballot | {"code": "0" * 64}) + "\n"
    rows[part]["data"] = "".join(lines)
    mirror.write_text("".join(json.dumps(row) + "\n" for row in rows))
    again = run_actas("verify", tmp_path / "m", "--board-key", key, "--json")
    failures = json.loads(again.stdout)["failures"]
    assert again.code == 1 and any(
        f["item"] == f"entry {part} (a mesa's encrypted ballots, mesa {ballot_station(lines)})"
        and "its code does not follow from the ballots before it" in f["problem"]
        for f in failures
    ), failures
    assert any(f["item"] == "the latest checkpoint" for f in failures)


def ballot_station(lines: list[str]) -> str:
    return str(json.loads(lines[0])["station"])


def _decrypted(url: str) -> dict[str, object] | None:
    encrypted: dict[str, object] = httpx.get(url + "/v1/results").json()["encrypted"]
    return encrypted if encrypted["published"] == 0 else None


def _entries(url: str) -> list[dict[str, object]]:
    return list(httpx.get(url + "/v1/board/entries", params={"start": 0, "end": 1000}).json()["entries"])
