"""Writing tables that people open: every xlsx and CSV the product writes goes through here.

Data in a cell is data, never a formula or a control sequence:

- a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
  prefixed with ``'`` (OWASP, "CSV injection"), so Excel, LibreOffice and WPS show it as text;
  numbers stay numbers (a negative *number* is not text and is written as a number);
- control characters (C0 except tab/line feed/carriage return, DEL, C1) are removed, so an
  export never fails on a name that carries one (openpyxl's ``IllegalCharacterError``);
- CSV files are UTF-8 with a byte-order mark, which Excel on Chinese Windows needs to read
  UTF-8 instead of GBK.

Workbooks are made to be read: a named sheet (宗地 / parcels, 筛查结果 / screening, 登记簿 /
register), the header row frozen, column widths that fit their text (a CJK character counts
twice), and numbers displayed rounded (``number_format``) while the cell keeps full precision.
Headers may be translated with :func:`column_labels` (labels from ``web/i18n.json``, the one
label source).

:func:`clean_text` is the same cleaning for text printed on a terminal (no ESC sequences from data).
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from . import labels
from .errors import InputError

#: the first characters that make a spreadsheet read a cell as a formula (OWASP)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NEEDS_WORK = re.compile(r"^[=+\-@\t\r]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CSV_ENCODING = "utf-8-sig"


def clean_text(value) -> str:
    """``str(value)`` without control characters (ESC, NUL, C1 …): safe to print or to store in a cell.

    Examples
    --------
    >>> clean_text("a\\x1b[31mred\\x1b[0m")
    'a[31mred[0m'
    """
    return _CONTROL.sub("", str(value))


def neutralise(value):
    """One cell: text made safe (see the module doc); anything else unchanged.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise(-5), neutralise("工业")
    ('\\'=HYPERLINK("http://x")', -5, '工业')
    """
    if not isinstance(value, str):
        return value
    v = _CONTROL.sub("", value)
    return "'" + v if v[:1] in FORMULA_START else v


def _text_mask(col: pd.Series) -> np.ndarray:
    kind = pd.api.types.infer_dtype(col, skipna=True)
    if kind == "string":
        return col.notna().to_numpy()
    if kind in ("empty", "floating", "integer", "boolean", "datetime", "datetime64", "date", "decimal",
                "mixed-integer-float", "timedelta", "period"):
        return np.zeros(len(col), dtype=bool)
    return col.map(type).eq(str).to_numpy()


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and header neutralised, column by column."""
    out = {}
    for name in df.columns:
        col = df[name]
        if isinstance(col.dtype, pd.CategoricalDtype):  # the categories are few: neutralise them, not the rows
            cats = list(col.cat.categories)
            new = [neutralise(c) for c in cats]
            if new == cats:
                out[neutralise(str(name))] = col
                continue
            if len(set(new)) == len(new):
                out[neutralise(str(name))] = col.cat.rename_categories(new)
                continue
        textual = col.dtype == object or pd.api.types.is_string_dtype(col)
        if textual and getattr(col.dtype, "storage", None) == "pyarrow" and not _arrow_needs_work(col):
            out[neutralise(str(name))] = col  # Arrow-backed text with no cell to change: checked in C++
            continue
        if isinstance(col.dtype, pd.CategoricalDtype) or textual:
            col = col.astype(object)
            mask = _text_mask(col)
            if mask.any():
                txt = pd.Series(np.where(mask, col.to_numpy(dtype=object), ""), index=col.index, dtype=object)
                need = txt.str.contains(_NEEDS_WORK).to_numpy(dtype=bool)  # one pass; most cells are fine
                if need.any():
                    sub = txt[need].str.replace(_CONTROL, "", regex=True)
                    sub = sub.mask(sub.str.contains(_FORMULA), "'" + sub)
                    col = col.copy()
                    col[need] = sub
        out[neutralise(str(name))] = col
    return pd.DataFrame(out, index=df.index)


def _arrow_needs_work(col: pd.Series) -> bool:
    """Whether a text column held by Arrow has a cell that :func:`neutralise` would change."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(col.array)
    return bool(pc.any(pc.match_substring_regex(arr, _NEEDS_WORK.pattern)).as_py())


_BOM = "\ufeff"
_PLAIN_HEADER = re.compile(r'^[^",\r\n]*$')


def _arrow_columns(df: pd.DataFrame):
    """``df`` as a pyarrow Table when every column maps onto Arrow as is (numbers, text, categoricals as
    dictionary arrays — no copy of their rows); None when one does not (booleans, dates, mixed objects):
    those tables keep pandas' writer, whose cell text is the same."""
    import pyarrow as pa

    arrays = []
    for name in df.columns:
        col = df[name]
        dt = col.dtype
        try:
            if isinstance(dt, pd.CategoricalDtype):
                if not pd.api.types.is_string_dtype(dt.categories.dtype) and len(dt.categories):
                    return None
                arr = pa.DictionaryArray.from_arrays(
                    pa.array(col.cat.codes.to_numpy(), mask=col.cat.codes.to_numpy() < 0),
                    pa.array(dt.categories.to_numpy(dtype=object), type=pa.string()))
            elif pd.api.types.is_bool_dtype(dt) or not (pd.api.types.is_numeric_dtype(dt) or
                                                         pd.api.types.is_string_dtype(dt)):
                return None
            elif pd.api.types.is_numeric_dtype(dt):
                arr = pa.Array.from_pandas(col)
            elif getattr(dt, "storage", None) == "pyarrow":
                arr = pa.array(col.array)  # Arrow-backed text: no copy
            else:
                arr = pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # an object column holding non-text values
            return None
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=[str(c) for c in df.columns])


def write_csv(df: pd.DataFrame, target, *, header: bool = True) -> None:
    """CSV, UTF-8 with a BOM, cells neutralised, CRLF line ends (RFC 4180: a cell holding a CR or
    LF is quoted, so it cannot split a row). ``target``: a path or a text/binary buffer (a binary one is
    written to as the rows are formatted, without a copy of the whole text). ``header=False`` writes the
    rows alone (no BOM, no header line): rows that continue a file written with one.

    Written by ``pyarrow.csv`` (numbers in their shortest round-trip form, text cells quoted, a missing
    value empty; the header quoted only where a name needs it); a table with booleans, dates or
    mixed-object columns goes through pandas' writer (same guarantees, minimal quoting)."""
    safe = safe_frame(df)
    table = _arrow_columns(safe)
    if table is None:
        safe.to_csv(target, index=False, header=header, encoding=CSV_ENCODING if header else "utf-8",
                    lineterminator="\r\n")
        return
    import pyarrow.csv as pacsv

    plain = all(_PLAIN_HEADER.match(c) for c in table.column_names)
    opts = pacsv.WriteOptions(eol="\r\n", quoting_header="none" if plain else "needed",
                              batch_size=65_536, include_header=header)
    bom = _BOM if header else ""
    if isinstance(target, (str, Path)):
        with open(target, "wb") as out:
            out.write(bom.encode("utf-8"))
            pacsv.write_csv(table, out, opts)
        return
    if isinstance(target, io.TextIOBase):
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, opts)
        target.write(bom + buf.getvalue().decode("utf-8"))
        return
    target.write(bom.encode("utf-8"))
    pacsv.write_csv(table, target, opts)


#: how a float cell is displayed (the cell keeps every digit)
NUMBER_FORMAT = "#,##0.00"
_MAX_WIDTH = 60
_WIDTH_SAMPLE = 1000  # rows whose text decides a column's width


def label(key: str, lang: str = "zh") -> str:
    """The ``lang`` (zh/en) label of ``key`` (:func:`standardland.labels.label`); the key itself when it has none."""
    return labels.label(key, lang, default=key)


def column_labels(columns, lang: str = "zh") -> dict:
    """Header → its ``col_<name>`` label in ``lang``, for the columns that have one."""
    return {c: label(f"col_{c}", lang) for c in columns if labels.has(f"col_{c}")}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_xlsx(df: pd.DataFrame, target, *, sheet_name: str = "Sheet1", headers: dict | None = None) -> None:
    """xlsx (openpyxl), cells neutralised, in a sheet named ``sheet_name``. ``target``: a path or a binary buffer.

    ``headers`` renames columns (e.g. :func:`column_labels`). The header row is frozen, columns are
    as wide as their header and their first rows' text, float columns show :data:`NUMBER_FORMAT`
    (the cell keeps the full value)."""
    from openpyxl.utils import get_column_letter

    frame = safe_frame(df.rename(columns=headers) if headers else df)
    with pd.ExcelWriter(target, engine="openpyxl") as xw:
        frame.to_excel(xw, index=False, sheet_name=sheet_name)
        ws = xw.sheets[sheet_name]
        ws.freeze_panes = "A2"
        head = frame.head(_WIDTH_SAMPLE)
        for j, name in enumerate(frame.columns, start=1):
            col = head[name].astype(object) if isinstance(head[name].dtype, pd.CategoricalDtype) else head[name]
            floats = pd.api.types.is_float_dtype(col.dtype)
            texts = col.map(lambda v, floats=floats: f"{v:,.2f}" if floats and pd.notna(v)
                            else ("" if v is None else str(v)), na_action="ignore").fillna("")
            widest = max([_width(str(name))] + [_width(t) for t in texts.tolist()])
            ws.column_dimensions[get_column_letter(j)].width = min(widest + 2, _MAX_WIDTH)
            if floats:
                for (cell,) in ws.iter_rows(min_row=2, max_row=len(frame) + 1, min_col=j, max_col=j):
                    cell.number_format = NUMBER_FORMAT


def xlsx_bytes(df: pd.DataFrame, *, sheet_name: str = "Sheet1", headers: dict | None = None) -> bytes:
    """``df`` as the bytes of an .xlsx workbook written by :func:`write_xlsx` (formula-safe cells)."""
    buf = io.BytesIO()
    write_xlsx(df, buf, sheet_name=sheet_name, headers=headers)
    return buf.getvalue()


def write_table(df: pd.DataFrame, path, *, field: str = "out", sheet: str | None = None,
                lang: str | None = None) -> Path:
    """Write ``df`` as .csv or .xlsx (by suffix); anything else is an :class:`InputError` on ``field``.

    For xlsx, ``sheet`` is an i18n key of the sheet's name (``sheet_parcels`` …) and ``lang``
    (zh/en) translates the headers that have a ``col_`` label; a CSV keeps its canonical headers
    (it is read back by machines)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(df, path)
    elif suffix == ".xlsx":
        write_xlsx(df, path, sheet_name=label(sheet, lang or "zh") if sheet else "Sheet1",
                   headers=column_labels(df.columns, lang) if lang else None)
    else:
        raise InputError(f"unsupported output '{path.suffix}'", field=field, expected=".csv or .xlsx")
    return path
