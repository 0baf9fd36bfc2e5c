"""Request limits enforced before any route runs, as ASGI middleware.

- Body size: before the body is read (Content-Length) and while it streams (chunked uploads).
  Multipart uploads get the upload limit, everything else the JSON limit (413).
- NUL characters: no text the service stores may hold U+0000 (PostgreSQL cannot), so a NUL in the
  path, the query string or a JSON body is a 400 here, before it could reach SQL.
- Lone surrogates: a JSON string escaping half of a UTF-16 pair (``"\\ud800"``) is no Unicode text
  (no store can hold it, no JSON writer can echo it back), so it is a 400 here too.
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
        parts: list[bytes] = []

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                seen += len(chunk)
                if seen > limit:
                    raise _Refused(TooLarge(f"the body exceeds the limit of {limit:,} bytes", field="body",
                                            expected="a smaller request"))
                if is_json:  # the text's escapes are judged on the whole body (at most the JSON limit)
                    if message.get("more_body", False):
                        parts.append(chunk)
                    else:
                        _check_escapes(b"".join(parts) + chunk if parts else chunk)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _Refused as exc:
            await _reject(send, scope, exc.error)


_SURROGATE = re.compile(rb"(\\+)u[dD]([89a-fA-F])[0-9a-fA-F]{2}")


def _check_escapes(body: bytes) -> None:
    """Refuse a JSON body whose strings escape a NUL or a lone surrogate (400)."""
    if b"\\u" not in body:
        return
    if b"u0000" in body and any(len(m.group()) % 2 == 0 for m in _JSON_NUL.finditer(body)):  # not \\u0000
        raise _Refused(MalformedRequest("a string in the body contains a NUL character (\\u0000)",
                                        field="body", expected="text without NUL (U+0000)"))
    if _lone_surrogate(body):
        raise _Refused(MalformedRequest("a string in the body contains a lone surrogate (\\ud800–\\udfff not "
                                        "in a pair), which is no text", field="body",
                                        expected="text in Unicode (UTF-8)"))


def _lone_surrogate(text: bytes) -> bool:
    """Whether JSON ``text`` escapes a surrogate (``\\ud800``–``\\udfff``) that is not half of a high–low
    pair: such a string is no Unicode text, so nothing could store it or write it back.

    Examples
    --------
    >>> _lone_surrogate(rb'{"name": "\\ud83d\\ude00"}'), _lone_surrogate(rb'"\\ud800"'), _lone_surrogate(rb'"\\ude00x"')
    (False, True, True)
    >>> _lone_surrogate(rb'"\\\\ud800"')  # an escaped backslash, then text
    False
    """
    want_low = -1  # where a high surrogate's low half must start
    for m in _SURROGATE.finditer(text):
        if len(m.group(1)) % 2 == 0:  # an escaped backslash, then text "ud8…"
            continue
        high = m.group(2) in b"89abAB"
        if want_low >= 0:
            if m.start() == want_low and not high:
                want_low = -1
                continue
            return True
        if not high:
            return True
        want_low = m.end()
    return want_low >= 0


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
