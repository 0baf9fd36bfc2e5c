"""RFC 9457 problem details: every error leaves as ``application/problem+json`` naming the field.

One builder (:func:`problem_body`; :func:`error_body` for a domain error) serves the exception
handlers below and the ASGI middleware of :mod:`.limits`. The status and title come from the error class (:mod:`standardland.errors`, as in
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

from ..errors import BadParameter, DataValidationError, InputError, MalformedRequest, StandardlandError

PROBLEM = "application/problem+json"
TYPE_BASE = "https://standardland.invalid/problems/"
#: how many row problems a response lists when the settings do not say
DEFAULT_MAX_PROBLEMS = 100
log = logging.getLogger("standardland")


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


def problem_response(status: int, title: str, detail: str, instance: str, *, errors: list | None = None,
                     counts: dict | None = None, headers: dict | None = None) -> JSONResponse:
    """:func:`problem_body` as an ``application/problem+json`` response with ``status``."""
    return JSONResponse(problem_body(status, title, detail, instance, errors=errors, counts=counts),
                        status_code=status, media_type=PROBLEM, headers=headers)


def error_body(exc: StandardlandError, instance: str, *, max_problems: int = DEFAULT_MAX_PROBLEMS) -> dict:
    """A domain error as a problem body: its class's status and title, its field, at most ``max_problems`` rows.

    Examples
    --------
    >>> from standardland.errors import BadParameter
    >>> body = error_body(BadParameter("'x' is not a number", field="limit", expected="an integer"), "/p")
    >>> body["status"], body["title"], body["errors"][0]["field"]
    (400, 'Invalid parameter', 'limit')
    """
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
    return problem_body(exc.status, exc.title, str(exc), instance, errors=errors, counts=counts)


def error_bytes(exc: StandardlandError, instance: str) -> bytes:
    """:func:`error_body` serialised, for ASGI middleware (:mod:`.limits`) that answers before any route runs."""
    return json.dumps(error_body(exc, instance), ensure_ascii=False).encode("utf-8")


def error_response(exc: StandardlandError, instance: str, *, max_problems: int = DEFAULT_MAX_PROBLEMS) -> JSONResponse:
    """:func:`error_body` as a response with the error's status and headers (``WWW-Authenticate`` …)."""
    return JSONResponse(error_body(exc, instance, max_problems=max_problems), status_code=exc.status,
                        media_type=PROBLEM, headers=dict(exc.headers) or None)


def install(app: FastAPI) -> None:
    """Register the exception handlers: every error, expected or not, leaves as a problem."""
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
            msg = str(e.get("msg") or "")
            for prefix in ("Value error, ", "Assertion failed, "):  # pydantic's wrapper around our own words
                msg = msg.removeprefix(prefix)
            errors.append({"field": ".".join(loc) or "body", "message": msg, "expected": e.get("type")})
        detail = "; ".join(f"{x['field']}: {x['message']}" for x in errors[:5])
        # a malformed query parameter, path parameter or header is a bad request (BadParameter, 400), also
        # when the body is wrong too; a malformed body alone is unprocessable (422)
        in_params = any((e.get("loc") or ("body",))[0] in ("query", "header", "path") for e in exc.errors())
        kind = BadParameter if in_params else InputError
        return problem_response(kind.status, kind.title, detail, request.url.path, errors=errors[:max_problems()])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        error = getattr(exc, "error", None)  # a domain error carried through FastAPI's body reading (limits)
        if isinstance(error, StandardlandError):
            return error_response(error, request.url.path, max_problems=max_problems())
        title = "Not found" if exc.status_code == 404 else _phrase(exc.status_code)
        if exc.status_code == 400:  # FastAPI's "error parsing the body"
            title = MalformedRequest.title
        detail = str(exc.detail)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # Allow: every method of the resource, not only the first route's
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem_response(exc.status_code, title, detail, request.url.path, headers=headers)

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError):  # a 10,000-level JSON document
        return error_response(MalformedRequest("the document is nested too deeply", field="body",
                                               expected="JSON nested at most a few hundred levels"), request.url.path)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError):  # a number no store column can hold
        return error_response(BadParameter("a number is out of range", field="number",
                                           expected="an integer within 64 bits"), request.url.path)

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
