"""The bulletin board on both back ends: accept, deduplicate, flag conflicts, refuse, restart, prove."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from actas.acta.codec import parse_payload, sign_acta
from actas.board import COUNT_PAGE, Board
from actas.canonical import canonical_json
from actas.errors import InputError, StillCounting, VerificationError
from actas.ledger.checkpoint import Checkpoint, open_checkpoint
from actas.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from actas.server.answers import body, status
from actas.signed_note import Signer
from actas.sim.election_day import VoterModel, simulate
from actas.store.database import Database
from tests.conftest import DatabaseUrls, behind_the_servers_back, postgres_schema_url

BOARD_KEY = Signer("actas.test.board", b"\x09" * 32)
ORIGIN = "actas/test/official"


@pytest.fixture(scope="module")
def day(small: Any) -> list[Any]:
    return list(simulate(small.election, small.keys.machines, VoterModel(seed=3), workers=1))


def open_board(url: str, small: Any, checkpoint_file: Path | None = None) -> Board:
    registry = small.registry.sign(small.keys.authority)
    board = Board(Database(url), small.election, registry, BOARD_KEY, ORIGIN, checkpoint_file=checkpoint_file)
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
    assert (status(first), first.index) == (201, 2)
    again = board.submit(day[0].final.encode())
    assert (status(again), again.index, body(again)["status"]) == (200, 2, "duplicate")
    assert status(board.submit(day[0].zero.encode())) == 201
    original = parse_payload(day[0].final).acta
    changed = dataclasses.replace(
        original,
        contests=(dataclasses.replace(original.contests[0], null=original.contests[0].null + 1),),
        voters=original.voters + 1,
        receipts=original.receipts + 1,
    )
    other = sign_acta(changed, small.keys.machines[original.station])
    conflict = board.submit(other.payload.encode())
    assert status(conflict) == 409 and conflict.index == 4 and "both are kept" in body(conflict)["message"]
    forged = day[1].final.replace("null=", "null=1", 1)
    refused = board.submit(forged.encode())
    assert status(refused) in (400, 422) and board.tree.size == 5
    assert status(board.submit(b"x" * 20000)) == 413
    assert status(board.submit(b"\xff\xfe")) == 400
    assert status(board.submit(b"\xff\xfe")) == 400
    rejected = board.rejection_list(0, 100)
    assert len(rejected) == 3 and max(r["count"] for r in rejected) == 2
    assert all("payload" not in r and r["size"] > 0 for r in rejected)

    board.sign_checkpoint()
    view = board.results_view("").json
    assert view["stations"] == {"expected": 12, "reported": 0, "conflicts": 1}  # the conflicted station is not counted


def test_results_follow_the_checkpoint(database_url: str, small: Any, day: list[Any]) -> None:
    """Each acta is committed with a checkpoint that covers it; another process serving the same board
    counts it once it reads that checkpoint, and not before."""
    board = open_board(database_url, small)
    other = open_board(database_url, small)
    for station in day[:5]:
        assert status(other.submit(station.final.encode())) == 201
    assert other.results_view("").json["stations"]["reported"] == 5
    assert board.results_view("").json["stations"]["reported"] == 0  # this process has not read the checkpoint yet
    latest = board.latest_checkpoint()
    assert latest is not None and latest[0].size == 7
    view = board.results_view("").json
    assert view == other.results_view("").json
    assert view["stations"]["reported"] == 5
    assert view["voters"] == sum(s.voters for s in day[:5])
    region = small.election.path(small.election.stations[0])[0].code
    assert board.results_view(region).json["stations"]["reported"] >= 1
    assert board.sign_checkpoint() is None  # nothing new: no new checkpoint


def test_receipts_prove_inclusion_and_checkpoints_stay_consistent(
    database_url: str, small: Any, day: list[Any]
) -> None:
    board = open_board(database_url, small)
    seen = []
    for station in day[:6]:
        receipt = body(board.submit(station.final.encode()))
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
    root, view = board.tree.root(), board.results_view("").json
    board.db.dispose()
    again = open_board(database_url, small)
    again.latest_checkpoint()
    assert again.tree.root() == root and again.results_view("").json == view
    assert status(again.submit(day[0].final.encode())) == 200


def test_a_board_of_another_election_is_refused(database_url: str, small: Any) -> None:
    open_board(database_url, small).db.dispose()
    other = dataclasses.replace(small.election, name="Another election")
    keys = small.keys
    with pytest.raises(InputError, match="another board"):
        Board(Database(database_url), other, keys.registry(other).sign(keys.authority), BOARD_KEY, ORIGIN).open()


KEY_COLUMN = {"board_entries": "idx", "actas": "idx", "checkpoints": "size", "rejections": "id", "reports": "idx"}
BOARD_TABLES = tuple(KEY_COLUMN)


@pytest.mark.parametrize("table", BOARD_TABLES)
def test_not_even_the_owner_can_change_a_row_while_the_triggers_stand(
    databases: DatabaseUrls, small: Any, day: list[Any], table: str
) -> None:
    board = open_board(databases.server, small)
    board.submit(day[0].final.encode())
    board.submit(b"refused")
    board.record_refusals()
    owner = Database(databases.owner)
    with owner.writer() as conn:  # an official board has no reports: the owner may add a row, as anyone may
        conn.execute(text("INSERT INTO reports (digest, station, witness, idx) VALUES ('d', 's', 'w', 99)"))
    statements = [f"UPDATE {table} SET {KEY_COLUMN[table]} = {KEY_COLUMN[table]}", f"DELETE FROM {table}"]
    statements += [f"TRUNCATE {table}"] if owner.dialect == "postgresql" else []
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), owner.writer() as conn:
            conn.execute(text(statement))
    owner.dispose()
    assert board.tree.size == 3 and len(list(board.entries(0, 10))) == 3 and len(board.rejection_list(0, 10)) == 1


SERVER_CANNOT = [
    "UPDATE {table} SET {column} = {column}",
    "DELETE FROM {table}",
    "TRUNCATE {table}",
    "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
    "DROP TRIGGER {table}_append_only ON {table}",
    "DROP TABLE {table}",
]


@pytest.mark.parametrize("statement", SERVER_CANNOT)
def test_the_servers_postgresql_role_cannot_change_remove_or_unprotect_anything(
    small: Any, day: list[Any], statement: str
) -> None:
    """The server connects as a role that owns nothing: it may read and add rows, and every other statement
    on every board table is refused by PostgreSQL itself, before any trigger."""
    for urls in postgres_schema_url():
        board = open_board(urls.server, small)
        board.submit(day[0].final.encode())
        for table, column in KEY_COLUMN.items():
            with pytest.raises(DBAPIError, match="permission denied|must be (the )?owner"), board.db.writer() as conn:
                conn.execute(text(statement.format(table=table, column=column)))
        assert board.tree.size == 3 and len(list(board.entries(0, 10))) == 3
        board.db.dispose()


def test_a_superuser_or_the_tables_owner_is_refused_as_the_servers_role() -> None:
    for urls in postgres_schema_url():
        with pytest.raises(InputError, match="could alter or empty the board's tables"):
            Database(urls.owner).refuse_owner_role()
        Database(urls.server).refuse_owner_role()


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
    assert (status(first), first.index) == (201, 2)
    assert status(board.announce(note)) == 200 and board.tree.size == 3
    assert board.announcements() == [(2, note.decode())]
    assert status(board.announce(statement.sign(Signer.generate("impostor")).encode())) == 403
    unknown = Announcement(
        small.election.id,
        small.election.fingerprint,
        "2030-06-03T06:10:00Z",
        "x",
        (AnnouncedContest("president", (("NOBODY", 5),)),),
    )
    assert status(board.announce(unknown.sign(small.keys.authority).encode())) == 422
    nowhere = dataclasses.replace(statement, title="Bulletin of no unit", unit="NOWHERE")
    assert status(board.announce(nowhere.sign(small.keys.authority).encode())) == 422  # not in the election
    region = dataclasses.replace(statement, title="Regional bulletin", unit=small.election.units[0].code)
    assert status(board.announce(region.sign(small.keys.authority).encode())) == 201
    assert board.tree.size == 4 and board.announcement_views()[-1]["unit"] == small.election.units[0].code
    assert status(board.announce(b"\xff")) == 400 and board.tree.size == 4


def test_an_entry_altered_behind_the_servers_back_stops_it(databases: DatabaseUrls, small: Any, day: list[Any]) -> None:
    board = open_board(databases.server, small)
    board.submit(day[0].final.encode())
    board.db.dispose()
    behind_the_servers_back(databases.owner, ("UPDATE board_entries SET data = :d WHERE idx = 2", {"d": b"x"}))
    with pytest.raises(InputError, match="entry 2 .* was altered"):
        open_board(databases.server, small)


def test_an_entry_replaced_with_its_leaf_hash_is_found_at_start(
    databases: DatabaseUrls, small: Any, day: list[Any]
) -> None:
    """Another validly signed acta in the place of one acknowledged, with its leaf hash: each row is
    consistent, but the entries no longer hash to the root the server signed."""
    board = open_board(databases.server, small)
    for station in day[:3]:
        board.submit(station.final.encode())
    board.db.dispose()
    other = day[5].final.encode()
    behind_the_servers_back(
        databases.owner,
        ("UPDATE board_entries SET data = :d, leaf_hash = :h WHERE idx = 3", {"d": other, "h": leaf_hash(other)}),
    )
    with pytest.raises(VerificationError, match="first 5 entries .* do not hash to the root of its own latest"):
        open_board(databases.server, small)


def test_entries_removed_with_their_checkpoints_are_found_from_the_checkpoint_file(
    databases: DatabaseUrls, small: Any, day: list[Any], tmp_path: Path
) -> None:
    kept = tmp_path / "board.checkpoint"
    board = open_board(databases.server, small, kept)
    for station in day[:6]:
        assert status(board.submit(station.final.encode())) == 201
    assert open_checkpoint(kept.read_text(), BOARD_KEY.verifier).size == 8
    board.db.dispose()
    behind_the_servers_back(
        databases.owner,
        ("DELETE FROM actas WHERE idx >= 4", {}),
        ("DELETE FROM board_entries WHERE idx >= 4", {}),
        ("DELETE FROM checkpoints WHERE size > 4", {}),
    )
    with pytest.raises(VerificationError, match="holds 4 entries, fewer than the 8 of the checkpoint it signed"):
        open_board(databases.server, small, kept)
    rolled_back = open_board(databases.server, small)  # without the file, the smaller board is self-consistent
    assert rolled_back.tree.size == 4


def test_a_checkpoint_file_signed_with_another_key_is_refused(
    databases: DatabaseUrls, small: Any, tmp_path: Path
) -> None:
    kept = tmp_path / "board.checkpoint"
    open_board(databases.server, small, kept).db.dispose()
    kept.write_text(Checkpoint(ORIGIN, 2, b"\0" * 32).sign(Signer.generate("someone-else")))
    with pytest.raises(VerificationError, match="signature"):
        open_board(databases.server, small, kept)


def test_a_different_zero_acta_after_the_final_puts_the_station_in_conflict(
    database_url: str, small: Any, day: list[Any]
) -> None:
    """The machine was opened again, or someone signed another zero acta with its key: the station's actas no
    longer tell one story, so it is in conflict and not counted, on the board and in every recount."""
    board = open_board(database_url, small)
    station = day[0]
    assert status(board.submit(station.zero.encode())) == 201
    assert status(board.submit(station.final.encode())) == 201
    board.sign_checkpoint()
    assert board.results_view("").json["stations"] == {"expected": 12, "reported": 1, "conflicts": 0}
    zero = parse_payload(station.zero)
    reopened = sign_acta(
        dataclasses.replace(zero.acta, opened="2030-06-02T13:00:00Z"), small.keys.machines[station.station]
    )
    assert status(board.submit(reopened.payload.encode())) == 409
    board.sign_checkpoint()
    assert board.results_view("").json["stations"] == {"expected": 12, "reported": 0, "conflicts": 1}
    assert board.results.status(station.station) == "conflict" and board.results.conflicts() == [station.station]
    recount = board.results_at(board.tree.size)
    assert recount.status(station.station) == "conflict" and station.station not in recount.counted()


@pytest.mark.parametrize("damage", ["pages", "header"])
def test_a_damaged_sqlite_file_is_refused_at_start(small: Any, day: list[Any], tmp_path: Path, damage: str) -> None:
    url = f"sqlite:///{tmp_path / 'board.sqlite'}"
    board = open_board(url, small)
    for station in day:
        board.submit(station.final.encode())
    board.db.dispose()
    path = tmp_path / "board.sqlite"
    assert not (tmp_path / "board.sqlite-wal").exists() or (tmp_path / "board.sqlite-wal").stat().st_size == 0
    data = bytearray(path.read_bytes())
    if damage == "header":
        data[:16] = b"not a database!!"
    else:
        for page in range(2, len(data) // 4096):
            data[page * 4096 + 100 : page * 4096 + 400] = bytes(range(256)) + bytes(44)  # every b-tree page torn
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="damaged|cannot be read"):
        open_board(url, small)


@pytest.mark.parametrize("page", [COUNT_PAGE, 4])  # one page read in this thread; pages read on every core
def test_a_restarted_board_takes_actas_at_once_and_answers_results_once_counted(
    database_url: str, small: Any, day: list[Any], page: int
) -> None:
    board = open_board(database_url, small)
    for station in day[:8]:
        board.submit(station.zero.encode())
        board.submit(station.final.encode())
    expected = open_board(database_url, small)  # counted as it opens
    board.db.dispose()
    registry = small.registry.sign(small.keys.authority)
    restarted = Board(Database(database_url), small.election, registry, BOARD_KEY, ORIGIN)
    restarted.open(count_now_up_to=4)  # a larger board is counted after it opens
    assert restarted.tree.size == 18 and restarted.tree.root() == expected.tree.root()
    with pytest.raises(StillCounting, match="counted after the server restarted: 0 of 18 entries"):
        restarted.results_view("")
    assert status(restarted.submit(day[9].final.encode())) == 201  # ingest does not wait for the count
    with pytest.raises(StillCounting):
        restarted.counted_snapshot()
    restarted.count_board(page)
    view = restarted.results_view("").json
    assert view["stations"]["reported"] == 9 and view["checkpoint"]["size"] == 19
    expected.submit(day[9].final.encode())
    expected.sign_checkpoint()
    assert restarted.results_view("").json["contests"] == expected.results_view("").json["contests"]
    assert restarted.arrivals() == expected.arrivals()


def test_an_entry_that_cannot_be_read_keeps_the_results_from_being_answered(
    database_url: str, small: Any, day: list[Any]
) -> None:
    """An operator holding the board's key appends a malformed acta and signs over it: the tree and its
    checkpoints agree, but the count cannot be made, and the server says so rather than answer totals."""
    board = open_board(database_url, small)
    board.submit(day[0].final.encode())
    with board.log.writing() as statements:
        board.log.append(statements, [("acta", b"actas acta v1\nkind final\nnot an acta\n")])
        board.log.sign(statements)
    board.db.dispose()
    registry = small.registry.sign(small.keys.authority)
    restarted = Board(Database(database_url), small.election, registry, BOARD_KEY, ORIGIN)
    restarted.open(count_now_up_to=4)
    restarted.count_board()
    with pytest.raises(StillCounting, match="cannot be counted"):
        restarted.results_view("")
    assert status(restarted.submit(day[1].final.encode())) == 201  # the board still takes actas
