"""Scalar values from requests checked by type before they reach the domain or SQL.

A JSON body can carry an object, a list, a boolean, ``NaN`` or ``Infinity`` where a text or a number
is expected, and text can carry a NUL byte (which PostgreSQL cannot store) or control characters.
These helpers refuse each with an :class:`~standardland.errors.InputError` naming the field and the
expected type; parcel columns are checked the same way, vectorized, in :mod:`standardland.parcels`.
"""

from __future__ import annotations

import math
import re

from .errors import InputError

#: C0 control characters and DEL except tab, newline and carriage return (kept in free text)
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def shown(value) -> str:
    """A cell as a message shows it: its repr, numpy scalars as the Python value they hold.

    Examples
    --------
    >>> import numpy as np
    >>> shown(np.int64(99)), shown(np.float64(1.5)), shown("x")
    ('99', '1.5', "'x'")
    """
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == ():
        value = item()
    return repr(value)


def kind(value) -> str:
    """What a JSON value is, in words (for messages).

    Examples
    --------
    >>> kind({"a": 1}), kind([1, 2]), kind(True), kind(None)
    ('an object', 'a list', 'a boolean', 'null')
    """
    if value is None:
        return "null"
    other = "a number" if isinstance(value, (int, float)) else type(value).__name__
    return {dict: "an object", list: "a list", tuple: "a list", bool: "a boolean", str: "text",
            bytes: "bytes"}.get(type(value), other)


def text(value, field: str, *, required: bool = False, expected: str = "text") -> str | None:
    """``value`` as text: a string without NUL or control characters (tab and newlines allowed).

    Missing (None) or blank is None unless ``required``.

    Examples
    --------
    >>> text("  重点项目 ", "comment")
    '重点项目'
    >>> text({"a": 1}, "name")
    Traceback (most recent call last):
    ...
    standardland.errors.InputError: name: {'a': 1} is an object (expected text)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError("missing", field=field, expected=expected)
        return None
    if not isinstance(value, str):
        raise InputError(f"{value!r} is {kind(value)}", field=field, expected=expected)
    if CONTROL_IN_TEXT.search(value):
        raise InputError("contains a control character (e.g. NUL)", field=field,
                         expected=f"{expected} without control characters")
    return value.strip()


def number(value, field: str, *, minimum: float | None = None, expected: str = "a number") -> float:
    """``value`` as a finite number (not a boolean, not NaN or infinite), optionally ≥ ``minimum``.

    Examples
    --------
    >>> number(3, "years")
    3.0
    >>> number(float("inf"), "price_wan_yuan", minimum=0)
    Traceback (most recent call last):
    ...
    standardland.errors.InputError: price_wan_yuan: inf is not finite (expected a number)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{value!r} is {kind(value)}", field=field, expected=expected)
    if not math.isfinite(value):
        raise InputError(f"{value!r} is not finite", field=field, expected=expected)
    if minimum is not None and value < minimum:
        raise InputError(f"{value!r} is below {minimum:g}", field=field, expected=expected)
    return float(value)


def same_code(body_code: str | None, path_code: str, field: str = "code") -> str:
    """The code of a ``PUT …/{code}`` write: the path's, which a code in the body may repeat but not
    contradict (an :class:`InputError` on ``field`` if it does)."""
    if body_code and body_code != path_code:
        raise InputError(f"body code '{body_code}' differs from the path's '{path_code}'", field=field,
                         expected="the same code, or none in the body")
    return path_code
