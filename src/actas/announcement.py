"""Announcements: what the authority says the results are, signed, so they can be held against the actas.

An announcement is a signed note by the authority's key (the one the key registry names):

    actas announcement v1
    election <election id>
    fingerprint <SHA-256 of the definition>
    issued <UTC time>
    title <free text: "First bulletin, 80% of actas counted">
    [unit <geography unit code>]                      (what the figures are of; the nation without it)
    contest <contest id> <candidate>=<votes> ... [others=<votes>] [null=<votes>]
    [voters <n>]
    [registered <n>]

`others` is the sum of the candidates an authority did not name one by one (as the Venezuelan
council's first bulletin of 2024 did). Once on the bulletin board, an announcement cannot be taken
back; a correction is a new announcement.
"""

from __future__ import annotations

from dataclasses import dataclass

from actas.election import TOKEN_RE
from actas.errors import FormatError, VerificationError
from actas.fields import parse_hex64, parse_uint, parse_utc_time
from actas.registry import KeyRegistry
from actas.signed_note import SignedNote, Signer

HEADER = "actas announcement v1"
OTHERS = "others"
NULL = "null"
MAX_ANNOUNCEMENT_BYTES = 16 * 1024
MAX_COUNT = 10**10 - 1


@dataclass(frozen=True)
class AnnouncedContest:
    contest: str
    votes: tuple[tuple[str, int], ...]
    """(candidate id, or 'others' or 'null', votes) in the order announced."""


@dataclass(frozen=True)
class Announcement:
    election: str
    fingerprint: str
    issued: str
    title: str
    contests: tuple[AnnouncedContest, ...]
    voters: int | None = None
    registered: int | None = None
    unit: str = ""
    """The geography unit the figures are of ("" for the nation): they are held against that unit's actas."""

    def to_text(self) -> str:
        lines = [
            HEADER,
            f"election {self.election}",
            f"fingerprint {self.fingerprint}",
            f"issued {self.issued}",
            f"title {self.title}",
        ]
        if self.unit:
            lines.append(f"unit {self.unit}")
        for c in self.contests:
            lines.append(f"contest {c.contest} " + " ".join(f"{k}={n}" for k, n in c.votes))
        if self.voters is not None:
            lines.append(f"voters {self.voters}")
        if self.registered is not None:
            lines.append(f"registered {self.registered}")
        return "\n".join(lines) + "\n"

    def sign(self, authority: Signer) -> str:
        return authority.sign(self.to_text()).to_text()

    @classmethod
    def from_text(cls, text: str) -> Announcement:
        lines = text.split("\n")
        if lines[-1] != "" or lines[0] != HEADER or len(lines) < 7:
            raise FormatError(f"not an announcement: expected {HEADER!r} and its fields, one a line")
        lines.pop()
        values: dict[str, str] = {}
        for number, key in enumerate(("election", "fingerprint", "issued", "title"), start=2):
            k, sep, value = lines[number - 1].partition(" ")
            if k != key or not sep or not value:
                raise FormatError(f"announcement line {number}: expected '{key} <value>'")
            values[key] = value
        if not TOKEN_RE.fullmatch(values["election"]) or len(values["title"]) > 200:
            raise FormatError("announcement: the election id or the title (at most 200 characters) is not valid")
        unit = ""
        if lines[5].startswith("unit "):
            unit = lines.pop(5)[len("unit ") :]
            if not TOKEN_RE.fullmatch(unit):
                raise FormatError("announcement line 6: expected 'unit <code>'")
        contests: list[AnnouncedContest] = []
        extra: dict[str, int] = {}
        for number, line in enumerate(lines[5:], start=6 + bool(unit)):
            key, _, value = line.partition(" ")
            if key == "contest" and not extra:
                contests.append(parse_contest(value, f"announcement line {number}"))
            elif key in ("voters", "registered") and key not in extra:
                extra[key] = parse_uint(value, f"announcement line {number}")
            else:
                raise FormatError(f"announcement line {number}: expected 'contest', 'voters' or 'registered'")
        if not contests:
            raise FormatError("announcement: expected at least one 'contest' line")
        return cls(
            election=values["election"],
            fingerprint=parse_hex64(values["fingerprint"], "announcement fingerprint"),
            issued=parse_utc_time(values["issued"], "announcement issued"),
            title=values["title"],
            contests=tuple(contests),
            voters=extra.get("voters"),
            registered=extra.get("registered"),
            unit=unit,
        )


def parse_contest(value: str, where: str) -> AnnouncedContest:
    """`<contest id> <candidate>=<votes> ...` as an announcement's contest line holds it."""
    cid, *tokens = value.split(" ")
    if not TOKEN_RE.fullmatch(cid) or not tokens:
        raise FormatError(f"{where}: expected 'contest <id> <candidate>=<votes> ...'")
    votes, seen = [], set()
    for token in tokens:
        key, sep, n = token.partition("=")
        if not sep or not TOKEN_RE.fullmatch(key) or key in seen:
            raise FormatError(f"{where}: expected '<candidate>=<votes>' once per candidate, found {token[:30]!r}")
        if not n.isascii() or not n.isdigit() or (len(n) > 1 and n[0] == "0") or int(n) > MAX_COUNT:
            raise FormatError(f"{where}: votes of {key} must be a whole number, found {n[:20]!r}")
        seen.add(key)
        votes.append((key, int(n)))
    return AnnouncedContest(cid, tuple(votes))


def open_announcement(note_text: str, registry: KeyRegistry) -> Announcement:
    """Read a signed announcement and check it: the authority's signature, the election, the candidates."""
    if len(note_text) > MAX_ANNOUNCEMENT_BYTES:
        raise FormatError(f"an announcement is at most {MAX_ANNOUNCEMENT_BYTES} bytes")
    note = SignedNote.from_text(note_text)
    announcement = Announcement.from_text(note.text)
    if announcement.election != registry.election_id or announcement.fingerprint != registry.fingerprint:
        raise VerificationError(f"the announcement is for election {announcement.election}, not {registry.election_id}")
    if not registry.authority.verifies(note):
        raise VerificationError(f"the announcement is not signed by the authority key {registry.authority.name}")
    return announcement
