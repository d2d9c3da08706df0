"""`actas import csv|nist|qr`: per-station results that actas did not count itself, into a dataset."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from actas.console import SHOWN, out, print_json, progress
from actas.errors import VerificationError
from actas.files import read_text

if TYPE_CHECKING:
    from actas.importers.csv_import import ImportReport

import_app = typer.Typer(help="Per-station results from other sources, into a dataset.", no_args_is_help=True)
MAX_QR_FILE = 512 * 1024 * 1024


@import_app.command("csv")
def import_csv_command(
    file: Annotated[Path, typer.Argument(help="CSV file (plain, .gz or .zip).")],
    mapping: Annotated[str, typer.Option(help="Mapping file (TOML), or a preset: venezuela-2024, ...")],
    out_file: Annotated[Path, typer.Option("--out", help="Dataset file to write.")],
    as_json: Annotated[bool, typer.Option("--json", help="The import report as JSON.")] = False,
) -> None:
    """Read per-station results from a CSV as a mapping says, and write them as a dataset.

    Every row is loaded or reported with its line and reason. Exit code 0: every row loaded; 1: some
    rows could not be used (the others are written); 2: the file or the mapping cannot be read.

    Example: actas import csv RESULTADOS_2024_CSV_V2.csv.gz --mapping venezuela-2024 --out ve2024.dataset
    """
    from actas.importers.csv_import import import_csv
    from actas.importers.mapping import load_mapping
    from actas.store.dataset_file import write_dataset

    chosen = load_mapping(mapping)
    with progress() as bar:
        task = bar.add_task("reading rows", total=None)
        dataset, report = import_csv(file, chosen, lambda rows: bar.update(task, completed=rows))
    write_dataset(dataset, out_file)
    if as_json:
        print_json(_report_json(report, out_file))
    else:
        _print_report(report, out_file)
    if report.refused:
        raise VerificationError(f"{len(report.refused):,} rows of {file.name} could not be used; see above")


@import_app.command("nist")
def import_nist_command(
    file: Annotated[Path, typer.Argument(help="NIST SP 1500-100 v2 election results JSON.")],
    out_file: Annotated[Path, typer.Option("--out", help="Dataset file to write.")],
    contest: Annotated[str | None, typer.Option(help="The contest's @id or name (the first one by default).")] = None,
) -> None:
    """Read a NIST SP 1500-100 v2 results export (such as a tabulation server's) as a dataset.

    Example: actas import nist results.json --out board.dataset
    """
    from actas.importers.nist_import import import_nist
    from actas.store.dataset_file import write_dataset

    dataset = import_nist(file, contest)
    write_dataset(dataset, out_file)
    out.print(f"{dataset.sources[0]}: {len(dataset):,} stations with counts loaded into {out_file}", markup=False)


@import_app.command("qr")
def import_qr_command(
    file: Annotated[Path, typer.Argument(help="Text file: one 2024 Venezuelan acta QR text a line.")],
    out_file: Annotated[Path, typer.Option("--out", help="Dataset file to write.")],
) -> None:
    """Read the QR texts of Venezuela's 2024 actas (unsigned: nothing to check) as a dataset.

    Exit code 1 when some lines could not be used (the others are written).

    Example: actas import qr scanned-codes.txt --out ve2024-qr.dataset
    """
    from actas.dataset.ve2024_qr import dataset_from_qr
    from actas.store.dataset_file import write_dataset

    text = read_text(file, limit=MAX_QR_FILE, what="file of QR texts")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    dataset, refused = dataset_from_qr(text.splitlines(), f"{file.name} sha256:{digest}")
    write_dataset(dataset, out_file)
    out.print(
        f"{len(dataset):,} actas loaded into {out_file}, all unsigned "
        "(the 2024 codes carry no signature: nothing to check, nothing wrong)"
    )
    for line, reason in refused[:SHOWN]:
        out.print(f"  line {line}: {reason}", markup=False)
    if refused:
        raise VerificationError(f"{len(refused):,} lines of {file.name} could not be used")


def _report_json(report: ImportReport, out_file: Path) -> dict[str, Any]:
    return {
        "source": report.source,
        "dataset": str(out_file),
        "rows": report.rows,
        "loaded": report.loaded,
        "blank_lines": report.blank_lines,
        "filtered": report.filtered,
        "refused": [{"line": line, "reason": reason} for line, reason in report.refused],
        "warnings": [{"line": line, "reason": reason} for line, reason in report.warnings],
        "warnings_unlisted": report.warnings_unlisted,
    }


def _print_report(report: ImportReport, out_file: Path) -> None:
    out.print(f"{report.source}: {report.rows:,} rows, {report.loaded:,} stations loaded into {out_file}", markup=False)
    if report.filtered:
        out.print(f"{report.filtered:,} rows of other contests left out, as the mapping's keep says", markup=False)
    if report.blank_lines:
        out.print(f"{report.blank_lines:,} blank lines", markup=False)
    for title, items, unlisted in (
        ("could not be used", report.refused, 0),
        ("loaded, with a warning", report.warnings, report.warnings_unlisted),
    ):
        if items:
            out.print(f"{len(items) + unlisted:,} rows {title}:", markup=False)
            for line, reason in items[:SHOWN]:
                out.print(f"  line {line}: {reason}", markup=False)
            if len(items) + unlisted > SHOWN:
                out.print(f"  ... and {len(items) + unlisted - SHOWN:,} more (--json lists them)", markup=False)
