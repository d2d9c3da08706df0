"""Bounding what one client can hold: how long a request may take to arrive, and how many connections are open.

uvicorn closes an idle kept-alive connection, but a client that opens a connection and sends its
headers a byte at a time (slowloris), or stops halfway through a body, would hold it for ever;
enough of them hold the server. Here every connection must deliver a request's headers within
`read_timeout` seconds of starting to wait for them, and while a body arrives, no more than
`read_timeout` seconds may pass without a byte. Past `max_connections` open connections, a new one
is closed at once, so the file descriptors left serve the clients already in.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_CONNECTIONS = 2000


@dataclass(frozen=True)
class ConnectionLimits:
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS


def bounded_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol with `limits` enforced on each connection."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class BoundedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _waiting_for_headers = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                transport.abort()
                return
            self._wait_for_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            state = self.conn.their_state
            if state is h11.SEND_BODY:  # a body is arriving: the clock restarts with every byte
                self._waiting_for_headers = False
                self._arm()
            elif state is h11.IDLE:  # headers not complete yet: the clock started when we began to wait
                if not self._waiting_for_headers:
                    self._wait_for_headers()
            else:  # the whole request is in, or the connection is done with
                self._waiting_for_headers = False
                self._disarm()

        def _wait_for_headers(self) -> None:
            self._waiting_for_headers = True
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(limits.read_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.transport.abort()

    return BoundedH11Protocol
