"""`actas trustees ceremony` and `actas trustees check`, run as a user runs them: the record and each
trustee's own 0600 file; the check passes on the record and names what is wrong with an altered one or
one of another election; bad requests are refused in one line, with nothing written."""

from __future__ import annotations

import dataclasses
import json
import shutil
import stat
from pathlib import Path

import pytest

from actas.acta.codec import parse_payload, sign_acta
from actas.e2e.group import base_mul
from actas.e2e.records import ceremony_from_text, trustee_from_text
from actas.e2e.trustees import Ceremony
from actas.files import KeySet
from tests.conftest import Run, assert_clean_failure, run_actas


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


def test_an_acta_altered_and_re_signed_by_its_machine_is_named_against_its_ballots(
    encrypted_day: Path, tmp_path: Path
) -> None:
    root = encrypted_day
    shutil.copytree(root / "d", root / "altered", dirs_exist_ok=True)
    keys = KeySet.load(root / "d" / "keys")
    lines = (root / "d" / "actas.jsonl").read_text().splitlines()
    record = next(json.loads(line) for line in lines if json.loads(line)["kind"] == "final")
    signed = parse_payload(record["payload"])
    contest = signed.acta.contests[0]
    most = contest.votes.index(max(contest.votes))
    other = (most + 1) % len(contest.votes)
    moved = list(contest.votes)
    moved[most], moved[other] = moved[most] - 1, moved[other] + 1  # one vote moved from the leading card
    acta = dataclasses.replace(signed.acta, contests=(dataclasses.replace(contest, votes=tuple(moved)),))
    forged = sign_acta(acta, keys.machines[acta.station]).payload
    (root / "altered" / "actas.jsonl").write_text(
        "\n".join(line if json.loads(line) != record else json.dumps({**record, "payload": forged}) for line in lines)
        + "\n"
    )
    done = tally(root, *(root / f"shares-{i}.jsonl" for i in (1, 2, 4)), day="altered")
    assert done.code == 1
    verdicts = {v["station"]: v for v in json.loads(done.stdout)}
    bad = verdicts[acta.station]
    assert bad["status"] == "differs", bad
    assert bad["problems"] == [
        f"{contest.options[i]}: the acta says {moved[i]}, the ballots {contest.votes[i]}" for i in sorted((most, other))
    ]
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
