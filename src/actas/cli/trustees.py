"""`actas trustees ceremony|check`: the trustees' key ceremony for encrypted ballots (docs/e2e.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from actas.cli.options import BoardKey, RetryFor
from actas.console import Col, out, print_json, progress, table
from actas.errors import InputError, VerificationError
from actas.files import (
    BALLOTS_DIR,
    load_election,
    load_registry,
    read_ceremony,
    read_lines,
    read_text,
    write_private,
    write_text,
)

if TYPE_CHECKING:
    from actas.acta.model import Acta
    from actas.e2e.hashing import Context
    from actas.e2e.mesa import MesaRecord
    from actas.e2e.tally import MesaShares
    from actas.e2e.trustees import Ceremony
    from actas.election import Election

trustees_app = typer.Typer(
    help="The trustees who make the election's joint key and decrypt each mesa's tally (docs/e2e.md).",
    no_args_is_help=True,
)

CEREMONY_FILE = "ceremony.json"
TRUSTEES_DIR = "trustees"


@trustees_app.command("ceremony")
def trustees_ceremony(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the record and the trustees' files.")],
    trustees: Annotated[int, typer.Option(help="How many trustees (n).")] = 5,
    quorum: Annotated[int, typer.Option(help="How many of them can decrypt together (k).")] = 3,
    names: Annotated[str | None, typer.Option(help="Their names, comma-separated; 'Trustee 1', ... if none.")] = None,
) -> None:
    """Run the key ceremony: each trustee commits to a polynomial with proofs, deals its shares to the
    others sealed to their box keys, checks the shares it receives against the commitments, and
    complains of any that fail, which its dealer answers in the clear. The joint key is the sum of the
    qualified trustees' first commitments.

    Writes OUT/ceremony.json, the public record anyone checks (`actas trustees check`), and each
    trustee's secrets to its own file, OUT/trustees/trustee-N.key (mode 0600), to be handed to that
    trustee alone and kept off any server. This command plays every trustee in one place; it makes the
    same record the trustees would make each on their own machine.

    Example: actas trustees ceremony --election ve2024 --trustees 5 --quorum 3 --out ceremony
    """
    from actas.e2e.records import ceremony_to_json, dumps, trustee_to_json
    from actas.e2e.trustees import MAX_TRUSTEES, run_ceremony

    if not 1 <= quorum <= trustees <= MAX_TRUSTEES:
        raise InputError(f"--quorum {quorum} of --trustees {trustees}: need 1 <= quorum <= trustees <= {MAX_TRUSTEES}")
    named = [n.strip() for n in names.split(",")] if names else [f"Trustee {i}" for i in range(1, trustees + 1)]
    if len(named) != trustees or not all(named) or any(len(n) > 200 for n in named):
        raise InputError(f"--names: give {trustees} names of at most 200 characters, separated by commas")
    if (out_dir / CEREMONY_FILE).exists():
        raise InputError(f"{out_dir / CEREMONY_FILE} exists: a ceremony is never run over another")
    election = load_election(election_dir)
    members, ceremony = run_ceremony(election.fingerprint, named, quorum)
    for member in members:
        secrets = dumps(trustee_to_json(member, election.fingerprint))
        write_private(out_dir / TRUSTEES_DIR / f"trustee-{member.index}.key", secrets)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / CEREMONY_FILE, dumps(ceremony_to_json(ceremony)))
    _show(ceremony)
    out.print(f"wrote {out_dir / CEREMONY_FILE} and {trustees} trustees' files in {out_dir / TRUSTEES_DIR} (0600)")


@trustees_app.command("check")
def trustees_check(
    record: Annotated[Path, typer.Argument(help="A ceremony's record (ceremony.json).")],
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a ceremony's record: every proof of every commitment, every complaint's answer, that the
    qualified trustees and the joint key are what they give, and that it is for this election.
    Exit 0 when all hold, 1 when something does not (each named), 2 when it cannot be read.

    Example: actas trustees check ceremony/ceremony.json --election ve2024
    """
    election = load_election(election_dir)
    ceremony = read_ceremony(record)
    problems = ceremony.problems()
    if ceremony.fingerprint != election.fingerprint:
        problems.insert(0, f"it is for the election of fingerprint {ceremony.fingerprint[:16]}…, not {election.id}")
    if as_json:
        key, qualified = ceremony.joint_key().hex(), list(ceremony.qualified())
        print_json({"joint_key": key, "qualified": qualified, "problems": problems})
    else:
        _show(ceremony)
        for problem in problems:
            out.print(f"problem: {problem}", markup=False)
    if problems:
        raise VerificationError(f"{len(problems)} problems in the ceremony's record")


@trustees_app.command("decrypt")
def trustees_decrypt(
    trustee_file: Annotated[Path, typer.Option("--trustee", help="This trustee's own file (trustee-N.key).")],
    record: Annotated[Path, typer.Option("--ceremony", help="The ceremony's record (ceremony.json).")],
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    ballots: Annotated[
        str,
        typer.Option(
            help="The mesas' encrypted ballots: a directory of <mesa>.jsonl, or an official board's URL, whose "
            "every part is proved against a checkpoint signed by its key."
        ),
    ],
    out_file: Annotated[Path, typer.Option("--out", help="Where to write this trustee's shares (JSON lines).")],
    board_key: BoardKey = None,
) -> None:
    """One trustee's share of the decryption of every mesa's tally, each with its proof: the sum of the
    mesa's cast ballots that hold, option by option; no ballot is ever decrypted alone. Any quorum of
    trustees' shares decrypts the tallies (`actas trustees tally`, or on the board `actas trustees
    publish`). From a board, the mesas whose records it holds, each part proved on it (pin its key with
    --board-key); exit 1 naming any part the board does not prove, the shares of the others written.

    Example: actas trustees decrypt --trustee trustee-2.key --ceremony ceremony.json --election ve2024
    --ballots https://cne.example --out shares-2.jsonl
    """
    from actas.e2e.group import base_mul
    from actas.e2e.mesa import check_mesa
    from actas.e2e.records import shares_lines, trustee_from_text
    from actas.e2e.tally import tally_shares

    election, ceremony, context = load_ceremony(record, election_dir)
    trustee, fingerprint = trustee_from_text(read_text(trustee_file, limit=64 * 1024, what="trustee file"))
    if fingerprint != election.fingerprint or trustee.share is None:
        raise InputError(f"{trustee_file} is not a trustee's file of election {election.id} with its share")
    secret, key = trustee.share, ceremony.share_key(trustee.index)
    if base_mul(secret) != key:
        raise InputError(
            f"{trustee_file}: its share is not the one the ceremony's record gives trustee {trustee.index}"
        )
    contest = election.contests[0]

    problems: list[str] = []

    def mesas() -> Iterator[MesaShares]:
        with progress() as bar:
            records = mesa_records(ballots, election, board_key, problems)
            task = bar.add_task("mesas", total=len(election.stations))
            for station, found in records:
                checked = check_mesa(context, contest, found)
                yield tally_shares(context, trustee.index, secret, key, station, contest, checked.tally)
                bar.advance(task)

    write_text(out_file, "".join(shares_lines(election.fingerprint, trustee.index, mesas())))
    out.print(f"trustee {trustee.index}: wrote its shares of every mesa's tally to {out_file}", markup=False)
    for problem in problems:
        out.print(f"problem: {problem}", markup=False, soft_wrap=True)
    if problems:
        raise VerificationError(f"{len(problems)} problems with the board's records; their mesas have no shares")


def mesa_records(
    source: str, election: Election, board_key: str | None, problems: list[str]
) -> Iterator[tuple[str, MesaRecord]]:
    """Each mesa's whole record, from a directory of <mesa>.jsonl or from an official board (each part
    proved on it; a mesa whose parts are not adds its problems instead)."""
    if not source.startswith(("http://", "https://")):
        for station, path in mesa_files(Path(source), election):
            yield station, mesa_record(path)
        return
    from actas.ballot_lookup import BoardReader, board_record
    from actas.signed_note import Verifier

    board = BoardReader(source, Verifier.from_text(board_key) if board_key else None)
    try:
        for code in (s.code for s in election.stations):
            before = len(problems)
            found = board_record(board, election, code, problems)
            if found is not None and len(problems) == before:
                yield code, found
    finally:
        board.close()


@trustees_app.command("publish")
def trustees_publish(
    shares: Annotated[Path, typer.Argument(help="This trustee's shares file (actas trustees decrypt --out).")],
    server: Annotated[str, typer.Option(help="The official board's URL (served with --ceremony).")],
    board_key: BoardKey = None,
    retry_for: RetryFor = "10m",
) -> None:
    """Publish a trustee's shares of the mesas' tallies on the official board. The board takes each mesa's
    shares when every proof holds against the trustee's key from the ceremony, for the tally of the
    mesa's record on the board, and refuses them with the reason otherwise; once a quorum of trustees'
    shares of a mesa is in, its results say whether its decrypted ballots equal its acta.

    Exit 0 when every mesa's shares are on the board, 1 when some were refused, 2 when some could not
    be delivered.

    Example: actas trustees publish shares-2.jsonl --server http://127.0.0.1:8080
    """
    from actas.cli.serve import duration, send_reported
    from actas.e2e.records import MAX_SHARES_LINE
    from actas.send_ballots import send_shares
    from actas.signed_note import Verifier

    lines = list(read_lines(shares, limit=MAX_SHARES_LINE, what="decryption shares"))
    pinned, seconds = Verifier.from_text(board_key) if board_key else None, duration(retry_for, "--retry-for")
    send_reported(
        "mesas' shares",
        max(len(lines) - 1, 0),
        server,
        lambda step: send_shares(server, lines, board_key=pinned, retry_for=seconds, on_progress=step),
    )


@trustees_app.command("tally")
def trustees_tally(
    record: Annotated[Path, typer.Option("--ceremony", help="The ceremony's record (ceremony.json).")],
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    day: Annotated[Path, typer.Option(help=f"The day's directory: actas.jsonl, registry.note and {BALLOTS_DIR}/.")],
    shares: Annotated[list[Path], typer.Option("--shares", help="A trustee's shares file; repeat for each.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, one verdict per mesa.")] = False,
) -> None:
    """Decrypt every mesa's tally with any quorum of the trustees' shares and set it against the mesa's
    signed final acta. A mesa agrees when its encrypted ballots hold, its acta commits to them, and every
    option's decrypted count equals the acta's; a share whose proof fails is refused and the quorum met
    without it. Exit 0 when every mesa agrees, 1 when any differs or cannot be compared (each named).

    Example: actas trustees tally --ceremony ceremony.json --election ve2024 --day day
    --shares shares-1.jsonl --shares shares-3.jsonl --shares shares-4.jsonl
    """
    from actas.e2e.elgamal import DiscreteLog
    from actas.e2e.mesa import check_mesa
    from actas.e2e.records import MAX_SHARES_LINE, read_shares
    from actas.e2e.tally import AGREES, mesa_verdict

    election, ceremony, context = load_ceremony(record, election_dir)
    finals = signed_finals(day)
    by_trustee = {}
    for path in shares:
        fingerprint, trustee, found = read_shares(read_lines(path, limit=MAX_SHARES_LINE, what="decryption shares"))
        if fingerprint != election.fingerprint:
            raise InputError(f"{path} holds the shares of another election than {election.id}")
        by_trustee[trustee] = found
    contest, table = election.contests[0], DiscreteLog()
    verdicts = []
    with progress() as bar:
        files = mesa_files(day / BALLOTS_DIR, election)
        task = bar.add_task("mesas", total=len(files))
        for station, path in files:
            checked = check_mesa(context, contest, mesa_record(path))
            given = [found[station] for found in by_trustee.values() if station in found]
            verdicts.append(
                mesa_verdict(context, ceremony, contest, station, checked, given, finals.get(station), table)
            )
            bar.advance(task)
    if as_json:
        print_json([{"station": v.station, **v.to_json()} for v in verdicts])
    else:
        for v in verdicts:
            for said in (*v.problems, *v.refused):
                out.print(f"{v.station}: {v.status}: {said}", markup=False, soft_wrap=True)
        agree = sum(v.status == AGREES for v in verdicts)
        out.print(f"{agree:,} of {len(verdicts):,} mesas: the decrypted tally equals the signed acta", markup=False)
    if any(v.status != AGREES for v in verdicts):
        raise VerificationError(f"{sum(v.status != AGREES for v in verdicts):,} mesas do not agree")


def signed_finals(day: Path) -> dict[str, Acta]:
    """The final actas of a day's bundle whose signatures hold against its key registry, by mesa; a
    damaged line leaves its mesa without one, which is said where it matters."""
    from actas.acta.check import check_acta
    from actas.acta.codec import parse_payload
    from actas.acta.model import ActaKind
    from actas.errors import FormatError
    from actas.files import BUNDLE_FILE, REGISTRY_FILE, read_bundle

    registry = load_registry(day / REGISTRY_FILE)
    finals = {}
    for _, payload in read_bundle(day / BUNDLE_FILE):
        try:
            signed = parse_payload(payload) if isinstance(payload, str) else None
        except FormatError:
            signed = None
        if signed is not None and signed.acta.kind is ActaKind.FINAL and not check_acta(signed, registry):
            finals[signed.acta.station] = signed.acta
    return finals


def load_ceremony(record: Path, election_dir: Path) -> tuple[Election, Ceremony, Context]:
    from actas.e2e.hashing import Context

    election = load_election(election_dir)
    ceremony = read_ceremony(record)
    if ceremony.fingerprint != election.fingerprint:
        raise InputError(f"{record} is the ceremony of another election than {election.id}")
    unusable = ceremony.unusable()
    if unusable:
        raise InputError(f"{record}: {unusable[0]} (actas trustees check names every problem)")
    return election, ceremony, Context.of(election.fingerprint, ceremony.joint_key())


def mesa_files(directory: Path, election: Election) -> list[tuple[str, Path]]:
    """The mesas' records in a directory, by mesa, in the definition's order; a file of no mesa is refused."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory of the mesas' encrypted ballots")
    found = {path.stem: path for path in directory.glob("*.jsonl")}
    unknown = sorted(set(found) - set(election.station_by_code))
    if unknown:
        raise InputError(f"{found[unknown[0]]}: no mesa {unknown[0][:64]!r} in election {election.id}")
    return [(s.code, found[s.code]) for s in election.stations if s.code in found]


def mesa_record(path: Path) -> MesaRecord:
    from actas.e2e.mesa import MAX_BALLOT_LINE, MesaRecord

    record = MesaRecord.from_lines(read_lines(path, limit=MAX_BALLOT_LINE, what="mesa record"))
    if record.station != path.stem:
        raise InputError(f"{path} holds the ballots of mesa {record.station[:64]!r}, not {path.stem}")
    return record


def _show(ceremony: Ceremony) -> None:
    qualified = set(ceremony.qualified())
    rows = [
        [
            str(a.index),
            a.name,
            "yes" if a.index in qualified else "no",
            str(sum(c.dealer == a.index for c in ceremony.complaints)),
        ]
        for a in ceremony.announcements
    ]
    columns = [Col("#", True), Col("trustee"), Col("qualified"), Col("complaints\nagainst", True)]
    out.print(table(f"Key ceremony: {ceremony.k} of {ceremony.n} trustees", columns, rows))
    out.print(f"joint key {ceremony.joint_key().hex()}", markup=False, soft_wrap=True)
