"""The kiosk's two web apps, each on a listener of its own, served by one process around one booth.

- **The voter's screen** (`--host`/`--port`, the machine's own screen by default) shows the ballot
  when a poll worker has enabled one and takes the vote; it has no PIN field and no other act.
- **The poll workers' console** (`--worker-host`/`--worker-port`, a separate device or window)
  signs in with the PIN, opens the polls, enables each ballot after checking the voter in the poll
  book, cancels one a voter left unused, reprints an acta and closes the polls. Opening and closing
  ask for the PIN again. A session is an HttpOnly, SameSite=Strict cookie that lapses after
  `SESSION_IDLE_SECONDS` without use.

Both answer only at their own address, only JSON from their own page (`server.security.Guard`),
and send the same security headers as the server. Every act takes the booth's lock, so acts happen
one at a time, and two casts of one enabled ballot count once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from actas.errors import ActasError, MachineStateError
from actas.i18n import spoken
from actas.kiosk.booth import RETRY_SECONDS, BallotNotEnabled, Booth, ChoiceRefused
from actas.kiosk.pin import PinGuard
from actas.kiosk.printer import PrinterError
from actas.server.responses import error, json_errors, read_body
from actas.server.security import Guard, secrets_allowed
from actas.web.assets import static_router
from actas.web.pages import render
from actas.web.palette import candidate_colors
from actas.web.rendering import page_json, script_language

MAX_BODY = 4096
SESSION_COOKIE = "actas_worker"
SESSION_IDLE_SECONDS = 30 * 60


class Sessions:
    """The poll workers' signed-in sessions: random tokens, kept only as their hashes, in memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._last_used: dict[bytes, float] = {}

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def start(self) -> str:
        token = secrets.token_urlsafe(32)
        self._last_used[self._key(token)] = self.clock()
        return token

    def valid(self, token: str | None) -> bool:
        """Whether a session is live; using it keeps it so."""
        if not token:
            return False
        key, now = self._key(token), self.clock()
        last = self._last_used.get(key)
        if last is None or now - last > SESSION_IDLE_SECONDS:
            self._last_used.pop(key, None)
            return False
        self._last_used[key] = now
        return True

    def end(self, token: str | None) -> None:
        if token:
            self._last_used.pop(self._key(token), None)


class KioskService:
    """The booth and what both apps share: one lock for every act, the PIN, the sessions, the sender."""

    def __init__(self, booth: Booth, pins: PinGuard, *, insecure_http: bool = False) -> None:
        self.booth = booth
        self.pins = pins
        self.sessions = Sessions()
        self.insecure_http = insecure_http
        self.lock = asyncio.Lock()
        """One act at a time: a vote is journaled and its receipt printed before the next act is taken."""
        self.wake = asyncio.Event()
        """Set when an acta is printed, so it is sent at once."""

    async def act(self, work: Callable[[], Any]) -> Any | Response:
        """Run one act under the lock; a refusal is answered in the one error shape."""
        async with self.lock:
            try:
                result = await run_in_threadpool(work)
            except BallotNotEnabled as exc:
                return error(403, "no_ballot", str(exc))
            except ChoiceRefused as exc:
                return error(400, "refused", str(exc))
            except PrinterError as exc:
                return error(503, "printer", str(exc))
            except MachineStateError as exc:
                return error(409, "wrong_state", str(exc))
            except ActasError as exc:
                return error(422, "refused", str(exc))
            finally:
                if not self.booth.delivered:
                    self.wake.set()
        return result

    async def deliver(self) -> None:
        """Send each acta as soon as it is printed, and again until the server acknowledges it."""
        while True:
            if not self.booth.delivered:
                await run_in_threadpool(self.booth.transmit)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), RETRY_SECONDS)
            self.wake.clear()

    def voter_status(self) -> dict[str, Any]:
        """What the voter's screen is told: the machine's state and whether a ballot waits. No counts."""
        return {"state": self.booth.state, "ballot": self.booth.ballot_enabled, "encrypts": self.booth.encrypts}

    def worker_status(self) -> dict[str, Any]:
        booth = self.booth
        machine = booth.machine.machine if booth.machine else None
        return {
            "station": booth.config.station,
            "state": booth.state,
            "voters": machine.voters if machine else 0,
            "registered": booth.config.election.station_by_code[booth.config.station].registered,
            "ballot": booth.ballot_enabled,
            "printer": booth.printer_status(),
            "printer_ok": booth.printer_problem is None,
            "printed": booth.printed(),
            "transmission": booth.transmission,
        }


async def _json(request: Request) -> dict[str, Any] | Response:
    body = await read_body(request, MAX_BODY, "application/json")
    if isinstance(body, Response):
        return body
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        return error(400, "malformed", "send a JSON object")
    return data


async def _choices(request: Request) -> dict[str, Any] | Response:
    """A vote's choices, one card or null per contest, as the voter's screen sends them."""
    data = await _json(request)
    if isinstance(data, Response):
        return data
    choices = data.get("choices")
    if not isinstance(choices, dict):
        return error(400, "malformed", 'send {"choices": {"CONTEST": "OPTION" or "null"}}')
    return choices


def _recorded(printed: object, failed: str) -> Response:
    """The answer to a vote counted: no number, time or choice; whether what was to print printed."""
    if isinstance(printed, Response):
        return printed
    body: dict[str, object] = {"recorded": True, "printed": printed}
    if not printed:
        body["message"] = f"your vote is recorded, but {failed}: call a poll worker"
    return JSONResponse(body, headers={"cache-control": "no-store"})


def _app(title: str) -> FastAPI:
    app = FastAPI(title=title, version="1", docs_url=None, redoc_url=None, openapi_url=None)
    json_errors(app)
    app.include_router(static_router())
    return app


def _contests(service: KioskService) -> list[dict[str, Any]]:
    """The ballot as the voter's screen draws it: each card with its candidate and the candidate's colour."""
    election = service.booth.config.election
    colors = candidate_colors(election)
    return [
        {
            "id": c.id,
            "name": c.name,
            "options": [
                {
                    "id": o.id,
                    "name": o.name,
                    "candidate": next(d.name for d in c.candidates if d.id == o.candidate),
                    "color": colors[o.candidate],
                    **({"logo": f"/logo/{o.id}"} if o.id in service.booth.config.logos else {}),
                }
                for o in c.options
            ],
        }
        for c in election.contests
    ]


def create_voter_app(service: KioskService) -> FastAPI:
    app = _app("actas voting kiosk")
    config = service.booth.config

    @app.get("/")
    async def page() -> Response:
        lang = spoken(config.election)
        initial = {"contests": _contests(service), "status": service.voter_status()}
        return render(
            "kiosk.html.j2", lang, election=config.election, station=config.station, initial=page_json(initial),
            words=script_language(lang),
        )  # fmt: skip

    @app.get("/status")
    async def status() -> Response:
        return JSONResponse(service.voter_status(), headers={"cache-control": "no-store"})

    @app.get("/logo/{option}")
    async def logo(option: str) -> Response:
        found = config.logos.get(option)
        if found is None:
            return error(404, "not_found", "no logo of that card")
        return Response(found[0], media_type=found[1], headers={"cache-control": "public, max-age=3600"})

    @app.post("/vote")
    async def vote(request: Request) -> Response:
        choices = await _choices(request)
        if isinstance(choices, Response):
            return choices
        if service.booth.encrypts:
            return error(
                409, "wrong_state", "this machine encrypts each ballot: POST /encrypt, then /cast or /challenge"
            )
        return _recorded(await service.act(lambda: service.booth.vote(choices)), "the receipt did not print")

    @app.post("/encrypt")
    async def encrypt(request: Request) -> Response:
        choices = await _choices(request)
        if isinstance(choices, Response):
            return choices
        if not service.booth.encrypts:
            return error(409, "wrong_state", "this machine does not encrypt ballots: POST /vote")
        code = await service.act(lambda: service.booth.encrypt(choices))
        if isinstance(code, Response):
            return code
        return JSONResponse({"code": code}, headers={"cache-control": "no-store"})

    @app.post("/cast")
    async def cast(request: Request) -> Response:
        data = await _json(request)
        if isinstance(data, Response):
            return data
        return _recorded(await service.act(service.booth.cast), "a printout failed")

    @app.post("/challenge")
    async def challenge(request: Request) -> Response:
        data = await _json(request)
        if isinstance(data, Response):
            return data
        found = await service.act(service.booth.challenge)
        if isinstance(found, Response):
            return found
        choice, code, printed = found
        return JSONResponse({"choice": choice, "code": code, "printed": printed}, headers={"cache-control": "no-store"})

    return app


INSECURE = (
    "the poll workers' console takes the PIN only over HTTPS from another machine: start the kiosk with "
    "--tls-cert and --tls-key"
)


def create_worker_app(service: KioskService) -> FastAPI:
    app = _app("actas poll workers' console")
    config = service.booth.config
    booth = service.booth

    def refused(request: Request) -> Response | None:
        """Why a request to the console is refused before its act: no TLS, or no live session."""
        if not secrets_allowed(request.scope, service.insecure_http):
            return error(403, "insecure", INSECURE)
        if not service.sessions.valid(request.cookies.get(SESSION_COOKIE)):
            return error(401, "unauthorized", "sign in with the PIN")
        return None

    def route(path: str, act: Callable[[dict[str, Any]], object], *, pin: bool = False) -> None:
        """A console act: signed in, the PIN asked again where `pin`, then the act under the booth's lock."""

        async def endpoint(request: Request) -> Response:
            problem = refused(request)
            if problem is not None:
                return problem
            data = await _json(request)
            if isinstance(data, Response):
                return data

            def work() -> object:
                wrong = service.pins.check(data.get("pin")) if pin else None
                return error(403, "forbidden", wrong) if wrong is not None else act(data)

            result = await service.act(work)
            if isinstance(result, Response):
                return result
            return JSONResponse(service.worker_status(), headers={"cache-control": "no-store"})

        app.add_api_route(path, endpoint, methods=["POST"])

    route("/open", lambda _: booth.open(), pin=True)
    route("/close", lambda _: booth.close(), pin=True)
    route("/ballot", lambda _: booth.enable_ballot())
    route("/ballot/cancel", lambda _: booth.cancel_ballot())
    route("/reprint", lambda data: booth.reprint(str(data.get("acta", ""))))

    @app.get("/")
    async def page(request: Request) -> Response:
        signed_in = service.sessions.valid(request.cookies.get(SESSION_COOKIE))
        lang = spoken(config.election)
        initial = {
            "signed_in": signed_in,
            "status": service.worker_status() if signed_in else None,
            "label": config.election.station_label,
        }
        return render(
            "kiosk_worker.html.j2", lang, election=config.election, station=config.station, initial=page_json(initial),
            words=script_language(lang),
        )  # fmt: skip

    @app.get("/status")
    async def status(request: Request) -> Response:
        problem = refused(request)
        if problem is not None:
            return problem
        return JSONResponse(service.worker_status(), headers={"cache-control": "no-store"})

    @app.post("/session")
    async def sign_in(request: Request) -> Response:
        if not secrets_allowed(request.scope, service.insecure_http):
            return error(403, "insecure", INSECURE)
        data = await _json(request)
        if isinstance(data, Response):
            return data
        problem = await service.act(lambda: service.pins.check(data.get("pin")))
        if isinstance(problem, Response):
            return problem
        if problem is not None:
            return error(403, "forbidden", problem)
        response = JSONResponse(service.worker_status(), headers={"cache-control": "no-store"})
        response.set_cookie(
            SESSION_COOKIE,
            service.sessions.start(),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @app.post("/session/end")
    async def sign_out(request: Request) -> Response:
        service.sessions.end(request.cookies.get(SESSION_COOKIE))
        response = JSONResponse({"signed_in": False})
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return app


class KioskServer:
    """The ASGI app of the kiosk's process: each request goes to the app of the listener it came in on,
    and the process's lifespan runs the sender of the actas."""

    def __init__(self, service: KioskService, voter: tuple[int, frozenset[str]], worker: tuple[int, frozenset[str]]):
        self.service = service
        self.by_port: dict[int, ASGIApp] = {
            voter[0]: Guard(create_voter_app(service), hosts=voter[1]),
            worker[0]: Guard(create_worker_app(service), hosts=worker[1]),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        server = scope.get("server")
        app = self.by_port.get(server[1]) if server else None
        if app is None:
            await error(404, "not_found", "no such listener")(scope, receive, send)
            return
        await app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        task: asyncio.Task[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                task = asyncio.create_task(self.service.deliver())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                if self.service.booth.machine is not None:
                    self.service.booth.machine.close_file()
                await send({"type": "lifespan.shutdown.complete"})
                return
