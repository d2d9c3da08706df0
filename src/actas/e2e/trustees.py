"""The trustees' key ceremony: n trustees make a joint key whose secret no fewer than k of them can use,
and none of them ever holds (Pedersen's distributed key generation with Feldman's verifiable shares).

1. Each trustee i draws a polynomial P_i(x) = a_i0 + a_i1·x + … + a_i(k−1)·x^(k−1) and publishes the
   commitments K_ij = [a_ij]G, each with a Schnorr proof that it knows a_ij, and a box key
   (X25519) to receive shares on.
2. Each trustee i sends every other trustee l its share P_i(l), sealed to l's box key (libsodium's
   `crypto_box_seal`); the sealed shares are published, readable by their recipient alone.
3. Trustee l opens each share and checks it against the dealer's commitments (Feldman):
   [P_i(l)]G = Σ_j [l^j]K_ij. A share that fails is a complaint; the dealer answers it by revealing
   P_i(l) in the clear, which anyone checks the same way. A dealer whose revealed share fails, or who
   does not answer, is disqualified; the others are the qualified set Q.
4. The joint key is K = Σ_{i∈Q} K_i0; trustee l's secret share is s_l = Σ_{i∈Q} P_i(l), and its
   public share key Y_l = [s_l]G = Σ_{i∈Q} Σ_j [l^j]K_ij is computed by anyone from the commitments.

Each trustee's secrets (its coefficients, its box key, its share) live in its own file, never on a
server; what is published (`Ceremony`) lets anyone check every step."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from nacl.public import PrivateKey, PublicKey, SealedBox

from actas.e2e.group import IDENTITY, ORDER, Point, add, base_mul, mul, random_scalar, scalar, scalar_bytes
from actas.e2e.hashing import Context, fields
from actas.e2e.proofs import SchnorrProof
from actas.errors import FormatError

COEFFICIENT = "trustee-coefficient"
MAX_TRUSTEES = 64


def ceremony_context(fingerprint: str) -> Context:
    """The ceremony's proofs are bound to the election; the joint key does not exist yet."""
    return Context.of(fingerprint, IDENTITY)


def coefficient_label(n: int, k: int, index: int, name: str, box_key: bytes, j: int) -> bytes:
    """What binds a coefficient's proof to its ceremony, its trustee (with its name and box key) and its
    place in the polynomial."""
    numbers = (str(x).encode() for x in (n, k, index))
    return fields(*numbers, name.encode(), box_key, str(j).encode())


def evaluate(coefficients: Sequence[int], x: int) -> int:
    """P(x) modulo ℓ, by Horner's rule."""
    value = 0
    for a in reversed(coefficients):
        value = (value * x + a) % ORDER
    return value


def feldman(commitments: Sequence[Point], x: int) -> Point:
    """Σ_j [x^j]K_j: what [P(x)]G must be."""
    expected = IDENTITY
    power = 1
    for commitment in commitments:
        expected = add(expected, mul(power, commitment))
        power = power * x % ORDER
    return expected


@dataclass(frozen=True)
class Announcement:
    """Trustee `index`'s first message, published."""

    index: int
    name: str
    box_key: bytes
    commitments: tuple[Point, ...]
    proofs: tuple[SchnorrProof, ...]


@dataclass(frozen=True)
class SealedShare:
    dealer: int
    recipient: int
    sealed: bytes


@dataclass(frozen=True)
class Complaint:
    """Trustee `recipient`'s complaint that `dealer`'s share fails its commitments, and the dealer's
    answer: the share in the clear (None: no answer)."""

    dealer: int
    recipient: int
    revealed: int | None = None


@dataclass
class Trustee:
    """One trustee's secrets, as its own file holds them."""

    index: int
    n: int
    k: int
    coefficients: tuple[int, ...]
    box_key: bytes
    share: int | None = None
    """s_l, once the ceremony is over."""

    @classmethod
    def new(cls, index: int, n: int, k: int) -> Trustee:
        if not 1 <= k <= n <= MAX_TRUSTEES or not 1 <= index <= n:
            raise ValueError(f"trustee {index} of {n} with a quorum of {k}")
        return cls(index, n, k, tuple(random_scalar() for _ in range(k)), bytes(PrivateKey.generate()))

    def announce(self, fingerprint: str, name: str) -> Announcement:
        context = ceremony_context(fingerprint)
        box_key = bytes(PrivateKey(self.box_key).public_key)
        commitments = tuple(base_mul(a) for a in self.coefficients)
        proofs = tuple(
            SchnorrProof.prove(
                context, COEFFICIENT, coefficient_label(self.n, self.k, self.index, name, box_key, j), a, commitment
            )
            for j, (a, commitment) in enumerate(zip(self.coefficients, commitments, strict=True))
        )
        return Announcement(self.index, name, box_key, commitments, proofs)

    def deal(self, announcements: Iterable[Announcement]) -> list[SealedShare]:
        """This trustee's share for every other trustee, sealed to its box key."""
        return [
            SealedShare(
                self.index,
                a.index,
                SealedBox(PublicKey(a.box_key)).encrypt(scalar_bytes(evaluate(self.coefficients, a.index))),
            )
            for a in announcements
            if a.index != self.index
        ]

    def open(self, sealed: SealedShare) -> int | None:
        """The share sealed to this trustee, or None if it cannot be opened or is no scalar."""
        try:
            return scalar(SealedBox(PrivateKey(self.box_key)).decrypt(sealed.sealed), "share")
        except Exception:  # noqa: BLE001  (a share that cannot be opened is a complaint, whatever the reason)
            return None

    def receive(
        self, announcements: Mapping[int, Announcement], sealed: Iterable[SealedShare]
    ) -> tuple[dict[int, int], list[Complaint]]:
        """The shares addressed to this trustee that hold against their dealer's commitments, and a
        complaint of each dealer whose share is missing, cannot be opened or does not hold."""
        mine = {s.dealer: s for s in sealed if s.recipient == self.index}
        good: dict[int, int] = {self.index: evaluate(self.coefficients, self.index)}
        complaints = []
        for dealer, announcement in sorted(announcements.items()):
            if dealer == self.index:
                continue
            value = self.open(mine[dealer]) if dealer in mine else None
            if value is not None and base_mul(value) == feldman(announcement.commitments, self.index):
                good[dealer] = value
            else:
                complaints.append(Complaint(dealer, self.index))
        return good, complaints

    def answer(self, complaint: Complaint) -> Complaint:
        """A dealer's answer to a complaint: the share in the clear."""
        return Complaint(complaint.dealer, complaint.recipient, evaluate(self.coefficients, complaint.recipient))


@dataclass(frozen=True)
class Ceremony:
    """What the ceremony published: anyone checks it (`problems`) and derives the joint key from it."""

    fingerprint: str
    n: int
    k: int
    announcements: tuple[Announcement, ...]
    sealed: tuple[SealedShare, ...]
    complaints: tuple[Complaint, ...] = field(default=())

    def problems(self) -> list[str]:
        """What is wrong with the record, each named: what makes it unusable (`unusable`), then each
        trustee's failure, which disqualifies that trustee alone: bad proofs, complaints answered with a
        share that fails, or not answered."""
        announced, complained_of = self._failures
        return [*self.unusable(), *(why for _, why in announced), *(why for _, why in complained_of)]

    def unusable(self) -> list[str]:
        """Why no joint key can be taken from the record: announcements missing, sealed shares not one
        from each trustee to each other, or fewer qualified trustees than the quorum. A trustee's own
        failure only disqualifies it: the others' joint key stands while a quorum is qualified."""
        found = []
        if sorted(a.index for a in self.announcements) != list(range(1, self.n + 1)):
            found.append(f"the announcements are not of trustees 1 to {self.n}, once each")
        indices = [a.index for a in self.announcements]
        sealed = [(s.dealer, s.recipient) for s in self.sealed]
        expected = {(d, r) for d in indices for r in indices if d != r}
        complained = {(c.dealer, c.recipient) for c in self.complaints}
        if len(set(sealed)) != len(sealed) or not set(sealed) <= expected or expected - set(sealed) - complained:
            found.append("the sealed shares are not one from each trustee to each other trustee")
        if len(self.qualified()) < self.k:
            found.append(f"{len(self.qualified())} trustees are qualified, fewer than the quorum of {self.k}")
        return found

    @cached_property
    def _failures(self) -> tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]:
        """(trustee, why) of each step a trustee failed, which disqualifies it: its announcement's proofs,
        then the complaints it did not answer or answered with a share that fails its commitments.
        Checked once: each check verifies proofs or multiplies points."""
        context = ceremony_context(self.fingerprint)
        announced = []
        for a in self.announcements:
            if len(a.commitments) != self.k or len(a.proofs) != self.k:
                announced.append(
                    (a.index, f"trustee {a.index} committed to {len(a.commitments)} coefficients, not {self.k}")
                )
                continue
            announced += [
                (a.index, f"trustee {a.index}'s proof of coefficient {j} does not hold")
                for j, (commitment, proof) in enumerate(zip(a.commitments, a.proofs, strict=True))
                if not proof.verify(
                    context, COEFFICIENT, coefficient_label(self.n, self.k, a.index, a.name, a.box_key, j), commitment
                )
            ]
        by_index = {a.index: a for a in self.announcements}
        complained_of = []
        for c in self.complaints:
            dealer = by_index.get(c.dealer)
            if dealer is None or c.revealed is None:
                complained_of.append((c.dealer, f"trustee {c.dealer} did not answer trustee {c.recipient}'s complaint"))
            elif base_mul(c.revealed) != feldman(dealer.commitments, c.recipient):
                said = f"the share trustee {c.dealer} revealed to trustee {c.recipient} fails its commitments"
                complained_of.append((c.dealer, said))
        return tuple(announced), tuple(complained_of)

    def disqualified(self) -> set[int]:
        """Trustees whose announcement's proofs fail, or who answered a complaint with a share that fails
        their commitments, or did not answer one."""
        announced, complained_of = self._failures
        return {trustee for trustee, _ in (*announced, *complained_of)}

    @cached_property
    def _qualified(self) -> tuple[int, ...]:
        bad = self.disqualified()
        return tuple(sorted(a.index for a in self.announcements if a.index not in bad))

    def qualified(self) -> tuple[int, ...]:
        return self._qualified

    def joint_key(self) -> Point:
        """K = Σ_{i∈Q} K_i0."""
        by_index = {a.index: a for a in self.announcements}
        key = IDENTITY
        for i in self.qualified():
            key = add(key, by_index[i].commitments[0])
        return key

    @cached_property
    def _share_keys(self) -> dict[int, Point]:
        return {}

    def share_key(self, trustee: int) -> Point:
        """Y_l = [s_l]G, from the qualified trustees' commitments; computed once per trustee."""
        if trustee not in self._share_keys:
            by_index = {a.index: a for a in self.announcements}
            key = IDENTITY
            for i in self.qualified():
                key = add(key, feldman(by_index[i].commitments, trustee))
            self._share_keys[trustee] = key
        return self._share_keys[trustee]


def finish(trustee: Trustee, shares: Mapping[int, int], ceremony: Ceremony) -> int:
    """s_l, the sum of the qualified dealers' shares to trustee l (answered complaints included)."""
    revealed = {c.dealer: c.revealed for c in ceremony.complaints if c.recipient == trustee.index}
    total = 0
    for dealer in ceremony.qualified():
        value = shares.get(dealer, revealed.get(dealer))
        if value is None:
            raise FormatError(f"trustee {trustee.index} has no share from trustee {dealer}")
        total = (total + value) % ORDER
    return total


def run_ceremony(
    fingerprint: str,
    names: Sequence[str],
    k: int,
    deliver: Callable[[list[SealedShare]], list[SealedShare]] = lambda sealed: sealed,
    answering: bool = True,
) -> tuple[list[Trustee], Ceremony]:
    """Every round of the ceremony for trustees named `names`, in one place: each trustee's secrets are
    its own object, to be written to its own file. `deliver` is the channel the sealed shares cross
    (a test tampers with it); a dealer complained of answers unless `answering` is false."""
    n = len(names)
    trustees = [Trustee.new(i, n, k) for i in range(1, n + 1)]
    announcements = [t.announce(fingerprint, name) for t, name in zip(trustees, names, strict=True)]
    by_index = {a.index: a for a in announcements}
    sealed = deliver([s for t in trustees for s in t.deal(announcements)])
    received = {t.index: t.receive(by_index, sealed) for t in trustees}
    complaints = [c for _, found in received.values() for c in found]
    answered = [trustees[c.dealer - 1].answer(c) if answering else c for c in complaints]
    ceremony = Ceremony(fingerprint, n, k, tuple(announcements), tuple(sealed), tuple(answered))
    for t in trustees:
        t.share = finish(t, received[t.index][0], ceremony)
    return trustees, ceremony
