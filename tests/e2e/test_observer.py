"""The observer role: an organization's parallel tabulation of its witnesses' reports, over real HTTP,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import os
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actas.acta.codec import parse_payload
from actas.acta.model import SignedActa
from actas.demo.parallel import publish_tampered
from actas.files import load_election
from actas.ledger.checkpoint import open_checkpoint
from actas.ledger.merkle import leaf_hash, verify_inclusion
from actas.server.process import RunningServer, start_server
from actas.sim.scenarios import Tampering, alter_counts
from actas.witness.report import KEYS as REPORT_KEYS
from actas.witness.report import Incident, WitnessReport
from tests.conftest import assert_clean_failure, enroll_witnesses, run_actas, simulated_day
from tests.e2e.test_server import assert_no_server_error

WITNESSES = 12
TEXT = {"content-type": "text/plain"}


@dataclass(frozen=True)
class Org:
    day: Path
    witnesses: Path
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    root = tmp_path_factory.mktemp("observer")
    day = simulated_day(root, 30, 11)
    tokens = enroll_witnesses(root, WITNESSES, day / "e")
    assert stat.S_IMODE(os.stat(root / "w.tokens").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(root / "organization.key").st_mode) == 0o600
    assert not any(token in (root / "witnesses.txt").read_text() for token in tokens.values())
    return Org(day, root / "witnesses.txt", tokens)


@pytest.fixture
def observer(org: Org, database_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(
        org.day / "e",
        org.day / "d" / "registry.note",
        database_url,
        tmp_path / "observer.key",
        refresh_interval=0.3,
        witnesses=org.witnesses,
    )
    yield running
    running.stop()


def finals(day: Path) -> dict[str, SignedActa]:
    records = [json.loads(x) for x in (day / "d" / "actas.jsonl").read_text().splitlines()]
    signed = [parse_payload(r["payload"]) for r in records if r["kind"] == "final"]
    return {s.acta.station: s for s in signed}


def report(signed: SignedActa | None, witness: str, station: str | None = None, **fields: Any) -> WitnessReport:
    hand: dict[str, int] = {}
    if signed is not None and fields.pop("hand", True):
        hand = {o: n for c in signed.acta.contests for o, n in zip(c.options, c.votes, strict=True)}
    return WitnessReport(
        station=station or (signed.acta.station if signed else ""),
        witness=witness,
        acta=signed.payload if signed else None,
        acta_status="verified" if signed else "none",
        hand_counted=bool(hand),
        hand=tuple(hand.items()),
        receipts=sum(hand.values()) if hand else None,
        **fields,
    )


def send(server: RunningServer, org: Org, r: WitnessReport | bytes, as_witness: str | None = None) -> httpx.Response:
    body = r if isinstance(r, bytes) else r.to_bytes()
    witness = as_witness or (r.witness if isinstance(r, WitnessReport) else "W-0001")
    headers = {"content-type": "application/json", "authorization": f"Bearer {org.tokens[witness]}"}
    return httpx.post(server.url + "/v1/witness/reports", content=body, headers=headers, timeout=30)


def test_a_witness_report_is_filed_with_a_receipt_and_counted(observer: RunningServer, org: Org) -> None:
    actas = finals(org.day)
    station, signed = next(iter(actas.items()))
    response = send(observer, org, report(signed, "W-0001"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "accepted" and body["mesa"] == "complete" and body["station"] == station
    checkpoint = open_checkpoint(body["checkpoint"], observer.board_key, observer.origin)
    assert observer.origin.endswith("/observer")
    entry = report(signed, "W-0001").to_bytes()
    proof = [bytes.fromhex(p) for p in body["inclusion_proof"]]
    verify_inclusion(leaf_hash(entry), body["index"], checkpoint.size, proof, checkpoint.root)

    again = send(observer, org, report(signed, "W-0001"))
    assert again.status_code == 200 and again.json()["index"] == body["index"]

    results = httpx.get(observer.url + "/v1/results").json()
    assert results["stations"]["reported"] == 1
    counted = {c["id"]: c["votes"] for c in results["contests"][0]["candidates"]}
    contest = signed.acta.contests[0]
    assert sum(counted.values()) == sum(contest.votes)
    coverage = httpx.get(observer.url + "/v1/coverage").json()
    assert coverage["complete"] == 1 and coverage["missing"] == len(actas) - 1 and coverage["confirmed"] == 0
    assert sum(child["complete"] for child in coverage["children"]) == 1

    # the witness list is on the board, so anyone can check who was allowed to report
    entries = httpx.get(observer.url + "/v1/board/entries").json()["entries"]
    assert [e["kind"] for e in entries[:4]] == ["election", "registry", "witnesses", "report"]
    assert entries[2]["data"] == org.witnesses.read_text()


def test_agreeing_witnesses_confirm_a_mesa_and_disagreeing_ones_put_it_in_conflict(
    observer: RunningServer, org: Org
) -> None:
    actas = finals(org.day)
    (a, first), (b, second) = list(actas.items())[:2]
    assert send(observer, org, report(first, "W-0001")).json()["mesa"] == "complete"
    assert send(observer, org, report(first, "W-0002")).json()["mesa"] == "complete"
    record = httpx.get(f"{observer.url}/v1/witness/mesas/{a}").json()
    assert record["status"] == "complete" and record["confirmed"] is True
    assert [r["witness"] for r in record["reports"]] == ["W-0001", "W-0002"]

    # a witness who brings another mesa's acta is refused; one who brings a different acta of this mesa
    # (here: a genuine acta of the same election, so only the disagreement is at stake) puts it in conflict
    wrong = send(observer, org, report(second, "W-0003", station=a))
    assert wrong.status_code == 422 and "mesa" in wrong.json()["error"]["message"]

    assert send(observer, org, report(second, "W-0003")).json()["mesa"] == "complete"
    hand_only = report(None, "W-0004", station=b, incidents=(Incident("witness-forced-to-leave", "at 18:40"),))
    assert send(observer, org, hand_only).json()["mesa"] == "complete"
    record = httpx.get(f"{observer.url}/v1/witness/mesas/{b}").json()
    assert record["incidents"] is True and len(record["reports"]) == 2

    # a paper count that differs from the acta is flagged, and kept
    counts = dict(report(first, "W-0005").hand)
    option = next(iter(counts))
    counts[option] += 3
    recount = WitnessReport(
        station=a,
        witness="W-0005",
        acta=first.payload,
        acta_status="verified",
        hand_counted=True,
        hand=tuple(counts.items()),
        receipts=sum(counts.values()),
    )
    assert send(observer, org, recount).status_code == 201
    record = httpx.get(f"{observer.url}/v1/witness/mesas/{a}").json()
    assert record["status"] == "complete" and record["paper_differs"] is True and len(record["reports"]) == 3

    coverage = httpx.get(observer.url + "/v1/coverage").json()
    assert (coverage["complete"], coverage["confirmed"], coverage["incidents"], coverage["paper_differs"]) == (
        2,
        1,
        1,
        1,
    )


def test_different_actas_for_one_mesa_are_all_kept_and_the_mesa_is_not_counted(
    observer: RunningServer, org: Org, tmp_path: Path
) -> None:
    """Two witnesses bring different actas of one mesa, both signed by its machine's key (a machine that
    printed two actas, say)."""
    from actas.acta.codec import sign_acta
    from actas.files import KeySet

    actas = finals(org.day)
    station, signed = next(iter(actas.items()))
    keys = KeySet.load(org.day / "d" / "keys")
    contest = signed.acta.contests[0]
    moved = (contest.votes[0] - 1, contest.votes[1] + 1, *contest.votes[2:])
    other = sign_acta(
        dataclasses.replace(signed.acta, contests=(dataclasses.replace(contest, votes=moved),)), keys.machines[station]
    )
    assert send(observer, org, report(signed, "W-0001")).json()["mesa"] == "complete"
    answer = send(observer, org, report(other, "W-0002"))
    assert answer.status_code == 201 and answer.json()["mesa"] == "conflict"
    record = httpx.get(f"{observer.url}/v1/witness/mesas/{station}").json()
    assert record["status"] == "conflict" and len(record["actas"]) == 2 and len(record["reports"]) == 2
    results = httpx.get(observer.url + "/v1/results").json()
    assert results["stations"]["reported"] == 0 and results["stations"]["conflicts"] == 1

    # the first witness corrects their report: the earlier one stays on the board, superseded
    assert send(observer, org, report(other, "W-0001")).json()["mesa"] == "complete"
    record = httpx.get(f"{observer.url}/v1/witness/mesas/{station}").json()
    assert record["confirmed"] is True and [r["current"] for r in record["reports"]] == [False, True, True]


def test_witnesses_reporting_at_once_are_all_filed(observer: RunningServer, org: Org) -> None:
    actas = list(finals(org.day).values())
    reports = [report(signed, f"W-{1 + i % WITNESSES:04d}") for i, signed in enumerate(actas)]
    reports += [report(signed, f"W-{1 + (i + 5) % WITNESSES:04d}") for i, signed in enumerate(actas[:10])]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda r: send(observer, org, r), reports))
    assert [a.status_code for a in answers] == [201] * len(reports)
    assert len({a.json()["index"] for a in answers}) == len(reports)
    coverage = httpx.get(observer.url + "/v1/coverage").json()
    assert coverage["complete"] == len(actas) and coverage["missing"] == 0 and coverage["confirmed"] == 10
    export = httpx.get(observer.url + "/v1/export/mesas.csv").text.splitlines()
    assert sum(1 for line in export[1:] if ",counted," in line) == len(actas)


def test_unauthenticated_forged_and_malformed_reports_are_refused_and_change_nothing(
    observer: RunningServer, org: Org
) -> None:
    signed = next(iter(finals(org.day).values()))
    good = report(signed, "W-0001").to_bytes()
    url = observer.url + "/v1/witness/reports"
    before = httpx.get(observer.url + "/v1/board/checkpoint").text

    def post(body: bytes, token: str | None, content_type: str = "application/json") -> httpx.Response:
        headers = {"content-type": content_type}
        if token is not None:
            headers["authorization"] = token
        return httpx.post(url, content=body, headers=headers, timeout=30)

    for header in (None, "Bearer", "Bearer not-a-token", f"Basic {org.tokens['W-0001']}", "Bearer " + "x" * 5000):
        answer = post(good, header)
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer"), header
    forged = post(good, f"Bearer {org.tokens['W-0002']}")
    assert forged.status_code == 403 and "W-0001" in forged.json()["error"]["message"]
    token = f"Bearer {org.tokens['W-0001']}"
    altered = good.replace(b"voters ", b"voters 1", 1)
    option = signed.acta.contests[0].options[0]
    implausible = dataclasses.replace(
        report(signed, "W-0001"), hand=((option, signed.acta.registered + 1),), receipts=signed.acta.registered + 1
    )
    cases = {
        b"": 400,
        b"{": 400,
        b"[]": 400,
        b"\xff\xfe": 400,
        b"[" * 50_000: 400,
        good.replace(b'"hand_counted":true', b'"hand_counted":"yes"'): 400,
        good.replace(b'"format":"actas witness report v1"', b'"format":"v0"'): 400,
        altered: 422,
        good.replace(signed.acta.station.encode(), b"NO.SUCH.MESA"): 422,
        implausible.to_bytes(): 422,
        b" " * 200_000: 413,
    }
    for body, status in cases.items():
        answer = post(body, token)
        assert answer.status_code == status, (body[:60], answer.text)
        assert set(answer.json()["error"]) == {"code", "message"}
    assert post(good, token, "text/plain").status_code == 415
    unsigned = WitnessReport(
        station=signed.acta.station,
        witness="W-0001",
        acta="110601011.04.1.0001!" + ",".join(["1"] * 38) + "!0!0",
        acta_status="unsigned",
        hand_counted=False,
    )
    answer = post(unsigned.to_bytes(), token)
    assert answer.status_code == 422 and "unsigned" in answer.json()["error"]["message"]
    assert httpx.get(observer.url + "/v1/board/checkpoint").text == before
    assert httpx.get(observer.url + "/v1/coverage").json()["missing"] == len(finals(org.day))
    rejections = httpx.get(observer.url + "/v1/rejections").json()["rejections"]
    assert any("does not verify" in r["reason"] for r in rejections)
    assert any("implausible" in r["reason"] for r in rejections)


def test_each_board_takes_only_its_own_writes(observer: RunningServer, org: Org, tmp_path: Path) -> None:
    acta = next(iter(finals(org.day).values()))
    answer = httpx.post(observer.url + "/v1/actas", content=acta.payload, headers={"content-type": "text/plain"})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "wrong_board"
    official = start_server(
        org.day / "e", org.day / "d" / "registry.note", f"sqlite:///{tmp_path / 'o.sqlite'}", tmp_path / "o.key"
    )
    with official:
        answer = send(official, org, report(acta, "W-0001"))
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "wrong_board"
        assert httpx.get(official.url + "/v1/coverage").status_code == 404


def test_the_observer_role_needs_a_valid_witness_list(org: Org, tmp_path: Path) -> None:
    common = ["--election", org.day / "e", "--registry", org.day / "d" / "registry.note", "--port", "0"]
    common += ["--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "--board-key", tmp_path / "x.key"]
    assert_clean_failure(run_actas("serve", "--role", "observer", *common), 2)
    assert_clean_failure(run_actas("serve", "--role", "auditor", *common), 2)
    bad = tmp_path / "bad.txt"
    bad.write_text("actas witness list v1\nW-1 not-a-hash\n")
    result = run_actas("serve", "--role", "observer", "--witnesses", bad, *common)
    assert_clean_failure(result, 2)
    assert "witness list: not a signed list" in result.stderr
    text = org.witnesses.read_text()
    forged = tmp_path / "forged.txt"  # a witness added by someone without the organization's key
    forged.write_text(
        text.replace("witnesses 12\n", "witnesses 13\n").replace("\n\n", f"\nwitness W-9999 {'a' * 64} X\n\n")
    )
    result = run_actas("serve", "--role", "observer", "--witnesses", forged, *common)
    assert_clean_failure(result, 1)
    assert "not signed by its organization's key" in result.stderr
    stranger = run_actas(
        "witness", "enroll", "--count", 1, "--mesa", "X", "--org-key", tmp_path / "other.key",
        "--list", tmp_path / "other.txt", "--tokens", tmp_path / "other.tokens",
    )  # fmt: skip
    pinned = ["--organization", stranger.stdout.split("signed by ")[1].strip()]
    result = run_actas("serve", "--role", "observer", "--witnesses", org.witnesses, *pinned, *common)
    assert_clean_failure(result, 1)
    assert "not the pinned" in result.stderr
    again = run_actas(
        "witness", "enroll", "W-0001", "--mesa", "X", "--list", org.witnesses, "--tokens", tmp_path / "t",
        "--org-key", org.witnesses.with_name("organization.key"),
    )  # fmt: skip
    assert_clean_failure(again, 2)
    assert not (tmp_path / "t").exists()


def test_reconcile_an_official_board_with_an_observers_board(org: Org, tmp_path: Path) -> None:
    """The authority publishes one mesa with altered counts and withholds another; a witness's hand count
    differs from the machine's at a third. Reconciled from the servers and from mirrors of them."""

    actas = finals(org.day)
    codes = sorted(actas)
    altered, withheld, recounted = codes[0], codes[1], codes[2]
    registry = (org.day / "d" / "registry.note").read_text()
    official = start_server(
        org.day / "e", org.day / "d" / "registry.note", f"sqlite:///{tmp_path / 'o.sqlite'}", tmp_path / "o.key"
    )
    observer = start_server(
        org.day / "e",
        org.day / "d" / "registry.note",
        f"sqlite:///{tmp_path / 'w.sqlite'}",
        tmp_path / "w.key",
        witnesses=org.witnesses,
    )
    with official, observer:
        for code in codes[3:] + [recounted]:
            posted = httpx.post(official.url + "/v1/actas", content=actas[code].payload, headers=TEXT)
            assert posted.status_code == 201
        election = load_election(org.day / "e")
        tampering = Tampering({altered: alter_counts(actas[altered].payload)}, frozenset({withheld}))
        publish_tampered(
            f"sqlite:///{tmp_path / 'o.sqlite'}", tmp_path / "o.key", official.origin, election, registry, tampering
        )
        for n, code in enumerate(codes[:10]):
            filed = report(actas[code], f"W-{n + 1:04d}")
            if code == recounted:
                counts = dict(filed.hand)
                first = next(iter(counts))
                counts[first] += 2
                filed = dataclasses.replace(filed, hand=tuple(counts.items()), receipts=filed.receipts + 2)
            assert send(observer, org, filed).status_code == 201
        mirrors = tmp_path / "official-mirror", tmp_path / "observer-mirror"
        for url, folder in zip((official.url, observer.url), mirrors, strict=True):
            copied = run_actas("mirror", url, folder)
            assert copied.code == 0, copied.stderr
        for sources in ((official.url, observer.url), mirrors):
            found = run_actas("reconcile", *sources, "--csv", tmp_path / "d.csv", "--json")
            assert found.code == 1, found.stderr
            data = json.loads(found.stdout)
            assert data["stations"] == {
                "identical": 8,
                "different": 1,
                "only-official": len(codes) - 10,
                "only-observer": 1,
                "paper-differs": 2,
            }
            rows = list(csv.DictReader((tmp_path / "d.csv").open()))
            different = [r for r in rows if r["status"] == "different"]
            assert {r["station"] for r in different} == {altered}
            assert {(r["official_signature"], r["observer_signature"]) for r in different} == {("invalid", "valid")}
            assert [r["station"] for r in rows if r["status"] == "only-observer"] == [withheld]
            paper = {r["station"] for r in rows if r["status"] == "paper-differs"}
            assert paper == {recounted, altered}  # the altered acta's counts are not what the paper says either
    # a mirror is read without a network, and a mirror whose entries were changed is refused
    assert run_actas("results", mirrors[1]).code == 0
    lines = (mirrors[0] / "entries.jsonl").read_text().splitlines()
    lines[5] = lines[5].replace("voters ", "voters 9", 1)
    (mirrors[0] / "entries.jsonl").write_text("\n".join(lines) + "\n")
    broken = run_actas("reconcile", *mirrors)
    assert_clean_failure(broken, 1)
    assert "do not hash to the checkpoint" in broken.stderr


SENDERS = itertools.cycle(f"W-{n:04d}" for n in range(1, WITNESSES + 1))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=3000)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.dictionaries(st.sampled_from(sorted(REPORT_KEYS)), json_values).map(lambda v: json.dumps(v).encode())
)
def test_fuzzed_reports_never_cause_a_500_or_a_new_entry(observer: RunningServer, org: Org, body: bytes) -> None:
    answer = send(observer, org, body, as_witness=next(SENDERS))  # each witness within its rate
    assert answer.status_code in (400, 403, 413, 422), answer.text
    assert set(answer.json()["error"]) == {"code", "message"}


def test_schemathesis_finds_no_server_error_on_an_observers_board(observer: RunningServer) -> None:
    assert_no_server_error(observer.url)


def test_a_witness_reports_on_their_own_mesas_or_apart_as_a_roving_witness(org: Org, tmp_path: Path) -> None:
    signed = list(finals(org.day).values())
    a, b = signed[0].acta.station, signed[1].acta.station
    plan = tmp_path / "plan.csv"
    plan.write_text(f"W-0001,{a}\nW-0002,{a}\nW-0003,{b}\nW-0003,{signed[2].acta.station}\n")
    enrolled = run_actas(
        "witness", "enroll", "--assignments", plan, "--org-key", tmp_path / "org.key",
        "--list", tmp_path / "list.txt", "--tokens", tmp_path / "t",
    )  # fmt: skip
    assert enrolled.code == 0, enrolled.stderr
    assigned = Org(
        org.day, tmp_path / "list.txt", dict(x.split(" ") for x in (tmp_path / "t").read_text().splitlines())
    )
    common = (org.day / "e", org.day / "d" / "registry.note")
    with start_server(
        *common, f"sqlite:///{tmp_path / 's.sqlite'}", tmp_path / "s.key", witnesses=assigned.witnesses
    ) as strict:
        refused = send(strict, assigned, report(signed[0], "W-0003"))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_assigned"
        assert httpx.get(strict.url + "/v1/coverage").json()["missing"] == len(signed)
    roving = start_server(
        *common, f"sqlite:///{tmp_path / 'r.sqlite'}", tmp_path / "r.key", witnesses=assigned.witnesses, roving=True
    )
    with roving:
        assert send(roving, assigned, report(signed[0], "W-0003")).status_code == 201
        record = httpx.get(f"{roving.url}/v1/witness/mesas/{a}").json()
        assert record["status"] == "missing" and record["roving"] is True and record["reports"][0]["roving"]
        coverage = httpx.get(roving.url + "/v1/coverage").json()
        assert coverage["missing"] == len(signed) and coverage["roving"] == 1
        assert httpx.get(roving.url + "/v1/results").json()["stations"]["reported"] == 0  # never counted
        assert send(roving, assigned, report(signed[0], "W-0001")).status_code == 201
        record = httpx.get(f"{roving.url}/v1/witness/mesas/{a}").json()
        assert record["status"] == "complete" and record["confirmed"] is False  # one assigned witness carries it
        assert send(roving, assigned, report(signed[0], "W-0002")).status_code == 201
        assert httpx.get(f"{roving.url}/v1/witness/mesas/{a}").json()["confirmed"] is True
        page = httpx.get(f"{roving.url}/mesa/{a}").text
        assert "roving witness W-0003" in page
        answers = [send(roving, assigned, report(signed[1], "W-0003")) for _ in range(25)]
        limited = [r for r in answers if r.status_code == 429]
        assert limited and int(limited[0].headers["retry-after"]) >= 1
        assert {r.status_code for r in answers} <= {200, 201, 429}
