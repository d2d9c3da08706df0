"""Encrypted ballots per second on one core, encrypted with their proofs and verified, beside the floor:
the same number of bare libsodium calls of each kind, timed in the same run.

The ballot is the Venezuelan preset's: 38 party cards and null, 39 ciphertexts, each with its proof that
it is 0 or 1, and the proof that they add up to one vote. The floor counts the libsodium calls one
ballot makes (by wrapping the binding while one ballot is encrypted and verified), then times that many
bare calls on prepared arguments: what the ballot costs with nothing but the group operations.

With --electionguard, the same ballot is also encrypted and verified by electionguard 1.4.0
(bench/electionguard_peer.py), installed by this benchmark in its own Python 3.10 environment under
build/ (electionguard 1.4.0 does not import on Python 3.11); without a Python 3.10 it says so and skips.

With --mesas M, the first M mesas of the preset, each with 60% of its registered voters (the
simulator's default turnout), are encrypted ballot by ballot through the machine's ballot box and then
checked whole (every proof, the chain, the nonces, the tally) on every core, and the time is projected
to the preset's 30,026 mesas.

Usage: python bench/ballots.py [--ballots N] [--repeat R] [--mesa 600] [--electionguard] [--mesas M]
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import glob
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from nacl._sodium import ffi, lib

from actas.e2e import group
from actas.e2e.ballot import EncryptedBallot, ballot_problems, encrypt_ballot
from actas.e2e.group import base_mul, random_scalar, scalar_bytes
from actas.e2e.hashing import Context
from actas.e2e.mesa import BallotBox, MesaRecord, check_mesa
from actas.election import Contest
from actas.sim.generator import venezuela


class Counting:
    """libsodium as the group module calls it, counting each call by name."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(lib, name)


def counted(work: Callable[[], object]) -> Counter[str]:
    counting = Counting()
    group.lib = counting
    try:
        work()
    finally:
        group.lib = lib
    return counting.calls


def floor_loop(calls: Counter[str], times: int) -> Callable[[], None]:
    """`times` × the calls of one ballot, bare, on arguments made beforehand."""
    out = ffi.new("unsigned char[32]")
    n = scalar_bytes(random_scalar())
    p, q = base_mul(random_scalar()), base_mul(random_scalar())
    bare: dict[str, Callable[[], object]] = {
        "crypto_scalarmult_ed25519_base_noclamp": lambda: lib.crypto_scalarmult_ed25519_base_noclamp(out, n),
        "crypto_scalarmult_ed25519_noclamp": lambda: lib.crypto_scalarmult_ed25519_noclamp(out, n, p),
        "crypto_core_ed25519_add": lambda: lib.crypto_core_ed25519_add(out, p, q),
        "crypto_core_ed25519_sub": lambda: lib.crypto_core_ed25519_sub(out, p, q),
        "crypto_core_ed25519_is_valid_point": lambda: lib.crypto_core_ed25519_is_valid_point(p),
    }
    return repeated(bare, calls, times)


def repeated(bare: dict[str, Callable[[], object]], calls: Counter[str], times: int) -> Callable[[], None]:
    """A loop making `times` × `calls` of the bare calls, by name."""
    plan = [(bare[name], count * times) for name, count in calls.items()]

    def run() -> None:
        for call, count in plan:
            for _ in range(count):
                call()

    return run


PEER = os.path.join("build", "electionguard-1.4.0")


def python310() -> str | None:
    """A Python 3.10 that runs: one of pyenv's, or one on the PATH (a pyenv shim may name one it cannot run)."""
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.10*/bin/python3.10")), reverse=True)
    on_path = shutil.which("python3.10")
    for python in [*found, *([on_path] if on_path else [])]:
        if subprocess.run([python, "-c", "pass"], capture_output=True).returncode == 0:
            return python
    return None


def electionguard(ballots: int) -> dict[str, float] | None:
    """electionguard 1.4.0's figures for the same ballot, from its own environment (made if missing)."""
    python = os.path.join(PEER, "bin", "python")
    if not os.path.exists(python):
        base = python310()
        if base is None:
            print("electionguard 1.4.0: skipped, no Python 3.10 here (it does not import on 3.11)")
            return None
        print(f"installing electionguard 1.4.0 in {PEER} with {base}", file=sys.stderr)
        subprocess.run([base, "-m", "venv", PEER], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "electionguard==1.4.0"], check=True)
    peer = os.path.join(os.path.dirname(__file__), "electionguard_peer.py")
    done = subprocess.run([python, peer, "--ballots", str(ballots)], check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


RISTRETTO = {
    "crypto_scalarmult_ed25519_base_noclamp": "crypto_scalarmult_ristretto255_base",
    "crypto_scalarmult_ed25519_noclamp": "crypto_scalarmult_ristretto255",
    "crypto_core_ed25519_add": "crypto_core_ristretto255_add",
    "crypto_core_ed25519_sub": "crypto_core_ristretto255_sub",
}


def ristretto_floor(calls: Counter[str], times: int) -> Callable[[], None] | None:
    """The same calls in ristretto255, which PyNaCl does not bind, from the system's libsodium where it
    has them: what the floor would be in that group (its points need no subgroup check)."""
    name = ctypes.util.find_library("sodium")
    if name is None:
        return None
    so = ctypes.CDLL(name)
    if so.sodium_init() < 0 or not all(hasattr(so, f) for f in RISTRETTO.values()):
        return None
    out, n, p = (ctypes.c_ubyte * 32)(), (ctypes.c_ubyte * 32)(*scalar_bytes(random_scalar())), (ctypes.c_ubyte * 32)()
    so.crypto_scalarmult_ristretto255_base(p, n)
    bare: dict[str, Callable[[], object]] = {
        "crypto_scalarmult_ed25519_base_noclamp": lambda: so.crypto_scalarmult_ristretto255_base(out, n),
        "crypto_scalarmult_ed25519_noclamp": lambda: so.crypto_scalarmult_ristretto255(out, n, p),
        "crypto_core_ed25519_add": lambda: so.crypto_core_ristretto255_add(out, p, p),
        "crypto_core_ed25519_sub": lambda: so.crypto_core_ristretto255_sub(out, p, p),
    }
    return repeated(bare, calls, times)


TURNOUT = 0.6


def _encrypt_mesa(job: tuple[Context, Contest, str, int]) -> list[str]:
    context, contest, station, voters = job
    options = contest.option_ids
    box = BallotBox(context, station, contest)
    for i in range(voters):
        box.encrypt(options[(i * 7) % len(options)])
        box.cast()
    return box.record().to_lines()


def _check_mesa(job: tuple[Context, Contest, list[str]]) -> int:
    context, contest, lines = job
    checked = check_mesa(context, contest, MesaRecord.from_lines(lines))
    if checked.problems:
        raise SystemExit(f"a mesa failed: {checked.problems[0]}")
    return checked.cast


def national(mesas: int) -> None:
    """Encrypt and check the first `mesas` mesas of the preset on every core; project to all of them."""
    election = venezuela()
    context = Context.of(election.fingerprint, base_mul(random_scalar()))
    stations = election.stations[:mesas]
    contest = election.contests[0]
    jobs = [(context, contest, s.code, round(s.registered * TURNOUT)) for s in stations]
    workers = os.cpu_count() or 1
    with multiprocessing.Pool(workers) as pool:
        start = time.perf_counter()
        records = pool.map(_encrypt_mesa, jobs, chunksize=1)
        encrypted_s = time.perf_counter() - start
        start = time.perf_counter()
        ballots = sum(pool.map(_check_mesa, [(context, contest, lines) for lines in records], chunksize=1))
        checked_s = time.perf_counter() - start
    size = sum(len(line) for lines in records for line in lines)
    share = sum(s.registered for s in stations) / election.registered
    print(f"\n{mesas} mesas, {ballots:,} ballots, on {workers} cores ({share:.3%} of the registered voters):")
    print(f"  encrypted by the ballot box: {encrypted_s:,.1f} s, {ballots / encrypted_s:,.1f} ballots/s")
    print(f"  checked (proofs, chain, nonces, tally): {checked_s:,.1f} s, {ballots / checked_s:,.1f} ballots/s")
    print(f"  record: {size / ballots:,.0f} bytes a ballot, as published")
    hours = checked_s / share / 3600
    print(f"  all {len(election.stations):,} mesas, projected: a record of {size / share / 1e9:,.0f} GB, checked in")
    for cores in sorted({1, workers, 16, 64}):
        print(f"    {hours * workers / cores:8,.1f} h on {cores} {'core' if cores == 1 else 'cores'}")


def best(work: Callable[[], object], repeat: int) -> float:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return min(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mesa", type=int, default=0, help="Also verify one mesa of this many ballots.")
    parser.add_argument("--electionguard", action="store_true", help="Also run electionguard 1.4.0 on the ballot.")
    parser.add_argument("--peer-ballots", type=int, default=6, help="Ballots electionguard encrypts and verifies.")
    parser.add_argument("--mesas", type=int, default=0, help="Also encrypt and check this many whole mesas.")
    args = parser.parse_args()

    election = venezuela()
    contest = election.contests[0]
    station = election.stations[0].code
    context = Context.of(election.fingerprint, base_mul(random_scalar()))
    options = contest.option_ids
    votes = [options[i % len(options)] for i in range(args.ballots)]

    def encrypt_all() -> list[EncryptedBallot]:
        return [encrypt_ballot(context, station, contest, v).ballot for v in votes]

    ballots = encrypt_all()
    decoded: list[EncryptedBallot] = []

    def verify_all() -> None:
        decoded.clear()
        for b in ballots:
            received = EncryptedBallot.decode(b.encode())  # as a verifier reads it; its proofs check its points
            if ballot_problems(context, received, contest, station):
                raise SystemExit("a ballot failed to verify")
            decoded.append(received)

    enc_calls = counted(lambda: encrypt_ballot(context, station, contest, options[0]))
    ver_calls = counted(lambda: ballot_problems(context, EncryptedBallot.decode(ballots[0].encode()), contest, station))
    encrypt_s = best(encrypt_all, args.repeat)
    encrypt_floor_s = best(floor_loop(enc_calls, args.ballots), args.repeat)
    verify_s = best(verify_all, args.repeat)
    verify_floor_s = best(floor_loop(ver_calls, args.ballots), args.repeat)

    peer = electionguard(args.peer_ballots) if args.electionguard else None
    size = len(ballots[0].encode())
    print(f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, one core")
    print(f"ballot: {len(contest.options)} cards + null = {len(options) + 1} ciphertexts")
    print(f"{'libsodium calls per ballot':40}{'encryption':>12}{'verification':>14}")
    for name in sorted(enc_calls.keys() | ver_calls.keys()):
        print(f"  {name:38}{enc_calls[name]:12}{ver_calls[name]:14}")
    print()
    heads = f"{'':22}{'ballots/s':>10}{'floor/s':>9}{'of floor':>9}"
    print(heads + (f"{'eg 1.4.0/s':>11}{'× eg':>7}" if peer else ""))
    rows = (
        ("encrypted with proofs", encrypt_s, encrypt_floor_s, "encrypted_per_s"),
        ("verified", verify_s, verify_floor_s, "verified_per_s"),
    )
    for what, ours, floor, key in rows:
        line = f"{what:22}{args.ballots / ours:10,.1f}{args.ballots / floor:9,.1f}{floor / ours:9.0%}"
        print(line + (f"{peer[key]:11,.2f}{args.ballots / ours / peer[key]:6,.0f}×" if peer else ""))
    ristretto = ristretto_floor(ver_calls, args.ballots)
    if ristretto is not None:
        faster = args.ballots / best(ristretto, args.repeat)
        print(f"{'  floor in ristretto255':22}{'':10}{faster:9,.1f}   (the system's libsodium; not bound by PyNaCl)")
    print(f"\npublished per ballot: {size:,} bytes", end="")
    print(f"; electionguard's {peer['bytes_per_ballot']:,.0f} ({peer['bytes_per_ballot'] / size:.0f}×)" if peer else "")
    print(f"\none mesa of 600 ballots verified on one core: {600 * verify_s / args.ballots:.1f} s (projected)")
    if args.mesa:
        mesa = [encrypt_ballot(context, station, contest, options[i % len(options)]).ballot for i in range(args.mesa)]
        start = time.perf_counter()
        for b in mesa:
            if ballot_problems(context, EncryptedBallot.decode(b.encode()), contest, station):
                raise SystemExit("a ballot failed to verify")
        print(f"one mesa of {args.mesa} ballots verified on one core: {time.perf_counter() - start:.1f} s (measured)")

    if args.mesas:
        national(args.mesas)


if __name__ == "__main__":
    main()
