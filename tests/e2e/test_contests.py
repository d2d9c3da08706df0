"""An election of several contests is analysed one contest at a time, by choice and never silently: every
command that analyses one contest takes --contest, takes the only one when there is one, and refuses,
naming the contests, when there are several and none is chosen. And a board gives the same figures
whether it is read from its server or from a mirror of it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from actas.election import BallotOption, Candidate, Contest, Election
from actas.files import KeySet, save_election
from actas.machine.voting_machine import MachineSetup, VotingMachine
from actas.server.process import RunningServer, start_server
from actas.sim.generator import synthetic
from tests.conftest import assert_clean_failure, run_actas, wait_for

STATIONS = 8
ASSEMBLY = Contest(
    "assembly",
    "National Assembly",
    (Candidate("UNO", "Lista Uno"), Candidate("DOS", "Lista Dos")),
    (BallotOption("L1", "Lista Uno", "UNO"), BallotOption("L2", "Lista Dos", "DOS")),
)


def two_contests() -> Election:
    election = synthetic(STATIONS, seed=3)
    return dataclasses.replace(election, id="two-contests", contests=(*election.contests, ASSEMBLY))


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunningServer, Election]:
    """A real server holding the final actas of every station of an election of two contests; at station
    k, k voters choose AZUL (a card of ALVAREZ) and L1, and one more BASE (a card of BARROS) and L2."""
    root = tmp_path_factory.mktemp("contests")
    election = two_contests()
    keys = KeySet.generate(election, "test-authority")
    save_election(election, root / "e")
    (root / "registry.note").write_text(keys.registry(election).sign(keys.authority), encoding="utf-8")
    server = start_server(root / "e", root / "registry.note", f"sqlite:///{root / 'b.sqlite'}", root / "b.key")
    for k, station in enumerate(election.stations, start=1):
        signer = keys.machines[station.code]
        machine = VotingMachine(MachineSetup.for_station(election, station.code, signer.name))
        machine.open(signer, "2030-06-02T06:00:00Z")
        for _ in range(k):
            machine.cast({"president": "AZUL", "assembly": "L1"})
        machine.cast({"president": "BASE", "assembly": "L2"})
        final = machine.close(signer, "2030-06-02T18:00:00Z").payload
        sent = httpx.post(server.url + "/v1/actas", content=final, headers={"content-type": "text/plain"})
        assert sent.status_code == 201, sent.text
    assert wait_for(lambda: httpx.get(server.url + "/v1/results").json()["stations"]["reported"] == STATIONS)
    yield server, election
    server.stop()


def test_several_contests_and_none_chosen_is_refused_naming_them(
    board: tuple[RunningServer, Election], tmp_path: Path
) -> None:
    server, _ = board
    for command in (["results"], ["outcome"], ["forensics", "--out", tmp_path / "f"], ["pvt", "estimate"]):
        refused = run_actas(*command, server.url)
        assert_clean_failure(refused, 2)
        assert "2 contests (president, assembly)" in refused.stderr and "--contest" in refused.stderr
    unknown = run_actas("results", server.url, "--contest", "senate")
    assert_clean_failure(unknown, 2)
    assert "no contest 'senate'" in unknown.stderr and "president, assembly" in unknown.stderr


def test_the_contest_chosen_is_the_one_counted(board: tuple[RunningServer, Election]) -> None:
    server, _ = board
    for contest, leader, runner_up in (("president", "ALVAREZ", "BARROS"), ("assembly", "UNO", "DOS")):
        shown = run_actas("results", server.url, "--contest", contest, "--json")
        assert shown.code == 0, shown.stderr
        summary = json.loads(shown.stdout)
        assert summary["contest"] == contest
        votes = summary["national"]["votes"]
        expected = sum(range(1, STATIONS + 1))  # k voters for the leader at station k
        assert votes[leader] == expected and votes[runner_up] == STATIONS, votes


def test_a_board_gives_the_same_figures_from_its_server_and_from_a_mirror(
    board: tuple[RunningServer, Election], tmp_path: Path
) -> None:
    server, _ = board
    assert run_actas("mirror", server.url, tmp_path / "m").code == 0
    for level in ([], ["--level", "region"]):
        served = run_actas("results", server.url, "--contest", "assembly", "--json", *level)
        mirrored = run_actas("results", tmp_path / "m", "--contest", "assembly", "--json", *level)
        assert served.code == mirrored.code == 0, served.stderr + mirrored.stderr
        from_server, from_mirror = json.loads(served.stdout), json.loads(mirrored.stdout)
        assert from_server.pop("sources")[0].startswith(server.url)
        assert from_mirror.pop("sources")[0].startswith(str(tmp_path / "m"))
        assert from_server == from_mirror
        assert from_server["signatures"]["valid"] == STATIONS  # every acta checked again, not taken on trust


def test_a_dataset_holds_one_contest_and_another_is_refused(
    board: tuple[RunningServer, Election], tmp_path: Path
) -> None:
    out = tmp_path / "sim.dataset"
    assert run_actas("simulate-results", "--stations", 300, "--out", out).code == 0
    assert run_actas("results", out).code == 0  # its only contest, without a choice
    refused = run_actas("results", out, "--contest", "assembly")
    assert_clean_failure(refused, 2)
    assert "not 'assembly'" in refused.stderr
