"""Commands of party witnesses and their organization: `actas witness scan|report|send|enroll`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from actas.console import out, print_json, progress
from actas.errors import InputError, VerificationError
from actas.files import enroll_witnesses, load_registry, load_witness_token, read_text, signer_at
from actas.witness.report import INCIDENTS

if TYPE_CHECKING:
    from actas.witness.scan import Scan

witness_app = typer.Typer(
    help="What a party witness does at the mesa (read the acta, report, send) and how an organization enrolls them.",
    no_args_is_help=True,
)


@witness_app.command("scan")
def witness_scan(
    photos: Annotated[list[Path], typer.Argument(help="Photographs of printed actas (JPEG, PNG, ...).")],
    registry_file: Annotated[Path, typer.Option("--registry", help="The published key registry.")],
    authority: Annotated[str | None, typer.Option(help="Pin the authority's verifier key.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, one object per photo.")] = False,
) -> None:
    """Read the acta in each photo (all its QR codes) and check it offline against the key registry.

    Each photo is verified (signature and every check pass), unsigned (a 2024 Venezuelan acta QR
    code, which carries no signature) or rejected, with the reason. Exit 0 when every photo is
    verified, 1 when any is unsigned or rejected, 2 when the registry cannot be used.

    Example: actas witness scan IMG_2041.jpg IMG_2042.jpg --registry registry.note
    """
    from actas.witness.scan import VERIFIED

    registry = load_registry(registry_file, authority)
    from actas.paper.read_photo import scan_file

    scans: list[Scan] = []
    with progress() as bar:
        task = bar.add_task("reading photos", total=len(photos))
        for photo in photos:
            scans.append(scan_file(photo, registry))
            bar.advance(task)
    if as_json:
        print_json([asdict(s) for s in scans])
    else:
        for s in scans:
            _print_scan(s)
    problems = [s for s in scans if s.status != VERIFIED]
    if problems:
        raise VerificationError(f"{len(problems)} of {len(scans)} photos did not give a verified acta")


@witness_app.command("report")
def witness_report(
    station: Annotated[str, typer.Option(help="The mesa.")],
    witness: Annotated[str, typer.Option(help="The witness's code, as the organization registered them.")],
    out_file: Annotated[Path, typer.Option("--out", help="Report file to write (canonical JSON).")],
    registry_file: Annotated[Path, typer.Option("--registry", help="The published key registry.")],
    photo: Annotated[list[Path] | None, typer.Option(help="Photo of the printed acta (repeat for more).")] = None,
    hand: Annotated[list[str] | None, typer.Option(help="Hand count of paper receipts: OPTION=N (repeat).")] = None,
    receipts: Annotated[int | None, typer.Option(help="Number of paper receipts counted by hand.")] = None,
    incident: Annotated[
        list[str] | None, typer.Option(help=f"KIND or KIND:note (repeat). Kinds: {', '.join(INCIDENTS)}.")
    ] = None,
) -> None:
    """Write a witness's report on one mesa: the acta read from the photo, the hand count, the incidents.

    Exit 1 when the photo gives no verified acta or the hand count differs from the acta (the report
    is written all the same), 2 when the report cannot be made.

    Example: actas witness report --station 010101001.01 --witness W-0042 --photo IMG_2041.jpg
             --registry registry.note --hand PSUV=120 --hand UNT=300 --receipts 530 --out report.json
    """
    from actas.witness.report import Incident, WitnessReport
    from actas.witness.scan import REJECTED, VERIFIED

    registry = load_registry(registry_file, authority=None)
    photos = photo or []
    from actas.paper.read_photo import scan_file

    scans = [scan_file(p, registry) for p in photos]
    read = next((s for s in scans if s.status != REJECTED), None)
    if read is not None and read.station != station:
        raise InputError(f"the photo {read.photo} shows the acta of mesa {read.station}, not {station}")
    counts = {}
    for item in hand or []:
        option, _, number = item.partition("=")
        if not number.isdigit():
            raise InputError(f"--hand {item!r}: write OPTION=N")
        counts[option] = int(number)
    report = WitnessReport(
        station=station,
        witness=witness,
        acta=read.payload if read else None,
        acta_status=read.status if read else "none",
        hand_counted=bool(counts),
        hand=tuple(counts.items()),
        receipts=receipts,
        incidents=tuple(Incident(*(i.split(":", 1) if ":" in i else (i, ""))) for i in incident or []),
        photos=tuple(s.photo_sha256 for s in scans),
    )
    out_file.write_bytes(report.to_bytes())
    out.print(f"wrote {out_file}: mesa {station}, acta {report.acta_status}, {len(report.incidents)} incidents")
    problems = [f"{s.photo}: {s.reason}" for s in scans if s.status == REJECTED]
    if read is not None and counts:
        stated = {key.split("/")[-1]: n for key, n in read.votes.items()}
        problems += [
            f"hand count of {option}: {n:,} receipts, the acta says {stated.get(option, 0):,}"
            for option, n in counts.items()
            if stated.get(option, 0) != n
        ]
    for problem in problems:
        out.print(f"  {problem}", markup=False)
    if problems or read is None or read.status != VERIFIED:
        raise VerificationError("the report records problems: see above")


def _print_scan(s: Scan) -> None:
    from actas.witness.scan import REJECTED, UNSIGNED, VERIFIED

    if s.status == REJECTED:
        out.print(f"REJECTED {s.photo}: {s.reason}", markup=False)
        return
    mark = "verified" if s.status == VERIFIED else "unsigned"
    counts = ", ".join(f"{k} {v:,}" for k, v in s.votes.items() if v)
    out.print(f"{mark} {s.kind} acta of station {s.station} ({s.photo}): {counts}; null {s.null}", markup=False)
    if s.status == UNSIGNED:
        out.print(f"  {s.reason}", markup=False)


@witness_app.command("send")
def witness_send(
    reports: Annotated[list[Path], typer.Argument(help="Report files (actas witness report).")],
    server: Annotated[str, typer.Option(help="The organization's observer server.")],
    token_file: Annotated[
        Path, typer.Option("--token", help="File with the witness's token (or the organization's tokens file).")
    ],
) -> None:
    """Send reports to the organization's parallel tabulation, authenticated by the witness's token.

    Exit 0 when every report was filed, 1 when the server refused one, 2 when it could not be reached.

    Example: actas witness send report.json --server https://tabulation.example --token my.token
    """
    import httpx

    from actas.witness.report import MAX_REPORT_BYTES, WitnessReport

    refused = 0
    with httpx.Client(base_url=server.rstrip("/"), timeout=60) as client:
        for path in reports:
            body = read_text(path, limit=MAX_REPORT_BYTES, what="witness report").encode()
            try:
                witness = WitnessReport.from_json(json.loads(body)).witness
            except (ValueError, RecursionError):
                raise InputError(f"{path} is not a witness report (JSON)") from None
            token = load_witness_token(token_file, witness)
            headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
            try:
                response = client.post("/v1/witness/reports", content=body, headers=headers)
                answer = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise InputError(f"cannot send {path} to {server}: {exc}") from None
            if response.status_code in (200, 201):
                out.print(
                    f"{path}: {answer['status']}, entry {answer['index']} on the board; "
                    f"mesa {answer['station']} is {answer['mesa']}",
                    markup=False,
                )
            else:
                refused += 1
                out.print(f"{path}: REFUSED ({response.status_code}) {answer['error']['message']}", markup=False)
    if refused:
        raise VerificationError(f"{refused} of {len(reports)} reports were refused")


@witness_app.command("enroll")
def witness_enroll(
    witnesses: Annotated[list[str] | None, typer.Argument(help="Witness ids to enroll, e.g. W-0042.")] = None,
    count: Annotated[int, typer.Option(help="Or enroll this many, numbered after --prefix.", min=0)] = 0,
    prefix: Annotated[str, typer.Option(help="Prefix of numbered ids.")] = "W-",
    mesa: Annotated[
        list[str] | None, typer.Option(help="The mesa the witnesses named here report on (repeat for more).")
    ] = None,
    assignments: Annotated[
        Path | None, typer.Option(help="Or a CSV of 'witness,mesa' lines (a witness on several lines has several).")
    ] = None,
    org_key: Annotated[
        Path, typer.Option(help="The organization's key that signs the list; created (0600) when absent.")
    ] = Path("organization.key"),
    list_file: Annotated[Path, typer.Option("--list", help="The witness list (public), created or extended.")] = Path(
        "witnesses.txt"
    ),
    tokens_file: Annotated[
        Path, typer.Option("--tokens", help="Where the new tokens go (0600, never printed): one per witness.")
    ] = Path("witness.tokens"),
) -> None:
    """Enroll witnesses: each gets a secret token and the mesas they report on; the list keeps only the
    token's SHA-256 and the mesas, and is signed with the organization's key.

    Give each witness their line of the tokens file; serve the list with actas serve --role observer
    --witnesses (the server checks its signature and publishes it on its board). A report on a mesa
    the witness is not assigned to is refused, unless the server takes roving witnesses (--roving).

    Example: actas witness enroll W-0042 --mesa 010101001.01 --list witnesses.txt --tokens witness.tokens
             actas witness enroll --assignments witnesses.csv --org-key organization.key
    """
    import csv
    import io

    from actas.witness.credentials import MAX_WITNESS_LIST_BYTES

    assigned: dict[str, list[str]] = {}
    ids = [*(witnesses or []), *(f"{prefix}{n:04d}" for n in range(1, count + 1))]
    if ids and not mesa:
        raise InputError("give the mesa of the witnesses named (--mesa), or an --assignments file")
    for witness in ids:
        assigned.setdefault(witness, []).extend(mesa or [])
    if assignments is not None:
        rows = csv.reader(io.StringIO(read_text(assignments, limit=MAX_WITNESS_LIST_BYTES, what="assignments")))
        for number, row in enumerate(rows, start=1):
            if len(row) != 2 or not row[0].strip() or not row[1].strip():
                raise InputError(f"{assignments} line {number}: expected 'witness,mesa'")
            assigned.setdefault(row[0].strip(), []).append(row[1].strip())
    if not assigned:
        raise InputError("name the witnesses to enroll, give --count, or an --assignments file")
    organization = signer_at(org_key, "organization")
    enroll_witnesses(list_file, tokens_file, assigned, organization)
    out.print(
        f"enrolled {len(assigned):,} witnesses in {list_file}; their tokens are in {tokens_file} (0600)", markup=False
    )
    out.print(f"the list is signed by {organization.verifier.to_text()}", markup=False, soft_wrap=True)
