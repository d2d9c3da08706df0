"""`actas serve`, `actas transmit` and `actas announce`: the tabulation server, and what is sent to it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from actas.cli.machine import now
from actas.cli.options import BoardKey, CosignersFile, Quorum, RetryFor, cosigner_policy
from actas.console import err, out, progress
from actas.election import Election
from actas.errors import InputError, VerificationError
from actas.files import load_election, load_outlines, load_signer, read_text, signer_at
from actas.registry import MAX_REGISTRY_BYTES
from actas.server.connections import DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT
from actas.signed_note import Verifier

if TYPE_CHECKING:
    from actas.board import Board
    from actas.cosigner.service import CosignerService
    from actas.transmit import TransmitReport


def serve_command(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    registry_file: Annotated[Path, typer.Option("--registry", help="The authority-signed key registry.")],
    db: Annotated[
        str, typer.Option(help="sqlite:///FILE (the default) or postgresql://... (a role that owns nothing)")
    ] = "sqlite:///board.sqlite",
    board_key: Annotated[
        Path,
        typer.Option(
            help="The key that signs checkpoints; created (0600) when absent. The latest checkpoint signed is "
            "kept beside it (board.checkpoint)."
        ),
    ] = Path("board.key"),
    role: Annotated[str, typer.Option(help="official (actas from machines) or observer (reports from witnesses).")] = (
        "official"
    ),
    witnesses: Annotated[
        Path | None, typer.Option(help="Observer role: the organization's signed witness list (actas witness enroll).")
    ] = None,
    organization: Annotated[
        str | None, typer.Option(help="Observer role: pin the organization's key that signs the witness list.")
    ] = None,
    roving: Annotated[
        bool,
        typer.Option("--roving", help="Observer role: take reports on mesas a witness is not assigned to, apart."),
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8080,
    refresh_interval: Annotated[
        float, typer.Option(help="Seconds between reading the latest checkpoint, for other workers' writes.")
    ] = 1.0,
    workers: Annotated[int, typer.Option(help="Server processes sharing the port (one a core).", min=1, max=64)] = 1,
    official: Annotated[
        str | None, typer.Option(help="Observer role: the official board's URL, to compare every mesa with.")
    ] = None,
    official_interval: Annotated[
        float, typer.Option(help="Seconds between comparisons with the official board.", min=1.0)
    ] = 30.0,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM), served by the server itself.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="The certificate's private key (PEM, 0600).")] = None,
    insecure_http: Annotated[
        bool, typer.Option("--insecure-http", help="Take witnesses' tokens over plain HTTP from other machines.")
    ] = False,
    read_timeout: Annotated[
        float, typer.Option(help="Seconds a client may take to send a request's headers, or pause in its body.")
    ] = DEFAULT_READ_TIMEOUT,
    max_connections: Annotated[
        int, typer.Option(help="Open connections per process; past them a new one is closed at once.", min=1)
    ] = DEFAULT_MAX_CONNECTIONS,
    cosigners: Annotated[
        Path | None,
        typer.Option(help="A cosigner policy file (default: the registry's, if it has one): who cosigns checkpoints."),
    ] = None,
    quorum: Annotated[
        int | None, typer.Option(help="Cosignatures a checkpoint needs, in place of the policy's.", min=1)
    ] = None,
    cosign_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each cosigner after a checkpoint.", min=0.1, max=120)
    ] = 5.0,
    cosign_every: Annotated[
        float,
        typer.Option(
            help="Seconds between rounds of requests to the cosigners, at least; each covers every acta before it.",
            min=0,
            max=60,
        ),
    ] = 0.1,
    publish: Annotated[
        Path | None,
        typer.Option(help="Write the board as static tiles (C2SP tlog-tiles) to this directory at each checkpoint."),
    ] = None,
    results_every: Annotated[
        float, typer.Option(help="With --publish: seconds between publications of every unit's results.", min=1)
    ] = 30.0,
    voters: Annotated[
        Path | None,
        typer.Option(
            help="The authority's voters' table (CSV: national_id,station): the pages find a voter's mesa by id. "
            "Indexed beside the board key (voters.sqlite); see docs/web.md for what it exposes."
        ),
    ] = None,
    cosign_key: Annotated[
        Path | None,
        typer.Option(help="Observer role: also cosign the official board (its key pinned with --official-key)."),
    ] = None,
    official_key: Annotated[
        str | None, typer.Option(help="Observer role, with --cosign-key: the key that signs the official board.")
    ] = None,
    ceremony: Annotated[
        Path | None,
        typer.Option(
            help="Official role: the trustees' key ceremony (ceremony.json). The board publishes it as entry 2 "
            "and takes each mesa's encrypted ballots and the trustees' shares of its tally (docs/e2e.md)."
        ),
    ] = None,
) -> None:
    """Run the tabulation server: receive actas, publish the bulletin board, answer results, serve the pages.

    The official role takes signed actas from the machines. The observer role is an observer
    organization's parallel tabulation: it takes reports from the witnesses on its list, each
    authenticated by the witness's token, and keeps the record of every mesa; with --official it
    compares every mesa with the official board's, mirrored and checked again.

    At start the server rebuilds the board's tree from every entry and refuses a database that
    holds fewer entries than, or other entries than, the latest checkpoint it signed (kept in the
    database and in board.checkpoint beside the key). On PostgreSQL it connects as a role that
    owns nothing (actas db migrate sets one up) and refuses a role that could alter the board.

    With a cosigner policy (the registry's, or --cosigners), every checkpoint is sent to the
    cosigners and published with the cosignatures they return within --cosign-timeout; receipts
    carry it. A round of requests covers every acta committed before it, and rounds start at most
    every --cosign-every seconds, which bounds the cosigners' load. If a cosigner holds a checkpoint
    this board signed that its database no longer extends (restored from an old copy, or forked),
    the server refuses to start, or stops taking anything.

    The board is also served as static tiles (C2SP tlog-tiles: /checkpoint, /tile/...), and with
    --publish DIR written to a directory at each checkpoint, for any static host or CDN to serve,
    with the results of every unit as JSON every --results-every seconds and the results site's
    page (index.html), which checks the cosigned checkpoint in the reader's browser.

    An observer organization's server can also be one of the official board's cosigners
    (--cosign-key, the official board's key pinned with --official-key): it answers tlog-witness's
    add-checkpoint at /cosigner/add-checkpoint, keeping what it cosigned beside its key.

    With --ceremony, the official board publishes the trustees' key ceremony and takes each mesa's
    encrypted ballots (POST /v1/ballots) once its final acta, which commits to them, is on the board,
    and the trustees' shares of each mesa's tally (POST /v1/shares); the results say, for every mesa,
    whether its decrypted ballots equal its acta. With --publish too, each part of a mesa's record is
    written alone with an index of the confirmation codes, and the site's page finds a voter's ballot
    by its code and proves it from the tiles (index.html?ballot=CODE).

    Open the URL it prints in a browser: live results down to each mesa; on an observer's board also
    coverage, incidents, the reconciliation and the witness app (/witness).

    Example: actas serve --election ve2024 --registry day/registry.note --port 8080
             actas serve --role observer --witnesses witnesses.txt --election ve2024 --registry registry.note
    """
    from starlette.types import ASGIApp

    from actas.board import COUNT_PAGE, OBSERVER, ROLES, Board
    from actas.server.app import create_app
    from actas.server.connections import ConnectionLimits
    from actas.server.cosigning import CosignPace
    from actas.server.reconciler import Reconciler
    from actas.server.workers import Listening, listen
    from actas.server.workers import serve as serve_workers
    from actas.store.checkpoint_file import checkpoint_file_for
    from actas.store.database import Database
    from actas.witness.credentials import MAX_WITNESS_LIST_BYTES

    if role not in ROLES:
        raise InputError(f"--role {role!r}: choose one of {', '.join(ROLES)}")
    if (role == OBSERVER) != (witnesses is not None):
        raise InputError("the observer role needs --witnesses (the witness list), and only it takes one")
    if official is not None and (role != OBSERVER or not official.startswith(("http://", "https://"))):
        raise InputError("--official is the official board's http(s) URL, for the observer role")
    listening = Listening.checked(tls_cert, tls_key, ConnectionLimits(read_timeout, max_connections))
    if (organization is not None or roving) and role != OBSERVER:
        raise InputError("--organization and --roving are for the observer role")
    if ceremony is not None and role == OBSERVER:
        raise InputError("--ceremony is for the official role: the official board publishes the encrypted ballots")
    ceremony_text = None
    if ceremony is not None:
        from actas.e2e.records import MAX_RECORD_BYTES

        ceremony_text = read_text(ceremony, limit=MAX_RECORD_BYTES, what="ceremony record")
    witness_list = None
    if witnesses is not None:
        witness_list = read_text(witnesses, limit=MAX_WITNESS_LIST_BYTES, what="witness list")
    election = load_election(election_dir)
    outlines = load_outlines(election, election_dir)
    cosigner = _observer_cosigner(cosign_key, official_key, election.id, role) if cosign_key or official_key else None
    registry_text = read_text(registry_file, limit=MAX_REGISTRY_BYTES, what="key registry")
    origin = f"actas/{election.id}/{role}"
    signer = signer_at(board_key, origin.replace("/", "."))
    database = Database(db)
    database.refuse_owner_role()
    board = Board(
        database,
        election,
        registry_text,
        signer,
        origin,
        witness_list=witness_list,
        checkpoint_file=checkpoint_file_for(board_key),
        organization=Verifier.from_text(organization) if organization else None,
        roving=roving,
        ceremony=ceremony_text,
    )
    policy = cosigner_policy(cosigners, quorum)
    if policy is None and role != OBSERVER:
        policy = board.registry.cosigners
    if policy is not None:
        board.use_cosigners(policy)
    board.open(count_now_up_to=COUNT_PAGE)  # a larger board is counted by each worker once it listens
    if policy is not None:
        ask_cosigners(board, cosign_timeout)
    pace = CosignPace(cosign_timeout, cosign_every)
    voters_index = _voters_index(voters, election, board_key) if voters is not None else None
    board.db.dispose()  # each worker opens its own connections; the tree built here is shared with them

    def make_app() -> ASGIApp:
        reconciler = Reconciler(board, official, official_interval) if official else None
        return create_app(
            board,
            refresh_interval,
            reconciler,
            insecure_http=insecure_http,
            pace=pace,
            publish=publish,
            results_every=results_every,
            cosigner=cosigner() if cosigner is not None else None,  # its database opened in each worker
            voters=voters_index,
            outlines=outlines,
        )

    sock, bound = listen(host, port)
    out.print(f"board {origin}, checkpoints signed by {signer.verifier.to_text()}", markup=False, soft_wrap=True)
    out.print(f"listening on {listening.scheme}://{host}:{bound}", markup=False, soft_wrap=True)
    sys.stdout.flush()
    if serve_workers(make_app, [sock], workers, listening) != 0:
        raise typer.Exit(2)


def _voters_index(voters: Path, election: Election, board_key: Path) -> Path:
    """The voters' table indexed beside the board's key (rebuilt when the table changed); its path."""
    from actas.server.voters import VoterTable

    index = board_key.with_name("voters.sqlite")
    with progress() as bar:
        task = bar.add_task("voters' table", total=None)
        table = VoterTable.load(voters, election, index, lambda rows: bar.update(task, completed=rows))
    err.print(f"voters' table: {len(table):,} voters, indexed in {index}", markup=False, soft_wrap=True)
    return index


def _observer_cosigner(
    key: Path | None, official_key: str | None, election_id: str, role: str
) -> Callable[[], CosignerService]:
    """The cosigner an observer's server runs for the official board, its state beside its key: checked
    here, made in each server process."""
    from actas.board import OBSERVER
    from actas.cosigner.service import CosignerService
    from actas.files import read_private
    from actas.ledger.cosignature import Cosigner
    from actas.store.cosigner_store import CosignerStore

    if key is None or official_key is None or role != OBSERVER:
        raise InputError("--cosign-key and --official-key go together, for the observer role")
    cosigner = Cosigner.from_text(read_private(key, 4096).strip())
    logs = {f"actas/{election_id}/official": Verifier.from_text(official_key)}
    return lambda: CosignerService(cosigner, logs, CosignerStore(key.with_name(key.name + ".sqlite")))


def ask_cosigners(board: Board, timeout: float) -> None:
    """Before listening: the latest checkpoint cosigned and published, or the reason the board may not
    go on (BoardHalted: a cosigner holds a checkpoint of this board that its database does not extend)."""
    import asyncio

    from actas.server.cosigning import Cosigning, CosignPace

    async def publish() -> None:
        cosigning = Cosigning(board, CosignPace(timeout), quiet=True)
        try:
            published = await cosigning.publish(again=True)
        finally:
            await cosigning.close()
        if published is not None and not published.met:
            missing = [s.name + (f" ({s.problem})" if s.problem else "") for s in cosigning.states.values()]
            err.print(f"checkpoint {published.checkpoint.size:,} is short of its quorum: {'; '.join(missing)}")

    asyncio.run(publish())


UNITS = {"s": 1, "m": 60, "h": 3600}


def duration(text: str, option: str) -> float:
    """Seconds from '600', '90s', '10m' or '1h' (at most a day)."""
    number, unit = (text[:-1], text[-1]) if text[-1:] in UNITS else (text, "s")
    try:
        seconds = float(number) * UNITS[unit]
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise InputError(f"{option}: expected a duration such as 90s, 10m or 1h (at most 24h), found {text[:20]!r}")
    return seconds


def transmit_command(
    source: Annotated[str, typer.Argument(help="What to send: a payload file, a bundle, or a simulation directory.")],
    server: Annotated[str, typer.Option(help="The tabulation server's URL.")],
    outbox: Annotated[Path | None, typer.Option(help="Log of acknowledged actas (default: beside the source).")] = None,
    workers: Annotated[int, typer.Option(help="Concurrent submissions.")] = 8,
    batch: Annotated[int, typer.Option(help="Actas per request (more than 1 uses the batch endpoint).")] = 1,
    board_key: BoardKey = None,
    retry_for: RetryFor = "10m",
    cosigners: CosignersFile = None,
    quorum: Quorum = None,
) -> None:
    """Send actas to the server with retries; what the server acknowledged is never sent twice.

    Every answer is a receipt: the checkpoint that covers the acta, signed with the board's key, and
    the acta's inclusion proof against it. Each is checked, and kept in the outbox, for
    `actas verify --receipts OUTBOX` to hold the board to later. A receipt that does not check is
    a refusal; with --cosigners, so is one whose checkpoint lacks the quorum of cosignatures.

    While the server cannot be reached or fails, each acta is retried with backoff (at most 5 s
    apart) until --retry-for has passed since the start. Exit 0 when everything was acknowledged, 1
    when the server refused an acta, found a conflict or gave a receipt that does not check, 2 when
    some could not be delivered in that time (run again later: only those are sent).

    Example: actas transmit day --server http://127.0.0.1:8080 --board-key "actas.e.official+1a2b3c4d+AAAA..."
    """
    from actas.outbox import Outbox
    from actas.payload_sources import read_payloads
    from actas.transmit import transmit

    path = Path(source)
    log = outbox or (path / "sent.jsonl" if path.is_dir() else path.with_name(path.name + ".sent.jsonl"))
    with progress() as bar:
        task = bar.add_task("transmitting", total=None)
        if not 1 <= batch <= 1000:
            raise InputError(f"--batch must be between 1 and 1000, found {batch}")
        seconds = duration(retry_for, "--retry-for")
        report = transmit(
            server,
            read_payloads(source),
            Outbox(log),
            workers=workers,
            batch=batch,
            on_progress=lambda: bar.advance(task),
            board_key=Verifier.from_text(board_key) if board_key else None,
            retry_for=seconds,
            cosigners=cosigner_policy(cosigners, quorum),
        )
    say_sent(report, "actas", server)


def send_reported(what: str, total: int, server: str, send: Callable[[Callable[[], None]], TransmitReport]) -> None:
    """Send with a progress bar of `total` items (`send` is given the bar's step), then say what the server
    made of it (`say_sent`)."""
    with progress() as bar:
        task = bar.add_task(what, total=total)
        report = send(lambda: bar.advance(task))
    say_sent(report, what, server)


def say_sent(report: TransmitReport, what: str, server: str) -> None:
    """What a server made of what was sent to it; exit 1 when it refused something or found a conflict, 2
    when some could not be delivered."""
    if not report.key_pinned and report.board_key is not None:
        err.print("the board's key was taken from the server itself; pin it with --board-key", markup=False)
    skipped = f", {report.skipped:,} skipped (acknowledged before), {len(report.conflicts):,} conflicts"
    out.print(
        f"{report.accepted:,} accepted, {report.duplicates:,} already on the board"
        + (skipped if what == "actas" else "")
        + f", {len(report.refused):,} refused, {len(report.unsent):,} not delivered",
        markup=False,
    )
    for line in (report.conflicts + report.refused)[:20]:
        out.print(f"  {line}", markup=False, soft_wrap=True)
    if report.unsent:
        raise InputError(f"{len(report.unsent):,} {what} could not be delivered to {server}; run again to send them")
    if report.conflicts or report.refused:
        raise typer.Exit(1)


def announce_command(
    server: Annotated[str, typer.Option(help="The tabulation server's URL.")],
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    key: Annotated[Path, typer.Option(help="The authority's private key file.")],
    title: Annotated[str, typer.Option(help="What is announced, e.g. 'First bulletin, 80% of actas'.")],
    votes: Annotated[
        list[str], typer.Option(help="CONTEST:CANDIDATE=VOTES,... (also 'others' and 'null'); repeat per contest.")
    ],
    voters: Annotated[int | None, typer.Option(help="Voters announced.")] = None,
    registered: Annotated[int | None, typer.Option(help="Registered voters announced.")] = None,
    issued: Annotated[str | None, typer.Option(help="When it was announced (UTC); now by default.")] = None,
    unit: Annotated[
        str, typer.Option(help="The code of the geography unit the figures are of; the nation by default.")
    ] = "",
) -> None:
    """Sign an announcement with the authority's key and publish it on the bulletin board.

    Example: actas announce --server http://127.0.0.1:8080 --election e --key keys/authority.key
    --title "First bulletin" --votes president:ALVAREZ=5150,BARROS=4445,others=462
    """
    import httpx

    from actas.announcement import Announcement, parse_contest

    election = load_election(election_dir)
    if unit and unit not in election.unit_by_code:
        raise InputError(f"--unit: no unit {unit[:64]!r} in election {election.id}")
    contests = []
    for item in votes:
        contest, sep, pairs = item.partition(":")
        if not sep:
            raise InputError(f"--votes: expected CONTEST:CANDIDATE=VOTES,..., found {item[:40]!r}")
        contests.append(parse_contest(f"{contest} {pairs.replace(',', ' ')}", "--votes"))
    announcement = Announcement(
        election=election.id,
        fingerprint=election.fingerprint,
        issued=issued or now(),
        title=title,
        contests=tuple(contests),
        voters=voters,
        registered=registered,
        unit=unit,
    )
    note = announcement.sign(load_signer(key))
    try:
        response = httpx.post(
            server.rstrip("/") + "/v1/announcements", content=note.encode(), headers={"content-type": "text/plain"}
        )
    except httpx.HTTPError as exc:
        raise InputError(f"cannot reach {server}: {exc.__class__.__name__}") from None
    body = response.json()
    if response.status_code not in (200, 201):
        raise VerificationError(f"the server refused the announcement: {body.get('error', {}).get('message')}")
    out.print(f"{body['status']}: announcement {body['index']} on the board of {server}", markup=False)
