"""Reading and writing parcel files (pyogrio, Arrow path).

Formats: GeoPackage, GeoJSON, zipped Shapefile, CSV with a WKT column, Excel (.xlsx, with
a WKT column, or attributes only for updates keyed by ``code``). Chinese text is UTF-8 in
every format. Exports: GeoPackage (SRS EPSG:4490), GeoJSON (RFC 7946, CRS84), CSV, xlsx.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from . import tables
from .errors import DataValidationError, InputError, RowProblem

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip"}
TABLE_SUFFIXES = {".csv", ".xlsx"}
WKT_COLUMNS = ("wkt", "WKT", "geometry", "geom")
#: Shapefile (dBase) field names are cut to 10 characters; map the cuts back to our names
SHAPEFILE_FIELDS = {"land_use_c": "land_use_code", "transfer_p": "transfer_price_wan_yuan"}


@dataclass
class ReadResult:
    frame: gpd.GeoDataFrame | pd.DataFrame
    has_geometry: bool
    crs_explicit: bool  # the file itself declared its CRS (not an RFC 7946 default)


def read_parcels_file(path: str | Path, *, layer: str | None = None) -> ReadResult:
    path = Path(path)
    if not path.exists():
        raise InputError(f"file '{path}' does not exist", field="file")
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        if suffix == ".zip":
            _check_zip(path)
        try:
            gdf = pyogrio.read_dataframe(path, layer=layer, use_arrow=True)
        except Exception as exc:  # pyogrio's DataSourceError etc.: report, don't crash
            raise InputError(f"cannot read '{path.name}': {exc}", field="file",
                             expected="a GeoPackage, GeoJSON or zipped Shapefile") from exc
        if suffix in (".zip", ".shp"):
            gdf = gdf.rename(columns={k: v for k, v in SHAPEFILE_FIELDS.items() if k in gdf.columns})
        explicit = gdf.crs is not None
        if suffix in (".geojson", ".json") and gdf.crs is not None and not _geojson_declares_crs(path):
            explicit = False
        return ReadResult(gdf, True, explicit)
    if suffix == ".csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    elif suffix == ".xlsx":
        df = pd.read_excel(path, dtype=object, engine="openpyxl")
        df = df.astype(object).where(df.notna(), None)
        if "code" in df.columns:
            df["code"] = [None if v is None else str(v) for v in df["code"]]
    else:
        raise InputError(f"unsupported file type '{suffix}'", field="file",
                         expected=".gpkg, .geojson, .zip (Shapefile), .csv or .xlsx")
    col = next((c for c in WKT_COLUMNS if c in df.columns), None)
    if col is None:
        return ReadResult(df, False, False)
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
    return ReadResult(gdf, True, False)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".shp")]
    except zipfile.BadZipFile as exc:
        raise InputError(f"'{path.name}' is not a valid zip file", field="file") from exc
    if not names:
        raise InputError(f"'{path.name}' holds no .shp file", field="file", expected="a zipped Shapefile")


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


def write_parcels_file(gdf: gpd.GeoDataFrame, path: str | Path, *, layer: str = "parcels") -> Path:
    """Write stored parcels (EPSG:4490) to a file chosen by suffix."""
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
        tables.write_table(df, path, field="file")
    else:
        raise InputError(f"unsupported export type '{suffix}'", field="file",
                         expected=".gpkg, .geojson, .csv or .xlsx")
    return path


def to_geojson_dict(gdf: gpd.GeoDataFrame) -> dict:
    """A FeatureCollection in CRS84 (lon/lat), ids = parcel codes."""
    return json.loads(gdf.to_json(na="null", show_bbox=False, drop_id=True))
