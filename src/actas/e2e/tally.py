"""A mesa's decrypted tally against its signed acta: the trustees' shares checked and combined, the
counts decrypted, and the verdict, which never takes either side when they differ.

A mesa agrees when its record of encrypted ballots holds, the final acta commits to that record (its
`ballots` line is the record's last code), at least k trustees' shares hold, and the decrypted count of
every option equals the acta's. Anything else is named: the record's problems, an acta that commits to
other ballots, shares refused (with their trustee), too few shares, or the options whose counts differ,
with both numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from actas.acta.model import Acta
from actas.e2e.ballot import Ballot, choices
from actas.e2e.decryption import (
    DecryptionShare,
    combine,
    decrypt_count,
    decryption_share,
    share_holds,
    share_label,
)
from actas.e2e.elgamal import Ciphertext, DiscreteLog
from actas.e2e.group import Point
from actas.e2e.hashing import Context
from actas.e2e.mesa import MesaCheck
from actas.e2e.trustees import Ceremony
from actas.election import NULL_VOTE

AGREES = "agrees"
DIFFERS = "differs"
UNCHECKED = "unchecked"
"""The tally could not be compared: a record that does not hold, an acta for other ballots, too few
shares, no final acta."""


@dataclass(frozen=True)
class MesaVerdict:
    station: str
    status: str
    decrypted: Mapping[str, int] | None
    """Per option (cards, then null), once decrypted."""
    problems: tuple[str, ...]
    """Why it differs (each option, both counts) or could not be compared."""
    refused: tuple[str, ...] = ()
    """Trustees' shares refused; the quorum may still be met without them."""

    def to_json(self) -> dict[str, object]:
        """As the board's answers and the commands that decrypt print it (without its station)."""
        return {"status": self.status, "decrypted": self.decrypted, "problems": list(self.problems),
                "refused": list(self.refused)}  # fmt: skip


@dataclass(frozen=True)
class MesaShares:
    """One trustee's shares of a mesa's tally: the tally they decrypt (per option, cards then null, the sum
    of the mesa's cast ballots) and one share per option with its proof."""

    station: str
    trustee: int
    tally: tuple[Ciphertext, ...]
    shares: tuple[DecryptionShare, ...]


def tally_labels(station: str, contest: Ballot) -> list[bytes]:
    """What binds each option's decryption share to its mesa, contest and option, in ballot order."""
    return [share_label(station, contest.id, option) for option in choices(contest)]


def tally_shares(
    context: Context,
    trustee: int,
    secret: int,
    share_key: Point,
    station: str,
    contest: Ballot,
    tally: Sequence[Ciphertext],
) -> MesaShares:
    """A trustee's share of the decryption of each option of a mesa's checked tally, with its proof."""
    labels = tally_labels(station, contest)
    shares = tuple(
        decryption_share(context, trustee, secret, share_key, c, label) for c, label in zip(tally, labels, strict=True)
    )
    return MesaShares(station, trustee, tuple(tally), shares)


def shares_refused(context: Context, ceremony: Ceremony, contest: Ballot, given: MesaShares) -> str | None:
    """Why a trustee's shares of a mesa's tally are refused (None when every proof holds): a trustee the
    ceremony did not qualify, a share missing, or a proof that fails."""
    trustee, options = given.trustee, choices(contest)
    if trustee not in ceremony.qualified():
        return f"trustee {trustee} is not a qualified trustee: its shares are refused"
    key, labels = ceremony.share_key(trustee), tally_labels(given.station, contest)
    if len(given.shares) != len(options) or len(given.tally) != len(options):
        return f"trustee {trustee}'s shares are not one for each of the {len(options)} options: refused"
    if not all(
        share_holds(context, s, key, c, label) for s, c, label in zip(given.shares, given.tally, labels, strict=True)
    ):
        return f"trustee {trustee}'s shares do not hold: refused"
    return None


def commitment_problems(acta: Acta | None, last_code: bytes) -> list[str]:
    """How a mesa's final acta fails to commit to its record of encrypted ballots (empty when it does)."""
    if acta is None:
        return ["no final acta of this mesa"]
    if acta.ballots != last_code.hex():
        said = "commits to no encrypted ballots" if acta.ballots is None else "commits to other encrypted ballots"
        return [f"its final acta {said} than this record"]
    return []


def mesa_verdict(
    context: Context,
    ceremony: Ceremony,
    contest: Ballot,
    station: str,
    check: MesaCheck,
    shares: Iterable[MesaShares],
    acta: Acta | None,
    table: DiscreteLog,
) -> MesaVerdict:
    """The verdict on one mesa, from its checked record, each trustee's shares of its tally and its final
    acta: every share's proof checked, and a share of another tally than the record's refused."""
    good, refused = [], []
    for given in shares:
        why = shares_refused(context, ceremony, contest, given)
        if why is None and given.tally != check.tally:
            why = f"trustee {given.trustee}'s shares are of another tally than this record's: refused"
        if why is None:
            good.append(given)
        else:
            refused.append(why)
    problems = [*check.problems, *commitment_problems(acta, check.last_code)]
    return compare(station, decrypt_tally(ceremony.k, contest, check.cast, good, table), acta, problems, tuple(refused))


def decrypt_tally(
    k: int, contest: Ballot, cast: int, good: Sequence[MesaShares], table: DiscreteLog
) -> dict[str, int] | str:
    """Each option's count, decrypted with the first k trustees' checked shares of one tally of `cast`
    ballots; or why it cannot be."""
    if len(good) < k:
        return f"{len(good)} trustees' shares hold, fewer than the quorum of {k}"
    decrypted = {}
    tally = good[0].tally
    for i, (option, ciphertext) in enumerate(zip(choices(contest), tally, strict=True)):
        mask = combine({g.trustee: g.shares[i].share for g in good}, k)
        count = decrypt_count(ciphertext, mask, table, cast)
        if count is None:
            return f"option {option}: no count of at most {cast} decrypts from the shares"
        decrypted[option] = count
    return decrypted


def compare(
    station: str,
    decrypted: Mapping[str, int] | str,
    acta: Acta | None,
    problems: Sequence[str],
    refused: tuple[str, ...] = (),
) -> MesaVerdict:
    """A mesa's decrypted tally (or why there is none) against its final acta: it agrees or differs only
    when nothing in `problems` stands in the way."""
    if isinstance(decrypted, str):
        return MesaVerdict(station, UNCHECKED, None, (*problems, decrypted), refused)
    if problems or acta is None:
        return MesaVerdict(station, UNCHECKED, decrypted, tuple(problems), refused)
    counted = acta.contests[0]
    signed = {**dict(zip(counted.options, counted.votes, strict=True)), NULL_VOTE: counted.null}
    differences = [
        f"{option}: the acta says {signed.get(option)}, the ballots {count}"
        for option, count in decrypted.items()
        if signed.get(option) != count
    ]
    return MesaVerdict(station, DIFFERS if differences else AGREES, decrypted, tuple(differences), refused)
