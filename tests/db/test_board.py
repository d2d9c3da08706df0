"""The bulletin board on both back ends: accept, deduplicate, flag conflicts, refuse, restart, prove."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from actas.acta.codec import parse_payload, sign_acta
from actas.board import Board
from actas.canonical import canonical_json
from actas.errors import InputError
from actas.ledger.checkpoint import open_checkpoint
from actas.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from actas.signed_note import Signer
from actas.sim.simulate import VoterModel, simulate
from actas.store.database import Database

BOARD_KEY = Signer("actas.test.board", b"\x09" * 32)
ORIGIN = "actas/test/official"


@pytest.fixture(scope="module")
def day(small: Any) -> list[Any]:
    return list(simulate(small.election, small.keys.machines, VoterModel(seed=3), workers=1))


def open_board(url: str, small: Any) -> Board:
    board = Board(Database(url), small.election, small.registry.sign(small.keys.authority), BOARD_KEY, ORIGIN)
    board.open()
    return board


def test_the_definition_and_registry_are_the_first_entries(database_url: str, small: Any) -> None:
    board = open_board(database_url, small)
    first = list(board.entries(0, 10))
    assert [(i, k) for i, k, _ in first] == [(0, "election"), (1, "registry")]
    assert first[0][2] == canonical_json(small.election.to_json())
    assert first[1][2].decode().startswith("actas key registry v1\n")


def test_accept_duplicate_conflict_and_refuse(database_url: str, small: Any, day: list[Any]) -> None:
    board = open_board(database_url, small)
    first = board.submit(day[0].final.encode())
    assert (first.status, first.index) == (201, 2)
    again = board.submit(day[0].final.encode())
    assert (again.status, again.index, again.body["status"]) == (200, 2, "duplicate")
    assert board.submit(day[0].zero.encode()).status == 201
    original = parse_payload(day[0].final).acta
    changed = dataclasses.replace(
        original,
        contests=(dataclasses.replace(original.contests[0], null=original.contests[0].null + 1),),
        voters=original.voters + 1,
        receipts=original.receipts + 1,
    )
    other = sign_acta(changed, small.keys.machines[original.station])
    conflict = board.submit(other.payload.encode())
    assert conflict.status == 409 and conflict.index == 4 and "both are kept" in conflict.body["message"]
    forged = day[1].final.replace("null=", "null=1", 1)
    refused = board.submit(forged.encode())
    assert refused.status in (400, 422) and board.tree.size == 5
    assert board.submit(b"x" * 20000).status == 413
    assert board.submit(b"\xff\xfe").status == 400
    assert board.submit(b"\xff\xfe").status == 400
    rejected = board.rejection_list(0, 100)
    assert len(rejected) == 3 and max(r["count"] for r in rejected) == 2
    assert all("payload" not in r and r["size"] > 0 for r in rejected)

    board.sign_checkpoint()
    view = board.results_view("")
    assert view["stations"] == {"expected": 12, "reported": 0, "conflicts": 1}  # the conflicted station is not counted


def test_results_follow_the_checkpoint(database_url: str, small: Any, day: list[Any]) -> None:
    """Each acta is committed with a checkpoint that covers it; another process serving the same board
    counts it once it reads that checkpoint, and not before."""
    board = open_board(database_url, small)
    other = open_board(database_url, small)
    for station in day[:5]:
        assert other.submit(station.final.encode()).status == 201
    assert other.results_view("")["stations"]["reported"] == 5
    assert board.results_view("")["stations"]["reported"] == 0  # this process has not read the checkpoint yet
    latest = board.latest_checkpoint()
    assert latest is not None and latest[0].size == 7
    view = board.results_view("")
    assert view == other.results_view("")
    assert view["stations"]["reported"] == 5
    assert view["voters"] == sum(s.voters for s in day[:5])
    region = small.election.path(small.election.stations[0])[0].code
    assert board.results_view(region)["stations"]["reported"] >= 1
    assert board.sign_checkpoint() is None  # nothing new: no new checkpoint


def test_receipts_prove_inclusion_and_checkpoints_stay_consistent(
    database_url: str, small: Any, day: list[Any]
) -> None:
    board = open_board(database_url, small)
    seen = []
    for station in day[:6]:
        receipt = board.submit(station.final.encode()).body
        checkpoint = open_checkpoint(receipt["checkpoint"], BOARD_KEY.verifier, ORIGIN)
        proof = [bytes.fromhex(p) for p in receipt["inclusion_proof"]]
        verify_inclusion(leaf_hash(station.final.encode()), receipt["index"], checkpoint.size, proof, checkpoint.root)
        seen.append(checkpoint)
    for older in seen:
        newest = seen[-1]
        proof = board.consistency(older.size, newest.size)
        assert proof is not None
        verify_consistency(older.size, newest.size, proof, older.root, newest.root)


def test_a_restarted_server_finds_its_board_as_it_was(database_url: str, small: Any, day: list[Any]) -> None:
    board = open_board(database_url, small)
    for station in day[:4]:
        board.submit(station.final.encode())
    board.sign_checkpoint()
    root, view = board.tree.root(), board.results_view("")
    board.db.dispose()
    again = open_board(database_url, small)
    again.latest_checkpoint()
    assert again.tree.root() == root and again.results_view("") == view
    assert again.submit(day[0].final.encode()).status == 200


def test_a_board_of_another_election_is_refused(database_url: str, small: Any) -> None:
    open_board(database_url, small).db.dispose()
    other = dataclasses.replace(small.election, name="Another election")
    keys = small.keys
    with pytest.raises(InputError, match="another board"):
        Board(Database(database_url), other, keys.registry(other).sign(keys.authority), BOARD_KEY, ORIGIN).open()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE board_entries SET kind = 'x'",
        "DELETE FROM board_entries",
        "UPDATE checkpoints SET note = 'x'",
        "DELETE FROM actas",
    ],
)
def test_nothing_on_the_board_can_be_changed_or_removed(
    database_url: str, small: Any, day: list[Any], statement: str
) -> None:
    board = open_board(database_url, small)
    board.submit(day[0].final.encode())
    board.sign_checkpoint()
    with pytest.raises(DBAPIError, match="append-only"), board.db.writer() as conn:
        conn.execute(text(statement))
    assert board.tree.size == 3 and len(list(board.entries(0, 10))) == 3


def test_announcements_are_published_once_and_only_from_the_authority(database_url: str, small: Any) -> None:
    from actas.announcement import AnnouncedContest, Announcement

    board = open_board(database_url, small)
    statement = Announcement(
        small.election.id,
        small.election.fingerprint,
        "2030-06-03T06:10:00Z",
        "First bulletin",
        (AnnouncedContest("president", (("ALVAREZ", 5), ("others", 2))),),
    )
    note = statement.sign(small.keys.authority).encode()
    first = board.announce(note)
    assert (first.status, first.index) == (201, 2)
    assert board.announce(note).status == 200 and board.tree.size == 3
    assert board.announcements() == [(2, note.decode())]
    assert board.announce(statement.sign(Signer.generate("impostor")).encode()).status == 403
    unknown = Announcement(
        small.election.id,
        small.election.fingerprint,
        "2030-06-03T06:10:00Z",
        "x",
        (AnnouncedContest("president", (("NOBODY", 5),)),),
    )
    assert board.announce(unknown.sign(small.keys.authority).encode()).status == 422
    assert board.announce(b"\xff").status == 400 and board.tree.size == 3


def test_an_entry_altered_behind_the_servers_back_stops_it(database_url: str, small: Any, day: list[Any]) -> None:
    board = open_board(database_url, small)
    board.submit(day[0].final.encode())
    board.db.dispose()
    with Database(database_url).engine.begin() as conn:  # an administrator with database access
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE board_entries DISABLE TRIGGER board_entries_append_only"))
            conn.execute(text("UPDATE board_entries SET data = :d WHERE idx = 2"), {"d": day[1].final.encode()})
        else:
            conn.execute(text("DROP TRIGGER board_entries_no_update"))
            conn.execute(text("UPDATE board_entries SET data = :d WHERE idx = 2"), {"d": day[1].final.encode()})
    with pytest.raises(InputError, match="entry 2 .* was altered"):
        open_board(database_url, small)
