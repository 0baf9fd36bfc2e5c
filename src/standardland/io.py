"""Reading and writing parcel files (pyogrio, Arrow path).

Formats: GeoPackage, GeoJSON, zipped Shapefile, CSV with a WKT column, Excel (.xlsx, with
a WKT column, or attributes only for updates keyed by ``code``). Text encodings: a CSV, or a
Shapefile without a ``.cpg``, may be UTF-8 (with or without a BOM) or GB18030/GBK (what Excel and
国土 systems save on Chinese Windows); :func:`detect_encoding` is the one place that decides, and the
result says which encoding was used. GeoJSON is UTF-8 (RFC 7946). Exports: GeoPackage (SRS
EPSG:4490), GeoJSON (RFC 7946, CRS84), CSV (UTF-8 with a BOM), xlsx.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import logging
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import aliases, tables
from .errors import DataValidationError, EncodingError, InputError, RowProblem, TooLarge

if TYPE_CHECKING:  # geopandas, pyogrio and shapely are imported by the parcel readers and writers that use
    import geopandas as gpd  # them: a project CSV (screen, a Dask worker's piece) is read without them

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip"}
TABLE_SUFFIXES = {".csv", ".xlsx"}
WKT_COLUMNS = ("wkt", "WKT", "geometry", "geom")
#: Shapefile (dBase) field names are cut to 10 characters; map the cuts back to our names
SHAPEFILE_FIELDS = {"land_use_c": "land_use_code", "transfer_p": "transfer_price_wan_yuan"}
log = logging.getLogger("standardland")


@dataclass
class ReadResult:
    """What a reader returns: the frame, whether it has geometry, whether the file declared its CRS, and the text encoding and header mapping used."""
    frame: gpd.GeoDataFrame | pd.DataFrame
    has_geometry: bool
    crs_explicit: bool  # the file itself declared its CRS (not an RFC 7946 default)
    encoding: str | None = None  # the text encoding used (ENCODING_LABELS' keys), None when the format fixes it
    renamed: dict | None = None  # header → canonical field, for the aliased headers (standardland.aliases)


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what one file may cost to read (the HTTP service sets them; the CLI reads anything).

    ``max_rows`` is counted while the file streams: reading stops at the first row beyond it.
    ``max_unzipped_bytes`` caps the total uncompressed size of a zip (a zipped Shapefile, an xlsx),
    checked from the archive's directory before anything is decompressed.
    """

    max_rows: int | None = None
    max_unzipped_bytes: int | None = None


NO_LIMITS = ReadLimits()
#: the encodings :func:`detect_encoding` answers with, and how a summary names them
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "gb18030": "GB18030/GBK"}
_KIND = {".gpkg": "a GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "a Shapefile",
         ".zip": "a zipped Shapefile", ".csv": "a CSV table", ".xlsx": "an Excel workbook"}


def read_parcels_file(path: str | Path, *, layer: str | None = None, limits: ReadLimits = NO_LIMITS,
                      name: str | None = None) -> ReadResult:
    """Read a parcel file chosen by suffix, within ``limits``.

    ``name`` is how errors call the file (an upload's own file name); it defaults to the file's name.
    Errors name the file and what is expected, never a server path or a library's internals.
    """
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise InputError(f"file '{path}' does not exist", field="file")
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        if suffix == ".zip":
            _check_zip(path, name, limits, member=".shp", expected="a zipped Shapefile")
        if suffix in (".geojson", ".json"):
            _check_utf8(path, name)
        _check_empty(path, name)
        encoding = _shapefile_encoding(path, name) if suffix in (".zip", ".shp") else None
        import pyogrio

        try:
            gdf = pyogrio.read_dataframe(path, layer=layer, use_arrow=True,
                                         encoding=None if encoding is None else _PYOGRIO_ENCODING[encoding],
                                         max_features=None if limits.max_rows is None else limits.max_rows + 1)
        except Exception as exc:  # pyogrio's DataSourceError, Arrow errors: report, don't crash, don't echo
            log.info("cannot read %s: %s", name, exc)
            raise InputError(f"cannot read '{name}' as {_KIND[suffix]}: the file is damaged or not of this "
                             "type", field="file", expected="a GeoPackage, GeoJSON (UTF-8) or zipped Shapefile"
                             ) from None
        _check_rows(len(gdf), name, limits)
        if suffix in (".zip", ".shp"):
            gdf = gdf.rename(columns={k: v for k, v in SHAPEFILE_FIELDS.items() if k in gdf.columns})
        explicit = gdf.crs is not None
        if suffix in (".geojson", ".json") and gdf.crs is not None and not _geojson_declares_crs(path):
            explicit = False
        gdf, renamed = aliases.apply_column_aliases(gdf, "parcel")
        return ReadResult(gdf, True, explicit, encoding, renamed)
    if suffix in TABLE_SUFFIXES:
        df = read_table(path, limits=limits, name=name, scope=None)
        encoding = df.attrs.get("encoding")
        df, renamed = aliases.apply_column_aliases(df, "parcel")
        if suffix == ".xlsx":
            df = df.astype(object).where(df.notna(), None)
            if "code" in df.columns:
                df["code"] = [None if v is None else str(v) for v in df["code"]]
    else:
        raise InputError(f"unsupported file type '{suffix}'", field="file",
                         expected=".gpkg, .geojson, .zip (Shapefile), .csv or .xlsx")
    col = next((c for c in WKT_COLUMNS if c in df.columns), None)
    if col is None:
        return ReadResult(df, False, False, encoding, renamed)
    import geopandas as gpd
    import shapely

    problems = []
    geoms = []
    for i, w in enumerate(df[col]):
        if w is None or (isinstance(w, float) and pd.isna(w)) or str(w).strip() == "":
            geoms.append(None)
            continue
        try:
            geoms.append(shapely.from_wkt(str(w)))
        except shapely.errors.GEOSException as exc:
            problems.append(RowProblem(i + 1, col, f"not valid WKT ({exc})"))
            geoms.append(None)
    if problems:
        raise DataValidationError(problems=problems)
    gdf = gpd.GeoDataFrame(df.drop(columns=[col]), geometry=gpd.GeoSeries(geoms), crs=None)
    return ReadResult(gdf, True, False, encoding, renamed)


def read_table(path: str | Path, *, limits: ReadLimits = NO_LIMITS, name: str | None = None,
               scope: str | None = "project") -> pd.DataFrame:
    """A CSV (UTF-8 with or without BOM, or GB18030/GBK) or xlsx table as text/object columns, within ``limits``.

    Rows are counted while the file is parsed and reading stops at the first row beyond
    ``limits.max_rows``; an xlsx's uncompressed size is checked before it is opened. A CSV's
    encoding comes from :func:`detect_encoding` and is kept in ``df.attrs["encoding"]``.

    ``scope="project"`` (a screening table) renames aliased headers (项目名称, 用地面积(亩) …,
    :mod:`standardland.aliases`) and refuses a header that is neither a project field nor an
    alias, listing what is accepted; ``scope=None`` leaves the headers as they are.
    """
    path = Path(path)
    name = name or path.name
    suffix = path.suffix.lower()
    nrows = None if limits.max_rows is None else limits.max_rows + 1
    if suffix == ".csv" and scope == "project":
        _check_empty(path, name)
        return read_project_csv(path, encoding=detect_encoding(path, name), name=name, limits=limits)
    if suffix == ".csv":
        _check_empty(path, name)
        encoding = detect_encoding(path, name)
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding,
                             nrows=nrows)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            log.info("cannot parse %s: %s", name, exc)
            raise InputError(f"'{name}' is not a well-formed CSV table", field="file",
                             expected="a CSV with a header row and the same number of fields on every row"
                             ) from None
        df.attrs["encoding"] = encoding
    elif suffix == ".xlsx":
        _check_zip(path, name, limits, member="xl/", expected="an Excel workbook (.xlsx)")
        if limits.max_rows is not None:
            _check_rows(_xlsx_rows(path) - 1, name, limits)  # a cheap count first (minus the header)
        try:
            df = pd.read_excel(path, dtype=object, engine="openpyxl", nrows=nrows)
        except Exception as exc:  # openpyxl's many exception types for a damaged workbook
            log.info("cannot read %s: %s", name, exc)
            raise InputError(f"cannot read '{name}' as an Excel workbook: the file is damaged", field="file",
                             expected="an .xlsx workbook whose first sheet has a header row") from None
    else:
        raise InputError(f"unsupported table '{suffix}'", field="file", expected=".csv or .xlsx")
    _check_rows(len(df), name, limits)
    if scope == "project":
        encoding = df.attrs.get("encoding")
        df, renamed = aliases.apply_column_aliases(df, "project")
        _check_project_headers(df.columns)
        df.attrs.update(encoding=encoding, renamed=renamed)
    return df


# -- project tables (screening input): parsed by Arrow, typed by the field table ---------------------

#: bytes of rows per partition when a project CSV is screened in pieces (local chunks, Dask tasks)
PART_BYTES = 16 << 20
#: Arrow's names for the encodings :func:`detect_encoding` answers with (Arrow skips a UTF-8 BOM itself;
#: any other encoding is transcoded to UTF-8 block by block while the file streams)
_ARROW_ENCODING = {"utf-8": "utf8", "utf-8-sig": "utf8", "gb18030": "gb18030"}
_FIELDS_COUNT = re.compile(r"Expected (\d+) columns, got (\d+)")


@dataclass(frozen=True)
class CsvLayout:
    """A CSV's encoding, header line and where its rows are, so that it can be read in byte ranges."""

    path: Path
    name: str
    encoding: str
    header: bytes  # the header line as in the file (a BOM left out), with its line end
    start: int  # offset of the first row
    size: int

    def ranges(self, part_bytes: int = PART_BYTES) -> list[tuple[int, int]]:
        """Byte ranges ``[start, end)`` of whole rows, about ``part_bytes`` each, in file order.

        A range ends at a line end outside quotes (the parity of the quote characters before it is
        even: RFC 4180 escapes a quote as two); neither UTF-8 nor GB18030 uses the bytes of ``"`` or
        a line feed inside a multi-byte character, so the scan works on bytes."""
        if self.start >= self.size:
            return []
        mm = np.memmap(self.path, dtype=np.uint8, mode="r")
        bounds, pos = [self.start], self.start
        while pos + part_bytes < self.size:
            quotes = int(np.count_nonzero(mm[pos:pos + part_bytes] == 34))
            q, cut = pos + part_bytes, self.size
            while q < self.size:
                blk = np.asarray(mm[q:q + (1 << 20)])
                acc = np.cumsum(blk == 34)
                nl = np.flatnonzero(blk == 10)
                even = nl[(quotes + acc[nl]) % 2 == 0]
                if len(even):
                    cut = q + int(even[0]) + 1
                    break
                quotes += int(acc[-1])
                q += len(blk)
            if cut >= self.size:
                break
            bounds.append(cut)
            pos = cut
        bounds.append(self.size)
        return list(zip(bounds[:-1], bounds[1:], strict=True))

    def read_range(self, start: int, end: int, *, first_row: int = 0) -> pd.DataFrame:
        """Rows in bytes ``[start, end)`` as :func:`read_project_csv` reads a whole file; ``first_row``
        (0-based) is the first one's place in the file (``df.attrs["first_row"]``), so that a problem can
    name the file's row."""
        with open(self.path, "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
        return read_project_csv(self.header + data, encoding=self.encoding, name=self.name, first_row=first_row)


def csv_layout(path: str | Path, name: str | None = None, encoding: str | None = None) -> CsvLayout:
    """The :class:`CsvLayout` of a project CSV (its encoding from :func:`detect_encoding` unless given)."""
    path = Path(path)
    name = name or path.name
    _check_empty(path, name)
    encoding = encoding or detect_encoding(path, name)
    header, start = _header_line(path)
    return CsvLayout(path, name, encoding, header, start, path.stat().st_size)


def _header_line(path: Path) -> tuple[bytes, int]:
    """The first line (up to a line end outside quotes; a BOM left out) and the offset after it."""
    with open(path, "rb") as fh:
        data, end = b"", -1
        while end < 0:
            block = fh.read(1 << 16)
            if not block:
                break
            base = len(data)
            data += block
            arr = np.frombuffer(data, dtype=np.uint8)
            acc = np.cumsum(arr == 34)
            nl = np.flatnonzero(arr[base:] == 10) + base
            even = nl[acc[nl] % 2 == 0]
            end = int(even[0]) + 1 if len(even) else -1
    end = len(data) if end < 0 else end
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    return data[skip:end], end


def _header_names(header: bytes, encoding: str) -> list[str]:
    """The header's names as pandas named them: a blank one ``Unnamed: j``, a repeated one ``x.1``."""
    text = header.decode("utf-8-sig" if encoding.startswith("utf-8") else encoding)
    row = next(csv.reader([text.rstrip("\r\n")]), [])
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, n in enumerate(row):
        n = n or f"Unnamed: {j}"
        k = n
        while k in seen:
            seen[n] += 1
            k = f"{n}.{seen[n]}"
        seen[k] = 0
        names.append(k)
    return names


def read_project_csv(source: str | Path | bytes, *, encoding: str, name: str, limits: ReadLimits = NO_LIMITS,
                     first_row: int = 0) -> pd.DataFrame:
    """A project CSV (a file, or its bytes with the header line first) parsed by ``pyarrow.csv``, typed by
    the field table (:mod:`standardland.rules.fields`) and with aliased headers renamed.

    Every cell is read as text; a column whose field is a quantity or an integer choice becomes float64
    when every cell is a plain number, and ``decision_date`` becomes ``datetime64[ns]`` when every cell
    is a valid ``YYYY-MM-DD`` date (see :func:`_typed`). A column with a cell that is not stays text,
    so :func:`standardland.rules.checks.parse_project_table` reports that cell with its row and field
    exactly as for any table. The encoding is kept in ``df.attrs["encoding"]``, what was renamed in
    ``df.attrs["renamed"]``."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if isinstance(source, (bytes, bytearray)):
        header = bytes(source[:source.find(b"\n") + 1 or len(source)])
        stream, no_rows = pa.BufferReader(source), len(source) <= len(header)
    else:
        header, start = _header_line(Path(source))
        stream, no_rows = str(source), start >= Path(source).stat().st_size
    names = _header_names(header, encoding)
    if not names:
        raise InputError(f"'{name}' has no header row", field="file", expected="a CSV with a header row")
    ropts = pacsv.ReadOptions(column_names=names, skip_rows=1, encoding=_ARROW_ENCODING[encoding],
                              block_size=1 << 22)
    popts = pacsv.ParseOptions(newlines_in_values=True)
    copts = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                 strings_can_be_null=True, quoted_strings_can_be_null=True)
    try:
        if no_rows:  # a header alone (perhaps without its line end)
            table = pa.table({n: pa.array([], pa.string()) for n in names})
        elif limits.max_rows is None:
            table = pacsv.read_csv(stream, read_options=ropts, parse_options=popts, convert_options=copts)
        else:  # stop at the first batch beyond the limit
            batches, n = [], 0
            with pacsv.open_csv(stream, read_options=ropts, parse_options=popts, convert_options=copts) as rd:
                for batch in rd:
                    batches.append(batch)
                    n += batch.num_rows
                    _check_rows(n, name, limits)
            table = pa.Table.from_batches(batches, schema=rd.schema)
    except pa.ArrowInvalid as exc:
        log.info("cannot parse %s: %s", name, exc)
        m = _FIELDS_COUNT.search(str(exc))
        detail = f" (a row has {m.group(2)} fields, the header {m.group(1)})" if m else ""
        raise InputError(f"'{name}' is not a well-formed CSV table{detail}", field="file",
                         expected="a CSV with a header row and the same number of fields on every row") from None
    mapping, _ = aliases.resolve_headers(names, "project")  # problems are raised below, by apply_column_aliases
    cols = {}
    for header_name, col in zip(names, table.columns, strict=True):
        canonical, unit = mapping.get(header_name, (header_name, None))
        typed = _typed(col, canonical)
        cols[header_name] = col.to_pandas().array if typed is None else typed  # text: pandas' str, no copy
    df = pd.DataFrame(cols, copy=False) if cols else pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    df, renamed = aliases.apply_column_aliases(df, "project")
    for header_name, field_name in renamed.items():  # a unit converted (亩 → m²): numbers stay float64
        if cols[header_name].dtype.kind == "f" and df[field_name].dtype == object:
            df[field_name] = df[field_name].to_numpy(dtype="float64")
    _check_project_headers(df.columns)
    df.attrs.update(encoding=encoding, renamed=renamed, first_row=first_row)
    return df


_PLAIN_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _typed(col, field: str) -> np.ndarray | None:
    """A text column as its field's type when every cell reads cleanly, else None (kept as text).

    Quantities and integer choices: float64 when Arrow casts every non-blank cell to a finite number
    (blank cells are NaN, missing; ``nan``, ``inf`` and anything Arrow refuses keep the text path, whose
    errors name the cell). ``decision_date``: ``datetime64[ns]`` when every cell is ``YYYY-MM-DD`` on the
    calendar, within :data:`~standardland.rules.fields.YEARS`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .rules.fields import YEARS, project_fields

    spec = project_fields().get(field)
    if spec is None or len(col) == 0:
        return None
    if spec.kind in ("quantity", "integer_choice"):
        try:
            num = pc.cast(col, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        out = num.to_numpy(zero_copy_only=False)
        if not np.isfinite(out[~pc.is_null(num).to_numpy(zero_copy_only=False)]).all():
            return None
        if spec.kind == "integer_choice" and not np.isin(out[~np.isnan(out)], spec.choices).all():
            return None
        return np.asarray(out, dtype="float64")
    if spec.kind == "date":
        if col.null_count or not pc.all(pc.match_substring_regex(col, _PLAIN_DATE)).as_py():
            return None
        try:
            parsed = pc.strptime(col, format="%Y-%m-%d", unit="s")
        except pa.ArrowInvalid:
            return None
        month = pc.cast(pc.utf8_slice_codeunits(col, 5, 7), pa.int64())
        if not pc.all(pc.equal(pc.month(parsed), month)).as_py():
            return None  # 2024-02-30 rolled over to March: the text path names the day
        days = parsed.to_numpy(zero_copy_only=False)
        years = days.astype("datetime64[Y]").astype(np.int64) + 1970
        if ((years < YEARS[0]) | (years > YEARS[1])).any():
            return None
        return days.astype("datetime64[ns]")
    return None


def _check_project_headers(columns) -> None:
    """A header that is no project field (after aliases) is refused, listing the accepted names and aliases."""
    from .rules.fields import project_fields
    from .rules.project import unknown_fields

    unknown = unknown_fields(list(columns), table=True)
    if unknown:
        accepted = "; ".join(aliases.accepted(f, "project") for f in project_fields())
        raise DataValidationError(problems=[RowProblem(0, str(c), f"unknown column; expected one of: {accepted}")
                                            for c in unknown])


def _check_rows(n: int, name: str, limits: ReadLimits) -> None:
    if limits.max_rows is not None and n > limits.max_rows:
        raise TooLarge(f"'{name}' has more than {limits.max_rows:,} rows", field="file",
                       expected=f"at most {limits.max_rows:,} rows per file (split it, or use the CLI)")


def _xlsx_rows(path: Path) -> int:
    """Rows of the largest worksheet, counted while its XML streams out of the zip (no parsing).

    Decompression runs at hundreds of MB/s while openpyxl parses some ten thousand rows a second,
    so a workbook of a million rows is refused in about a second instead of after minutes."""
    most = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            n, tail = 0, b""
            with zf.open(info) as fh:
                while chunk := fh.read(1 << 22):
                    window = tail + chunk
                    n += window.count(b"<row>") + window.count(b"<row ")
                    tail = window[-5:]
                    n -= tail.count(b"<row>") + tail.count(b"<row ")  # counted again with the next chunk
            most = max(most, n + tail.count(b"<row>") + tail.count(b"<row "))
    return most


def _check_empty(path: Path, name: str) -> None:
    if path.stat().st_size == 0:
        raise InputError(f"'{name}' is empty", field="file", expected="a file with a header and rows")


def detect_encoding(path: str | Path, name: str | None = None) -> str:
    """The text encoding of a file: ``"utf-8-sig"`` (a BOM), ``"utf-8"`` or ``"gb18030"``.

    The file is decoded strictly in chunks (bounded memory) as UTF-8 and, where that fails, as
    GB18030 (a superset of GBK and GB2312: what Excel saves on Chinese Windows). Pure ASCII is
    UTF-8. Text that is neither is an :class:`~standardland.errors.EncodingError` naming the file,
    the first byte that fails and what is accepted.

    Parameters
    ----------
    path : str or Path
        The file.
    name : str, optional
        How errors call the file (defaults to its name).

    Returns
    -------
    str
        A Python codec name, one of :data:`ENCODING_LABELS`' keys.
    """
    path = Path(path)
    return _detect(lambda: open(path, "rb"), name or path.name)


def _detect(opener, name: str, *, skip: int = 0) -> str:
    """Decode the stream ``opener()`` gives (after ``skip`` header bytes) as UTF-8, then as GB18030."""
    try:
        with opener() as fh:
            head = fh.read(skip + 3)[skip:]
        _decode_all(opener, "utf-8", skip)
    except UnicodeDecodeError as exc:
        try:
            _decode_all(opener, "gb18030", skip)
        except UnicodeDecodeError:
            raise _not_text(name, exc) from None
        return "gb18030"
    return "utf-8-sig" if skip == 0 and head == codecs.BOM_UTF8 else "utf-8"


def _decode_all(opener, encoding: str, skip: int) -> None:
    dec = codecs.getincrementaldecoder(encoding)()
    with opener() as fh:
        fh.read(skip)
        while chunk := fh.read(1 << 20):
            dec.decode(chunk)
    dec.decode(b"", final=True)


#: pyogrio's names for the encodings :func:`detect_encoding` answers with
_PYOGRIO_ENCODING = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030"}


def _shapefile_encoding(path: Path, name: str) -> str | None:
    """The encoding of a Shapefile's .dbf text when no ``.cpg`` declares it (None: the .cpg decides).

    Only the records are decoded (the dBase header is binary: its length is in bytes 8–9)."""
    if path.suffix.lower() == ".shp":
        if any(path.with_suffix(s).exists() for s in (".cpg", ".CPG")):
            return None
        dbf = next((path.with_suffix(s) for s in (".dbf", ".DBF") if path.with_suffix(s).exists()), None)
        if dbf is None:
            return None
        opener = lambda: open(dbf, "rb")  # noqa: E731
    else:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
        if any(n.lower().endswith(".cpg") for n in names):
            return None
        member = next((n for n in names if n.lower().endswith(".dbf")), None)
        if member is None:
            return None

        @contextmanager
        def opener():
            with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
                yield fh
    with opener() as fh:
        header = fh.read(10)
    skip = int.from_bytes(header[8:10], "little") if len(header) == 10 else 0
    return _detect(opener, name, skip=skip)


def _not_text(name: str, exc: UnicodeDecodeError) -> EncodingError:
    byte = exc.object[exc.start:exc.start + 1].hex() if isinstance(exc.object, (bytes, bytearray)) else "?"
    return EncodingError(f"'{name}' is neither UTF-8 nor GB18030/GBK text (byte 0x{byte} cannot be decoded)",
                         field="file", expected="text in UTF-8 (with or without a BOM) or GB18030/GBK")


def _not_utf8(name: str, exc: UnicodeDecodeError) -> EncodingError:
    byte = exc.object[exc.start:exc.start + 1].hex() if isinstance(exc.object, (bytes, bytearray)) else "?"
    return EncodingError(f"'{name}' is not UTF-8 text (byte 0x{byte} cannot be decoded)", field="file",
                         expected="UTF-8 text (convert a GBK file first, e.g. iconv -f GBK -t UTF-8)")


def _check_utf8(path: Path, name: str) -> None:
    """Decode the file incrementally (bounded memory); a non-UTF-8 byte is an :class:`EncodingError`."""
    import codecs

    dec = codecs.getincrementaldecoder("utf-8-sig")()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                dec.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _not_utf8(name, exc) from None
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _not_utf8(name, exc) from None


def _check_zip(path: Path, name: str, limits: ReadLimits = NO_LIMITS, *, member: str = ".shp",
               expected: str = "a zipped Shapefile") -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"'{name}' is not a valid zip file", field="file", expected=expected) from exc
    if member.startswith(".") and not any(i.filename.lower().endswith(member) for i in infos):
        raise InputError(f"'{name}' holds no {member} file", field="file", expected=expected)
    if not member.startswith(".") and not any(i.filename.startswith(member) for i in infos):
        raise InputError(f"'{name}' is not an Excel workbook", field="file", expected=expected)
    total = sum(i.file_size for i in infos)
    cap = limits.max_unzipped_bytes
    if cap is not None and total > cap:
        raise TooLarge(f"'{name}' unpacks to {total:,} bytes; the limit is {cap:,} bytes", field="file",
                       expected=f"at most {cap:,} bytes uncompressed")


def _geojson_declares_crs(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    try:
        text = head.decode("utf-8", errors="ignore")
    except Exception:
        return False
    # the "crs" member comes before "features" in every writer we know of; look in the head
    idx_feat = text.find('"features"')
    idx_crs = text.find('"crs"')
    if idx_crs == -1:
        return False
    return idx_feat == -1 or idx_crs < idx_feat


def write_parcels_file(gdf: gpd.GeoDataFrame, path: str | Path, *, layer: str = "parcels", lang: str = "zh") -> Path:
    """Write stored parcels (EPSG:4490) to a file chosen by suffix.

    An xlsx has ``lang`` (zh/en) headers (宗地代码 …, which read back through the aliases) in a
    sheet named 宗地 / parcels; other formats keep the canonical field names."""
    import pyogrio
    import shapely

    path = Path(path)
    suffix = path.suffix.lower()
    gdf = gdf.copy()
    for c in gdf.columns:
        if c == gdf.geometry.name:
            continue
        if str(gdf[c].dtype) == "Int64":
            gdf[c] = gdf[c].astype("float64")
        elif str(gdf[c].dtype).startswith("datetime"):
            gdf[c] = gdf[c].astype(str)
        elif gdf[c].dtype == object and any(isinstance(v, (dict, list)) for v in gdf[c]):
            gdf[c] = [json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for v in gdf[c]]
    if suffix == ".gpkg":
        pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG", promote_to_multi=True)
    elif suffix in (".geojson", ".json"):
        if path.exists():
            path.unlink()
        pyogrio.write_dataframe(gdf, path, driver="GeoJSON", layer_options={"RFC7946": "YES"})
    elif suffix in (".csv", ".xlsx"):  # formulas neutralised, control characters removed, CSV with a BOM
        df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        df["wkt"] = shapely.to_wkt(gdf.geometry.values, rounding_precision=-1)
        tables.write_table(df, path, field="file", sheet="sheet_parcels", lang=lang)
    else:
        raise InputError(f"unsupported export type '{suffix}'", field="file",
                         expected=".gpkg, .geojson, .csv or .xlsx")
    return path
