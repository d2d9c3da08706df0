"""The pages' static files under names that carry a hash of their content (`results.3f9c2a1b7d04.js`):
a browser or a CDN keeps such a file for a year without asking again (`Cache-Control: immutable`), and a
new version is a new name. The plain names still answer, revalidated on each use, for whoever links them."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
MEDIA = {".wasm": "application/wasm", ".js": "application/javascript", ".svg": "image/svg+xml"}
"""Media types named here, whatever this machine's mimetypes table says (WebAssembly compiles as it
downloads only when it is served as application/wasm)."""
VENDORED = frozenset({"zxing-reader.js", "noble-ed25519.js", "zxing_reader.wasm"})
"""Files of libraries from the npm registry, unchanged (src/actas/web/vendor/README.md): not ours to
translate or lint."""
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@dataclass(frozen=True)
class Asset:
    name: str
    hashed: str
    body: bytes
    media_type: str

    @property
    def etag(self) -> str:
        return f'"{self.hashed}"'


@cache
def assets() -> dict[str, Asset]:
    """Every static file, by its plain name."""
    found = {}
    for path in sorted(STATIC.iterdir()):
        if not path.is_file():
            continue
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:12]
        media = MEDIA.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if media.startswith("text/") or media == "application/javascript":
            media += "; charset=utf-8"
        found[path.name] = Asset(path.name, f"{path.stem}.{digest}{path.suffix}", body, media)
    return found


def asset_url(name: str, prefix: str = "/static/") -> str:
    """Where a page loads a static file from: its hashed name."""
    return prefix + assets()[name].hashed


def static_router() -> APIRouter:
    """GET /static/NAME: a hashed name is kept for a year; a plain name is checked again each time."""
    router = APIRouter(include_in_schema=False)
    by_hashed = {a.hashed: a for a in assets().values()}

    @router.get("/static/{name}")
    async def static(request: Request, name: str) -> Response:
        found = by_hashed.get(name)
        cache_control = IMMUTABLE
        if found is None:
            found, cache_control = assets().get(name), REVALIDATE
        if found is None:
            return Response(status_code=404)
        headers = {"cache-control": cache_control, "etag": found.etag}
        if request.headers.get("if-none-match") == found.etag:
            return Response(status_code=304, headers=headers)
        return Response(found.body, media_type=found.media_type, headers=headers)

    return router
