"""`actas cosigner`: make a cosigner's key, and run a cosigner for any number of boards; `actas publish`:
the board as static tiles. What makes a board hard to fork and easy to read by anyone."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from actas.console import out, progress
from actas.errors import InputError, KeyFileError

cosigner_app = typer.Typer(
    help="Cosigners: independent organizations that cosign each checkpoint of a board only if it extends "
    "every one they cosigned before (what C2SP calls witnesses).",
    no_args_is_help=True,
)


@cosigner_app.command("key")
def cosigner_key(
    name: Annotated[str, typer.Option(help="The cosigner's name, e.g. a URL without scheme: cosigner.example.org")],
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the private key (0600); never replaced.")],
) -> None:
    """Create a cosigner's key, and print its public key for the boards' cosigner policies.

    Example: actas cosigner key --name cosigner.observers.example --out cosigner.key
    """
    from actas.files import write_private
    from actas.ledger.cosignature import Cosigner

    if out_file.exists():
        raise KeyFileError(f"{out_file} exists; a cosigner's key is never replaced (it would cosign a fork)")
    cosigner = Cosigner.generate(name)
    write_private(out_file, cosigner.to_text() + "\n")
    out.print(cosigner.key.to_text(), markup=False, soft_wrap=True)


@cosigner_app.command("serve")
def cosigner_serve(
    key: Annotated[Path, typer.Option(help="The cosigner's private key (actas cosigner key).")],
    logs: Annotated[
        list[str],
        typer.Option("--log", help="A board to follow: ORIGIN=KEY, its checkpoints' origin and the key signing them."),
    ],
    db: Annotated[Path, typer.Option(help="The SQLite file where the latest cosigned checkpoints are kept.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8090,
) -> None:
    """Run a cosigner: tlog-witness's add-checkpoint for each board it follows.

    A checkpoint is cosigned only when it carries the board's signature and a consistency proof
    from the last checkpoint cosigned for that board; the new state is on disk (fsync'ed) before
    the cosignature is sent. A fork or a rollback is refused (409 or 422) and the board's signed
    checkpoint kept as evidence. GET /latest/ORIGIN answers the latest checkpoint cosigned.

    Example: actas cosigner serve --key cosigner.key --db cosigner.sqlite
             --log "actas/ve2024/official=actas.ve2024.official+1a2b3c4d+AAAA..."
    """
    from actas.cosigner.app import create_app
    from actas.cosigner.service import CosignerService
    from actas.files import read_private
    from actas.ledger.cosignature import Cosigner
    from actas.server.workers import listen, serve
    from actas.signed_note import Verifier
    from actas.store.cosigner_store import CosignerStore

    cosigner = Cosigner.from_text(read_private(key, 4096).strip())
    followed = {}
    for item in logs:
        origin, sep, verifier = item.partition("=")
        if not sep or not origin or " " in origin:
            raise InputError(f"--log {item[:40]!r}: expected ORIGIN=KEY")
        followed[origin] = Verifier.from_text(verifier)
    service = CosignerService(cosigner, followed, CosignerStore(db))
    sock, bound = listen(host, port)
    out.print(f"cosigner {cosigner.key.to_text()}", markup=False, soft_wrap=True)
    out.print(f"listening on http://{host}:{bound}", markup=False, soft_wrap=True)
    sys.stdout.flush()
    serve(lambda: create_app(service), [sock], 1)


def publish_command(
    source: Annotated[str, typer.Argument(help="The board: a server's URL, or a mirror directory.")],
    to: Annotated[
        Path, typer.Option(help="The directory to write the static board to (created, or brought up to date).")
    ],
    mirror: Annotated[
        Path | None, typer.Option(help="Where to keep the mirror of a server (default: a temporary directory).")
    ] = None,
) -> None:
    """Write a board as static files any web server, object store or CDN can serve (C2SP tlog-tiles).

    The checkpoint (with its cosignatures), every tile of the Merkle tree and every entry bundle,
    each file written whole, the checkpoint last: a reader never finds a checkpoint whose files are
    not there yet. Full tiles already there are left as they are. `actas mirror` and `actas verify`
    read the directory, or any URL serving it, and check every tile against the checkpoint.

    Example: actas publish http://cne.example:8080 --to /var/www/board
    """
    import tempfile

    from actas.ledger.merkle import MerkleTree, leaf_hash
    from actas.mirror import BOARD_KEY, is_mirror, latest_checkpoint, mirror_board, mirror_entries, verify_mirror
    from actas.publish import publish_board
    from actas.signed_note import Verifier

    with tempfile.TemporaryDirectory(prefix="actas-publish-") as folder:
        directory = Path(source) if not source.startswith(("http://", "https://")) else (mirror or Path(folder))
        if directory == Path(source) and not is_mirror(directory):
            raise InputError(f"{source} is neither a server URL nor a mirror directory (actas mirror URL DIR)")
        if directory != Path(source):
            with progress() as bar:
                task = bar.add_task(f"mirroring {source}", total=None)
                mirror_board(source, directory, lambda done, size: bar.update(task, completed=done, total=size))
        checkpoint = verify_mirror(directory)
        note = latest_checkpoint(directory)[0]
        entries = [data for _, _, data in mirror_entries(directory, checkpoint.size)]
        tree = MerkleTree(leaf_hash(e) for e in entries)
        key = Verifier.from_text((directory / BOARD_KEY).read_text(encoding="utf-8").strip())
        done = publish_board(to, tree, checkpoint.size, note, lambda start, end: entries[start:end], key)
    out.print(
        f"{to}: board {checkpoint.origin} at {checkpoint.size:,} entries; {done.written:,} files written, "
        f"{done.kept:,} already there",
        markup=False,
    )
