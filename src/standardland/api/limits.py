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



class BodyLimitMiddleware:
    """Refuse oversized bodies (413), NUL characters and lone surrogates (400) before any route runs."""

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
        media = ctype.split(";", 1)[0].strip()
        is_json = media == "application/json" or media.endswith("+json")  # never a multipart upload
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
                    parts.append(chunk)
                    if not message.get("more_body", False):
                        _check_escapes(parts[0] if len(parts) == 1 else b"".join(parts))
                        parts.clear()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _Refused as exc:
            await _reject(send, scope, exc.error)


#: one escape of a JSON string: a backslash and the character it escapes, or \\u and four hex digits
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.S)
#: the escapes worth reading the escapes for (NUL, a surrogate half); most bodies have none
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _check_escapes(body: bytes) -> None:
    """Refuse a JSON body whose strings escape a NUL or a lone surrogate (400)."""
    bad = _bad_escape(body)
    if bad == "nul":
        raise _Refused(MalformedRequest("a string in the body contains a NUL character (\\u0000)",
                                        field="body", expected="text without NUL (U+0000)"))
    if bad == "surrogate":
        raise _Refused(MalformedRequest("a string in the body contains a lone surrogate (\\ud800–\\udfff not "
                                        "in a pair), which is no text", field="body",
                                        expected="text in Unicode (UTF-8)"))


def _bad_escape(text: bytes) -> str | None:
    """``"nul"`` when JSON ``text`` escapes U+0000, ``"surrogate"`` when it escapes a surrogate
    (``\\ud800``–``\\udfff``) that is not half of a high–low pair (no Unicode text: nothing could
    store it or write it back), else None.

    The escapes are read left to right, each backslash once (linear in the body, whatever its runs of
    backslashes), so ``\\\\u0000`` is a backslash and the text "u0000".

    Examples
    --------
    >>> [_bad_escape(t) for t in (rb'"\\ud83d\\ude00"', rb'"\\ud800"', rb'"\\ude00x"', rb'"\\\\ud800"',
    ...                           rb'"\\u0000"', rb'"\\\\u0000"', rb'"\\ud83d\\\\\\ude00"', rb'"\\uD83D\\uDE00"')]
    [None, 'surrogate', 'surrogate', None, 'nul', None, 'surrogate', None]
    """
    if not _SUSPECT.search(text):
        return None
    want_low = -1  # where the low half of a high surrogate must start
    for m in _ESCAPE.finditer(text):
        hexa = m.group(1)
        if hexa is None:  # \\, \n, \" …: no low half follows a high one here
            if want_low >= 0:
                return "surrogate"
            continue
        v = int(hexa, 16)
        if v == 0:
            return "nul"
        if want_low >= 0:
            if m.start() == want_low and 0xDC00 <= v <= 0xDFFF:
                want_low = -1
                continue
            return "surrogate"
        if 0xD800 <= v <= 0xDBFF:
            want_low = m.end()
        elif 0xDC00 <= v <= 0xDFFF:
            return "surrogate"
    return "surrogate" if want_low >= 0 else None


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
