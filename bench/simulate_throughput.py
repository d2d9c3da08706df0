"""A Venezuela-sized election day: 30,026 machines, about 12 million votes, every acta signed.

Prints the wall time of `actas simulate` work (generation excluded) and votes per second, beside
the floor of the same number of SHA-256 receipt-chain steps and Ed25519 signatures done bare on
one core. Target (issue: foundation): under a minute on a 2-core machine.

Usage: python bench/simulate_throughput.py [--turnout T]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

import nacl.signing

from actas.files import KeySet
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import venezuela


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turnout", type=float, default=0.58)
    args = parser.parse_args()
    election = venezuela()
    keys = KeySet.generate(election, "bench-authority")
    start = time.perf_counter()
    votes = stations = 0
    for station in simulate(election, keys.machines, VoterModel(seed=1, turnout=args.turnout)):
        votes += station.voters
        stations += 1
    seconds = time.perf_counter() - start

    body = b"actas receipt v1\nstation 010101001.01\nseq 123\npresidente PSUV\n"
    sample = 1_000_000
    t0 = time.perf_counter()
    code = b"\0" * 32
    for _ in range(sample):
        code = hashlib.sha256(code + body).digest()
    chain_rate = sample / (time.perf_counter() - t0)
    key = nacl.signing.SigningKey.generate()
    t0 = time.perf_counter()
    for _ in range(2000):
        key.sign(body * 12)
    sign_seconds = (time.perf_counter() - t0) / 2000
    floor = votes / chain_rate + 2 * stations * sign_seconds

    print(f"# election day, venezuela-2024 preset, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    print(f"stations            {stations:>14,}")
    print(f"votes               {votes:>14,}")
    print(f"wall time           {seconds:>13.1f}s   (target: under 60 s)")
    print(f"votes per second    {votes / seconds:>14,.0f}")
    print(f"floor, one core     {floor:>13.1f}s   (bare SHA-256 chain steps and Ed25519 signatures)")


if __name__ == "__main__":
    main()
