"""Parcels (宗地): the registry's records, their validation and topology checks.

A parcel is a plot of state-owned industrial land with a code (19-character 宗地代码 or
28-character 不动产单元号), a 2023 用地用海 land-use code, a land grade (土地等别 1–15, from
which the 2008 region class follows), a status, a transfer price and a (Multi)Polygon.

:func:`prepare_parcels` turns any GeoDataFrame into validated storage rows (EPSG:4490, areas
in the parcel's 3° Gauss-Krüger zone) or raises :class:`DataValidationError` listing every
bad row by number and field. Nothing is guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import codes, crs as crsmod, units
from .errors import DataValidationError, GeometryError, RowProblem

STATUSES = ("planned", "serviced", "published", "listed", "transferred",
            "under_construction", "in_production", "recovered")
#: statuses in which a parcel may still be offered to a project
AVAILABLE_STATUSES = ("serviced", "published", "listed")

STATUS_LABELS = {
    "planned": ("规划", "planned"), "serviced": ("净地", "serviced"), "published": ("已公告", "published"),
    "listed": ("挂牌中", "listed"), "transferred": ("已成交", "transferred"),
    "under_construction": ("在建", "under construction"), "in_production": ("已投产", "in production"),
    "recovered": ("已收回", "recovered"),
}

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


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) \
        or v is pd.NA or v is pd.NaT


def prepare_parcels(gdf: gpd.GeoDataFrame, *, crs=None, fix: bool = False,
                    first_row: int = 1) -> tuple[gpd.GeoDataFrame, PrepareReport]:
    """Validate a parcel GeoDataFrame and return storage-ready rows in EPSG:4490.

    ``crs`` names the input CRS; it is required when the frame has none. When the frame has a
    CRS and another one is named, that is an error (never a silent re-label).
    Raises :class:`DataValidationError` with every problem; nothing is half-accepted.
    """
    report = PrepareReport(rows=len(gdf))
    if gdf.crs is None and crs is None:
        raise crsmod.CRSError("the input has no CRS", field="crs",
                              expected="--crs EPSG:4490 (or 4326, 4491–4554, 3857, gcj02)")
    if crs is not None and gdf.crs is not None:
        named, found = crsmod.parse_crs(crs), crsmod.parse_crs(gdf.crs, field="file crs")
        # GCJ-02 has no EPSG code: files in it always claim WGS84, so naming gcj02 may override that
        gcj_over_wgs = named.gcj02 and found.epsg in (4326, 4490)
        if named != found and not gcj_over_wgs:
            raise crsmod.CRSError(f"the file declares {found} but {named} was named", field="crs",
                                  expected="no --crs for files that declare one, or the same CRS")
    src = crsmod.parse_crs(crs if crs is not None else gdf.crs)
    report.source_crs = str(src)

    problems: list[RowProblem] = []
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    n = len(df)
    rownum = np.arange(first_row, first_row + n)
    if "code" not in df.columns:
        raise DataValidationError(problems=[RowProblem(0, "code", "column missing; every parcel needs a code")])

    # -- attributes ------------------------------------------------------------------
    out = pd.DataFrame(index=range(n))
    codes_ = [None if _blank(c) else str(c).strip() for c in df["code"]]
    for i, c in enumerate(codes_):
        why = validate_code(c)
        if why:
            problems.append(RowProblem(int(rownum[i]), "code", why))
    seen: dict[str, int] = {}
    for i, c in enumerate(codes_):
        if c is None:
            continue
        if c in seen:
            problems.append(RowProblem(int(rownum[i]), "code", f"duplicate of row {seen[c]}"))
        else:
            seen[c] = int(rownum[i])
    out["code"] = codes_
    out["name"] = [None if _blank(v) else str(v) for v in df.get("name", [None] * n)]
    out["park"] = [None if _blank(v) else str(v) for v in df.get("park", [None] * n)]

    lu_known = codes.land_use_codes()
    lus = []
    for i, v in enumerate(df.get("land_use_code", [None] * n)):
        if _blank(v):
            lus.append(None)
            continue
        s = str(int(v)) if isinstance(v, (int, float, np.integer, np.floating)) else str(v).strip()
        if s not in lu_known:
            problems.append(RowProblem(int(rownum[i]), "land_use_code",
                                       f"'{s}' is not a 2023 用地用海 code; expected e.g. 1001, 100101–100103"))
        lus.append(s)
    out["land_use_code"] = lus

    grades = []
    for i, v in enumerate(df.get("land_grade", [None] * n)):
        if _blank(v):
            grades.append(None)
            continue
        try:
            g = float(v)
            ok = g.is_integer() and 1 <= g <= 15
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(RowProblem(int(rownum[i]), "land_grade",
                                       f"{v!r} is not a land grade; expected an integer 1–15 (土地等别)"))
            grades.append(None)
        else:
            grades.append(int(g))
    out["land_grade"] = pd.array(grades, dtype="Int64")

    statuses = []
    for i, v in enumerate(df.get("status", [None] * n)):
        s = "planned" if _blank(v) else str(v).strip()
        if s not in STATUSES:
            problems.append(RowProblem(int(rownum[i]), "status", f"'{s}' is unknown; expected one of "
                                       + ", ".join(STATUSES)))
        statuses.append(s)
    out["status"] = statuses

    prices = []
    for i, v in enumerate(df.get("transfer_price_wan_yuan", [None] * n)):
        if _blank(v):
            prices.append(np.nan)
            continue
        try:
            p = float(v)
        except (TypeError, ValueError):
            p = float("nan")
        if not np.isfinite(p) or p < 0:
            problems.append(RowProblem(int(rownum[i]), "transfer_price_wan_yuan",
                                       f"{v!r}: expected a number ≥ 0 in 万元"))
        prices.append(p)
    out["transfer_price_wan_yuan"] = np.asarray(prices, dtype="float64")

    # everything else: extra attributes, with <indicator>_min/_max checked to be numbers
    extra_cols = [c for c in df.columns if c not in CORE_FIELDS and c not in DERIVED_FIELDS]
    attrs = [dict() for _ in range(n)]
    for c in extra_cols:
        col = df[c]
        numeric = c.endswith("_min") or c.endswith("_max")
        for i, v in enumerate(col):
            if _blank(v):
                continue
            if numeric:
                try:
                    fv = float(v)
                    if not np.isfinite(fv):
                        raise ValueError
                except (TypeError, ValueError):
                    problems.append(RowProblem(int(rownum[i]), c, f"{v!r}: a threshold must be a number "
                                               "in the indicator's canonical unit"))
                    continue
                attrs[i][c] = fv
            else:
                attrs[i][c] = _jsonable(v)
    out["attrs"] = attrs

    # -- geometry ----------------------------------------------------------------------
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms)
    empty = np.zeros(n, bool)
    empty[~missing] = shapely.is_empty(geoms[~missing])
    bad = missing | empty
    for i in np.flatnonzero(bad):
        problems.append(RowProblem(int(rownum[i]), "geometry", "empty or missing geometry; expected a Polygon "
                                                             "or MultiPolygon"))
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
        raise DataValidationError(problems=sorted(problems, key=lambda p: p.row))

    stored = crsmod.to_storage(geoms, src)
    for i, why in crsmod.lonlat_problems(stored):
        problems.append(RowProblem(int(rownum[i]), "geometry", why))
    if problems:
        raise DataValidationError(problems=problems)

    area = crsmod.areas_m2(stored)
    out["area_m2"] = area
    res = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(stored, crs=crsmod.STORAGE_EPSG), crs=crsmod.STORAGE_EPSG)
    return with_derived(res), report


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
    rc = codes.region_class_by_grade()
    gdf["region_class"] = pd.array([rc.get(int(g)) if pd.notna(g) else None for g in gdf["land_grade"]],
                                   dtype="Int64")
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
    return [Overlap(codes_[i], codes_[j], float(a)) for i, j, a in zip(left[sel], right[sel], area[sel])]


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
    return [(codes_[i], float(a)) for i, a in zip(idx, area) if a > min_area_m2]


__all__ = ["STATUSES", "AVAILABLE_STATUSES", "validate_code", "prepare_parcels", "find_overlaps",
           "outside_boundary", "with_derived", "GeometryError"]
