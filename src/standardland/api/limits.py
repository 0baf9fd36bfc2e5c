"""Request body size limits, enforced before the body is read (Content-Length) and while it
streams (chunked uploads). Multipart uploads get the upload limit, everything else the JSON limit."""

from __future__ import annotations

import json


class BodyLimitMiddleware:
    def __init__(self, app, *, json_limit: int, upload_limit: int):
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").decode("latin-1")
        limit = self.upload_limit if ctype.startswith("multipart/form-data") else self.json_limit
        length = headers.get(b"content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                return await _reject(send, scope, 400, "Bad request", "Content-Length is not a number")
            if n > limit:
                return await _reject(send, scope, 413, "Request too large",
                                     f"the body has {n:,} bytes; the limit is {limit:,} bytes")
        seen = 0
        too_big = False

        async def limited_receive():
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    too_big = True
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await _reject(send, scope, 413, "Request too large", f"the body exceeds the limit of {limit:,} bytes")


class _TooLarge(Exception):
    pass


async def _reject(send, scope, status, title, detail):
    body = json.dumps({"type": "https://standardland.invalid/problems/" + title.lower().replace(" ", "-"),
                       "title": title, "status": status, "detail": detail, "instance": scope.get("path"),
                       "errors": [{"field": "body", "message": detail, "expected": "a smaller request"}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
