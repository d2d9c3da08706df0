"""What every page and endpoint of the server and the kiosk sends with each answer, and what it refuses first.

- **Security headers** on every response: a Content-Security-Policy that runs no inline script and
  loads nothing from another origin, `X-Frame-Options: DENY` (no page can be framed to trick a
  click), `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
- **No writes from other origins.** A POST whose `Origin` names another site, or `null` (a sandboxed
  frame, a file), is refused with 403 before its body is read. The tabulation server's writes are
  authenticated by a signature or a bearer token, never by a cookie, so a foreign page could not
  write anyway; the kiosk also requires its own `Origin`, its own `Host` (a page on another site
  whose name is made to resolve to the kiosk, DNS rebinding, is refused) and a JSON body on every
  POST, so no HTML form anywhere can post to it.
- **Secrets only under TLS.** A witness's token, the kiosk's PIN and the poll worker's session are
  refused over plain HTTP from any client but this machine itself (a TLS proxy on the same host is
  this machine), unless the operator says `--insecure-http`.
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from actas.server.responses import error

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
"""No script but the pages' own files; 'wasm-unsafe-eval' lets the witness app compile the vendored QR
reader (WebAssembly), and allows no JavaScript eval."""
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def secrets_allowed(scope: Scope, insecure_http: bool) -> bool:
    """Whether a request may carry a secret: over TLS, from this machine, or when plain HTTP was allowed."""
    client = scope.get("client")
    return scope.get("scheme") == "https" or insecure_http or (client is not None and is_loopback(client[0]))


def own_hosts(host: str, port: int, names: tuple[str, ...] = ()) -> frozenset[str]:
    """The Host headers a listener on host:port answers to: its address, its loopback names, the names given."""
    shown = f"[{host}]" if ":" in host else host
    hosts = {f"{shown}:{port}", *(f"{name}:{port}" for name in names)}
    if is_loopback(host):
        hosts.update(f"{name}:{port}" for name in LOOPBACK_NAMES)
    return frozenset(hosts)


class Guard:
    """ASGI middleware: security headers on every answer; foreign origins refused (and, for the kiosk, a
    foreign Host, a missing Origin or a body that is not JSON)."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str] | None = None) -> None:
        self.app = app
        self.hosts = hosts
        """The only Host headers answered (the kiosk); None answers any (the public server)."""

    def refusal(self, scope: Scope) -> str | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if self.hosts is not None and host not in self.hosts:
            return "this address is not the kiosk's own: open the kiosk at its own address"
        if scope["method"] != "POST":
            return None
        origin = headers.get("origin")
        if origin is None:
            return "a write must come from the kiosk's own page" if self.hosts is not None else None
        if origin != f"{scope.get('scheme', 'http')}://{host}":
            return f"a write from another origin ({origin[:80]}) is refused"
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if self.hosts is not None and content_type != "application/json":
            return "the kiosk takes only JSON (Content-Type: application/json)"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *SECURITY_HEADERS]
            await send(message)

        refused = self.refusal(scope)
        if refused is not None:
            await error(403, "forbidden", refused)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)
