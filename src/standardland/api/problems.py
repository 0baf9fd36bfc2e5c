"""RFC 9457 problem details: every error leaves as ``application/problem+json`` naming the field."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import DataValidationError, StandardlandError

PROBLEM = "application/problem+json"
STATUS_BY_KIND = {"forbidden": 403, "conflict": 409, "precondition": 412, "not_found": 404, "validation": 422, "unit": 422, "crs": 422, "geometry": 422, "ruleset": 422,
                  "input": 422, "error": 400}


class Problem(Exception):
    """An HTTP problem raised by the service itself (auth, limits, conflicts)."""

    def __init__(self, status: int, title: str, detail: str, *, field: str | None = None,
                 expected: str | None = None, headers: dict | None = None):
        self.status, self.title, self.detail = status, title, detail
        self.field, self.expected, self.headers = field, expected, headers or {}


def problem_response(status: int, title: str, detail: str, instance: str, *, errors: list | None = None,
                     headers: dict | None = None) -> JSONResponse:
    body = {"type": f"https://standardland.invalid/problems/{title.lower().replace(' ', '-')}", "title": title,
            "status": status, "detail": detail, "instance": instance}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(StandardlandError)
    async def _domain(request: Request, exc: StandardlandError):
        status = STATUS_BY_KIND.get(exc.kind, 400)
        prefix = getattr(exc, "field_prefix", None)
        if prefix and exc.field and not isinstance(exc, DataValidationError):
            exc.field = f"{prefix}.{exc.field}"
        errors = None
        if isinstance(exc, DataValidationError):
            errors = [{"row": p.row, "field": p.field, "message": p.message} for p in exc.problems]
        elif exc.field:
            errors = [{"field": exc.field, "message": exc.message, "expected": exc.expected}]
        title = {404: "Not found", 403: "Forbidden", 409: "Conflict", 412: "Precondition failed"}.get(
            status, "Invalid input")
        return problem_response(status, title, str(exc), request.url.path, errors=errors)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        errors = [{"field": exc.field, "message": exc.detail, "expected": exc.expected}] if exc.field else None
        return problem_response(exc.status, exc.title, exc.detail, request.url.path, errors=errors,
                                headers=exc.headers)

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
        # a malformed query parameter or header is a bad request; a malformed body is unprocessable
        in_params = all((e.get("loc") or ("body",))[0] in ("query", "header", "path") for e in exc.errors())
        status = 400 if in_params else 422
        return problem_response(status, "Invalid parameter" if in_params else "Invalid input", detail,
                                request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem_response(exc.status_code, "Not found" if exc.status_code == 404 else "HTTP error",
                                str(exc.detail), request.url.path, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never leak a traceback; log it
        import logging

        logging.getLogger("standardland").exception("unhandled error on %s", request.url.path)
        return problem_response(500, "Internal error", "an unexpected error occurred; it has been logged",
                                request.url.path)
