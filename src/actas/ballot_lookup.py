"""A voter's or a witness's check of one ballot and its mesa against an official board, trusting nothing the
server says that it cannot prove (docs/e2e.md): the ballot found by its code; every entry it rests on (the
part of the record that holds it, every part of the mesa's record, the key ceremony, the key registry,
the mesa's final acta) proved included in a checkpoint signed by the board's key; every ballot of the
mesa checked, its chain linked part to part; the key ceremony usable; the mesa's final acta, signed
by its machine, committing to the record; and, once the trustees have published their shares of the
mesa's tally, each share's proof checked, the tally decrypted here and set against the acta. A mesa is
some hundreds of ballots: seconds of work, without mirroring the board."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from actas.acta.check import check_acta
from actas.acta.codec import parse_payload
from actas.acta.model import Acta, ActaKind
from actas.e2e.elgamal import DiscreteLog
from actas.e2e.hashing import Context
from actas.e2e.mesa import MesaCheck, MesaRecord, check_mesa, linked
from actas.e2e.records import ceremony_from_text, mesa_shares_entry
from actas.e2e.tally import AGREES, DIFFERS, MesaShares, MesaVerdict, mesa_verdict
from actas.e2e.trustees import Ceremony
from actas.election import Election
from actas.errors import ActasError, InputError
from actas.ledger.checkpoint import open_checkpoint
from actas.ledger.merkle import leaf_hash, verify_inclusion
from actas.registry import KeyRegistry
from actas.signed_note import Verifier

TIMEOUT = 60.0


@dataclass
class BoardBallot:
    """What the check found: the ballot, its mesa, and every problem, named."""

    code: str
    found: bool = False
    station: str = ""
    place: int = 0
    state: str = ""
    """cast or spoiled."""
    choice: str | None = None
    """For a challenged ballot, what its revealed nonces show."""
    mesa: str = ""
    """What the board says of the mesa's ballots (missing, published, agrees, differs, unchecked)."""
    verdict: MesaVerdict | None = None
    """The mesa's tally decrypted here from the trustees' shares on the board, against its acta (None
    before a quorum of trustees published theirs)."""
    shares: int = 0
    """Trustees' shares of the mesa's tally on the board, each proved included."""
    ballots: int = 0
    """Ballots in the mesa's record, every one checked here."""
    checkpoint: int = 0
    """The size of the checkpoint that includes the ballot."""
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code, "found": self.found, "mesa": self.station, "place": self.place, "state": self.state,
            "choice_revealed": self.choice, "board_says": self.mesa,
            "verdict": self.verdict.to_json() if self.verdict is not None else None,
            "shares": self.shares, "ballots_checked": self.ballots, "checkpoint": self.checkpoint,
            "problems": self.problems,
        }  # fmt: skip


class BoardReader:
    """An official board read over HTTP, every entry it gives proved against a checkpoint signed by its key."""

    def __init__(self, server: str, board_key: Verifier | None) -> None:
        self.base = server.rstrip("/")
        self.client = httpx.Client(timeout=TIMEOUT)
        self.key = board_key or self._key()

    def get(self, path: str, **params: Any) -> httpx.Response:
        try:
            return self.client.get(self.base + path, params=params)
        except httpx.HTTPError as exc:
            raise InputError(f"{self.base} cannot be reached: {exc}") from None

    def json(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.get(path, **params)
        if response.status_code != 200:
            raise InputError(f"{self.base}{path}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            found = response.json()
        except ValueError:
            raise InputError(f"{self.base}{path}: not JSON") from None
        if not isinstance(found, dict):
            raise InputError(f"{self.base}{path}: not a JSON object")
        return found

    def _key(self) -> Verifier:
        response = self.get("/v1/board/key")
        try:
            return Verifier.from_text(response.text.strip()[:1000])
        except ActasError as exc:
            raise InputError(f"{self.base} gives no board key: {exc}") from None

    def proved(self, entry: bytes, index: int, answer: dict[str, Any], what: str, problems: list[str]) -> int:
        """Check that `entry` is at `index` under the answer's checkpoint, signed by the board's key; the
        checkpoint's size (0 when it does not hold, with the problem added)."""
        try:
            checkpoint = open_checkpoint(str(answer.get("checkpoint") or ""), self.key)
            proof = answer.get("inclusion_proof") or {}
            path = [bytes.fromhex(p) for p in proof.get("proof", [])]
            verify_inclusion(leaf_hash(entry), index, checkpoint.size, path, checkpoint.root)
        except (ActasError, ValueError, AttributeError, TypeError) as exc:
            problems.append(f"{what}: not proved on the board: {exc}")
            return 0
        return checkpoint.size

    def proved_at(self, entry: bytes, index: int, note: str, what: str, problems: list[str]) -> None:
        """Check that `entry` is at `index` under the signed checkpoint `note`, with the board's inclusion
        proof for that checkpoint's size."""
        try:
            size = open_checkpoint(note, self.key).size
        except ActasError as exc:
            problems.append(f"{what}: not proved on the board: {exc}")
            return
        proof = self.json("/v1/board/proof/inclusion", index=index, size=size)
        self.proved(entry, index, {"checkpoint": note, "inclusion_proof": proof}, what, problems)

    def close(self) -> None:
        self.client.close()


def check_on_board(server: str, code: str, board_key: Verifier | None = None) -> BoardBallot:
    """Find the ballot of `code` (16 to 64 lowercase hexadecimal digits) on the board and check it and its
    mesa; InputError when the board cannot be read."""
    board = BoardReader(server, board_key)
    try:
        return _check(board, code)
    finally:
        board.close()


def _check(board: BoardReader, code: str) -> BoardBallot:
    result = BoardBallot(code)
    response = board.get(f"/v1/ballot/{code}")
    if response.status_code == 404:
        return result
    if response.status_code != 200:
        raise InputError(f"{board.base}: the ballot of code {code}: HTTP {response.status_code}: {response.text[:200]}")
    found = response.json()
    problems = result.problems
    entry = str(found.get("entry", "")).encode()
    result.found = True
    result.code, result.station, result.place = str(found["code"]), str(found["station"]), int(found["place"])
    result.state, result.mesa = str(found["state"]), str(found.get("mesa", ""))
    result.choice = (found.get("spoiled") or {}).get("choice")
    result.checkpoint = board.proved(entry, int(found.get("index", -1)), found, "the ballot's part", problems)
    if f'"code": "{result.code}"' not in entry.decode("utf-8", "replace"):
        problems.append("the entry the board gives for this ballot does not hold it")
    genesis = board.json("/v1/board/entries", start=0, end=2)["entries"]
    ceremony_answer = board.json("/v1/ceremony")
    ceremony_text = str(ceremony_answer["record"])
    board.proved(ceremony_text.encode(), 2, ceremony_answer, "the key ceremony", problems)
    note = str(ceremony_answer.get("checkpoint") or "")
    for index, what in enumerate(("the election's definition", "the key registry")):
        board.proved_at(str(genesis[index]["data"]).encode(), index, note, what, problems)
    election = Election.from_json(_loads(genesis[0]["data"]))
    ceremony = ceremony_from_text(ceremony_text)
    if ceremony.fingerprint != election.fingerprint or ceremony.unusable():
        problems.append("the key ceremony on the board cannot be used for this election")
        return result
    context = Context.of(election.fingerprint, ceremony.joint_key())
    mesa = board.json(f"/v1/ballots/{result.station}")
    record = record_in(board, mesa, election, result.station, problems)
    checked = None
    if record is not None:
        checked = check_mesa(context, election.contests[0], record)
        result.problems += list(checked.problems)
        result.ballots = len(record.ballots)
    finals = _check_acta(board, result, genesis, election, checked.last_code if checked is not None else None)
    shares = _shares_in(board, mesa, election.fingerprint, result.station, problems)
    result.shares = len(shares)
    if checked is not None and len(shares) >= ceremony.k:
        _decrypt_here(result, context, ceremony, election, checked, shares, finals)
    return result


def _decrypt_here(
    result: BoardBallot,
    context: Context,
    ceremony: Ceremony,
    election: Election,
    checked: MesaCheck,
    shares: list[MesaShares],
    finals: list[Acta],
) -> None:
    """The mesa's tally decrypted from the trustees' shares and set against its final acta, as the board's
    count does it (`tally.encrypted`), and the board named where it says otherwise."""
    acta = finals[0] if len(finals) == 1 else None  # two final actas in conflict: neither is counted
    contest, station = election.contests[0], result.station
    result.verdict = mesa_verdict(context, ceremony, contest, station, checked, shares, acta, DiscreteLog())
    if result.mesa in (AGREES, DIFFERS) and result.verdict.status != result.mesa:
        result.problems.append(
            f"the board says mesa {station}'s ballots {_said(result.mesa)} its acta; decrypted here, they "
            f"{_said(result.verdict.status)} it"
        )


def _said(status: str) -> str:
    return {AGREES: "agree with", DIFFERS: "differ from"}.get(status, "cannot be set against")


def board_record(board: BoardReader, election: Election, station: str, problems: list[str]) -> MesaRecord | None:
    """A mesa's whole record as the board holds it (`record_in`)."""
    return record_in(board, board.json(f"/v1/ballots/{station}"), election, station, problems)


def record_in(
    board: BoardReader, mesa: dict[str, Any], election: Election, station: str, problems: list[str]
) -> MesaRecord | None:
    """A mesa's whole record in the board's answer of its ballots: every part proved included, read and
    linked code to code from the first to the last (None, with the problem added, when they do not make a
    whole record; a mesa with no record at all adds none)."""
    parts = []
    for item in mesa.get("parts", []):
        index, data = int(item["index"]), str(item["part"]).encode()
        board.proved(data, index, {"checkpoint": mesa.get("checkpoint"), **item}, f"part at entry {index}", problems)
        try:
            parts.append(MesaRecord.from_lines(data.decode("utf-8").splitlines(keepends=True)))
        except (ActasError, UnicodeDecodeError) as exc:
            problems.append(f"part at entry {index}: cannot be read: {exc}")
    if not parts:
        return None
    wholes = linked(parts)
    if not wholes:
        problems.append(f"the board does not hold every part of mesa {station}'s record, linked")
        return None
    chain = wholes[0]
    return MesaRecord(chain[0].fingerprint, station, chain[0].contest, tuple(b for p in chain for b in p.ballots))


def _shares_in(
    board: BoardReader, mesa: dict[str, Any], fingerprint: str, station: str, problems: list[str]
) -> list[MesaShares]:
    """Each trustee's shares of the mesa's tally in the board's answer, proved included and read (their
    proofs are checked by `mesa_verdict`)."""
    found = []
    for item in mesa.get("shares", []):
        index, data = int(item["index"]), str(item["entry"])
        board.proved(data.encode(), index, {"checkpoint": mesa.get("checkpoint"), **item}, f"shares at entry {index}",
                     problems)  # fmt: skip
        try:
            given_for, shares = mesa_shares_entry(data, f"shares at entry {index}")
        except ActasError as exc:
            problems.append(f"shares at entry {index}: cannot be read: {exc}")
            continue
        if given_for != fingerprint or shares.station != station:
            problems.append(f"shares at entry {index}: not of mesa {station}'s tally in this election")
            continue
        found.append(shares)
    return found


def _check_acta(
    board: BoardReader, result: BoardBallot, genesis: list[dict[str, Any]], election: Election, last: bytes | None
) -> list[Acta]:
    """The mesa's final actas, each proved on the board and signed by its machine; one of them commits to the
    record."""
    try:
        registry = KeyRegistry.from_text(str(genesis[1]["data"]))
    except ActasError as exc:
        result.problems.append(f"the board's key registry: {exc}")
        return []
    if registry.fingerprint != election.fingerprint:
        result.problems.append("the board's key registry is of another election")
    answer = board.json(f"/v1/actas/{result.station}")
    finals = []
    for item in answer.get("actas", []):
        if item.get("kind") != ActaKind.FINAL.value:
            continue
        payload = str(item["payload"])
        board.proved(payload.encode(), int(item["index"]), {"checkpoint": answer.get("checkpoint"), **item},
                     f"mesa {result.station}'s final acta", result.problems)  # fmt: skip
        signed = parse_payload(payload)
        result.problems += [f"mesa {result.station}'s final acta: {f}" for f in check_acta(signed, registry)]
        finals.append(signed.acta)
    if last is not None and not any(a.ballots == last.hex() for a in finals):
        result.problems.append(f"no final acta of mesa {result.station} on the board commits to its record")
    return finals


def _loads(text: str) -> dict[str, Any]:
    found = json.loads(text)
    if not isinstance(found, dict):
        raise InputError("the board's entry 0 is not an election definition")
    return found
