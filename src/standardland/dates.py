"""Dates: the one parser for the dates people type, files carry and the store returns.

A leaf, like :mod:`units` and :mod:`crs`: it knows nothing of the layers above it. Accepted forms:

- ISO ``YYYY-MM-DD`` (``2024-03-01``; an ISO date-time such as ``2024-03-01T08:00:00`` gives its date),
- ``YYYY/M/D`` (``2024/3/1``, ``2024/03/01``),
- ``YYYY年M月D日`` (``2024年3月1日``),
- ``datetime.date``, ``datetime.datetime``, ``numpy.datetime64`` and ``pandas.Timestamp`` objects.

Nothing else is guessed: no day-first or month-first orders, no two-digit years, no spreadsheet
serial numbers. A refused value raises an error naming the field and the expected form.
:func:`parse_date_column` parses a whole column in one explicit format, vectorized.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd

from .errors import DataValidationError, InputError, RowProblem, StandardlandError

#: the accepted text forms, as people read them (the ``expected`` of every date error)
EXPECTED = "a date as YYYY-MM-DD, YYYY/M/D or YYYY年M月D日"
#: the explicit formats :func:`parse_date_column` takes, and their strptime patterns
FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "YYYY/M/D": "%Y/%m/%d", "YYYY年M月D日": "%Y年%m月%d日"}
_FORMS = (
    re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
)


def parse_date(value: object, field: str, *, required: bool = True,
               error: type[StandardlandError] = InputError) -> date | None:
    """One date from text or a date-like object; ``None`` when blank and not ``required``.

    Parameters
    ----------
    value
        Text in one of the accepted forms (surrounding spaces are ignored), a ``date``, ``datetime``,
        ``numpy.datetime64`` or ``pandas.Timestamp``; ``None``, ``""`` and NaT are blank.
    field
        The field's name, for the error.
    required
        Whether a blank value is an error (else it gives ``None``).
    error
        The error class raised (:class:`~standardland.errors.InputError` unless the caller's domain
        has its own, e.g. ``RuleSetError``).

    Raises
    ------
    StandardlandError
        Of class ``error``, naming ``field`` and the accepted forms: a blank required value, text in
        no accepted form, a day that does not exist.

    Examples
    --------
    >>> parse_date("2024-03-01", "decision_date")
    datetime.date(2024, 3, 1)
    >>> parse_date("2024/3/1", "decision_date"), parse_date("2024年3月1日", "decision_date")
    (datetime.date(2024, 3, 1), datetime.date(2024, 3, 1))
    >>> parse_date(datetime(2024, 3, 1, 8, 30), "decision_date")
    datetime.date(2024, 3, 1)
    >>> parse_date("", "effective_to", required=False) is None
    True
    >>> parse_date("03/01/2024", "decision_date")
    Traceback (most recent call last):
    ...
    standardland.errors.InputError: decision_date: '03/01/2024' is not a date (expected a date as YYYY-MM-DD, YYYY/M/D or YYYY年M月D日)
    >>> parse_date("2023-02-29", "decision_date")
    Traceback (most recent call last):
    ...
    standardland.errors.InputError: decision_date: '2023-02-29': no such day (expected a date as YYYY-MM-DD, YYYY/M/D or YYYY年M月D日)
    """
    if isinstance(value, datetime):  # pandas.Timestamp too (NaT is not a datetime)
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64) and not np.isnat(value):
        return pd.Timestamp(value).date()
    blank = value is None or value is pd.NaT or (isinstance(value, np.datetime64) and np.isnat(value)) or (
        isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip())
    if blank:
        if required:
            raise error("missing", field=field, expected=EXPECTED)
        return None
    if not isinstance(value, str):
        raise error(f"{value!r} is not a date", field=field, expected=EXPECTED)
    text = value.strip()
    for form in _FORMS:
        m = form.fullmatch(text)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise error(f"'{text}': no such day", field=field, expected=EXPECTED) from None
    raise error(f"'{text}' is not a date", field=field, expected=EXPECTED)


def parse_date_column(values, field: str, fmt: str = "YYYY-MM-DD", *, required: bool = False) -> np.ndarray:
    """A column of dates in one explicit format → ``datetime64[D]`` (NaT where blank), vectorized.

    The format is never guessed from the data (no ``format="mixed"``): every non-blank cell must be
    text in ``fmt`` or a date-like object. Bad cells are all reported at once.

    Parameters
    ----------
    values
        A sequence, array or Series of text cells, date-like objects and blanks.
    field
        The column's name, for the errors.
    fmt
        One of :data:`FORMATS`: ``"YYYY-MM-DD"`` (default), ``"YYYY/M/D"`` or ``"YYYY年M月D日"``.
    required
        Whether a blank cell is an error.

    Raises
    ------
    InputError
        ``fmt`` is not one of :data:`FORMATS`.
    DataValidationError
        One :class:`~standardland.errors.RowProblem` per bad cell (rows numbered from 1), naming the
        field and the expected form; nothing is returned.

    Examples
    --------
    >>> parse_date_column(["2024-03-01", "", "2024-12-31"], "decision_date")
    array(['2024-03-01',        'NaT', '2024-12-31'], dtype='datetime64[D]')
    >>> parse_date_column(["2024/3/1", "2024/12/31"], "decision_date", "YYYY/M/D")
    array(['2024-03-01', '2024-12-31'], dtype='datetime64[D]')
    >>> parse_date_column(["2024-03-01", "2024/3/1"], "decision_date")
    Traceback (most recent call last):
    ...
    standardland.errors.DataValidationError: 1 invalid row(s), nothing was written: row 2, decision_date: '2024/3/1' is not a date in the form YYYY-MM-DD
    """
    if fmt not in FORMATS:
        raise InputError(f"'{fmt}' is not a supported date format", field="format", expected=", ".join(FORMATS))
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind == "M":  # already dates: nothing to parse
        return arr.astype("datetime64[D]")
    s = pd.Series(arr.astype(object), dtype=object)
    kinds = s.map(type)  # one pass over the cells' types, not over their values
    is_text = kinds.eq(str).to_numpy()
    is_datelike = kinds.isin([date, datetime, pd.Timestamp, np.datetime64]).to_numpy()
    text = s.where(is_text, None).str.strip()
    blank = s.isna().to_numpy() | (is_text & text.eq("").to_numpy())
    out = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[D]")
    parsed = pd.to_datetime(text.where(is_text & ~blank), format=FORMATS[fmt], exact=True, errors="coerce")
    if fmt == "YYYY-MM-DD":  # strptime's %m and %d take one digit too; the ISO form has two
        parsed = parsed.where(text.str.len().eq(10))
    ok_text = parsed.notna().to_numpy()
    out[ok_text] = parsed[ok_text].to_numpy().astype("datetime64[D]")
    objects = is_datelike & ~blank
    if objects.any():  # date/datetime objects: no text, nothing to guess
        conv = pd.to_datetime(s[objects], errors="coerce")
        out[objects] = conv.dt.normalize().to_numpy().astype("datetime64[D]")
    bad = (is_text & ~blank & ~ok_text) | (~is_text & ~is_datelike & ~blank)  # numbers are not dates
    problems = [RowProblem(int(i) + 1, field, f"'{s.iat[i]}' is not a date in the form {fmt}")
                for i in np.flatnonzero(bad)]
    if required:
        problems += [RowProblem(int(i) + 1, field, f"missing; expected a date in the form {fmt}")
                     for i in np.flatnonzero(blank)]
    if problems:
        problems.sort(key=lambda p: p.row)
        raise DataValidationError(problems=problems)
    return out
