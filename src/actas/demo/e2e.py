"""The demo's encrypted ballots (`actas demo --e2e`): the trustees' key ceremony before election day; after
it each mesa's encrypted ballots published on the official board, which checks them, three of the five
trustees' shares of each mesa's tally published too, and the board's verdict on each mesa: its decrypted
tally set against the final acta its machine signed."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.markup import escape

from actas.console import out, progress
from actas.e2e.hashing import Context
from actas.e2e.mesa import MAX_BALLOT_LINE, MesaRecord, check_mesa
from actas.e2e.records import ceremony_to_json, dumps, shares_lines, trustee_to_json
from actas.e2e.tally import MesaShares, tally_shares
from actas.e2e.trustees import Ceremony, Trustee, run_ceremony
from actas.election import Election
from actas.files import BALLOTS_DIR, read_lines, write_private, write_text
from actas.machine.voting_machine import BallotStyle
from actas.send_ballots import send_records, send_shares
from actas.server.process import RunningServer
from actas.tally.encrypted import DIFFERING_LISTED

TRUSTEES = ("Ana", "Bruno", "Carla", "Diego", "Elena")
QUORUM = 3
DECRYPTING = (1, 3, 5)
"""The trustees who decrypt: any three would do."""


def ceremony(out_dir: Path, election: Election) -> tuple[list[Trustee], Ceremony]:
    """Run the key ceremony; the record published, each trustee's secrets in its own 0600 file."""
    members, record = run_ceremony(election.fingerprint, TRUSTEES, QUORUM)
    for member in members:
        write_private(
            out_dir / "trustees" / f"trustee-{member.index}.key", dumps(trustee_to_json(member, election.fingerprint))
        )
    write_text(out_dir / "ceremony.json", dumps(ceremony_to_json(record)))
    return members, record


@dataclass(frozen=True)
class _Mesa:
    context: Context
    ceremony: Ceremony
    contest_id: str
    options: tuple[str, ...]
    station: str
    path: Path
    trustees: tuple[tuple[int, int], ...]
    """(index, secret share) of each trustee who decrypts."""


def _shares(job: _Mesa) -> tuple[list[MesaShares], tuple[tuple[bytes, str], ...]]:
    """Each decrypting trustee's shares of the mesa's tally, and its challenged ballots: what each trustee
    computes on their own machine from the board's record."""
    contest = BallotStyle(job.contest_id, job.options)
    lines = read_lines(job.path, limit=MAX_BALLOT_LINE, what="mesa record")
    checked = check_mesa(job.context, contest, MesaRecord.from_lines(lines))
    shares = [
        tally_shares(job.context, index, secret, job.ceremony.share_key(index), job.station, contest, checked.tally)
        for index, secret in job.trustees
    ]
    return shares, checked.spoiled


def publish(
    official: RunningServer, out_dir: Path, election: Election, members: list[Trustee], record: Ceremony
) -> bool:
    """Step 6b: each machine sends its mesa's encrypted ballots to the board, after its acta; three trustees
    each decrypt their share of every mesa's tally and publish it. True when the board took everything."""
    context = Context.of(election.fingerprint, record.joint_key())
    contest = election.contests[0]
    secrets = tuple((m.index, m.share or 0) for m in members if m.index in DECRYPTING)
    files = [(s.code, out_dir / BALLOTS_DIR / f"{s.code}.jsonl") for s in election.stations]
    jobs = [_Mesa(context, record, contest.id, contest.option_ids, code, path, secrets) for code, path in files]
    key = official.board_key
    with progress() as bar:
        task = bar.add_task("encrypted ballots to the board", total=len(files))
        sent = send_records(official.url, files, board_key=key, on_progress=lambda: bar.advance(task))
    by_trustee: dict[int, list[MesaShares]] = {index: [] for index, _ in secrets}
    spoiled: list[tuple[str, bytes, str]] = []
    with progress() as bar, ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        task = bar.add_task("trustees' shares", total=len(jobs))
        for job, (shares, challenged) in zip(jobs, pool.map(_shares, jobs, chunksize=4), strict=True):
            for given in shares:
                by_trustee[given.trustee].append(given)
            spoiled += [(job.station, code, choice) for code, choice in challenged]
            bar.advance(task)
    reports = [
        send_shares(official.url, shares_lines(election.fingerprint, t, given), board_key=key)
        for t, given in by_trustee.items()
    ]
    taken = sent.accepted + sent.duplicates
    said = (
        f"{taken:,} mesas' records on the board, every ballot's proofs checked by it; trustees "
        f"{', '.join(TRUSTEES[t - 1] for t in by_trustee)} published their shares of every mesa's tally "
        f"({sum(r.accepted for r in reports):,} taken)"
    )
    out.print(f"[bold]6b. Encrypted ballots[/bold] {escape(said)}")
    for station, code, choice in spoiled:
        out.print(
            f"   A voter of mesa {station} challenged a ballot: code {code.hex()[:16]}…, which its nonces "
            f"decrypt to {choice}; it was not counted, and the voter voted again.",
            markup=False,
        )
    troubles = [*sent.refused, *sent.unsent, *(line for r in reports for line in (*r.refused, *r.unsent))]
    for line in troubles[:5]:
        out.print(f"   {line}", markup=False)
    return not troubles


def summary(official: RunningServer, altered: set[str]) -> tuple[str, bool]:
    """What the board's results say of the encrypted ballots, and whether they name exactly the mesas whose
    machines were altered."""
    with httpx.Client(base_url=official.url, timeout=30) as client:
        encrypted = client.get("/v1/results").json()["encrypted"]
        differ = set(encrypted["differ_list"])
        total = sum(encrypted[k] for k in ("missing", "published", "agree", "differ", "unchecked"))
        said = (
            f"{encrypted['agree']:,} of {total:,} mesas: the trustees' decryption of the ballots equals the signed acta"
        )
        if differ:
            first = sorted(differ)[0]
            verdict = client.get(f"/v1/ballots/{first}").json()["verdict"]
            said += f"; {encrypted['differ']:,} differ, e.g. {first}: {verdict['problems'][0]}"
    exact = differ == altered if encrypted["differ"] <= DIFFERING_LISTED else encrypted["differ"] == len(altered)
    return said + " (every results view flags them)", exact and encrypted["agree"] + encrypted["differ"] == total
