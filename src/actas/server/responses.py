"""What the server's and the kiosk's endpoints share: the one JSON shape of every error,
`{"error": {"code", "message"}}` (a 500 never carries internal text: it says only that nothing was
changed), and reading a request's body within its limit."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def json_errors(app: FastAPI) -> None:
    """Answer every error in the one JSON shape; a 500 never carries internal text."""

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error(400, "bad_request", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(Exception)
    async def _internal_error(_: Request, exc: Exception) -> JSONResponse:
        return error(500, "internal", "internal error; nothing was changed")


async def read_body(request: Request, limit: int, media_type: str | None) -> bytes | Response:
    """The body of a request, refused (415, 413) unless of `media_type` (any, when None) and at most `limit`
    bytes, counted as it arrives: a declared length is not trusted, and reading stops at the first byte
    past the limit."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if media_type is not None and content_type != media_type:
        return error(415, "unsupported_media_type", f"send the body as {media_type}")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return error(413, "too_large", f"the body is at most {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return error(413, "too_large", f"the body is at most {limit} bytes")
    return bytes(body)
