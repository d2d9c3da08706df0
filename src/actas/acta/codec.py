"""The acta's canonical text form, the payload that is printed, transmitted, published and scanned.

Specified in docs/acta-format.md. An acta's text is a list of `key value` lines in a fixed order,
then one line per contest (`contest <id> <option>=<count> ... null=<count>`). The payload is that
text as a C2SP signed note, signed by the station's machine key. The parser accepts only the
canonical form, so a payload has exactly one reading and re-encodes to the same bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import re

from actas.acta.model import Acta, ActaKind, ContestCount, SignedActa
from actas.election import NULL_VOTE, TOKEN_RE
from actas.errors import FormatError
from actas.fields import parse_hex64, parse_uint, parse_utc_time
from actas.signed_note import KEY_ID_BYTES, SIGNATURE_PREFIX, NoteSignature, SignedNote, Signer

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
        if acta.ballots is not None:
            lines.append(f"ballots {acta.ballots}")
    for c in acta.contests:
        votes = " ".join(f"{oid}={n}" for oid, n in zip(c.options, c.votes, strict=True))
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
    match = _WHOLE_PAYLOAD.fullmatch(payload)
    if match is not None:
        acta = _from_match(match)
        if acta is not None:
            raw = base64.b64decode(match[16])
            signature = NoteSignature(match[15], raw[:KEY_ID_BYTES], raw[KEY_ID_BYTES:])
            signed = SignedActa(acta, SignedNote(payload[: match.end(14)], (signature,)))
            signed.__dict__["payload"] = payload  # the whole input matched: it is the payload, not re-written
            return signed
    if not payload.startswith(FORMAT_LINE + "\n"):
        raise FormatError(f"not an acta: expected a payload starting with {FORMAT_LINE!r}, found {payload[:20]!r}")
    note = SignedNote.from_text(payload)
    if len(note.signatures) != 1:
        raise FormatError(f"an acta carries exactly one signature, found {len(note.signatures)}")
    return SignedActa(parse_acta_text(note.text), note)


_TOKEN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}+"
_UINT = r"(?:0|[1-9][0-9]{0,8}+)"
_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
_HEX = r"[0-9a-f]{64}"
_WHOLE_ACTA = re.compile(
    rf"{FORMAT_LINE}\nkind (zero|final)\nelection ({_TOKEN})\nfingerprint ({_HEX})\nstation ({_TOKEN})\n"
    rf"machine ({_TOKEN})\nregistered ({_UINT})\nvoters ({_UINT})\nreceipts ({_UINT})\nopened ({_TIME})\n"
    rf"(?:closed ({_TIME})\nzero ({_HEX})\nchain ({_HEX})\n(?:ballots ({_HEX})\n)?)?"
    rf"((?:contest {_TOKEN}(?: {_TOKEN}={_UINT})+ {NULL_VOTE}={_UINT}\n)+)"
)
_WHOLE_PAYLOAD = re.compile(rf"{_WHOLE_ACTA.pattern}\n{SIGNATURE_PREFIX}({_TOKEN}) ([A-Za-z0-9+/]{{91}}=)\n")
"""A payload as `sign_acta` writes it: the acta's text, and one Ed25519 signature (92 base64 characters)."""


def parse_acta_text(text: str) -> Acta:
    """Read an acta's text. Well-formed text is read by one regular expression (the hot path of
    verifying millions of actas); anything else goes through `_parse_lines`, which is the
    specification's reading and names the first line that is wrong."""
    match = _WHOLE_ACTA.fullmatch(text)
    if match is not None:
        acta = _from_match(match)
        if acta is not None:
            return acta
    return _parse_lines(text)


def _from_match(m: re.Match[str]) -> Acta | None:
    """The acta of a matching text, or None where a rule the expression cannot state is broken."""
    kind, closed = m[1], m[10]
    if (kind == "final") != (closed is not None):
        return None
    contests = []
    for line in m[14][:-1].split("\n"):
        flat = line.replace("=", " ").split(" ")
        options = tuple(flat[2:-2:2])
        if len(set(options)) != len(options) or NULL_VOTE in options:
            return None
        contests.append(ContestCount(flat[1], options, tuple(map(int, flat[3:-2:2])), int(flat[-1])))
    if len({c.contest for c in contests}) != len(contests):
        return None
    try:
        dt.datetime.fromisoformat(m[9][:-1])
        if closed is not None:
            dt.datetime.fromisoformat(closed[:-1])
    except ValueError:
        return None
    return Acta(
        kind=ActaKind.FINAL if closed is not None else ActaKind.ZERO,
        election=m[2],
        fingerprint=m[3],
        station=m[4],
        machine=m[5],
        registered=int(m[6]),
        voters=int(m[7]),
        receipts=int(m[8]),
        opened=m[9],
        closed=closed,
        zero=m[11],
        chain=m[12],
        ballots=m[13],
        contests=tuple(contests),
    )


def _parse_lines(text: str) -> Acta:
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
        if pos < len(lines) and lines[pos].startswith("ballots "):
            values["ballots"] = take("ballots")
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
        ballots=parse_hex64(values["ballots"], "acta ballots") if "ballots" in values else None,
        contests=tuple(contests),
    )


def _parse_contest(value: str, line_no: int) -> ContestCount:
    where = f"acta line {line_no}"
    tokens = value.split(" ")
    contest = tokens[0]
    if not TOKEN_RE.fullmatch(contest) or len(tokens) < 3:
        raise FormatError(f"{where}: expected 'contest <id> <option>=<count> ... null=<count>'")
    options: list[str] = []
    votes: list[int] = []
    seen: set[str] = set()
    for token in tokens[1:-1]:
        oid, sep, n = token.partition("=")
        if oid == NULL_VOTE:
            raise FormatError(
                f"{where}: expected the contest line to end with '{NULL_VOTE}=<count>', found more after it"
            )
        if not sep or not TOKEN_RE.fullmatch(oid) or oid.lower() == NULL_VOTE:
            raise FormatError(f"{where}: expected '<option>=<count>', found {token[:30]!r}")
        if oid in seen:
            raise FormatError(f"{where}: option {oid} appears twice")
        seen.add(oid)
        options.append(oid)
        votes.append(parse_uint(n, f"{where}, option {oid}"))
    key, sep, n = tokens[-1].partition("=")
    if key != NULL_VOTE or not sep:
        raise FormatError(f"{where}: expected the contest line to end with '{NULL_VOTE}=<count>'")
    return ContestCount(contest, tuple(options), tuple(votes), parse_uint(n, f"{where}, {NULL_VOTE}"))
