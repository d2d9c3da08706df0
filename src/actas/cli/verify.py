"""`actas verify`: check everything a bulletin board published, from a mirror of it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from actas.cli.options import BoardKey, CosignersFile, Quorum, cosigner_policy
from actas.console import VOTES_COLUMNS, candidate_rows, err, out, print_json, progress, table
from actas.errors import InputError, VerificationError
from actas.files import read_text
from actas.signed_note import Verifier

if TYPE_CHECKING:
    from actas.verification import BoardVerification, HeldCheckpoint

SHOWN = 50


def verify_command(
    source: Annotated[str, typer.Argument(help="A tabulation server's URL, or a mirror directory.")],
    mirror: Annotated[
        Path | None, typer.Option(help="Where to keep the mirror of a server (default: mirror-HOST-PORT).")
    ] = None,
    board_key: BoardKey = None,
    authority: Annotated[str | None, typer.Option(help="Pin the authority's key that signs the registry.")] = None,
    receipts: Annotated[
        list[Path] | None,
        typer.Option(help="An outbox of receipts (actas transmit's, a kiosk's sent.jsonl): each must still hold."),
    ] = None,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(help="A checkpoint obtained elsewhere (a signed note): the board must be consistent with it."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
    cosigners: CosignersFile = None,
    quorum: Quorum = None,
    tiles: Annotated[bool, typer.Option("--tiles", help="Read a server's static tiles, not its API.")] = False,
) -> None:
    """Verify a bulletin board: every entry, checkpoint, signature and announcement, and the results.

    A server (its API, or with --tiles its static tiles) or a published directory (actas publish) is
    first mirrored, resumable: run it again to bring the mirror up to date; a mirror is verified
    without a network. With --receipts and --checkpoint, what others were given must
    still hold: every acta a receipt acknowledged at its index, and every checkpoint's tree a prefix
    of the board's, so a board that dropped an acta or rolled back is caught even by a first mirror.
    A board with cosigners (a policy in its registry, or --cosigners) must show a quorum of
    cosignatures on its latest checkpoint, and be consistent with every checkpoint its cosigners
    said they cosigned: a board that showed the public one history and its cosigners another, or
    went back to an older one, is named with the two checkpoints that prove it.
    Exit 0 when everything verifies, 1 naming each item that does not, 2 when the board cannot be read.

    Example: actas verify http://cne.example:8080 --board-key "actas.ve-2024.official+1a2b3c4d+AAAA..."
             actas verify mirror-cne --receipts day/sent.jsonl --checkpoint newspaper.note
    """
    from actas.mirror import (
        BOARD_KEY,
        cosigned_notes,
        is_mirror,
        latest_checkpoint,
        mirror_board,
        mirror_checkpoints,
        mirror_entries,
    )
    from actas.tile_reader import is_published
    from actas.verification import HeldCheckpoint, verify_board

    policy = cosigner_policy(cosigners, quorum)
    published = is_published(Path(source))
    if source.startswith(("http://", "https://")) or published:
        where = urlsplit(source)
        name = f"{where.hostname}-{where.port or where.scheme}" if not published else Path(source).name
        directory = mirror or Path(f"mirror-{name}")
        with progress() as bar:
            task = bar.add_task(f"mirroring {source}", total=None)
            mirror_board(
                source,
                directory,
                lambda done, size: bar.update(task, completed=done, total=size),
                policy,
                tiles or None,
            )
    else:
        directory = Path(source)
        if not is_mirror(directory):
            raise InputError(f"{source} is neither a server URL, a mirror nor a published board (actas mirror URL DIR)")
    latest, head = latest_checkpoint(directory)
    pinned = board_key is not None
    key_text = board_key or read_text(directory / BOARD_KEY, limit=1000, what="board key").strip()
    key = Verifier.from_text(key_text)
    authority_key = Verifier.from_text(authority) if authority else None
    held = [*(_receipts_held(receipts) if receipts else []), *_checkpoints_held(checkpoint or [])]
    held += [HeldCheckpoint(f"the checkpoint {name} cosigned", note) for name, note in cosigned_notes(directory)]
    with progress() as bar:
        task = bar.add_task("verifying the board", total=None)
        bar.update(task, total=head.size)
        report = verify_board(
            mirror_entries(directory, head.size),
            latest,
            mirror_checkpoints(directory),
            key,
            authority_key,
            lambda: bar.advance(task),
            held=held,
            cosigners=policy,
        )
    if as_json:
        print_json({**report.to_json(), "mirror": str(directory), "board_key_pinned": pinned})
    else:
        _print(report, directory, pinned)
    if not report.ok:
        raise VerificationError(f"{report.failed:,} items of board {report.origin} do not verify; see above")


def _receipts_held(outboxes: list[Path]) -> list[HeldCheckpoint]:
    from actas.verification import held_receipts

    held = [receipt for outbox in outboxes for receipt in held_receipts(outbox)]
    if not held:
        raise InputError(f"no receipts in {', '.join(map(str, outboxes))}")
    return held


def _checkpoints_held(files: list[Path]) -> list[HeldCheckpoint]:
    from actas.ledger.checkpoint import MAX_CHECKPOINT_BYTES
    from actas.verification import HeldCheckpoint

    return [
        HeldCheckpoint(f"checkpoint {path}", read_text(path, limit=MAX_CHECKPOINT_BYTES, what="checkpoint"))
        for path in files
    ]


def _print(report: BoardVerification, directory: Path, pinned: bool) -> None:
    out.print(f"board {report.origin}, {report.size:,} entries, mirrored in {directory}", markup=False)
    if not pinned:
        err.print("the board's key was taken from the server itself; pin it with --board-key", markup=False)
    for what, passed, detail in report.checks:
        out.print(f"{'ok  ' if passed else 'FAIL'} {what}: {detail}", markup=False)
    for failure in report.failures[:SHOWN]:
        out.print(f"  {failure.item}: {failure.problem}", markup=False)
    if report.failed > SHOWN:
        out.print(f"  ... and {report.failed - SHOWN:,} more (all of them with --json)", markup=False)
    results = report.results
    if results is not None:
        c = results.coverage
        title = f"results recomputed from the board: {c.reported:,} of {c.stations:,} stations, {c.voters:,} voters"
        out.print(table(title, VOTES_COLUMNS, candidate_rows(results.to_json()["contests"][0])))
