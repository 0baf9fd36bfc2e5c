"""Domain exceptions.

Every error names the *field* that was wrong, *what* was wrong and what is *expected*.
They are mapped once to CLI messages (:mod:`standardland.cli`) and would map once to
RFC 9457 problem responses in the HTTP layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class StandardlandError(Exception):
    """Base class: a user-facing error with a field, a problem and an expectation."""

    kind = "error"

    def __init__(self, message: str, *, field: str | None = None, expected: str | None = None):
        self.message = message
        self.field = field
        self.expected = expected
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.field:
            parts.append(f"{self.field}: ")
        parts.append(self.message)
        if self.expected:
            parts.append(f" (expected {self.expected})")
        return "".join(parts)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "field": self.field, "message": self.message, "expected": self.expected}


class UnitError(StandardlandError):
    kind = "unit"


class CRSError(StandardlandError):
    kind = "crs"


class GeometryError(StandardlandError):
    kind = "geometry"


class RuleSetError(StandardlandError):
    kind = "ruleset"


class NotFoundError(StandardlandError):
    kind = "not_found"


class InputError(StandardlandError):
    """A value of the wrong shape or out of range (not a unit or geometry problem)."""

    kind = "input"


@dataclass
class RowProblem:
    row: int  # 1-based row number as the user sees it in the file (features / data rows)
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class DataValidationError(StandardlandError):
    """A file or batch with bad rows. Nothing was written."""

    problems: list[RowProblem] = field(default_factory=list)

    kind = "validation"

    def __post_init__(self):
        n = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{n - 5} more)" if n > 5 else ""
        StandardlandError.__init__(self, f"{n} invalid row(s), nothing was written: {head}{more}")

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["problems"] = [p.__dict__ for p in self.problems]
        return d


class PermissionDenied(StandardlandError):
    """The caller's role may not do this (HTTP 403)."""

    kind = "forbidden"


class ConflictError(StandardlandError):
    """The resource's state does not allow this now, or a concurrent change won (HTTP 409)."""

    kind = "conflict"


class PreconditionFailed(StandardlandError):
    """The caller's If-Match version is stale (HTTP 412)."""

    kind = "precondition"
