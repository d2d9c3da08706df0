"""An encrypted ballot: one ciphertext per card of the contest and one for a null vote, each with a proof
that it encrypts 0 or 1, and a proof that they add up to exactly 1, every proof bound to the election, the
joint key, the mesa and the card (`label`). Its confirmation code chains it to the mesa's ballots before.

The ballot's bytes (`encode`) are what its confirmation code hashes and what the board publishes:

    fields("actas-e2e/1 ballot", station, contest) ‖ n (2 bytes)
    ‖ n × ( fields(option) ‖ α ‖ β ‖ c0 ‖ c1 ‖ v0 ‖ v1 )  ‖  c ‖ v

with points and scalars of 32 bytes each (`actas.e2e.group`), `fields` as the challenges write them
(`actas.e2e.hashing`), and the options in the contest's ballot order, `null` last: about 200 bytes an
option."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from actas.e2e.elgamal import Ciphertext, encrypt, total
from actas.e2e.group import (
    GENERATOR,
    POINT_BYTES,
    SCALAR_BYTES,
    Point,
    in_group,
    random_scalar,
    scalar,
    scalar_bytes,
    sub,
    unchecked,
)
from actas.e2e.hashing import FORMAT, Context, fields
from actas.e2e.proofs import BitProof, Draw, EqualityProof
from actas.election import NULL_VOTE
from actas.errors import FormatError

SUM = "ballot-sum"
MAGIC = f"{FORMAT} ballot".encode()
MAX_OPTIONS = 1000
CODE_BYTES = 32


def label(station: str, contest: str, option: str | None = None) -> bytes:
    """What binds a proof to its mesa, its contest and (for an option's proof) its card."""
    return fields(station.encode(), contest.encode(), *((option.encode(),) if option is not None else ()))


class Ballot(Protocol):
    """A contest as its ballot is encrypted: its id and its cards in ballot order (an election's
    `Contest`, or what a voting machine is loaded with)."""

    @property
    def id(self) -> str: ...

    @property
    def option_ids(self) -> tuple[str, ...]: ...


def choices(contest: Ballot) -> tuple[str, ...]:
    """The ballot's options in order: every card, then null."""
    return (*contest.option_ids, NULL_VOTE)


@dataclass(frozen=True)
class Selection:
    option: str
    ciphertext: Ciphertext
    proof: BitProof


@dataclass(frozen=True)
class EncryptedBallot:
    station: str
    contest: str
    selections: tuple[Selection, ...]
    sum_proof: EqualityProof

    def encode(self) -> bytes:
        parts = [fields(MAGIC, self.station.encode(), self.contest.encode()), len(self.selections).to_bytes(2, "big")]
        for s in self.selections:
            parts += [fields(s.option.encode()), s.ciphertext.alpha, s.ciphertext.beta, s.proof.to_bytes()]
        parts += [scalar_bytes(self.sum_proof.challenge), scalar_bytes(self.sum_proof.response)]
        return b"".join(parts)

    @property
    def digest(self) -> bytes:
        """SHA-256 of its bytes: what its confirmation code chains."""
        return hashlib.sha256(self.encode()).digest()

    @property
    def sum(self) -> Ciphertext:
        return total(s.ciphertext for s in self.selections)

    @classmethod
    def decode(cls, data: bytes) -> EncryptedBallot:
        """A ballot from its bytes, every scalar below ℓ; a FormatError naming the first thing wrong.
        Its points are checked to be in the group by the proofs that multiply them (`ballot_problems`)."""
        reader = _Reader(data)
        if reader.field("format") != MAGIC:
            raise FormatError("not an encrypted ballot of format actas-e2e/1")
        station, contest = reader.text("station"), reader.text("contest")
        count = int.from_bytes(reader.take(2, "the number of options"), "big")
        if not 1 <= count <= MAX_OPTIONS:
            raise FormatError(f"encrypted ballot: {count} options")
        selections = []
        for i in range(count):
            option = reader.text(f"option {i}")
            at = f"option {option[:40]!r}"
            ciphertext = Ciphertext(reader.point(f"{at}: α"), reader.point(f"{at}: β"))
            c0, c1, v0, v1 = (reader.scalar(f"{at}: proof") for _ in range(4))
            selections.append(Selection(option, ciphertext, BitProof(c0, c1, v0, v1)))
        sum_proof = EqualityProof(reader.scalar("sum proof"), reader.scalar("sum proof"))
        reader.end()
        return cls(station, contest, tuple(selections), sum_proof)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, n: int, what: str) -> bytes:
        if self.at + n > len(self.data):
            raise FormatError(f"encrypted ballot: cut short in {what}")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def field(self, what: str) -> bytes:
        return self.take(int.from_bytes(self.take(2, what), "big"), what)

    def text(self, what: str) -> str:
        try:
            return self.field(what).decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(f"encrypted ballot: {what} is not UTF-8") from None

    def point(self, what: str) -> Point:
        return unchecked(self.take(POINT_BYTES, what), f"encrypted ballot: {what}")

    def scalar(self, what: str) -> int:
        return scalar(self.take(SCALAR_BYTES, what), f"encrypted ballot: {what}")

    def end(self) -> None:
        if self.at != len(self.data):
            raise FormatError(f"encrypted ballot: {len(self.data) - self.at} bytes after its end")


@dataclass(frozen=True)
class Encrypted:
    """A ballot as the machine encrypted it, with the nonces only the machine knows until the ballot is
    cast (then they are erased) or challenged (then they are published, and the ballot is spoiled)."""

    ballot: EncryptedBallot
    nonces: tuple[int, ...]


def encrypt_ballot(
    context: Context, station: str, contest: Ballot, choice: str, draw: Draw = random_scalar
) -> Encrypted:
    """The ballot of a vote for the card `choice` (or `null`), with fresh nonces. Its random scalars are
    drawn in this order: each option's nonce, then each option's proof's (c, v of the simulated branch,
    u of the true one), then the sum proof's u."""
    options = choices(contest)
    if choice not in options:
        raise ValueError(f"no option {choice!r} in contest {contest.id}")
    nonces = tuple(draw() for _ in options)
    selections = []
    for option, nonce in zip(options, nonces, strict=True):
        m = int(option == choice)
        ciphertext = encrypt(m, nonce, context.key)
        proof = BitProof.prove(context, label(station, contest.id, option), ciphertext, m, nonce, draw)
        selections.append(Selection(option, ciphertext, proof))
    summed = total(s.ciphertext for s in selections)
    sum_proof = EqualityProof.prove(
        context,
        SUM,
        label(station, contest.id),
        sum(nonces),
        summed.alpha,
        context.key,
        sub(summed.beta, GENERATOR),
        draw,
    )
    return Encrypted(EncryptedBallot(station, contest.id, tuple(selections), sum_proof), nonces)


def ballot_problems(context: Context, ballot: EncryptedBallot, contest: Ballot, station: str) -> list[str]:
    """What is wrong with a ballot of `station`'s mesa in `contest`, each named; none when it is valid."""
    problems = []
    if ballot.station != station:
        problems.append(f"it is of mesa {ballot.station[:40]!r}, not {station}")
    if ballot.contest != contest.id:
        problems.append(f"it is of contest {ballot.contest[:40]!r}, not {contest.id}")
    expected = choices(contest)
    found = tuple(s.option for s in ballot.selections)
    if found != expected:
        problems.append(f"its options are not the contest's {len(expected)} cards and null, in ballot order")
        return problems
    alphas = {s.ciphertext.alpha for s in ballot.selections}
    if len(alphas) != len(ballot.selections):
        problems.append("two of its options share a nonce")
    failed = [
        s for s in ballot.selections if not s.proof.verify(context, label(station, contest.id, s.option), s.ciphertext)
    ]
    for s in failed:
        outside = [name for name, p in (("α", s.ciphertext.alpha), ("β", s.ciphertext.beta)) if not in_group(p)]
        if outside:
            problems.append(f"option {s.option}: its {' and '.join(outside)} is not a point of the prime-order group")
        else:
            problems.append(f"the proof that option {s.option} is 0 or 1 does not hold")
    if not any(p.endswith("prime-order group") for p in problems):
        summed = ballot.sum
        if not ballot.sum_proof.verify(
            context, SUM, label(station, contest.id), summed.alpha, context.key, sub(summed.beta, GENERATOR)
        ):
            problems.append("the proof that its options add up to one vote does not hold")
    return problems


def first_code(fingerprint: str, station: str) -> bytes:
    """Where a mesa's chain of confirmation codes starts."""
    return hashlib.sha256(
        fields(f"{FORMAT} first-code".encode(), bytes.fromhex(fingerprint), station.encode())
    ).digest()


def next_code(previous: bytes, ballot: EncryptedBallot) -> bytes:
    """A ballot's confirmation code: SHA-256 of the code before it and of the ballot's bytes' digest."""
    return hashlib.sha256(fields(f"{FORMAT} code".encode(), previous, ballot.digest)).digest()


def spoiled_choice(context: Context, encrypted: EncryptedBallot, nonces: Sequence[int]) -> str | None:
    """The option a challenged ballot encrypts, re-encrypted from the nonces the machine revealed; None
    when the nonces do not reproduce the ballot (the machine lied about it)."""
    if len(nonces) != len(encrypted.selections):
        return None
    chosen = []
    for s, nonce in zip(encrypted.selections, nonces, strict=True):
        bits = [m for m in (0, 1) if encrypt(m, nonce, context.key) == s.ciphertext]
        if not bits:
            return None
        if bits[0] == 1:
            chosen.append(s.option)
    return chosen[0] if len(chosen) == 1 else None
