"""Domain exceptions.

Every error names the *field* that was wrong, *what* was wrong and what is *expected*.
They are mapped once to CLI messages (:mod:`standardland.cli`) and once to RFC 9457 problem
responses (:mod:`standardland.api.problems`). As in pygeoapi, each class declares its HTTP ``status``
and ``title``; the HTTP layer reads them and keeps no table of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class StandardlandError(Exception):
    """Base class: a user-facing error with a field, a problem and an expectation."""

    kind = "error"
    status = 400
    title = "Bad request"
    #: response headers the HTTP layer adds (e.g. ``WWW-Authenticate`` for :class:`Unauthorized`)
    headers: dict[str, str] = {}

    def __init__(self, message: str, *, field: str | None = None, expected: str | None = None):
        """An error with its ``message``, the ``field`` that was wrong and what is ``expected`` there."""
        self.message = message
        self.field = field
        self.expected = expected
        super().__init__(self.__str__())

    def __str__(self) -> str:
        """``field: message (expected …)``, as the CLI prints it and the problem's detail carries it."""
        parts = []
        if self.field:
            parts.append(f"{self.field}: ")
        parts.append(self.message)
        if self.expected:
            parts.append(f" (expected {self.expected})")
        return "".join(parts)

    def to_dict(self) -> dict:
        """The error as plain data (kind, field, message, expected), for JSON lines and logs."""
        return {"kind": self.kind, "field": self.field, "message": self.message, "expected": self.expected}

    def __reduce__(self):  # intact across processes (keyword-only arguments, extra attributes)
        """Pickle by state, so the error survives a process boundary (Dask workers, import helpers)."""
        return _restore, (type(self), dict(self.__dict__))


class UnitError(StandardlandError):
    """A unit that is missing, unknown or does not fit the quantity (HTTP 422)."""

    kind = "unit"
    status = 422
    title = "Invalid input"


class CRSError(StandardlandError):
    """A coordinate reference system that is missing, unknown or not accepted (HTTP 422)."""

    kind = "crs"
    status = 422
    title = "Invalid input"


class GeometryError(StandardlandError):
    """A geometry that is empty, invalid or of a type not allowed (HTTP 422)."""

    kind = "geometry"
    status = 422
    title = "Invalid input"


class RuleSetError(StandardlandError):
    """A rule-set document that does not parse or contradicts itself (HTTP 422)."""

    kind = "ruleset"
    status = 422
    title = "Invalid input"


class NotFoundError(StandardlandError):
    """The named parcel, rule set, application or collection does not exist (HTTP 404)."""

    kind = "not_found"
    status = 404
    title = "Not found"


class InputError(StandardlandError):
    """A value of the wrong shape or out of range (not a unit or geometry problem)."""

    kind = "input"
    status = 422
    title = "Invalid input"


def _restore(cls, state: dict) -> StandardlandError:
    exc = cls.__new__(cls)
    exc.__dict__.update(state)
    Exception.__init__(exc, str(exc))
    return exc


@dataclass
class RowProblem:
    """One bad cell of a file or batch: its row, its field and what was wrong."""

    row: int  # 1-based row number as the user sees it in the file (features / data rows)
    field: str
    message: str

    def __str__(self) -> str:
        """``row N, field: message``."""
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class DataValidationError(StandardlandError):
    """A file or batch with bad rows. Nothing was written."""

    problems: list[RowProblem] = field(default_factory=list)

    kind = "validation"
    status = 422
    title = "Invalid input"

    def __post_init__(self):
        """Build the message from the first five problems and the count."""
        n = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{n - 5} more)" if n > 5 else ""
        StandardlandError.__init__(self, f"{n} invalid row(s), nothing was written: {head}{more}")

    def to_dict(self) -> dict:
        """As :meth:`StandardlandError.to_dict`, with every row problem."""
        d = super().to_dict()
        d["problems"] = [p.__dict__ for p in self.problems]
        return d


class PermissionDenied(StandardlandError):
    """The caller's role may not do this (HTTP 403)."""

    kind = "forbidden"
    status = 403
    title = "Forbidden"


class ConflictError(StandardlandError):
    """The resource's state does not allow this now, or a concurrent change won (HTTP 409)."""

    kind = "conflict"
    status = 409
    title = "Conflict"


class PreconditionFailed(StandardlandError):
    """The caller's If-Match version is stale (HTTP 412)."""

    kind = "precondition"
    status = 412
    title = "Precondition failed"


class BadParameter(InputError):
    """A query parameter or header is malformed or out of range (HTTP 400, as OGC API asks)."""

    kind = "parameter"
    status = 400
    title = "Invalid parameter"


class Unauthorized(StandardlandError):
    """No credentials, or credentials that are unknown or revoked (HTTP 401)."""

    kind = "unauthorized"
    status = 401
    title = "Unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}


class TooLarge(InputError):
    """A request, file, row count or decompressed size exceeds a configured limit (HTTP 413)."""

    kind = "too_large"
    status = 413
    title = "Request too large"


class MalformedRequest(InputError):
    """The request itself cannot be read: a NUL character, JSON nested too deeply, a number no column
    can hold, a body that does not parse (HTTP 400)."""

    kind = "malformed"
    status = 400


class EncodingError(InputError):
    """A file's bytes are not text in the expected encoding (HTTP 422, CLI exit 2)."""

    kind = "encoding"


class Unavailable(StandardlandError):
    """The work could not be done now (a helper process stopped); nothing was written (HTTP 503)."""

    kind = "unavailable"
    status = 503
    title = "Service unavailable"


#: every error class, for the HTTP contract (each status it can answer with)
ERROR_CLASSES = (StandardlandError, UnitError, CRSError, GeometryError, RuleSetError, NotFoundError, InputError,
                 DataValidationError, PermissionDenied, ConflictError, PreconditionFailed, BadParameter,
                 Unauthorized, TooLarge, MalformedRequest, EncodingError, Unavailable)
