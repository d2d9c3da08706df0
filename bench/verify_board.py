"""Public verification of a whole board: `actas verify` of a mirror, beside the bare signature loop.

Builds, without a server, the mirror of a board holding a synthetic election's definition, its
registry and every zero and final acta (the issue's full size is --stations 236000: 472,000 actas,
a Brazil-sized board), with a checkpoint every 1,000 entries signed by a board key. Then, in the
same run:

- the floor: PyNaCl (libsodium) Ed25519 verification of every acta's signature, one core, the
  messages, signatures and keys already in memory;
- `actas verify`'s verification of the mirror (the tree, every checkpoint, the registry, every acta
  with every check, on every core; the results recomputed), read from disk.

Usage: python bench/verify_board.py [--stations 236000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from actas.acta.codec import parse_payload
from actas.canonical import canonical_json
from actas.files import KeySet
from actas.ledger.checkpoint import Checkpoint
from actas.ledger.merkle import MerkleTree
from actas.mirror import CHECKPOINTS, mirror_checkpoints, mirror_entries
from actas.signed_note import Signer
from actas.sim.election_day import VoterModel, simulate
from actas.sim.generator import synthetic
from actas.verification import verify_board


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=236_000)
    args = parser.parse_args()

    started = time.perf_counter()
    election = synthetic(args.stations, seed=11)
    keys = KeySet.generate(election, "bench-authority")
    registry = keys.registry(election)
    note = registry.sign(keys.authority)
    board = Signer.generate("bench.board")
    origin = f"actas/{election.id}/official"
    payloads = [p for s in simulate(election, keys.machines, VoterModel(seed=3)) for p in (s.zero, s.final)]
    made = time.perf_counter() - started

    folder = Path(tempfile.mkdtemp(prefix="actas-verify-bench-"))
    tree = MerkleTree()
    checkpoints = []
    with (folder / "entries.jsonl").open("w", encoding="utf-8") as out:
        items = [("election", canonical_json(election.to_json()).decode()), ("registry", note)]
        items += [("acta", p) for p in payloads]
        for index, (kind, data) in enumerate(items):
            out.write(json.dumps({"index": index, "kind": kind, "data": data}) + "\n")
            tree.append(data.encode())
            if tree.size % 1000 == 0 or tree.size == len(items):
                checkpoints.append(Checkpoint(origin, tree.size, tree.root()).sign(board))
    (folder / CHECKPOINTS).write_text("".join(json.dumps(c) + "\n" for c in checkpoints[:-1]))
    latest = checkpoints[-1]

    signed = [parse_payload(p) for p in payloads]
    floor_input = [
        (registry.stations[s.acta.station].verify_key, s.note.text.encode(), s.note.signatures[0].signature)
        for s in signed
    ]
    del signed
    start = time.perf_counter()
    for key, text, signature in floor_input:
        key.verify(text, signature)
    floor = time.perf_counter() - start

    start = time.perf_counter()
    size = len(payloads) + 2
    report = verify_board(
        mirror_entries(folder, size),
        latest,
        mirror_checkpoints(folder),
        board.verifier,
    )
    ours = time.perf_counter() - start
    assert report.ok, report.failures[:3]
    mib = (folder / "entries.jsonl").stat().st_size / 2**20
    print(
        f"# {len(payloads):,} actas of {args.stations:,} stations ({mib:,.0f} MiB mirror, {len(checkpoints):,} "
        f"checkpoints; made in {made:.0f} s); {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}"
    )
    print(f"bare Ed25519 verify, 1 core    {floor:8.1f} s   {len(payloads) / floor:9,.0f} actas/s")
    print(f"actas verify of the mirror     {ours:8.1f} s   {len(payloads) / ours:9,.0f} actas/s   {ours / floor:.2f}x")


if __name__ == "__main__":
    main()
