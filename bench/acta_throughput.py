"""Acta signing and verification per second, beside a bare PyNaCl loop over the same messages.

The actas are final actas of the venezuela-2024 ballot (38 party cards), the largest payload the
project prints today. Floors, measured in the same run on the same bytes:
  - signing:      nacl SigningKey.sign(text) alone
  - verification: nacl VerifyKey.verify(text, signature) alone, keys already loaded
  - votes:        a bare SHA-256 chain over the same receipt bodies

Usage: python bench/acta_throughput.py [--actas N] [--repeat R]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import operator
import platform
import statistics
import time
from collections.abc import Callable

import nacl.signing

from actas.acta.check import check_acta
from actas.acta.codec import acta_text, parse_payload, sign_acta
from actas.acta_batch import check_many
from actas.files import KeySet
from actas.machine.receipt import receipt_body
from actas.machine.voting_machine import MachineSetup, VotingMachine
from actas.payload_sources import SourcePayload
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import venezuela
from actas.tally.progressive import ProgressiveResults


def best_rates(
    count: int, ours: Callable[[], object], floor: Callable[[], object] | None, repeat: int
) -> tuple[float, float | None]:
    """Items per second of ours and of the floor: the best of `repeat` runs of each, taken in
    turns so that both see the same load on a shared machine."""
    ours_times, floor_times = [], []
    for _ in range(repeat):
        for work, times in ((ours, ours_times), (floor, floor_times)):
            if work is not None:
                start = time.perf_counter()
                work()
                times.append(time.perf_counter() - start)
    return count / min(ours_times), (count / min(floor_times) if floor_times else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actas", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    full = venezuela()
    election = dataclasses.replace(full, stations=full.stations[: args.actas])
    keys = KeySet.generate(election, "bench-authority")
    registry = keys.registry(election)
    payloads = [s.final for s in simulate(election, keys.machines, VoterModel(seed=1, turnout=0.6))]
    signed = [parse_payload(p) for p in payloads]
    actas = [s.acta for s in signed]
    texts = [s.note.text.encode() for s in signed]
    signers = [keys.machines[a.station] for a in actas]
    raw_signers = [nacl.signing.SigningKey(s.private_bytes()) for s in signers]
    verify_keys = [registry.stations[a.station].verify_key for a in actas]
    signatures = [s.note.signatures[0].signature for s in signed]
    n, r = len(actas), args.repeat
    size = statistics.mean(len(p.encode()) for p in payloads)

    def bare_sign() -> None:
        for key, text in zip(raw_signers, texts, strict=True):
            key.sign(text)

    def our_sign() -> None:
        for acta, signer in zip(actas, signers, strict=True):
            _ = sign_acta(acta, signer).payload

    def bare_verify() -> None:
        for key, text, sig in zip(verify_keys, texts, signatures, strict=True):
            key.verify(text, sig)

    def our_verify() -> None:
        for payload in payloads:
            if check_acta(parse_payload(payload), registry):
                raise SystemExit("benchmark actas should all be valid")

    items = [SourcePayload(str(i), p) for i, p in enumerate(payloads)]

    def our_verify_all_cores() -> None:
        if not all(v.valid for v in check_many(items, registry)):
            raise SystemExit("benchmark actas should all be valid")

    rows = [
        ("sign", *best_rates(n, our_sign, bare_sign, r)),
        ("verify (1 core)", *best_rates(n, our_verify, bare_verify, r)),
        ("verify (all cores)", *best_rates(n, our_verify_all_cores, bare_verify, r)),
    ]

    setup = MachineSetup.for_station(election, actas[0].station, signers[0].name)
    options = setup.ballot[0][1]
    votes = 200_000
    picks = [i % (len(options) + 1) for i in range(votes)]
    bodies = [
        receipt_body("s", i + 1, [("presidente", options[p] if p < len(options) else "null")]).encode()
        for i, p in enumerate(picks)
    ]

    def machine_cast_many() -> None:
        machine = VotingMachine(dataclasses.replace(setup, registered=votes))
        machine.open(signers[0], "2024-07-28T10:00:00Z")
        machine.cast_many(picks)

    def machine_cast() -> None:
        machine = VotingMachine(dataclasses.replace(setup, registered=votes // 10))
        machine.open(signers[0], "2024-07-28T10:00:00Z")
        for p in picks[: votes // 10]:
            machine.cast(options[p] if p < len(options) else None)

    def bare_chain() -> None:
        code = b"\0" * 32
        for body in bodies:
            code = hashlib.sha256(code + body).digest()

    depth = len(election.path(election.station_by_code[actas[0].station])) + 1  # the nation and each level

    def count_results() -> None:
        results = ProgressiveResults(election)
        for acta, one in zip(actas, signed, strict=True):
            results.add(acta, one.digest)

    def bare_count() -> None:
        """The same additions into one list of counts per level: a floor for counting at every level."""
        totals = [[0] * (len(options) + 1) for _ in range(depth)]
        for acta in actas:
            contest = acta.contests[0]
            for counts in totals:
                counts[:-1] = map(operator.add, counts, contest.votes)
                counts[-1] += contest.null

    rows += [
        ("count (results, every level)", *best_rates(n, count_results, bare_count, r)),
        ("votes, cast_many (simulator)", *best_rates(votes, machine_cast_many, bare_chain, r)),
        ("votes, cast (one by one)", *best_rates(votes // 10, machine_cast, None, r)),
    ]

    print(f"# acta throughput: {n:,} final actas of the venezuela-2024 ballot, mean payload {size:.0f} bytes")
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, PyNaCl {nacl.__version__}, "
        f"best of {r} runs, {time.strftime('%Y-%m-%d')}"
    )
    print(f"# the text signed is {len(acta_text(actas[0]))} bytes")
    print(f"{'operation':<30} {'per second':>12} {'floor/s':>12} {'of floor':>9}")
    for name, ours, floor in rows:
        share = f"{100 * ours / floor:.0f}%" if floor else "-"
        print(f"{name:<30} {ours:>12,.0f} {floor or 0:>12,.0f} {share:>9}")


if __name__ == "__main__":
    main()
