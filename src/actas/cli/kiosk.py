"""`actas kiosk`: one station's voting machine behind a voter's screen and a poll workers' console."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from actas.console import out
from actas.errors import InputError
from actas.files import load_election, load_logos, load_machine_signer
from actas.signed_note import Verifier


def kiosk_command(
    election_dir: Annotated[Path, typer.Option("--election", help="Election directory.")],
    station: Annotated[str, typer.Option(help="The station this machine serves.")],
    key: Annotated[Path, typer.Option(help="The machine's private key file (or machines.keys).")],
    pin_file: Annotated[Path, typer.Option(help="A 0600 file holding the poll workers' PIN (6 digits or more).")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="The machine's journal and its actas (0600; never a receipt).")
    ] = Path("kiosk"),
    printer: Annotated[
        str | None,
        typer.Option(help="A command that prints the PDF on its standard input, e.g. 'lp -d receipts'."),
    ] = None,
    server: Annotated[str | None, typer.Option(help="The tabulation server to transmit the actas to.")] = None,
    board_key: Annotated[
        str | None, typer.Option(help="Pin the tabulation server's checkpoint key, to check its receipts.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address of the voter's screen: the machine's own by default.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port of the voter's screen; 0 picks a free one.")] = 8090,
    worker_host: Annotated[str, typer.Option(help="Address of the poll workers' console.")] = "127.0.0.1",
    worker_port: Annotated[int, typer.Option(help="Port of the poll workers' console; 0 picks a free one.")] = 8091,
    hostname: Annotated[
        list[str] | None, typer.Option(help="A name the screens reach the kiosk by, besides its address (repeat).")
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM), served by the kiosk itself.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="The certificate's private key (PEM, 0600).")] = None,
    insecure_http: Annotated[
        bool, typer.Option("--insecure-http", help="Take the PIN over plain HTTP from other machines too.")
    ] = False,
    ceremony: Annotated[
        Path | None,
        typer.Option(
            help="The trustees' key ceremony (ceremony.json): encrypt every ballot, which the voter may "
            "challenge (docs/e2e.md)."
        ),
    ] = None,
) -> None:
    """Run the voting machine of one station: a voter's screen and a poll workers' console.

    The poll worker signs in to the console with the PIN, opens the polls (the zero acta is
    printed), and enables one ballot for each voter after checking them in the poll book. On the
    voter's screen the voter presses a party card (or the null vote), confirms, and the receipt is
    printed; the screen then waits for the next enabled ballot. The poll worker closes the polls
    with the PIN: the final acta is printed and sent to --server until it acknowledges it.

    Nothing the kiosk keeps links a vote to its order or its time: the journal in --out holds
    running totals only, and each receipt goes to --printer from memory and is dropped. Started
    again, the kiosk resumes from its journal.

    With --ceremony, the machine encrypts each ballot once the voter confirms it and shows its
    confirmation code: the voter casts it (the receipt for the ballot box, and a slip with the code
    to find the ballot on the results site) or challenges it (a slip says what the machine
    encrypted; nothing is counted and the voter votes again). The encrypted ballots are kept beside
    the journal, in the order of their codes as they are published, and sent to --server after the
    final acta.

    Example: actas kiosk --election e --station R01.001.0001.01 --key keys/machines.keys --pin-file pin
             --printer 'lp -d receipts' --server http://127.0.0.1:8080
    """
    from actas.kiosk.app import KioskServer, KioskService
    from actas.kiosk.booth import Booth, KioskConfig
    from actas.kiosk.pin import PinGuard, load_pin
    from actas.kiosk.printer import Printer
    from actas.server.connections import ConnectionLimits
    from actas.server.security import own_hosts
    from actas.server.workers import Listening, listen, serve

    election = load_election(election_dir)
    key_of_trustees = None
    if ceremony is not None:
        from actas.cli.trustees import load_ceremony

        _, record, _ = load_ceremony(ceremony, election_dir)
        key_of_trustees = record.joint_key().hex()
    if station not in election.station_by_code:
        raise InputError(f"station {station[:64]} is not in election {election.id}")
    if server is not None and not server.startswith(("http://", "https://")):
        raise InputError(f"--server is the tabulation server's http(s) URL, found {server[:60]!r}")
    names = tuple(hostname or ())
    for address in (host, worker_host):
        if address in ("0.0.0.0", "::") and not names:
            raise InputError(f"listening on every address ({address}): name the address the screens use, --hostname")
    listening = Listening.checked(tls_cert, tls_key, ConnectionLimits())
    pin = load_pin(pin_file)
    signer = load_machine_signer(key, station)
    config = KioskConfig(
        election,
        station,
        signer,
        out_dir,
        server,
        Printer(printer),
        Verifier.from_text(board_key) if board_key else None,
        load_logos(election, election_dir),
        key_of_trustees,
    )
    booth = Booth(config)
    service = KioskService(booth, PinGuard(pin, out_dir / "pin.lockout"), insecure_http=insecure_http)
    voter_sock, voter_port = listen(host, port)
    worker_sock, bound_worker = listen(worker_host, worker_port)
    app = KioskServer(
        service,
        (voter_port, own_hosts(host, voter_port, names)),
        (bound_worker, own_hosts(worker_host, bound_worker, names)),
    )
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the kiosk's log: wrong PINs and lockouts, not requests
    out.print(f"kiosk of station {station} ({booth.state}); {booth.printer_status()}", markup=False, soft_wrap=True)
    out.print(f"listening on {listening.scheme}://{_shown(host)}:{voter_port}", markup=False, soft_wrap=True)
    console = f"{listening.scheme}://{_shown(worker_host)}:{bound_worker}"
    out.print(f"poll workers' console on {console}", markup=False, soft_wrap=True)
    sys.stdout.flush()
    serve(lambda: app, [voter_sock, worker_sock], 1, listening)


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host
