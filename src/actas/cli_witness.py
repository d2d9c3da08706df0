"""Commands of party witnesses: `actas witness scan`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from actas.console import out, print_json, progress
from actas.errors import InputError, VerificationError
from actas.files import load_registry
from actas.witness.scan import MAX_PHOTO_BYTES, REJECTED, UNVERIFIED, VERIFIED, Scan, scan_photo

witness_app = typer.Typer(help="What a party witness does at the mesa: read the printed acta.", no_args_is_help=True)


@witness_app.command("scan")
def witness_scan(
    photos: Annotated[list[Path], typer.Argument(help="Photographs of printed actas (JPEG, PNG, ...).")],
    registry_file: Annotated[Path, typer.Option("--registry", help="The published key registry.")],
    authority: Annotated[str | None, typer.Option(help="Pin the authority's verifier key.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, one object per photo.")] = False,
) -> None:
    """Read the acta in each photo (all its QR codes) and check it offline against the key registry.

    Each photo is verified (signature and every check pass), unverified (a 2024 Venezuelan acta QR
    code, which carries no signature) or rejected, with the reason. Exit 0 when every photo is
    verified, 1 when any is unverified or rejected, 2 when the registry cannot be used.

    Example: actas witness scan IMG_2041.jpg IMG_2042.jpg --registry registry.note
    """
    registry = load_registry(registry_file, authority)
    scans: list[Scan] = []
    with progress() as bar:
        task = bar.add_task("reading photos", total=len(photos))
        for photo in photos:
            scans.append(scan_photo(_read(photo), str(photo), registry))
            bar.advance(task)
    if as_json:
        print_json([asdict(s) for s in scans])
    else:
        for s in scans:
            _print_scan(s)
    problems = [s for s in scans if s.status != VERIFIED]
    if problems:
        raise VerificationError(f"{len(problems)} of {len(scans)} photos did not give a verified acta")


def _read(photo: Path) -> bytes:
    try:
        if photo.stat().st_size > MAX_PHOTO_BYTES:
            return b"\0" * (MAX_PHOTO_BYTES + 1)  # refused by the scanner with its reason, like any bad photo
        return photo.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{photo} is a directory, not a photo") from None
    except OSError as exc:
        raise InputError(f"cannot read {photo}: {exc.strerror}") from None


def _print_scan(s: Scan) -> None:
    if s.status == REJECTED:
        out.print(f"REJECTED {s.photo}: {s.reason}", markup=False)
        return
    mark = "verified" if s.status == VERIFIED else "UNVERIFIED"
    counts = ", ".join(f"{k} {v:,}" for k, v in s.votes.items() if v)
    out.print(f"{mark} {s.kind} acta of station {s.station} ({s.photo}): {counts}; null {s.null}", markup=False)
    if s.status == UNVERIFIED:
        out.print(f"  {s.reason}", markup=False)
