"""The acta's canonical text form, the payload that is printed, transmitted, published and scanned.

Specified in docs/acta-format.md. An acta's text is a list of `key value` lines in a fixed order,
then one line per contest (`contest <id> <option>=<count> ... null=<count>`). The payload is that
text as a C2SP signed note, signed by the station's machine key. The parser accepts only the
canonical form, so a payload has exactly one reading and re-encodes to the same bytes.
"""

from __future__ import annotations

from actas.acta.model import Acta, ActaKind, ContestCount, SignedActa
from actas.election import NULL_VOTE, TOKEN_RE
from actas.errors import FormatError
from actas.fields import parse_hex64, parse_uint, parse_utc_time
from actas.signed_note import SignedNote, Signer

FORMAT_LINE = "actas acta v1"
MAX_ACTA_BYTES = 16 * 1024
"""A payload larger than this is refused before it is parsed (Venezuela's 38-card acta is ~1 KiB)."""

_HEAD_KEYS = (
    "kind",
    "election",
    "fingerprint",
    "station",
    "machine",
    "registered",
    "voters",
    "receipts",
    "opened",
)
_FINAL_KEYS = ("closed", "zero", "chain")


def acta_text(acta: Acta) -> str:
    lines = [
        FORMAT_LINE,
        f"kind {acta.kind.value}",
        f"election {acta.election}",
        f"fingerprint {acta.fingerprint}",
        f"station {acta.station}",
        f"machine {acta.machine}",
        f"registered {acta.registered}",
        f"voters {acta.voters}",
        f"receipts {acta.receipts}",
        f"opened {acta.opened}",
    ]
    if acta.kind is ActaKind.FINAL:
        lines += [f"closed {acta.closed}", f"zero {acta.zero}", f"chain {acta.chain}"]
    for c in acta.contests:
        votes = " ".join(f"{oid}={n}" for oid, n in c.counts)
        lines.append(f"contest {c.contest} {votes} {NULL_VOTE}={c.null}")
    return "\n".join(lines) + "\n"


def sign_acta(acta: Acta, signer: Signer) -> SignedActa:
    if signer.name != acta.machine:
        raise FormatError(f"acta names machine {acta.machine} but the key is {signer.name}")
    return SignedActa(acta, signer.sign(acta_text(acta)))


def parse_payload(payload: str | bytes) -> SignedActa:
    """Read a payload as printed in the QR code. Checks form only, not the signature."""
    if len(payload) > MAX_ACTA_BYTES:
        raise FormatError(f"acta payload is {len(payload)} bytes, more than the {MAX_ACTA_BYTES} allowed")
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"acta payload is not valid UTF-8 (byte {exc.start})") from None
    if not payload.startswith(FORMAT_LINE + "\n"):
        raise FormatError(f"not an acta: expected a payload starting with {FORMAT_LINE!r}, found {payload[:20]!r}")
    note = SignedNote.from_text(payload)
    if len(note.signatures) != 1:
        raise FormatError(f"an acta carries exactly one signature, found {len(note.signatures)}")
    return SignedActa(parse_acta_text(note.text), note)


def parse_acta_text(text: str) -> Acta:
    lines = text.split("\n")
    if lines[-1] != "":
        raise FormatError("acta text must end with a newline")
    lines.pop()
    if not lines or lines[0] != FORMAT_LINE:
        raise FormatError(f"acta line 1: expected {FORMAT_LINE!r}")
    values: dict[str, str] = {}
    pos = 1

    def take(key: str) -> str:
        nonlocal pos
        line = lines[pos] if pos < len(lines) else ""
        k, sep, value = line.partition(" ")
        if k != key or not sep or not value:
            found = line[:30] if pos < len(lines) else "end of acta"
            raise FormatError(f"acta line {pos + 1}: expected '{key} <value>', found {found!r}")
        pos += 1
        return value

    for key in _HEAD_KEYS:
        values[key] = take(key)
    try:
        kind = ActaKind(values["kind"])
    except ValueError:
        raise FormatError(f"acta line 2: kind must be 'zero' or 'final', found {values['kind'][:20]!r}") from None
    if kind is ActaKind.FINAL:
        for key in _FINAL_KEYS:
            values[key] = take(key)
    contests = []
    seen: set[str] = set()
    while pos < len(lines):
        contest = _parse_contest(take("contest"), pos)
        if contest.contest in seen:
            raise FormatError(f"acta line {pos}: contest {contest.contest} appears twice")
        seen.add(contest.contest)
        contests.append(contest)
    if not contests:
        raise FormatError(f"acta line {pos + 1}: expected at least one 'contest' line")

    for key in ("election", "station", "machine"):
        if not TOKEN_RE.fullmatch(values[key]):
            raise FormatError(
                f"acta {key}: expected an id of letters, digits, '.', '_' or '-', found {values[key][:30]!r}"
            )
    final = kind is ActaKind.FINAL
    return Acta(
        kind=kind,
        election=values["election"],
        fingerprint=parse_hex64(values["fingerprint"], "acta fingerprint"),
        station=values["station"],
        machine=values["machine"],
        registered=parse_uint(values["registered"], "acta registered"),
        voters=parse_uint(values["voters"], "acta voters"),
        receipts=parse_uint(values["receipts"], "acta receipts"),
        opened=parse_utc_time(values["opened"], "acta opened"),
        closed=parse_utc_time(values["closed"], "acta closed") if final else None,
        zero=parse_hex64(values["zero"], "acta zero") if final else None,
        chain=parse_hex64(values["chain"], "acta chain") if final else None,
        contests=tuple(contests),
    )


def _parse_contest(value: str, line_no: int) -> ContestCount:
    where = f"acta line {line_no}"
    tokens = value.split(" ")
    contest = tokens[0]
    if not TOKEN_RE.fullmatch(contest) or len(tokens) < 3:
        raise FormatError(f"{where}: expected 'contest <id> <option>=<count> ... null=<count>'")
    counts = []
    seen: set[str] = set()
    for token in tokens[1:-1]:
        oid, sep, n = token.partition("=")
        if not sep or not TOKEN_RE.fullmatch(oid) or oid.lower() == NULL_VOTE:
            raise FormatError(f"{where}: expected '<option>=<count>', found {token[:30]!r}")
        if oid in seen:
            raise FormatError(f"{where}: option {oid} appears twice")
        seen.add(oid)
        counts.append((oid, parse_uint(n, f"{where}, option {oid}")))
    key, sep, n = tokens[-1].partition("=")
    if key != NULL_VOTE or not sep:
        raise FormatError(f"{where}: expected the contest line to end with '{NULL_VOTE}=<count>'")
    return ContestCount(contest, tuple(counts), parse_uint(n, f"{where}, {NULL_VOTE}"))
