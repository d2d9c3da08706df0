"""The voting kiosk: the voting machine of one mesa behind a touch screen.

`actas kiosk` runs on the machine itself and serves this page on its own loopback address: the machine's
private key and its journal never leave it. The poll worker opens the polls with the PIN (the zero acta
is signed, journaled and printed as a PDF); each voter presses a party card as on the paper ballot,
confirms, and gets a receipt PDF for the receipt printer; the poll worker closes the polls with the PIN,
the final acta is signed and printed, and both actas are transmitted to the tabulation server, sent
again until the server acknowledges them. Every act is in the journal before the screen answers, so a
kiosk restarted mid-day carries on where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from actas.acta.model import SignedActa
from actas.acta.render import render_acta, render_receipt
from actas.election import Election
from actas.errors import ActasError
from actas.fields import format_utc_time
from actas.machine.journal import JournaledMachine
from actas.machine.voting_machine import MachineSetup, MachineState
from actas.payload_sources import SourcePayload
from actas.server.app import error, json_errors
from actas.signed_note import Signer
from actas.transmit import Outbox, transmit
from actas.web.pages import STATIC, page_json, render

MAX_PIN_TRIES = 5
LOCKOUT_SECONDS = 60.0
"""After this many wrong PINs in a row, the PIN is refused for this long."""
MAX_BODY = 4096
RETRY_SECONDS = 10.0


def _now() -> str:
    return format_utc_time(dt.datetime.now(dt.UTC))


@dataclass
class KioskConfig:
    election: Election
    station: str
    signer: Signer
    journal: Path
    out_dir: Path
    server: str | None
    pin_sha256: bytes


class Kiosk:
    """The machine, its printer (PDF files in `out_dir`) and its link to the tabulation server."""

    def __init__(self, config: KioskConfig) -> None:
        self.config = config
        self.lock = asyncio.Lock()
        """One act at a time: a vote is journaled and printed before the next is taken."""
        self.delivered = True
        """Whether the server has acknowledged every acta printed so far."""
        self.wake = asyncio.Event()
        """Set when an acta is printed, so it is sent at once."""
        self.failed_pins = 0
        self.locked_until = 0.0
        self.transmission = "not yet"
        config.out_dir.mkdir(parents=True, exist_ok=True)
        self.machine: JournaledMachine | None = (
            JournaledMachine.resume(config.journal) if config.journal.exists() else None
        )
        if self.machine is not None:
            self.delivered = False  # resumed: whatever was printed is sent again; the server dedupes

    @property
    def state(self) -> str:
        return MachineState.READY.value if self.machine is None else self.machine.machine.state.value

    def status(self) -> dict[str, Any]:
        vm = self.machine.machine if self.machine else None
        return {
            "station": self.config.station,
            "state": self.state,
            "voters": vm.voters if vm else 0,
            "registered": self.config.election.station_by_code[self.config.station].registered,
            "transmission": self.transmission,
            "printed": {name: f"/printed/{name}" for name in self._printed()},
        }

    def _printed(self) -> list[str]:
        return sorted(p.name for p in self.config.out_dir.glob("*.pdf") if not p.name.startswith("receipt-"))

    def check_pin(self, pin: object) -> str | None:
        """Why a PIN is refused, if it is."""
        now = time.monotonic()
        if now < self.locked_until:
            return f"too many wrong PINs: wait {self.locked_until - now:.0f} s"
        given = hashlib.sha256(str(pin).encode()).digest() if isinstance(pin, str) else b""
        if hmac.compare_digest(given, self.config.pin_sha256):
            self.failed_pins = 0
            return None
        self.failed_pins += 1
        if self.failed_pins >= MAX_PIN_TRIES:
            self.failed_pins = 0
            self.locked_until = now + LOCKOUT_SECONDS
        return "wrong PIN"

    def _print_acta(self, signed: SignedActa, name: str) -> None:
        (self.config.out_dir / f"{name}.acta.txt").write_text(signed.payload, encoding="utf-8")
        self.delivered = False
        render_acta(signed, self.config.election).savefig(self.config.out_dir / f"{name}.pdf", facecolor="white")

    def open(self) -> None:
        setup = MachineSetup.for_station(self.config.election, self.config.station, self.config.signer.name)
        machine = JournaledMachine.create(self.config.journal, setup)
        self._print_acta(machine.open(self.config.signer, _now()), "zero-acta")
        self.machine = machine

    def vote(self, choices: dict[str, str | None]) -> str:
        """Cast one ballot; the name of its receipt's PDF."""
        assert self.machine is not None
        receipt = self.machine.cast(choices)
        name = f"receipt-{receipt.seq:05d}.pdf"
        buffer = io.BytesIO()
        render_receipt(receipt, self.config.election).savefig(buffer, format="pdf", facecolor="white")
        (self.config.out_dir / name).write_bytes(buffer.getvalue())
        return name

    def close(self) -> None:
        assert self.machine is not None
        self._print_acta(self.machine.close(self.config.signer, _now()), "final-acta")

    def transmit(self) -> bool:
        """Send the printed actas to the server; True once the server has acknowledged them."""
        if self.config.server is None:
            self.transmission = "no server configured: carry the printed acta"
            self.delivered = True
            return True
        items = [
            SourcePayload(str(path), path.read_text(encoding="utf-8"))
            for path in sorted(self.config.out_dir.glob("*.acta.txt"))
        ]
        report = transmit(self.config.server, items, Outbox(self.config.out_dir / "sent.jsonl"), workers=1)
        if report.unsent:
            self.transmission = f"not delivered to {self.config.server}: retrying every {RETRY_SECONDS:.0f} s"
            return False
        problems = report.refused + report.conflicts
        self.transmission = "refused: " + "; ".join(problems) if problems else f"acknowledged by {self.config.server}"
        self.delivered = True
        return True


async def _json_body(request: Request) -> dict[str, Any] | Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return error(413, "too_large", f"a request to the kiosk is at most {MAX_BODY} bytes")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return error(400, "malformed", "send a JSON object")
    return data


def create_kiosk_app(kiosk: Kiosk) -> FastAPI:
    election = kiosk.config.election
    contests = [
        {
            "id": c.id,
            "name": c.name,
            "options": [
                {"id": o.id, "name": o.name, "candidate": next(d.name for d in c.candidates if d.id == o.candidate)}
                for o in c.options
            ],
        }
        for c in election.contests
    ]

    async def deliver() -> None:
        """Send each acta as soon as it is printed, and again until the server acknowledges it."""
        while True:
            if not kiosk.delivered:
                await run_in_threadpool(kiosk.transmit)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(kiosk.wake.wait(), RETRY_SECONDS)
            kiosk.wake.clear()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        task = asyncio.create_task(deliver())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if kiosk.machine is not None:
            kiosk.machine.close_file()

    app = FastAPI(title="actas voting kiosk", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    json_errors(app)

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        return render(
            "kiosk.html.j2",
            election=election,
            station=kiosk.config.station,
            initial=page_json({"contests": contests, "status": kiosk.status()}),
        )

    @app.get("/status")
    async def status() -> Response:
        return JSONResponse(kiosk.status())

    async def guarded(request: Request, state: MachineState, act: Any) -> Response:
        data = await _json_body(request)
        if isinstance(data, Response):
            return data
        async with kiosk.lock:
            if kiosk.state != state.value:
                return error(409, "wrong_state", f"the machine is {kiosk.state}, not {state.value}")
            try:
                result = await run_in_threadpool(act, data)
            except ActasError as exc:
                return error(422, "refused", str(exc))
            if not kiosk.delivered:
                kiosk.wake.set()
        if isinstance(result, Response):
            return result
        return JSONResponse({**kiosk.status(), **(result or {})})

    def with_pin(then: Any) -> Any:
        def act(data: dict[str, Any]) -> Any:
            problem = kiosk.check_pin(data.get("pin"))
            if problem is not None:
                return error(403, "forbidden", problem)
            return then(data)

        return act

    @app.post("/open")
    async def open_polls(request: Request) -> Response:
        return await guarded(request, MachineState.READY, with_pin(lambda _: kiosk.open()))

    @app.post("/vote")
    async def vote(request: Request) -> Response:
        def act(data: dict[str, Any]) -> Any:
            choices = data.get("choices")
            if not isinstance(choices, dict) or not all(
                isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in choices.items()
            ):
                return error(400, "malformed", 'send {"choices": {"CONTEST": "OPTION" or null}}')
            return {"receipt": f"/printed/{kiosk.vote(choices)}"}

        return await guarded(request, MachineState.OPEN, act)

    @app.post("/close")
    async def close_polls(request: Request) -> Response:
        return await guarded(request, MachineState.OPEN, with_pin(lambda _: kiosk.close()))

    @app.get("/printed/{name}", include_in_schema=False)
    async def printed(name: str) -> Response:
        path = kiosk.config.out_dir / name
        if "/" in name or not name.endswith(".pdf") or not path.is_file():
            return error(404, "not_found", "no such printout")
        return FileResponse(path, media_type="application/pdf")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
