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
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

PR_SET_PDEATHSIG = 1


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


def _run(make_app: Callable[[], FastAPI], sock: socket.socket) -> None:
    app = make_app()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def serve(make_app: Callable[[], FastAPI], sock: socket.socket, workers: int) -> int:
    """Serve on `sock` with `workers` processes (1: this process alone). Returns an exit code."""
    if workers <= 1:
        _run(make_app, sock)
        return 0
    parent = os.getpid()
    children: list[int] = []
    for _ in range(workers):
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _die_with_parent(parent)
                _run(make_app, sock)
            except BaseException as exc:
                sys.stderr.write(f"actas serve: worker {os.getpid()} stopped: {exc}\n")
                code = 2
            finally:
                os._exit(code)
        children.append(pid)

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            try:
                os.kill(child, signum)
            except ProcessLookupError:
                continue

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worst = 0
    for child in children:
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            worst = 2
            stop(signal.SIGTERM, None)  # one worker gone wrong: stop the others rather than serve half
    return worst
