"""Writes tests/vectors/acta-v1.json: a small election, fixed keys, and the exact artifacts they yield.

Keys are derived from public strings (SHA-256 of a label) so anyone can rebuild them; Ed25519
signatures are deterministic (RFC 8032), so every byte below is reproducible by another
implementation. Run from the repository root: python tests/vectors/make_acta_vector.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from actas.acta.qr import split_payload
from actas.election import Election
from actas.machine.voting_machine import MachineSetup, VotingMachine
from actas.registry import KeyRegistry
from actas.signed_note import Signer

HERE = Path(__file__).parent

DEFINITION: dict[str, Any] = {
    "format": "actas-election/1",
    "id": "vector-2030",
    "name": "Test vector election",
    "date": "2030-06-02",
    "station_label": "Mesa",
    "levels": [{"id": "state", "name": "State"}, {"id": "centre", "name": "Voting centre"}],
    "units": [
        {"code": "01", "name": "Capital", "level": "state", "parent": None},
        {"code": "01001", "name": "School No. 1", "level": "centre", "parent": "01"},
    ],
    "contests": [
        {
            "id": "president",
            "name": "President",
            "candidates": [{"id": "A", "name": "Ana"}, {"id": "B", "name": "Bruno"}],
            "options": [
                {"id": "AZUL", "name": "Partido Azul", "candidate": "A"},
                {"id": "AURORA", "name": "Movimiento Aurora", "candidate": "A"},
                {"id": "BRISA", "name": "Brisa Nacional", "candidate": "B"},
            ],
        }
    ],
    "stations": [
        {"code": "01001.01", "unit": "01001", "registered": 7},
        {"code": "01001.02", "unit": "01001", "registered": 5},
    ],
}
VOTES = ["AZUL", "BRISA", "AZUL", None, "AURORA"]
OPENED, CLOSED = "2030-06-02T10:00:00Z", "2030-06-02T22:00:00Z"


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def build() -> dict[str, Any]:
    election = Election.from_json(DEFINITION)
    authority = Signer("vector-authority", seed("actas vector authority"))
    machines = {s.code: Signer(f"vm-{s.code}", seed(f"actas vector machine {s.code}")) for s in election.stations}
    registry = KeyRegistry.for_election(election, authority.verifier, {c: m.verifier for c, m in machines.items()})
    station = "01001.01"
    machine = VotingMachine(MachineSetup.for_station(election, station, machines[station].name))
    zero = machine.open(machines[station], OPENED)
    receipts = [machine.cast(v).to_text() for v in VOTES]
    final = machine.close(machines[station], CLOSED)
    return {
        "about": __doc__.split("\n")[0] if __doc__ else "",
        "keys": {
            "derivation": "Ed25519 seed = SHA-256 of the UTF-8 label",
            "authority": {"label": "actas vector authority", "verifier": authority.verifier.to_text()},
            "machines": {
                code: {"label": f"actas vector machine {code}", "verifier": m.verifier.to_text()}
                for code, m in machines.items()
            },
        },
        "definition": DEFINITION,
        "fingerprint": election.fingerprint,
        "registry": registry.sign(authority),
        "votes": VOTES,
        "zero_acta": zero.payload,
        "receipts": receipts,
        "final_acta": final.payload,
        "final_acta_qr": split_payload(final.payload),
    }


if __name__ == "__main__":
    (HERE / "acta-v1.json").write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
