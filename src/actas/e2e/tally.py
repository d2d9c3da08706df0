"""A mesa's decrypted tally against its signed acta: the trustees' shares checked and combined, the
counts decrypted, and the verdict, which never takes either side when they differ.

A mesa agrees when its record of encrypted ballots holds, the final acta commits to that record (its
`ballots` line is the record's last code), at least k trustees' shares hold, and the decrypted count of
every option equals the acta's. Anything else is named: the record's problems, an acta that commits to
other ballots, shares refused (with their trustee), too few shares, or the options whose counts differ,
with both numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from actas.e2e.elgamal import DiscreteLog
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


def tally_labels(station: str, contest: Ballot) -> list[bytes]:
    """What binds each option's decryption share to its mesa, contest and option, in ballot order."""
    return [share_label(station, contest.id, option) for option in choices(contest)]


def tally_shares(
    context: Context, trustee: int, secret: int, share_key: Point, station: str, contest: Ballot, check: MesaCheck
) -> list[DecryptionShare]:
    """A trustee's share of the decryption of each option of a mesa's checked tally, with its proof."""
    labels = tally_labels(station, contest)
    return [
        decryption_share(context, trustee, secret, share_key, c, label)
        for c, label in zip(check.tally, labels, strict=True)
    ]


def mesa_verdict(
    context: Context,
    ceremony: Ceremony,
    contest: Ballot,
    station: str,
    check: MesaCheck,
    shares: Mapping[int, Sequence[DecryptionShare]],
    acta: Acta | None,
    table: DiscreteLog,
) -> MesaVerdict:
    """The verdict on one mesa, from its checked record, each trustee's shares of its tally (one per
    option) and its final acta."""
    problems = list(check.problems)
    if acta is None:
        problems.append("no final acta of this mesa")
    elif acta.ballots != check.last_code.hex():
        said = "commits to no encrypted ballots" if acta.ballots is None else "commits to other encrypted ballots"
        problems.append(f"its final acta {said} than this record")
    options = choices(contest)
    labels = tally_labels(station, contest)
    good: dict[int, list[DecryptionShare]] = {}
    refused = []
    for trustee, given in sorted(shares.items()):
        key = ceremony.share_key(trustee)
        if trustee not in ceremony.qualified():
            refused.append(f"trustee {trustee} is not a qualified trustee: its shares are refused")
        elif len(given) != len(options) or not all(
            share_holds(context, s, key, c, label) for s, c, label in zip(given, check.tally, labels, strict=False)
        ):
            refused.append(f"trustee {trustee}'s shares do not hold: refused")
        else:
            good[trustee] = list(given)
    if len(good) < ceremony.k:
        problems.append(f"{len(good)} trustees' shares hold, fewer than the quorum of {ceremony.k}")
        return MesaVerdict(station, UNCHECKED, None, tuple(problems), tuple(refused))
    decrypted = {}
    for i, (option, ciphertext) in enumerate(zip(options, check.tally, strict=True)):
        mask = combine({t: s[i].share for t, s in good.items()}, ceremony.k)
        count = decrypt_count(ciphertext, mask, table, check.cast)
        if count is None:
            problems.append(f"option {option}: no count of at most {check.cast} decrypts from the shares")
            return MesaVerdict(station, UNCHECKED, None, tuple(problems), tuple(refused))
        decrypted[option] = count
    if problems or acta is None:
        return MesaVerdict(station, UNCHECKED, decrypted, tuple(problems), tuple(refused))
    counted = acta.contests[0]
    signed = {**dict(zip(counted.options, counted.votes, strict=True)), NULL_VOTE: counted.null}
    differences = [
        f"{option}: the acta says {signed.get(option)}, the ballots {decrypted[option]}"
        for option in options
        if signed.get(option) != decrypted[option]
    ]
    return MesaVerdict(station, DIFFERS if differences else AGREES, decrypted, tuple(differences), tuple(refused))
