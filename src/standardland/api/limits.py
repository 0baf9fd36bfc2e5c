"""Request limits enforced before any route runs, as ASGI middleware.

- Body size: before the body is read (Content-Length) and while it streams (chunked uploads).
  Multipart uploads get the upload limit, everything else the JSON limit (413).
- NUL characters: no text the service stores may hold U+0000 (PostgreSQL cannot), so a NUL in the
  path, the query string or a JSON body is a 400 here, before it could reach SQL.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import BadParameter, MalformedRequest, StandardlandError, TooLarge
from .problems import PROBLEM, error_bytes

_JSON_NUL = re.compile(rb"\\+u0000")


class BodyLimitMiddleware:
    """Refuse oversized bodies (413) and NUL characters (400) before any route runs."""

    def __init__(self, app, *, json_limit: int, upload_limit: int):
        """Wrap ``app``; ``json_limit`` and ``upload_limit`` are the largest bodies in bytes."""
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope, receive, send):
        """The ASGI entry point: refuse early, or pass the request on with a counting ``receive``."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if "\x00" in scope.get("path", "") or b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            return await _reject(send, scope, BadParameter("the path or query contains a NUL character",
                                                           field="query", expected="text without NUL (U+0000)"))
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = self.upload_limit if ctype.startswith("multipart/form-data") else self.json_limit
        is_json = "json" in ctype
        length = headers.get(b"content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                return await _reject(send, scope, BadParameter("Content-Length is not a number",
                                                               field="Content-Length",
                                                               expected="a Content-Length in bytes"))
            if n > limit:
                return await _reject(send, scope, TooLarge(f"the body has {n:,} bytes; the limit is {limit:,} bytes",
                                                           field="body", expected="a smaller request"))
        seen = 0
        tail = b""

        async def limited_receive():
            nonlocal seen, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                seen += len(chunk)
                if seen > limit:
                    raise _Refused(TooLarge(f"the body exceeds the limit of {limit:,} bytes", field="body",
                                            expected="a smaller request"))
                if is_json:
                    window = tail + chunk
                    if any(len(m.group()) % 2 == 0 for m in _JSON_NUL.finditer(window)):  # \u0000, not \\u0000
                        raise _Refused(MalformedRequest("a string in the body contains a NUL character (\\u0000)",
                                                        field="body", expected="text without NUL (U+0000)"))
                    tail = window[-64:]
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _Refused as exc:
            await _reject(send, scope, exc.error)


class _Refused(StarletteHTTPException):
    """Raised from ``receive`` with the domain error: FastAPI re-raises HTTP exceptions met while it
    reads a body, so the app's handler (:mod:`.problems`) renders ``error``; outside a route, the
    middleware does."""

    def __init__(self, error: StandardlandError):
        super().__init__(error.status, error.message)
        self.error = error


async def _reject(send, scope, error: StandardlandError):
    body = error_bytes(error, scope.get("path", ""))
    await send({"type": "http.response.start", "status": error.status,
                "headers": [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
