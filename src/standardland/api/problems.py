"""RFC 9457 problem details: every error leaves as ``application/problem+json`` naming the field.

One builder (:func:`problem_body`) serves the exception handlers below and the ASGI middleware of
:mod:`.limits`. The status and title come from the error class (:mod:`standardland.errors`, as in
pygeoapi); this module keeps no table of its own. Messages never carry server paths, temporary
file names or library internals: an unexpected exception is logged and answered with a fixed text.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import DataValidationError, StandardlandError

PROBLEM = "application/problem+json"
TYPE_BASE = "https://standardland.invalid/problems/"
#: how many row problems a response lists when the settings do not say
DEFAULT_MAX_PROBLEMS = 100
log = logging.getLogger("standardland")


class Problem(StandardlandError):
    """An HTTP problem raised by the service itself with an explicit status (auth, limits, conflicts)."""

    kind = "http"

    def __init__(self, status: int, title: str, detail: str, *, field: str | None = None,
                 expected: str | None = None, headers: dict | None = None):
        super().__init__(detail, field=field, expected=expected)
        self.status, self.title, self.headers = status, title, headers or {}

    @property
    def detail(self) -> str:
        return self.message


def problem_body(status: int, title: str, detail: str, instance: str, *, errors: list | None = None,
                 counts: dict | None = None) -> dict:
    """The one RFC 9457 body: type, title, status, detail, instance and (optionally) the field errors.

    ``counts`` gives, when ``errors`` lists only the first problems of many, how many there were by field.
    """
    body = {"type": TYPE_BASE + title.lower().replace(" ", "-"), "title": title, "status": status,
            "detail": detail, "instance": instance}
    if errors:
        body["errors"] = errors
    if counts:
        body["counts"] = counts
    return body


def problem_bytes(status: int, title: str, detail: str, instance: str, **kw) -> bytes:
    """:func:`problem_body` serialised, for ASGI middleware that answers before any route runs."""
    return json.dumps(problem_body(status, title, detail, instance, **kw), ensure_ascii=False).encode("utf-8")


def problem_response(status: int, title: str, detail: str, instance: str, *, errors: list | None = None,
                     counts: dict | None = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(problem_body(status, title, detail, instance, errors=errors, counts=counts),
                        status_code=status, media_type=PROBLEM, headers=headers)


def error_response(exc: StandardlandError, instance: str, *, max_problems: int = DEFAULT_MAX_PROBLEMS) -> JSONResponse:
    """A domain error as a problem: its class's status and title, its field, at most ``max_problems`` rows."""
    prefix = getattr(exc, "field_prefix", None)
    if prefix and exc.field and not isinstance(exc, DataValidationError):
        exc.field = f"{prefix}.{exc.field}"
    errors = counts = None
    if isinstance(exc, DataValidationError):
        errors = [{"row": p.row, "field": p.field, "message": p.message} for p in exc.problems[:max_problems]]
        if len(exc.problems) > max_problems:
            counts = dict(Counter(p.field for p in exc.problems))
    elif exc.field:
        errors = [{"field": exc.field, "message": exc.message, "expected": exc.expected}]
    return problem_response(exc.status, exc.title, str(exc), instance, errors=errors, counts=counts,
                            headers=getattr(exc, "headers", None) or None)


def install(app: FastAPI) -> None:
    def max_problems() -> int:
        settings = getattr(app.state, "settings", None)
        return getattr(settings, "max_problems_reported", DEFAULT_MAX_PROBLEMS)

    @app.exception_handler(StandardlandError)
    async def _domain(request: Request, exc: StandardlandError):
        return error_response(exc, request.url.path, max_problems=max_problems())

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = []
        for e in exc.errors():
            if e.get("type") == "json_invalid":
                pos = e.get("loc", ("body", "?"))[-1]
                reason = (e.get("ctx") or {}).get("error", "malformed")
                errors.append({"field": "body", "message": f"malformed JSON at character {pos}: {reason}",
                               "expected": "a JSON document"})
                continue
            loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path", "header")]
            errors.append({"field": ".".join(loc) or "body", "message": e.get("msg"), "expected": e.get("type")})
        detail = "; ".join(f"{x['field']}: {x['message']}" for x in errors[:5])
        # a malformed query parameter, path parameter or header is a bad request (BadParameter, 400);
        # a malformed body is unprocessable (422)
        in_params = all((e.get("loc") or ("body",))[0] in ("query", "header", "path") for e in exc.errors())
        status = 400 if in_params else 422
        return problem_response(status, "Invalid parameter" if in_params else "Invalid input", detail,
                                request.url.path, errors=errors[:max_problems()])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        title = getattr(exc, "title", None) or ("Not found" if exc.status_code == 404 else _phrase(exc.status_code))
        if exc.status_code == 400 and not hasattr(exc, "title"):  # FastAPI's "error parsing the body"
            title = "Invalid input"
        detail = str(exc.detail)
        field = getattr(exc, "field", None)
        errors = [{"field": field, "message": detail, "expected": getattr(exc, "expected", None)}] if field else None
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # Allow: every method of the resource, not only the first route's
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem_response(exc.status_code, title, detail, request.url.path, errors=errors, headers=headers)

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError):  # a 10,000-level JSON document
        return problem_response(400, "Invalid input", "the document is nested too deeply", request.url.path,
                                errors=[{"field": "body", "message": "the document is nested too deeply",
                                         "expected": "JSON nested at most a few hundred levels"}])

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError):  # a number no store column can hold
        return problem_response(400, "Invalid parameter", "a number is out of range", request.url.path,
                                errors=[{"field": "number", "message": "a number is out of range",
                                         "expected": "an integer within 64 bits"}])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never leak a traceback; log it
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(500, "Internal error", "an unexpected error occurred; it has been logged",
                                request.url.path)


def _allowed_methods(request: Request) -> list[str]:
    """The methods of every route whose path matches; a literal path (``/parcels/import``) hides a
    templated one (``/parcels/{code}``), as the contract documents them."""
    from starlette.routing import Match

    literal, templated = set(), set()
    for route in request.app.router.routes:
        methods = getattr(route, "methods", None)
        if not methods:
            continue
        match, _ = route.matches({**request.scope, "method": next(iter(methods))})
        if match == Match.FULL:
            (templated if "{" in route.path else literal).update(methods)
    return sorted(literal or templated)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"
