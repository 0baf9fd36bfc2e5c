"""Parcels (宗地): the registry's records, their validation and topology checks.

A parcel is a plot of state-owned industrial land with a code (19-character 宗地代码 or
28-character 不动产单元号), a 2023 用地用海 land-use code, a land grade (土地等别 1–15, from
which the 2008 region class follows), a status, a transfer price and a (Multi)Polygon.

:func:`prepare_parcels` turns any GeoDataFrame into validated storage rows (EPSG:4490, areas
in the parcel's 3° Gauss-Krüger zone) or raises :class:`DataValidationError` listing every
bad row by number and field. Nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import aliases, codes, crs as crsmod, units
from .errors import DataValidationError, GeometryError, RowProblem
from .gcpause import gc_paused
from .dates import EXPECTED as DATE_EXPECTED, read_date_cells
from .values import shown
from .labels import label

#: extra attributes that hold a date (the scorecard counts a parcel offered in its year by ``offered_on``)
DATE_ATTRIBUTES = ("offered_on",)


STATUSES = ("planned", "serviced", "published", "listed", "transferred",
            "under_construction", "in_production", "recovered")
#: statuses in which a parcel may still be offered to a project
AVAILABLE_STATUSES = ("serviced", "published", "listed")

#: status → (zh, en) label, read from ``web/i18n.json`` (``status_*``)
STATUS_LABELS = {s: (label(f"status_{s}", "zh"), label(f"status_{s}", "en")) for s in STATUSES}

#: columns with a fixed meaning; everything else is kept in ``attrs``
CORE_FIELDS = ("code", "name", "park", "land_use_code", "land_grade", "status", "transfer_price_wan_yuan")
DERIVED_FIELDS = ("area_m2", "area_mu", "area_ha", "region_class")

_CODE19 = re.compile(r"^(\d{6})(\d{3})(\d{3})([GJZ])([A-Z])(\d{5})$")
_PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
              "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
              "71", "81", "82"}


def validate_code(code) -> str | None:
    """Return None if ``code`` is a well-formed 宗地代码 (19) or 不动产单元号 (28), else the reason."""
    if not isinstance(code, str) or not code.strip():
        return "missing; expected a 19-character 宗地代码 or 28-character 不动产单元号"
    c = code.strip()
    if len(c) not in (19, 28):
        return (f"'{c}' has {len(c)} characters; expected 19 (宗地代码) or 28 (不动产单元号: "
                "county 6 + 地籍区 3 + 地籍子区 3 + ownership G/J/Z + feature letter + parcel 5 "
                "+ fixture letter + 8 building digits)")
    head = c[:19]
    if not head[:12].isdigit():
        return f"'{c}': characters 1–12 (county code, 地籍区, 地籍子区) must be digits"
    if head[:2] not in _PROVINCES:
        return f"'{c}': '{head[:2]}' is not a province code"
    if head[12] not in "GJZ":
        return f"'{c}': character 13 (ownership) must be G (state), J (collective) or Z (disputed), got '{head[12]}'"
    if not ("A" <= head[13] <= "Z"):
        return f"'{c}': character 14 (feature code) must be an uppercase letter, got '{head[13]}'"
    if not head[14:19].isdigit():
        return f"'{c}': characters 15–19 (parcel number) must be 5 digits"
    if len(c) == 28:
        if c[19] not in "FLQW":
            return f"'{c}': character 20 (fixture) must be F, L, Q or W (none), got '{c[19]}'"
        if not c[20:].isdigit():
            return f"'{c}': characters 21–28 (building and unit numbers) must be digits"
    return None


def county_code(code: str) -> str:
    return code[:6]


@dataclass
class PrepareReport:
    rows: int = 0
    repaired: list[RowProblem] = field(default_factory=list)
    source_crs: str = ""


_CODE_ANY = r"\d{12}[GJZ][A-Z]\d{5}(?:[FLQW]\d{8})?"


def _present(raw: pd.Series) -> np.ndarray:
    """True where a cell holds a value (not missing, not blank text)."""
    if pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return raw.notna().to_numpy(dtype=bool)
    s = raw.astype("string")
    return (s.notna() & (s.str.strip() != "")).fillna(False).to_numpy(dtype=bool)


def _text(raw: pd.Series, *, strip: bool = True, numeric_as_int: bool = False) -> pd.Series:
    """A text column as object strings, None for missing or blank."""
    s = raw
    if numeric_as_int and pd.api.types.is_numeric_dtype(s.dtype):  # 100101.0 (a spreadsheet's) → '100101'
        v = pd.to_numeric(s, errors="coerce").astype("float64")
        whole = (np.isfinite(v) & (v % 1 == 0) & (v.abs() < 2 ** 53)).to_numpy(dtype=bool)
        s = v.where(whole).astype("Int64").astype("string").where(whole, v.astype("string"))
    s = s.astype("string")
    if strip:
        s = s.str.strip()
    keep = (s.notna() & (s.str.strip() != "")).fillna(False)
    return s.astype(object).where(keep.to_numpy(dtype=bool), None)


@gc_paused()  # 100,000 rows of objects: no collector passes over them (see gcpause)
def prepare_parcels(gdf: gpd.GeoDataFrame, *, crs=None, fix: bool = False, first_row: int = 1,
                    max_vertices: int | None = None) -> tuple[gpd.GeoDataFrame, PrepareReport]:
    """Validate a parcel GeoDataFrame and return storage-ready rows in EPSG:4490.

    ``crs`` names the input CRS; it is required when the frame has none. When the frame has a
    CRS and another one is named, that is an error (never a silent re-label).
    Raises :class:`DataValidationError` with every problem; nothing is half-accepted.
    A parcel may have at most ``max_vertices`` coordinates (default :func:`vertex_limit`).
    """
    report = PrepareReport(rows=len(gdf))
    src = crsmod.source_crs(crs, gdf.crs)
    report.source_crs = str(src)

    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    n = len(df)
    rownum = np.arange(first_row, first_row + n)
    if "code" not in df.columns:
        raise DataValidationError(problems=[RowProblem(
            0, "code", "column missing; every parcel needs a code; expected a column named "
            + aliases.accepted("code", "parcel") + "; the file has " + ", ".join(map(str, df.columns)))])

    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1)
    geometry_job = pool.submit(_check_geometry, gdf, rownum, src, fix, report, max_vertices)
    pool.shutdown(wait=False)
    out, problems = _attributes(df, rownum, partial=False)

    # -- geometry, in a second thread: shapely and pyproj release the GIL, so it overlaps the
    # attribute checks above on a 2-core machine
    geom_problems, lonlat, stored, area = geometry_job.result()
    if problems or geom_problems:
        raise DataValidationError(problems=sorted(problems + geom_problems, key=lambda p: p.row))
    if lonlat:
        raise DataValidationError(problems=lonlat)
    out["area_m2"] = area
    res = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(stored, crs=crsmod.STORAGE_EPSG), crs=crsmod.STORAGE_EPSG)
    return with_derived(res), report


#: C0 control characters and DEL; a name may keep tab and newline, other text none
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f]"
_CONTROL_ANY = r"[\x00-\x1f\x7f]"
_UPDATABLE = ("name", "park", "land_use_code", "land_grade", "status", "transfer_price_wan_yuan")


def _kind(v) -> str:
    if isinstance(v, (float, np.floating)) and not np.isfinite(v):
        return "not a finite number"
    return {dict: "an object", list: "a list", tuple: "a list", bool: "a boolean", bytes: "bytes"}.get(
        type(v), f"a {type(v).__name__}")


def _scalar_mask(raw: pd.Series, *, text_ok: bool = True, bool_ok: bool = False) -> np.ndarray:
    """True where a cell is a plain scalar (text, a finite number, missing; a boolean if ``bool_ok``);
    False for objects, lists, bytes and infinities (what no column of a parcel can hold)."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return np.full(len(raw), bool_ok)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        v = raw.to_numpy(dtype="float64", na_value=np.nan)
        return np.isnan(v) | np.isfinite(v)
    inferred = pd.api.types.infer_dtype(raw, skipna=True)  # C speed: the common all-text column
    if inferred in ("string", "empty"):
        return np.full(len(raw), text_ok) | raw.isna().to_numpy(dtype=bool)
    types = raw.map(type, na_action="ignore")
    allowed = (str, int, float, np.int64, np.float64, np.int32, np.float32) + ((bool, np.bool_) if bool_ok else ())
    ok = types.isin(allowed) | raw.isna()
    ok = ok.to_numpy(dtype=bool).copy()
    nums = types.isin((float, np.float64, np.float32)).to_numpy(dtype=bool)
    if nums.any():
        ok[nums] = np.isfinite(raw[nums].to_numpy(dtype="float64"))
    if not text_ok:
        ok &= ~types.isin((str,)).to_numpy(dtype=bool)
    return ok


def _check_text(raw: pd.Series, fieldname: str, flag, *, controls: str = _CONTROL_ANY,
                bool_ok: bool = False) -> np.ndarray:
    """Flag cells of a text column that are not text or hold NUL/control characters; returns the
    mask of good cells (vectorized: one regex over the column). ``bool_ok``: an extra attribute,
    which may also be a number or a boolean."""
    scalar = _scalar_mask(raw, bool_ok=bool_ok)
    flag(~scalar, fieldname, lambda i: f"{shown(raw.iloc[i])} is {_kind(raw.iloc[i])}; expected "
                                       + ("text, a finite number or a boolean" if bool_ok else "text"))
    s = (raw if scalar.all() else raw.where(scalar, None)).astype("string[pyarrow]")  # regex in C (RE2)
    bad = s.str.contains(controls, regex=True).fillna(False).to_numpy(dtype=bool)
    flag(bad, fieldname, lambda i: f"{shown(raw.iloc[i])} contains a control character (e.g. NUL); expected "
                                   "plain text" + (" (tab and newline allowed)" if controls == _CONTROL else ""))
    return scalar & ~bad


def status_filter(value: str | None, field: str = "status") -> tuple[str, ...] | None:
    """A ``?status=`` filter: a status or its label (已成交 → transferred), as parcel files take them;
    anything else is a :class:`~standardland.errors.BadParameter` listing the statuses (never an
    empty answer that looks like "no such parcels").

    Examples
    --------
    >>> status_filter("已成交"), status_filter(None)
    (('transferred',), None)
    """
    if value is None or value == "":
        return None
    st = aliases.map_values(pd.Series([value.strip()], dtype=object), "status", STATUS_LABELS).iloc[0]
    if st not in STATUSES:
        from .errors import BadParameter

        raise BadParameter(f"'{value}' is not a parcel status", field=field,
                           expected="one of " + ", ".join(f"{k} ({STATUS_LABELS[k][0]})" for k in STATUSES))
    return (st,)


def _attributes(df: pd.DataFrame, rownum: np.ndarray, *, partial: bool) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Validate the attribute columns of parcels (vectorized; per-row work only for wrong rows).

    Returns (storage columns, problems). ``partial`` is an attribute update: absent columns stay
    absent, a missing value means "unchanged" (None), and a code may repeat.
    """
    problems: list[RowProblem] = []
    n = len(df)

    def flag(mask, fieldname, message):
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            problems.append(RowProblem(int(rownum[i]), fieldname, message(i) if callable(message) else message))

    def text_col(c, **kw):
        good = _check_text(df[c], c, flag, **kw)
        return _text(df[c].where(good, None), strip=c != "name")

    out = pd.DataFrame(index=range(n))
    good_code = _check_text(df["code"], "code", flag)
    codes_ = _text(df["code"].where(good_code, None))
    arrow_codes = codes_.astype("string[pyarrow]")  # regex in C (RE2), not per-row Python
    well_formed = (arrow_codes.str.fullmatch(_CODE_ANY).fillna(False).to_numpy(dtype=bool)
                   & arrow_codes.str.slice(0, 2).isin(list(_PROVINCES)).fillna(False).to_numpy(dtype=bool))
    flag(~well_formed & good_code, "code", lambda i: validate_code(codes_.iloc[i]))
    dup = codes_.duplicated(keep="first") & codes_.notna()
    if dup.any() and not partial:
        first_seen = {c: int(rownum[i]) for i, c in enumerate(codes_) if c is not None and not dup.iloc[i]}
        flag(dup, "code", lambda i: f"duplicate of row {first_seen[codes_.iloc[i]]}")
    out["code"] = codes_.to_numpy(dtype=object)
    if "name" in df or not partial:
        out["name"] = text_col("name", controls=_CONTROL).to_numpy(dtype=object) if "name" in df else None
    if "park" in df or not partial:
        out["park"] = text_col("park").to_numpy(dtype=object) if "park" in df else None

    if "land_use_code" in df:
        good = _check_text(df["land_use_code"], "land_use_code", flag)
        lus = _text(df["land_use_code"].where(good, None), numeric_as_int=True)
        known = codes.land_use_codes()
        lus = aliases.map_values(lus, "land_use_code", {c: (u.name, u.name) for c, u in known.items()})  # 一类工业用地
        flag(lus.notna() & ~lus.isin(list(known)), "land_use_code",
             lambda i: f"'{lus.iloc[i]}' is not a 2023 用地用海 code; expected e.g. 1001, 100101–100103")
        out["land_use_code"] = lus.to_numpy(dtype=object)
    elif not partial:
        out["land_use_code"] = None

    if "land_grade" in df:
        raw = df["land_grade"]
        g = pd.to_numeric(raw.where(_scalar_mask(raw, text_ok=True), "x"), errors="coerce")
        present = _present(raw)
        ok = g.notna() & (g % 1 == 0) & g.between(1, 15)
        flag(present & ~ok, "land_grade",
             lambda i: f"{shown(raw.iloc[i])} is not a land grade; expected an integer 1–15 (土地等别)")
        out["land_grade"] = pd.array(g.where(ok), dtype="Int64")
    elif not partial:
        out["land_grade"] = pd.array([None] * n, dtype="Int64")

    if "status" in df:
        good = _check_text(df["status"], "status", flag)
        st = _text(df["status"].where(good, None))
        st = aliases.map_values(st, "status", STATUS_LABELS)  # 已成交, 已出让 … → transferred
        if not partial:
            st = st.fillna("planned")
        flag(good & st.notna() & ~st.isin(STATUSES), "status",
             lambda i: f"'{st.iloc[i]}' is unknown; expected one of "
             + ", ".join(f"{k} ({STATUS_LABELS[k][0]})" for k in STATUSES))
        out["status"] = st.to_numpy(dtype=object)
    elif not partial:
        out["status"] = "planned"

    if "transfer_price_wan_yuan" in df:
        raw = df["transfer_price_wan_yuan"]
        p = pd.to_numeric(raw.where(_scalar_mask(raw, text_ok=True), "x"), errors="coerce")
        bad = _present(raw) & ~(np.isfinite(p) & (p >= 0))
        flag(bad, "transfer_price_wan_yuan", lambda i: f"{shown(raw.iloc[i])}: expected a number ≥ 0 in 万元")
        out["transfer_price_wan_yuan"] = p.to_numpy(dtype="float64", na_value=np.nan)
    elif not partial:
        out["transfer_price_wan_yuan"] = np.nan

    # everything else: extra attributes, with <indicator>_min/_max checked to be numbers
    attrs: list[dict] = [dict() for _ in range(n)]
    bounds: dict[str, pd.Series] = {}
    for c in (c for c in df.columns if c not in CORE_FIELDS and c not in DERIVED_FIELDS):
        raw = df[c]
        present = _present(raw)
        if not isinstance(c, str) or re.search(_CONTROL_ANY, c):
            flag(present, repr(c), "an attribute name must be text without control characters")
            continue
        if c in DATE_ATTRIBUTES:  # a date the reports read: one of the date forms, stored as YYYY-MM-DD
            r = read_date_cells(raw.to_numpy(dtype=object))
            bad = present & (r.refused | r.no_such_day)
            flag(bad, c, lambda i, raw=raw: f"{shown(raw.iloc[i])} is not a calendar date; expected {DATE_EXPECTED}")
            values = [None if np.isnat(d) else str(d) for d in r.days]
        elif c.endswith("_min") or c.endswith("_max"):
            v = pd.to_numeric(raw.where(_scalar_mask(raw, text_ok=True), "x"), errors="coerce")
            bad = present & ~(np.isfinite(v) & (v.abs() <= units.QUANTITY_MAX))
            flag(bad, c, lambda i, raw=raw: f"{shown(raw.iloc[i])}: a threshold must be a number in the "
                                              f"indicator's canonical unit, from −{units.QUANTITY_MAX:g} to "
                                              f"{units.QUANTITY_MAX:g}")
            values = v.to_numpy(dtype="float64", na_value=np.nan).tolist()
            bounds[c] = v.where(present & ~bad)
        else:
            bad = present & ~_check_text(raw, c, flag, controls=_CONTROL, bool_ok=True)
            values = raw.to_numpy(dtype=object).tolist()
        present = present & ~bad
        for i in np.flatnonzero(present):
            attrs[i][c] = _jsonable(values[i])
    for c, lo in bounds.items():  # a parcel's own range must be a range
        hi = bounds.get(c[:-4] + "_max") if c.endswith("_min") else None
        if hi is not None:
            flag(lo.notna() & hi.notna() & (lo > hi), c,
                 lambda i, c=c, lo=lo, hi=hi: f"{lo.iloc[i]:g} is above {c[:-4]}_max {hi.iloc[i]:g}; "
                                              "expected min ≤ max")
    out["attrs"] = attrs
    return out, problems


@dataclass
class AttributeUpdate:
    """One validated attribute-only change, keyed by ``code``: ``values`` for the core columns given,
    ``attrs`` merged into the parcel's extra attributes."""

    row: int
    code: str
    values: dict
    attrs: dict


def prepare_attribute_updates(df: pd.DataFrame, *, first_row: int = 1) -> list[AttributeUpdate]:
    """Validate an attribute-only update (a table without geometry, or a ``PATCH`` body).

    The same checks and messages as :func:`prepare_parcels`; an absent or empty value leaves the
    stored one unchanged. Raises :class:`DataValidationError` listing every bad row and field.

    Examples
    --------
    >>> import pandas as pd
    >>> u = prepare_attribute_updates(pd.DataFrame([{"code": "370613004002GB10001", "status": "listed"}]))
    >>> (u[0].code, u[0].values)
    ('370613004002GB10001', {'status': 'listed'})
    """
    if "code" not in df.columns:
        raise DataValidationError(problems=[RowProblem(0, "code", "column missing; updates are keyed by code")])
    df = df.reset_index(drop=True)
    rownum = np.arange(first_row, first_row + len(df))
    out, problems = _attributes(df, rownum, partial=True)
    if problems:
        raise DataValidationError(problems=sorted(problems, key=lambda p: p.row))
    cols = [c for c in _UPDATABLE if c in out.columns]
    values = {c: out[c].astype(object).where(out[c].notna(), None).tolist() for c in cols}
    return [AttributeUpdate(int(rownum[i]), out["code"].iloc[i],
                            {c: _jsonable(values[c][i]) for c in cols if values[c][i] is not None},
                            out["attrs"].iloc[i]) for i in range(len(out))]


#: the most coordinates one parcel may have (a survey polygon has tens to hundreds)
DEFAULT_MAX_VERTICES = 10_000


def vertex_limit() -> int:
    """The vertex limit per parcel: ``$STANDARDLAND_MAX_VERTICES`` or :data:`DEFAULT_MAX_VERTICES`."""
    import os

    raw = os.environ.get("STANDARDLAND_MAX_VERTICES")
    try:
        return int(raw) if raw else DEFAULT_MAX_VERTICES
    except ValueError as exc:
        from .errors import InputError

        raise InputError(f"'{raw}' is not a number", field="STANDARDLAND_MAX_VERTICES",
                         expected="a positive integer (coordinates per parcel)") from exc


def _check_geometry(gdf, rownum, src, fix: bool, report: PrepareReport, max_vertices: int | None = None):
    """(shape problems, lon/lat problems, stored geometries, areas m²); the work runs in numpy/GEOS."""
    problems: list[RowProblem] = []
    n = len(gdf)
    limit = vertex_limit() if max_vertices is None else max_vertices
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms)
    empty = np.zeros(n, bool)
    empty[~missing] = shapely.is_empty(geoms[~missing])
    bad = missing | empty
    for i in np.flatnonzero(bad):
        problems.append(RowProblem(int(rownum[i]), "geometry", "empty or missing geometry; expected a Polygon "
                                                             "or MultiPolygon"))
    vertices = shapely.get_num_coordinates(geoms)  # 0 for missing; checked before any costly GEOS call
    monster = ~bad & (vertices > limit)
    for i in np.flatnonzero(monster):
        problems.append(RowProblem(int(rownum[i]), "geometry", f"{int(vertices[i]):,} vertices exceed the limit "
                                   f"of {limit:,} per parcel; expected at most {limit:,} vertices "
                                   "(STANDARDLAND_MAX_VERTICES)"))
    bad |= monster
    ok = ~bad
    has_z = np.zeros(n, bool)
    has_z[ok] = shapely.has_z(geoms[ok])
    for i in np.flatnonzero(has_z):
        problems.append(RowProblem(int(rownum[i]), "geometry", "3D geometry (has Z values); expected 2D "
                                                             "polygons (drop Z explicitly before import)"))
    types = np.full(n, -1)
    types[ok] = shapely.get_type_id(geoms[ok])
    wrong_type = ok & ~np.isin(types, (3, 6))
    for i in np.flatnonzero(wrong_type):
        problems.append(RowProblem(int(rownum[i]), "geometry", f"{geoms[i].geom_type} is not allowed; "
                                                             "expected Polygon or MultiPolygon"))
    check = ok & ~has_z & ~wrong_type
    valid = np.ones(n, bool)
    valid[check] = shapely.is_valid(geoms[check])
    for i in np.flatnonzero(check & ~valid):
        reason = shapely.is_valid_reason(geoms[i])
        if fix:
            repaired = _polygonal(shapely.make_valid(geoms[i]))
            if repaired is None or repaired.is_empty:
                problems.append(RowProblem(int(rownum[i]), "geometry", f"invalid ({reason}) and could not "
                                                                     "be repaired to a polygon"))
            else:
                geoms[i] = repaired
                report.repaired.append(RowProblem(int(rownum[i]), "geometry", f"repaired: {reason}"))
        else:
            problems.append(RowProblem(int(rownum[i]), "geometry",
                                       f"invalid geometry: {reason}; expected a valid polygon "
                                       "(use --fix to repair and report)"))
    if problems:
        return problems, [], None, None
    stored = crsmod.to_storage(geoms, src)
    lonlat = [RowProblem(int(rownum[i]), "geometry", why) for i, why in crsmod.lonlat_problems(stored)]
    if lonlat:
        return [], lonlat, None, None
    return [], [], stored, crsmod.areas_m2(stored, source=(geoms, src))


def _polygonal(g):
    if g is None:
        return None
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    if g.geom_type == "GeometryCollection":
        polys = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        if not polys:
            return None
        u = shapely.union_all(polys)
        return u if u.geom_type in ("Polygon", "MultiPolygon") else None
    return None


def _jsonable(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def with_derived(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``area_mu``, ``area_ha`` and ``region_class`` from ``area_m2`` and ``land_grade``."""
    gdf = gdf.copy() if "area_mu" in gdf.columns else gdf
    gdf["area_mu"] = units.m2_to_mu(gdf["area_m2"].to_numpy(dtype="float64"))
    gdf["area_ha"] = units.m2_to_ha(gdf["area_m2"].to_numpy(dtype="float64"))
    lookup = np.full(17, np.nan)
    for grade, cls in codes.region_class_by_grade().items():
        lookup[grade] = cls
    grades = pd.to_numeric(gdf["land_grade"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    idx = np.where(np.isnan(grades), 16, np.clip(grades, 0, 16)).astype(int)
    gdf["region_class"] = pd.array(lookup[idx], dtype="Float64").astype("Int64")
    return gdf


# -- topology ----------------------------------------------------------------------------

@dataclass
class Overlap:
    a: str
    b: str
    area_m2: float


def find_overlaps(gdf: gpd.GeoDataFrame, *, min_area_m2: float = 0.01) -> list[Overlap]:
    """Pairs of parcels whose interiors overlap by more than ``min_area_m2`` (STRtree, no pairwise loop)."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if len(geoms) < 2:
        return []
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return []
    inter = shapely.intersection(geoms[left], geoms[right])
    area = crsmod.areas_m2(inter)
    sel = area > min_area_m2
    codes_ = gdf["code"].to_numpy()
    return [Overlap(codes_[i], codes_[j], float(a)) for i, j, a in zip(left[sel], right[sel], area[sel], strict=True)]


#: digitising slivers: an overlap below 1 m², or below 0.1 % of the smaller parcel, is tolerated (and reported)
SLIVER_M2 = 1.0
SLIVER_SHARE = 0.001
TOLERANCE_TEXT = f"{SLIVER_M2:g} m² or {SLIVER_SHARE:.1%} of the smaller parcel"


def is_sliver(area_m2, smaller_m2) -> np.ndarray:
    """True where an overlap of ``area_m2`` is a digitising sliver (see :data:`SLIVER_M2`, :data:`SLIVER_SHARE`)."""
    area_m2 = np.asarray(area_m2, dtype="float64")
    return (area_m2 < SLIVER_M2) | (area_m2 < SLIVER_SHARE * np.asarray(smaller_m2, dtype="float64"))


def overlaps_with(new: gpd.GeoDataFrame, stored: gpd.GeoDataFrame, *,
                  min_area_m2: float = 0.01) -> tuple[list[Overlap], np.ndarray, np.ndarray]:
    """New parcels overlapping stored ones (STRtree over the stored, no pairwise loop).

    A stored parcel with the code of a new one is the same parcel (an upsert replaces it), never
    an overlap. Returns the overlaps (a = new code, b = stored code), the row index (0-based) of
    each in ``new`` and the area of the smaller parcel of each pair (m²).
    """
    empty = ([], np.zeros(0, dtype=int), np.zeros(0))
    if not len(new) or not len(stored):
        return empty
    sgeoms = np.asarray(stored.geometry.values, dtype=object)
    ngeoms = np.asarray(new.geometry.values, dtype=object)
    tree = shapely.STRtree(sgeoms)
    left, right = tree.query(ngeoms, predicate="intersects")
    ncodes, scodes = new["code"].to_numpy(dtype=object), stored["code"].to_numpy(dtype=object)
    keep = ncodes[left] != scodes[right]
    left, right = left[keep], right[keep]
    if not len(left):
        return empty
    area = crsmod.areas_m2(shapely.intersection(ngeoms[left], sgeoms[right]))
    sel = area > min_area_m2
    left, right, area = left[sel], right[sel], area[sel]
    smaller = np.minimum(new["area_m2"].to_numpy(dtype="float64")[left],
                         stored["area_m2"].to_numpy(dtype="float64")[right])
    return ([Overlap(ncodes[i], scodes[j], float(a)) for i, j, a in zip(left, right, area, strict=True)], left, smaller)


def outside_boundary(gdf: gpd.GeoDataFrame, boundary, *, min_area_m2: float = 0.01) -> list[tuple[str, float]]:
    """Parcels (code, outside area m²) not covered by ``boundary`` (a polygon in EPSG:4490)."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if not len(geoms) or boundary is None:
        return []
    shapely.prepare(boundary)
    covered = shapely.covered_by(geoms, boundary)
    idx = np.flatnonzero(~covered)
    if not len(idx):
        return []
    diff = shapely.difference(geoms[idx], boundary)
    area = crsmod.areas_m2(diff)
    codes_ = gdf["code"].to_numpy()
    return [(codes_[i], float(a)) for i, a in zip(idx, area, strict=True) if a > min_area_m2]


__all__ = ["STATUSES", "AVAILABLE_STATUSES", "status_filter", "validate_code", "prepare_parcels", "prepare_attribute_updates",
           "AttributeUpdate", "vertex_limit", "find_overlaps", "overlaps_with", "is_sliver",
           "outside_boundary", "with_derived", "GeometryError"]
