"""The demo's encrypted ballots (`actas demo --e2e`): the trustees' key ceremony before election day, and
after it each mesa's encrypted ballots checked, their tally decrypted by three of the five trustees and
set against the final acta its machine signed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from actas.acta.codec import parse_payload
from actas.console import out, progress
from actas.e2e.elgamal import DiscreteLog
from actas.e2e.hashing import Context
from actas.e2e.mesa import MAX_BALLOT_LINE, MesaRecord, check_mesa
from actas.e2e.records import ceremony_to_json, dumps, trustee_to_json
from actas.e2e.tally import AGREES, DIFFERS, MesaVerdict, mesa_verdict, tally_shares
from actas.e2e.trustees import Ceremony, Trustee, run_ceremony
from actas.election import Election
from actas.files import BALLOTS_DIR, read_lines, write_private, write_text
from actas.machine.voting_machine import BallotStyle

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
    final: str
    trustees: tuple[tuple[int, int], ...]
    """(index, secret share) of each trustee who decrypts."""


def _verdict(job: _Mesa) -> tuple[MesaVerdict, tuple[tuple[bytes, str], ...]]:
    contest = BallotStyle(job.contest_id, job.options)
    lines = read_lines(job.path, limit=MAX_BALLOT_LINE, what="mesa record")
    checked = check_mesa(job.context, contest, MesaRecord.from_lines(lines))
    shares = [
        tally_shares(job.context, index, secret, job.ceremony.share_key(index), job.station, contest, checked.tally)
        for index, secret in job.trustees
    ]
    acta = parse_payload(job.final).acta
    verdict = mesa_verdict(job.context, job.ceremony, contest, job.station, checked, shares, acta, DiscreteLog())
    return verdict, checked.spoiled


def tallies(
    out_dir: Path, election: Election, members: list[Trustee], record: Ceremony, printed: Mapping[str, str]
) -> list[MesaVerdict]:
    """Each mesa's verdict: its ballots checked, its tally decrypted by three trustees, against the final
    acta its machine printed and signed."""
    context = Context.of(election.fingerprint, record.joint_key())
    contest = election.contests[0]
    secrets = tuple((m.index, m.share or 0) for m in members if m.index in DECRYPTING)
    jobs = [
        _Mesa(context, record, contest.id, contest.option_ids, s.code, out_dir / BALLOTS_DIR / f"{s.code}.jsonl",
              printed[s.code], secrets)
        for s in election.stations
    ]  # fmt: skip
    verdicts = []
    spoiled: list[tuple[str, bytes, str]] = []
    with progress() as bar, ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        task = bar.add_task("mesas decrypted", total=len(jobs))
        for job, (verdict, challenged) in zip(jobs, pool.map(_verdict, jobs, chunksize=4), strict=True):
            verdicts.append(verdict)
            spoiled += [(job.station, code, choice) for code, choice in challenged]
            bar.advance(task)
    for station, code, choice in spoiled:
        out.print(
            f"   A voter of mesa {station} challenged a ballot: code {code.hex()[:16]}…, which its nonces "
            f"decrypt to {choice}; it was not counted, and the voter voted again.",
            markup=False,
        )
    return verdicts


def summary(verdicts: list[MesaVerdict], altered: set[str]) -> tuple[str, bool]:
    """What the comparison found, and whether it found exactly the mesas whose machines were altered."""
    agree = sum(v.status == AGREES for v in verdicts)
    differ = {v.station for v in verdicts if v.status == DIFFERS}
    said = f"{agree:,} of {len(verdicts):,} mesas: the trustees' decryption of the ballots equals the signed acta"
    if differ:
        first = next(v for v in verdicts if v.station in differ)
        said += f"; {len(differ):,} differ, e.g. {first.station}: {first.problems[0]}"
    return said, differ == altered and agree + len(differ) == len(verdicts)
