"""Every check an acta must pass before it counts: signature, election, station, machine, ballot, sums."""

from __future__ import annotations

from dataclasses import dataclass

import nacl.exceptions

from actas.acta.model import Acta, ActaKind, SignedActa
from actas.registry import KeyRegistry, RegisteredStation


@dataclass(frozen=True)
class Finding:
    """One failed check: which check, and what was expected and found."""

    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


def check_acta(signed: SignedActa, registry: KeyRegistry) -> tuple[Finding, ...]:
    """Check a parsed acta against the published key registry; an empty result means valid."""
    acta = signed.acta
    findings: list[Finding] = []
    if acta.election != registry.election_id or acta.fingerprint != registry.fingerprint:
        findings.append(
            Finding(
                "election",
                f"acta is for election {acta.election} ({acta.fingerprint[:16]}...), "
                f"registry is for {registry.election_id} ({registry.fingerprint[:16]}...)",
            )
        )
        return tuple(findings)
    station = registry.stations.get(acta.station)
    if station is None:
        return (Finding("station", f"station {acta.station} is not in the key registry"),)
    findings += _check_signature(signed, station)
    findings += _check_ballot(acta, registry)
    findings += _check_arithmetic(acta, station)
    return tuple(findings)


def _check_signature(signed: SignedActa, station: RegisteredStation) -> list[Finding]:
    acta, sig = signed.acta, signed.note.signatures[0]
    machine = station.machine
    if acta.machine != machine.name or sig.name != machine.name:
        return [
            Finding(
                "machine",
                f"station {acta.station} belongs to machine {machine.name}; "
                f"the acta names {acta.machine} and is signed by {sig.name}",
            )
        ]
    if sig.key_id != station.key_id:
        return [Finding("signature", f"signed by a key of {sig.name} that is not the registered one")]
    try:
        station.verify_key.verify(signed.note.text.encode(), sig.signature)
    except (nacl.exceptions.BadSignatureError, ValueError):
        return [Finding("signature", f"the signature of {sig.name} does not match the acta's contents")]
    return []


def _check_ballot(acta: Acta, registry: KeyRegistry) -> list[Finding]:
    got = tuple(c.contest for c in acta.contests)
    want = registry.contest_ids
    if got != want:
        return [Finding("ballot", f"acta has contests {list(got)}, the election has {list(want)}")]
    findings = []
    for c in acta.contests:
        if c.options != registry.ballot[c.contest]:
            findings.append(
                Finding("ballot", f"contest {c.contest}: acta options differ from the ballot's, in ids or order")
            )
    return findings


def _check_arithmetic(acta: Acta, station: RegisteredStation) -> list[Finding]:
    findings = []

    def fail(message: str) -> None:
        findings.append(Finding("arithmetic", message))

    if acta.registered != station.registered:
        fail(f"registered voters {acta.registered}, the registry says {station.registered}")
    if acta.voters > acta.registered:
        fail(f"voters {acta.voters} exceed registered voters {acta.registered}")
    if acta.receipts != acta.voters:
        fail(f"receipts printed {acta.receipts} differ from voters {acta.voters}")
    for c in acta.contests:
        if c.total != acta.voters:
            fail(f"contest {c.contest}: votes and null add up to {c.total}, voters are {acta.voters}")
    if acta.kind is ActaKind.ZERO and acta.voters != 0:
        fail(f"a zero acta must show no voters, it shows {acta.voters}")
    if acta.kind is ActaKind.FINAL and acta.closed is not None and acta.closed < acta.opened:
        fail(f"closed at {acta.closed}, before it opened at {acta.opened}")
    if acta.kind is ActaKind.FINAL and acta.voters == 0 and acta.chain != acta.zero:
        fail("no voters, yet the receipt chain moved past its seed")
    return findings
