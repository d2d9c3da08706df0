"""`actas trustees ceremony` and `actas trustees check`, run as a user runs them: the record and each
trustee's own 0600 file; the check passes on the record and names what is wrong with an altered one or
one of another election; bad requests are refused in one line, with nothing written."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from actas.e2e.group import base_mul
from actas.e2e.records import ceremony_from_text, trustee_from_text
from actas.e2e.trustees import Ceremony
from tests.conftest import assert_clean_failure, run_actas


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
