"""Dates: the one parser for the dates people type, files carry and the store returns.

A leaf, like :mod:`units` and :mod:`crs`: it knows nothing of the layers above it. Accepted forms:

- ISO ``YYYY-MM-DD`` (``2024-03-01``; an ISO date-time such as ``2024-03-01T08:00:00`` gives its date),
- ``YYYY/M/D`` (``2024/3/1``, ``2024/03/01``),
- ``YYYY年M月D日`` (``2024年3月1日``),
- ``datetime.date``, ``datetime.datetime``, ``numpy.datetime64`` and ``pandas.Timestamp`` objects.

Nothing else is guessed: no day-first or month-first orders, no two-digit years, no spreadsheet
serial numbers. A refused value raises an error naming the field and the expected form.
:func:`read_date_cells` reads a whole column, vectorized, trying each accepted form in turn on the cells
still unread (the project fields' rule); :func:`parse_date_column` parses a column in one explicit form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from .errors import DataValidationError, InputError, RowProblem, StandardlandError

#: the accepted text forms, as people read them
FORMS = "YYYY-MM-DD, YYYY/M/D or YYYY年M月D日"
#: the ``expected`` of every date error
EXPECTED = f"a date as {FORMS}"
#: the accepted text forms, each with its pattern (groups: year, month, day), tried in this order
PATTERNS = {
    "YYYY-MM-DD": r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    "YYYY/M/D": r"(\d{4})/(\d{1,2})/(\d{1,2})",
    "YYYY年M月D日": r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日",
}
#: the explicit formats :func:`parse_date_column` takes (the keys of :data:`PATTERNS`)
FORMATS = tuple(PATTERNS)
_FORMS = {k: re.compile(v) for k, v in PATTERNS.items()}
_WHOLE = {k: rf"^(?:{v})\Z" for k, v in PATTERNS.items()}  # for pandas' str.extract (a search)
#: columns up to this length are read cell by cell (a document is one row), longer ones vectorized
_SMALL = 16


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
    ymd = _match(text, FORMATS)
    if ymd is None:
        raise error(f"'{text}' is not a date", field=field, expected=EXPECTED)
    try:
        return date(*ymd)
    except ValueError:
        raise error(f"'{text}': no such day", field=field, expected=EXPECTED) from None


def _match(text: str, forms) -> tuple[int, int, int] | None:
    """(year, month, day) of ``text`` in the first of ``forms`` it is written in, else None."""
    for form in forms:
        m = _FORMS[form].fullmatch(text)
        if m:
            return int(m.group(1)), int(m.group(2)), int(m.group(3))
    return None


@dataclass(frozen=True)
class DateCells:
    """What :func:`read_date_cells` made of a column: the days and, per cell, why it has none.

    Examples
    --------
    >>> r = read_date_cells(["2024年6月1日", "2024-13-01", None])
    >>> r.days[0], r.no_such_day.tolist(), r.blank.tolist(), r.text.tolist()
    (np.datetime64('2024-06-01'), [False, True, False], [False, False, True], [True, True, False])
    """

    cells: np.ndarray  #: the cells as given (object)
    days: np.ndarray  #: ``datetime64[D]``, NaT where blank, refused or no such day
    blank: np.ndarray  #: missing, or text that is empty once stripped
    text: np.ndarray  #: a text cell (else a date-like object, a number, …)
    stripped: np.ndarray  #: the text cells stripped, "" elsewhere
    refused: np.ndarray  #: not blank and in none of the forms (text), or not date-like (numbers, booleans, …)
    no_such_day: np.ndarray  #: text in a form, of a day that does not exist (``2024-02-30``)


def read_date_cells(values, forms=FORMATS) -> DateCells:
    """A column of cells → its days, each accepted form tried in turn on the cells still unread.

    No format is guessed (pandas' format inference is never used): a text cell is a date only when it
    is written in one of ``forms`` (default: all of :data:`FORMATS`, in that order); date-like objects
    (``date``, ``datetime``, ``numpy.datetime64``, ``pandas.Timestamp``) are taken as their day; numbers
    and booleans are refused. Vectorized: plain 10-character ISO dates are read by array arithmetic, the
    other cells by the forms' patterns (:data:`PATTERNS`, the same as :func:`parse_date`'s).

    Parameters
    ----------
    values
        A sequence, array or Series of cells (a list cell stays one cell).
    forms
        The keys of :data:`PATTERNS` tried, in order.

    Returns
    -------
    DateCells
        The days and the masks that say why a cell has none; nothing is raised.

    Examples
    --------
    >>> r = read_date_cells(["2024-06-01", "2024/6/1", " 2024年6月1日 ", "", "6/1/2024", "2024-02-30", 7])
    >>> r.days[:3], np.isnat(r.days[3:]).all()
    (array(['2024-06-01', '2024-06-01', '2024-06-01'], dtype='datetime64[D]'), np.True_)
    >>> r.blank.nonzero()[0], r.refused.nonzero()[0], r.no_such_day.nonzero()[0]
    (array([3]), array([4, 6]), array([5]))
    """
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.ndim == 1:
        if values.dtype.kind == "M":  # already dates: nothing to read
            days = values.astype("datetime64[D]")
            none = np.zeros(len(days), dtype=bool)
            return DateCells(values.astype(object), days, np.isnat(days), none, np.full(len(days), "", object),
                             none, none)
        a = values.astype(object, copy=False)
    else:
        a = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            a[i] = v
    n = len(a)
    na = np.asarray(pd.isna(a), dtype=bool)
    if n <= _SMALL:
        kinds = [type(v) for v in a]
        is_text = np.array([k is str for k in kinds], dtype=bool)
        datelike = np.array([k in _DATELIKE for k in kinds], dtype=bool) & ~na
    else:
        kind = pd.api.types.infer_dtype(a, skipna=True)
        if kind == "string":
            is_text, datelike = ~na, np.zeros(n, dtype=bool)
        else:
            kinds = pd.Series(a, dtype=object).map(type)
            is_text = kinds.eq(str).to_numpy() & ~na
            datelike = kinds.isin(list(_DATELIKE)).to_numpy() & ~na
    stripped = np.full(n, "", dtype=object)
    idx = np.flatnonzero(is_text)
    if len(idx) <= _SMALL:
        stripped[idx] = [a[i].strip() for i in idx]
    else:
        stripped[idx] = pd.Series(a[idx], dtype=object).str.strip().to_numpy(dtype=object)
    blank = na | (is_text & (stripped == ""))
    ymd = np.zeros((3, n), dtype=np.int64)
    read = np.zeros(n, dtype=bool)
    todo = is_text & ~blank
    if "YYYY-MM-DD" in forms and np.count_nonzero(todo) > _SMALL:
        # the common case by array arithmetic (ten ASCII characters); a few cells go to the patterns
        # below, which read the same cells (the arithmetic is only faster on many)
        read |= _plain_iso(stripped, todo, ymd)
    for form in forms:  # each form in turn, on the cells no earlier form read
        rest = np.flatnonzero(todo & ~read)
        if not len(rest):
            break
        if len(rest) <= _SMALL:
            for j in rest:
                got = _match(stripped[j], (form,))
                if got is not None:
                    ymd[:, j], read[j] = got, True
        else:
            ex = pd.Series(stripped[rest], dtype=object).str.extract(_WHOLE[form])
            hit = ex[0].notna().to_numpy()
            ymd[:, rest[hit]] = ex[hit].astype("int64").to_numpy().T
            read[rest[hit]] = True
    days = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    y, m, d = ymd
    ok_m = read & (y >= 1) & (m >= 1) & (m <= 12)
    month = ((np.where(ok_m, y, 1970) - 1970) * 12 + (np.where(ok_m, m, 1) - 1)).astype("datetime64[M]")
    days_in = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    ok_d = ok_m & (d >= 1) & (d <= days_in)
    days[ok_d] = month[ok_d].astype("datetime64[D]") + (d[ok_d] - 1)
    objects = np.flatnonzero(datelike)
    bad_object = np.zeros(n, dtype=bool)
    if len(objects):  # date/datetime objects: no text, nothing to guess
        conv = pd.to_datetime(pd.Series(a[objects], dtype=object), errors="coerce")
        good = conv.notna().to_numpy()
        days[objects[good]] = conv[good].dt.normalize().to_numpy().astype("datetime64[D]")
        bad_object[objects[~good]] = True  # outside the calendar pandas can hold
    refused = (is_text & ~blank & ~read) | (~is_text & ~datelike & ~blank) | bad_object
    return DateCells(a, days, blank, is_text, stripped, refused, read & ~ok_d)


_DATELIKE = frozenset({date, datetime, pd.Timestamp, np.datetime64})
_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9])


def _plain_iso(stripped: np.ndarray, todo: np.ndarray, ymd: np.ndarray) -> np.ndarray:
    """Which ``todo`` cells are ``YYYY-MM-DD`` in ten ASCII characters; their numbers go to ``ymd``."""
    n = len(stripped)
    idx = np.flatnonzero(todo)
    if not len(idx):
        return np.zeros(n, dtype=bool)
    lengths = pd.Series(stripped[idx], dtype=object).str.len().to_numpy() if len(idx) > _SMALL else \
        np.array([len(t) for t in stripped[idx]])
    idx = idx[lengths == 10]
    text10 = np.asarray(stripped[idx].tolist() or [""], dtype="U10")[:len(idx)]
    chars = text10.view(np.uint32).reshape(len(idx), 10).astype(np.int64) - 48  # code points − '0'
    digits = chars[:, _DIGITS]
    shaped = np.all((digits >= 0) & (digits <= 9), axis=1) & (chars[:, 4] == -3) & (chars[:, 7] == -3)
    hit = idx[shaped]
    dg = digits[shaped]
    ymd[0, hit] = dg[:, 0] * 1000 + dg[:, 1] * 100 + dg[:, 2] * 10 + dg[:, 3]
    ymd[1, hit] = dg[:, 4] * 10 + dg[:, 5]
    ymd[2, hit] = dg[:, 6] * 10 + dg[:, 7]
    out = np.zeros(n, dtype=bool)
    out[hit] = True
    return out


def parse_date_column(values, field: str, fmt: str = "YYYY-MM-DD", *, required: bool = False) -> np.ndarray:
    """A column of dates in one explicit format → ``datetime64[D]`` (NaT where blank), vectorized.

    The format is never guessed from the data (no ``format="mixed"``): every non-blank cell must be
    text in ``fmt`` or a date-like object (:func:`read_date_cells` with that one form). Bad cells are
    all reported at once.

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
    r = read_date_cells(values, (fmt,))
    problems = [RowProblem(int(i) + 1, field, f"'{r.cells[i]}' is not a date in the form {fmt}")
                for i in np.flatnonzero(r.refused)]
    problems += [RowProblem(int(i) + 1, field, f"'{r.stripped[i]}': no such day (a date in the form {fmt})")
                 for i in np.flatnonzero(r.no_such_day)]
    if required:
        problems += [RowProblem(int(i) + 1, field, f"missing; expected a date in the form {fmt}")
                     for i in np.flatnonzero(r.blank)]
    if problems:
        problems.sort(key=lambda p: p.row)
        raise DataValidationError(problems=problems)
    return r.days
