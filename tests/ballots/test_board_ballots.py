"""The encrypted ballots on the board, on both back ends: the key ceremony published as entry 2; a mesa's
record taken only after the final acta that commits to it, split in parts, each of its codes found; bad
records and shares refused with nothing changed; a quorum of trustees' shares decrypting each mesa's tally,
which agrees with its acta, or differs from an altered one and is flagged; all of it again after a
restart."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from actas.acta.codec import parse_payload, sign_acta
from actas.board import Board
from actas.board.outcome import Entered, Entry, Reason, Refused
from actas.e2e.hashing import Context
from actas.e2e.mesa import MesaRecord, check_mesa, record_codes
from actas.e2e.records import ceremony_to_json, dumps, shares_lines
from actas.e2e.tally import MesaShares, tally_shares
from actas.e2e.trustees import Ceremony, Trustee, run_ceremony
from actas.election import Election
from actas.errors import FormatError, InputError
from actas.files import KeySet
from actas.publish import ballots_indexed, part_path, publish_ballots
from actas.server.publishing import Publisher
from actas.signed_note import Signer
from actas.sim.election_day import SimulatedStation, VoterModel, simulate
from actas.sim.generator import synthetic
from actas.store.database import Database
from actas.tally.encrypted import MISSING, PUBLISHED

BOARD_KEY = Signer("actas.test.board", b"\x0b" * 32)
ORIGIN = "actas/test/official"
PART = 12 * 1024
"""Parts this small split every record in several."""


@dataclass(frozen=True)
class Day:
    election: Election
    keys: KeySet
    registry: str
    members: list[Trustee]
    ceremony: Ceremony
    ceremony_text: str
    context: Context
    stations: list[SimulatedStation]

    def record(self, i: int) -> bytes:
        return "".join(self.stations[i].ballots).encode()

    def shares(
        self, trustees: tuple[int, ...], stations: tuple[int, ...], record: bytes | None = None
    ) -> dict[int, bytes]:
        """Each trustee's shares file of these mesas' tallies (of `record` for all of them, when given)."""
        contest = self.election.contests[0]
        files = {}
        for t in trustees:
            member = self.members[t - 1]
            mesas: list[MesaShares] = []
            for i in stations:
                checked = check_mesa(
                    self.context, contest, MesaRecord.from_lines(self._lines(record or self.record(i)))
                )
                station = self.stations[i].station
                key = self.ceremony.share_key(t)
                mesas.append(tally_shares(self.context, t, member.share or 0, key, station, contest, checked.tally))
            files[t] = "".join(shares_lines(self.election.fingerprint, t, mesas)).encode()
        return files

    @staticmethod
    def _lines(data: bytes) -> list[str]:
        return data.decode().splitlines(keepends=True)


@pytest.fixture(scope="module")
def day() -> Day:
    base = synthetic(3, seed=11).to_json()
    for station in base["stations"]:
        station["registered"] = 30
    election = Election.from_json(base)
    keys = KeySet.generate(election, "test-authority")
    members, ceremony = run_ceremony(election.fingerprint, ["Ana", "Bruno", "Carla"], 2)
    context = Context.of(election.fingerprint, ceremony.joint_key())
    key = ceremony.joint_key().hex()
    stations = list(simulate(election, keys.machines, VoterModel(seed=3), workers=1, encryption_key=key))
    registry = keys.registry(election).sign(keys.authority)
    return Day(election, keys, registry, members, ceremony, dumps(ceremony_to_json(ceremony)), context, stations)


@pytest.fixture
def parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("actas.board.ballots.PART_BYTES", PART)


def open_board(url: str, day: Day, ceremony: str | None = None) -> Board:
    board = Board(Database(url), day.election, day.registry, BOARD_KEY, ORIGIN, ceremony=ceremony or day.ceremony_text)
    board.open()
    return board


def publish(board: Board, record: bytes) -> Entered | Refused:
    checked = board.check_record(record)
    return checked if isinstance(checked, Refused) else board.publish_record(checked)  # type: ignore[return-value]


def counted(board: Board) -> None:
    board.sign_checkpoint()
    latest = board.latest_checkpoint()
    assert latest is not None
    board.counting.advance(latest[0])


@pytest.fixture
def board(database_url: str, day: Day, parts: None) -> Iterator[Board]:
    opened = open_board(database_url, day)
    for station in day.stations:
        assert isinstance(opened.submit(station.zero.encode()), Entered)
        assert isinstance(opened.submit(station.final.encode()), Entered)
    yield opened
    opened.db.dispose()


def test_the_ceremony_is_entry_2_and_a_board_keeps_it(database_url: str, day: Day) -> None:
    board = open_board(database_url, day)
    assert [(i, k) for i, k, _ in board.entries(0, 3)] == [(0, "election"), (1, "registry"), (2, "ceremony")]
    assert board.entries(2, 3)[0][2] == day.ceremony_text.encode()
    board.db.dispose()
    with pytest.raises(InputError, match="give it the key ceremony's record"):
        Board(Database(database_url), day.election, day.registry, BOARD_KEY, ORIGIN).open()
    _, other = run_ceremony(day.election.fingerprint, ["X", "Y"], 2)
    with pytest.raises(InputError, match="entry 2 is not this key ceremony's record"):
        open_board(database_url, day, dumps(ceremony_to_json(other)))
    _, foreign = run_ceremony("00" * 32, ["X", "Y"], 2)
    with pytest.raises(InputError, match="another election definition"):
        open_board(database_url, day, dumps(ceremony_to_json(foreign)))


def test_a_record_goes_in_after_its_acta_in_parts_and_each_code_is_found(
    database_url: str, day: Day, parts: None
) -> None:
    board = open_board(database_url, day)
    station = day.stations[0]
    early = publish(board, day.record(0))
    assert isinstance(early, Refused) and "its final acta, which commits to its ballots, goes first" in early.message
    board.submit(station.zero.encode())
    board.submit(station.final.encode())
    size = board.tree.size
    taken = publish(board, day.record(0))
    assert isinstance(taken, Entered) and taken.entry is Entry.ACCEPTED
    indices = taken.said["parts"]
    assert len(indices) > 1 and indices == list(range(size, size + len(indices)))
    again = publish(board, day.record(0))
    assert isinstance(again, Entered) and (again.entry, again.index) == (Entry.DUPLICATE, indices[-1])
    assert board.tree.size == size + len(indices)
    kinds = {k for _, k, _ in board.entries(size, board.tree.size)}
    assert kinds == {"ballots"}
    record = MesaRecord.from_lines(day.record(0).decode().splitlines(keepends=True))
    for place, ballot in enumerate(record.ballots, start=1):
        (found,) = board.find_ballots(ballot.code.hex()[:16])
        assert (found.station, found.place, found.code) == (station.station, place, ballot.code.hex())
        assert found.spoiled == (ballot.spoiled.choice if ballot.spoiled else None)
    assert board.find_ballots("f" * 64) == []
    counted(board)
    encrypted = board.count.encrypted
    assert encrypted is not None and encrypted.status(station.station) == PUBLISHED
    assert encrypted.status(day.stations[1].station) == ""  # neither acta nor ballots yet
    board.db.dispose()


def altered_record(day: Day, change: str) -> bytes:
    lines = day.record(0).decode().splitlines(keepends=True)
    if change == "ballot":
        obj = json.loads(lines[2])
        ballot = bytearray(__import__("base64").b64decode(obj["ballot"]))
        ballot[-40] ^= 1
        obj["ballot"] = __import__("base64").b64encode(bytes(ballot)).decode()
        lines[2] = json.dumps(obj) + "\n"
    elif change == "dropped":
        del lines[3]
    elif change == "election":
        header = json.loads(lines[0])
        header["fingerprint"] = "00" * 32
        lines[0] = json.dumps(header) + "\n"
    elif change == "part":
        header = json.loads(lines[0])
        lines[0] = json.dumps(header | {"part": 1, "parts": 2, "after": ""}) + "\n"
    elif change == "json":
        lines[1] = lines[1][:40] + "\n"
    elif change == "other-mesa":
        return day.record(1)
    return "".join(lines).encode()


@pytest.mark.parametrize(
    ("change", "reason", "said"),
    [
        ("ballot", Reason.INVALID, "does not hold"),
        ("dropped", Reason.INVALID, "does not follow from the ballots before it"),
        ("election", Reason.INVALID, "the record is of another election"),
        ("part", Reason.MALFORMED, "send a mesa's whole record"),
        ("json", Reason.MALFORMED, "not a JSON object"),
        ("binary", Reason.MALFORMED, "UTF-8"),
        ("too-large", Reason.TOO_LARGE, "at most"),
    ],
)
def test_a_bad_record_is_refused_and_changes_nothing(
    board: Board, day: Day, change: str, reason: Reason, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = board.tree.size
    if change == "binary":
        payload = b"\xff\xfe" + day.record(0)
    elif change == "too-large":
        monkeypatch.setattr("actas.board.ballots.MAX_MESA_RECORD_BYTES", len(day.record(0)) - 1)
        payload = day.record(0)
    else:
        payload = altered_record(day, change)
    refused = publish(board, payload)
    assert isinstance(refused, Refused) and refused.reason is reason and said in refused.message, refused
    assert board.tree.size == size and board.find_ballots(day.stations[0].ballots[1][10:26]) == []


def test_a_record_its_acta_does_not_commit_to_is_refused(board: Board, day: Day) -> None:
    record = MesaRecord.from_lines(day.record(0).decode().splitlines(keepends=True))
    shorter = dataclasses.replace(record, ballots=record.ballots[:-1])
    refused = publish(board, "".join(shorter.to_lines()).encode())
    assert isinstance(refused, Refused) and "commits to these ballots" in refused.message


def test_a_quorum_of_shares_decrypts_each_mesa_and_it_agrees(board: Board, day: Day, database_url: str) -> None:
    for i in range(3):
        assert isinstance(publish(board, day.record(i)), Entered)
    files = day.shares((1, 3), (0, 1, 2))
    first = board.publish_shares(files[1])
    assert [(s, o.entry) for s, o in first if isinstance(o, Entered)] == [
        (st.station, Entry.ACCEPTED) for st in day.stations
    ]
    counted(board)
    encrypted = board.count.encrypted
    assert encrypted is not None and {encrypted.status(s.station) for s in day.stations} == {PUBLISHED}
    board.publish_shares(files[3])
    again = board.publish_shares(files[3])
    assert {o.entry for _, o in again if isinstance(o, Entered)} == {Entry.DUPLICATE}
    counted(board)
    view = board.results_view("").json["encrypted"]
    assert (view["agree"], view["differ"], view["published"], view["differ_list"]) == (3, 0, 0, [])
    for station in day.stations:
        verdict = encrypted.verdicts[station.station]
        acta = parse_payload(station.final).acta.contests[0]
        assert list(verdict.decrypted.values()) == [*acta.votes, acta.null]  # type: ignore[union-attr]
    board.db.dispose()
    reopened = open_board(database_url, day)  # counted again from the database
    counted(reopened)
    assert reopened.results_view("").json["encrypted"]["agree"] == 3
    reopened.db.dispose()


def test_bad_shares_are_refused_mesa_by_mesa_and_the_quorum_is_met_without_them(board: Board, day: Day) -> None:
    publish(board, day.record(0))
    publish(board, day.record(1))
    files = day.shares((1, 2, 3), (0, 1))
    lines = files[2].decode().splitlines(keepends=True)
    lying = json.loads(lines[1])
    lying["shares"][0][2] = lying["shares"][0][1]  # the first option's proof no longer holds
    lines[1] = json.dumps(lying) + "\n"
    answered = board.publish_shares("".join(lines).encode())
    (station0, refused), (station1, taken) = answered
    assert isinstance(refused, Refused) and "trustee 2's shares do not hold" in refused.message
    assert station0 == day.stations[0].station and isinstance(taken, Entered)
    other_tally = day.shares((1,), (1,), record=day.record(0))[1]
    wrong = board.publish_shares(other_tally)
    assert isinstance(wrong[0][1], Refused) and "another tally" in wrong[0][1].message
    none_yet = board.publish_shares(day.shares((1,), (2,))[1])
    assert isinstance(none_yet[0][1], Refused) and "no record of its encrypted ballots" in none_yet[0][1].message
    for whole, said in [
        (b"\xff", "UTF-8"),
        (b'{"format": "nope"}\n', "expected format"),
        (files[1].replace(day.election.fingerprint.encode(), b"0" * 64), "another election"),
    ]:
        ((mesa, outcome),) = board.publish_shares(whole)
        assert mesa == "" and isinstance(outcome, Refused) and said in outcome.message
    board.publish_shares(files[1])
    board.publish_shares(files[3])
    counted(board)
    encrypted = board.count.encrypted
    assert encrypted is not None
    assert [encrypted.status(s.station) for s in day.stations] == ["agrees", "agrees", MISSING]


def test_an_altered_acta_is_flagged_against_its_ballots_and_neither_is_taken(
    database_url: str, day: Day, parts: None
) -> None:
    board = open_board(database_url, day)
    station = day.stations[0]
    acta = parse_payload(station.final).acta
    contest = acta.contests[0]
    most = max(range(len(contest.votes)), key=lambda i: contest.votes[i])  # votes moved from the leader to another
    other = 0 if most else 1
    votes = list(contest.votes)
    votes[most], votes[other] = votes[most] - 3, votes[other] + 3
    altered = dataclasses.replace(acta, contests=(dataclasses.replace(contest, votes=tuple(votes)),))
    board.submit(station.zero.encode())
    board.submit(sign_acta(altered, day.keys.machines[station.station]).payload.encode())
    publish(board, day.record(0))
    for file in day.shares((1, 2), (0,)).values():
        board.publish_shares(file)
    counted(board)
    view = board.results_view("").json
    assert view["encrypted"]["differ"] == 1 and view["encrypted"]["differ_list"] == [station.station]
    verdict = board.count.encrypted.verdicts[station.station]  # type: ignore[union-attr]
    options = altered.contests[0].options
    assert verdict.problems == tuple(
        f"{options[i]}: the acta says {votes[i]}, the ballots {contest.votes[i]}" for i in sorted((most, other))
    )
    assert view["contests"][0]["valid"] == sum(votes)  # the acta is still what is counted: nothing is taken
    board.db.dispose()


def test_an_acta_that_commits_to_ballots_the_board_lacks_is_missing(board: Board, day: Day) -> None:
    counted(board)
    encrypted = board.count.encrypted
    assert encrypted is not None and encrypted.stations(MISSING) == sorted(s.station for s in day.stations)
    assert board.results_view("").json["encrypted"]["missing"] == 3


def test_an_observers_board_takes_no_ceremony(day: Day, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="observer's board takes no encrypted ballots"):
        Board(Database(f"sqlite:///{tmp_path / 'b.sqlite'}"), day.election, day.registry, BOARD_KEY, ORIGIN,
              witness_list="x", ceremony=day.ceremony_text)  # fmt: skip


def test_every_part_is_published_alone_and_every_code_indexed(board: Board, day: Day, tmp_path: Path) -> None:
    """`serve --publish` on a board with encrypted ballots: each part of a record alone, under its entry's
    index, and every code in the shard of its first four digits, naming that entry; a second publication
    adds to the shards and writes nothing twice."""
    site = tmp_path / "site"
    publisher = Publisher(board, site, 1)
    for i in (0, 1):
        assert isinstance(publish(board, day.record(i)), Entered)
    board.sign_checkpoint()
    assert publisher.publish() is not None
    first = board.tree.size
    assert ballots_indexed(site) == first

    def published() -> dict[str, int]:
        shards = sorted((site / "ballots" / "codes").iterdir())
        return {code: index for shard in shards for code, index in json.loads(shard.read_text())}

    for i in (0, 1):
        for index, _, part in board.station_records(day.stations[i].station):
            assert (site / part_path(index)).read_bytes() == part == board.entries(index, index + 1)[0][2]
    codes = published()
    expected = {
        ballot.code.hex(): found.index
        for i in (0, 1)
        for ballot in MesaRecord.from_lines(day.record(i).decode().splitlines(keepends=True)).ballots
        for found in board.find_ballots(ballot.code.hex())
    }
    assert codes == expected and len(codes) == sum(len(day.stations[i].ballots) - 1 for i in (0, 1))
    for shard in (site / "ballots" / "codes").iterdir():
        assert {code[:4] for code, _ in json.loads(shard.read_text())} == {shard.stem}

    assert isinstance(publish(board, day.record(2)), Entered)
    board.sign_checkpoint()
    before = {p: p.stat().st_mtime_ns for p in (site / "ballots" / "part").rglob("*") if p.is_file()}
    assert publisher.publish() is not None
    assert ballots_indexed(site) == board.tree.size > first
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())  # earlier parts are not written again
    later = published()
    assert {k: v for k, v in later.items() if k in codes} == codes and len(later) > len(codes)

    (site / "ballots" / "codes" / f"{record_codes(day.record(0))[0][:4]}.json").write_text("[[")
    with pytest.raises(FormatError, match="not an index of confirmation codes"):
        publish_ballots(site, [(first - 1, day.record(0))], first)
    (site / "ballots" / "indexed").write_text("12x")
    with pytest.raises(FormatError, match="not a tree size"):
        publisher.publish_ballots(board.tree.size)
