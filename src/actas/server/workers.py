"""Serving one board from several processes, so checking signatures and answering HTTP use every core.

The parent binds the listening socket and forks the workers; each opens its own database connections
and keeps its own cache of the tree and the results, brought up to date from the database under the
writers' lock (see `actas.board`). The kernel hands each new connection to one of the workers. A
worker dies with its parent (SIGKILL included), so killing the server never leaves a worker writing.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from actas.errors import InputError
from actas.files import read_private, read_text
from actas.server.connections import ConnectionLimits, bounded_protocol

PR_SET_PDEATHSIG = 1
MAX_TLS_FILE = 1024 * 1024


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; where that is not available, do nothing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


GC_THRESHOLDS = (100_000, 100, 100)
"""A server holds millions of long-lived objects (the definition, the registry, the counted actas).
With the interpreter's default thresholds, a full collection that walks them all comes often enough
to stall answers by 100 to 200 ms at the 99th percentile; collecting far less often keeps them
under 50 ms, and the objects made at start are set aside from collections altogether."""


def listen(host: str, port: int) -> tuple[socket.socket, int]:
    """A listening socket on host:port (0: a free port), and the port it got."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by each connection accepted
    try:
        sock.bind((host, port))
        sock.listen(2048)  # connections wait in the backlog until the server is ready for them
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock, sock.getsockname()[1]


@dataclass(frozen=True)
class Listening:
    """How the server's sockets are served: with TLS (uvicorn's own) when given a certificate and its key,
    and with every connection bounded (`server.connections`)."""

    tls_cert: Path | None = None
    tls_key: Path | None = None
    limits: ConnectionLimits = ConnectionLimits()

    @classmethod
    def checked(cls, tls_cert: Path | None, tls_key: Path | None, limits: ConnectionLimits) -> Listening:
        """How to listen, given --tls-cert and --tls-key (both or neither, the key private to its owner)."""
        if (tls_cert is None) != (tls_key is None):
            raise InputError("TLS needs both --tls-cert and --tls-key")
        if tls_cert is not None and tls_key is not None:
            read_text(tls_cert, limit=MAX_TLS_FILE, what="TLS certificate")
            read_private(tls_key, MAX_TLS_FILE, "TLS key")
        return cls(tls_cert, tls_key, limits)

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"


STOP_GRACE = 30
"""Seconds the workers have, once the server is told to stop, to finish what they are answering; any
still running then is killed. Nothing acknowledged is lost: an acta is answered only once it is stored."""

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _run(make_app: Callable[[], ASGIApp], sockets: list[socket.socket], listening: Listening) -> None:
    app = make_app()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        http=bounded_protocol(listening.limits),
        ssl_certfile=listening.tls_cert,
        ssl_keyfile=listening.tls_key,
        timeout_graceful_shutdown=STOP_GRACE // 2,  # then open connections are closed, answered or not
    )
    uvicorn.Server(config).run(sockets=sockets)


def serve(
    make_app: Callable[[], ASGIApp], sockets: list[socket.socket], workers: int, listening: Listening = Listening()
) -> int:
    """Serve on `sockets` with `workers` processes (1: this process alone). Returns an exit code."""
    if workers <= 1:
        _run(make_app, sockets, listening)
        return 0
    parent = os.getpid()
    children: list[int] = []
    unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # none is lost while forking
    for _ in range(workers):
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _worker(parent, unblocked, make_app, sockets, listening)
        children.append(pid)

    stopped: list[int] = []
    """The signals the workers were stopped with, if they were: a worker ending by one did as asked."""

    def stop(signum: int, _frame: object) -> None:
        if not stopped:
            signal.alarm(STOP_GRACE)
        stopped.append(signum)
        _send(children, signum)

    def overdue(_signum: int, _frame: object) -> None:
        sys.stderr.write(f"actas serve: workers still running {STOP_GRACE} s after the stop; killing them\n")
        stopped.append(signal.SIGKILL)
        _send(children, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGALRM, overdue)
    signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
    worst = 0
    for child in children:
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 and -code not in stopped:
            worst = 2
            stop(signal.SIGTERM, None)  # one worker gone wrong: stop the others rather than serve half
    signal.alarm(0)
    return worst


def _worker(
    parent: int,
    unblocked: Iterable[int],
    make_app: Callable[[], ASGIApp],
    sockets: list[socket.socket],
    listening: Listening,
) -> None:
    """A forked worker's life, ended with os._exit. Ctrl-C and SIGTERM end it the same way: uvicorn
    finishes what it is answering and then the worker dies by the signal, without the interpreter's
    KeyboardInterrupt unwinding (and waiting on) whatever is left after the server stopped."""
    code = 0
    try:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
        _die_with_parent(parent)
        _run(make_app, sockets, listening)
    except BaseException as exc:
        sys.stderr.write(f"actas serve: worker {os.getpid()} stopped: {exc}\n")
        code = 2
    finally:
        os._exit(code)


def _send(children: list[int], signum: int) -> None:
    for child in children:
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            continue
