"""`actas acta`: checking actas against the key registry, and printing them as the machine does."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from actas.acta.codec import parse_payload
from actas.console import out, print_json, progress
from actas.errors import InputError
from actas.files import load_election, load_registry
from actas.registry import KeyRegistry

if TYPE_CHECKING:
    from actas.acta_batch import Verdict

acta_app = typer.Typer(help="Actas: verify and print.", no_args_is_help=True)


@acta_app.command("verify")
def acta_verify(
    source: Annotated[str, typer.Argument(help="Payload file, payload text, image of a printed acta, or bundle.")],
    registry_file: Annotated[Path, typer.Option("--registry", help="The signed key registry.")],
    authority: Annotated[
        str | None, typer.Option(help="Pin the authority's verifier key (as the authority published it).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check actas against the key registry: signature, election, station, machine, ballot and sums.

    Exit 0 when every acta is valid, 1 when any is invalid, 2 when the input cannot be used.

    Example: actas acta verify printed.png --registry ve2024/registry.note
    """
    from actas.payload_sources import is_bundle

    registry = load_registry(registry_file, authority)
    found_problem = (_verify_bundle if is_bundle(source) else _verify_single)(source, registry, as_json)
    if found_problem:
        raise typer.Exit(1)


def _verify_single(source: str, registry: KeyRegistry, as_json: bool) -> bool:
    """A payload, payload file or image: unreadable input is an error (exit 2), not an invalid acta."""
    from actas.acta_batch import check_signed
    from actas.payload_sources import read_payloads

    results = []
    for item in read_payloads(source):
        signed = parse_payload(item.text())
        results.append((signed, check_signed(item.origin, signed, registry)))
    if as_json:
        print_json([_verdict_json(verdict) for _, verdict in results])
        return any(not verdict.valid for _, verdict in results)
    for signed, verdict in results:
        acta = signed.acta
        if verdict.problems:
            out.print(
                f"INVALID {acta.kind} acta of station {acta.station} ({verdict.origin}): " + "; ".join(verdict.problems)
            )
        else:
            out.print(
                f"valid {acta.kind} acta of station {acta.station}: {acta.voters:,} voters, signed by {acta.machine}"
            )
    return any(not verdict.valid for _, verdict in results)


def _verify_bundle(source: str, registry: KeyRegistry, as_json: bool) -> bool:
    """Many actas: an unreadable one is reported as invalid, and the rest are still checked."""
    from actas.acta_batch import check_many
    from actas.payload_sources import read_payloads

    valid = invalid = 0
    failures: list[Verdict] = []
    with progress() as bar:
        task = bar.add_task("verifying", total=None)
        for verdict in check_many(read_payloads(source), registry):
            if verdict.valid:
                valid += 1
            else:
                invalid += 1
                failures.append(verdict)
            bar.advance(task)
    if as_json:
        print_json({"valid": valid, "invalid": invalid, "failures": [_verdict_json(v) for v in failures]})
    else:
        out.print(f"{valid:,} valid, {invalid:,} invalid actas")
        for failure in failures[:20]:
            out.print(f"INVALID {failure.origin}: " + "; ".join(failure.problems))
        if len(failures) > 20:
            out.print(f"... and {len(failures) - 20:,} more (use --json for all)")
    return invalid > 0


def _verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "origin": verdict.origin,
        "valid": verdict.valid,
        "problems": list(verdict.problems),
        "station": verdict.station,
        "kind": verdict.kind,
        "sha256": verdict.sha256,
    }


@acta_app.command("render")
def acta_render(
    source: Annotated[str, typer.Argument(help="Payload file, payload text, image, or bundle.")],
    png: Annotated[Path | None, typer.Option(help="Write the printed sheet as PNG.")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Write the printed sheet as PDF.")] = None,
    station: Annotated[str | None, typer.Option(help="Which station's acta, when the source holds several.")] = None,
    kind: Annotated[str, typer.Option(help="zero or final.")] = "final",
    election_dir: Annotated[
        Path | None, typer.Option("--election", help="Election directory, to print names instead of ids.")
    ] = None,
) -> None:
    """Print an acta as the tally sheet a machine prints: counts, totals and the QR code(s).

    Example: actas acta render day/actas.jsonl --station R01.001.0001.01 --png acta.png --pdf acta.pdf
    """
    from actas.paper.render import render_acta
    from actas.payload_sources import pick_acta

    if png is None and pdf is None:
        raise InputError("give --png OUT, --pdf OUT, or both")
    if kind not in ("zero", "final"):
        raise InputError(f"--kind must be zero or final, found {kind!r}")
    signed = pick_acta(source, station, kind)
    election = load_election(election_dir) if election_dir else None
    figure = render_acta(signed, election)
    for path in (png, pdf):
        if path is not None:
            try:
                figure.savefig(path, dpi=200, facecolor="white")
            except OSError as exc:
                raise InputError(f"cannot write {path}: {exc.strerror}") from None
            out.print(f"wrote {path}")
