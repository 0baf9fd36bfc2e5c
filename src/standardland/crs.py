"""CRS policy: the one home for coordinate reference decisions.

- Geometry is stored in CGCS2000 geographic coordinates, EPSG:4490, x = longitude.
- Areas are computed in the parcel's own 3° Gauss-Krüger zone (CGCS2000, unprefixed
  eastings, EPSG:4534–4554), chosen from the parcel centroid; never in degrees.
- GeoJSON is served in CRS84 (lon/lat); CGCS2000 and WGS84 differ by centimetres.
- Accepted input CRSs: EPSG:4490, EPSG:4326, the CGCS2000 GK zones EPSG:4491–4554,
  EPSG:3857, and GCJ-02 (``"gcj02"``, the Chinese shifted datum; converted by
  :func:`gcj02_to_wgs84`). Input without a CRS is refused unless one is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

from .errors import CRSError

STORAGE_EPSG = 4490

# China's extent (with margin): lon 73.4–135.1, lat 3.8–53.6
CHINA_LON = (73.4, 135.1)
CHINA_LAT = (3.8, 53.6)

# CGCS2000 / 3-degree Gauss-Kruger: zones 25..45 (CM 75°E..135°E)
GK3_PREFIXED = range(4513, 4534)    # "zone 25" .. "zone 45": false easting zone*1e6 + 500 km
GK3_UNPREFIXED = range(4534, 4555)  # "CM 75E" .. "CM 135E": false easting 500 km
# 6-degree zones: prefixed EPSG:4491-4501 (zones 13..23), unprefixed 4502-4512 (see _check_plausible)
ACCEPTED_EPSG = {4490, 4326, 3857, *range(4491, 4555)}


@dataclass(frozen=True)
class SourceCRS:
    """A declared input CRS: an EPSG code, or GCJ-02.

    Attributes
    ----------
    epsg : int or None
        The EPSG code; ``None`` for GCJ-02.
    gcj02 : bool
        True for the GCJ-02 shifted datum (no EPSG code).

    Examples
    --------
    >>> str(SourceCRS(epsg=4549)), SourceCRS(epsg=4549).geographic
    ('EPSG:4549', False)
    >>> SourceCRS(gcj02=True).geographic
    True
    """

    epsg: int | None = None
    gcj02: bool = False

    def __str__(self) -> str:
        """``EPSG:<code>`` or ``GCJ-02``, as error messages name it."""
        return "GCJ-02" if self.gcj02 else f"EPSG:{self.epsg}"

    @property
    def geographic(self) -> bool:
        """True when coordinates are degrees (EPSG:4490, EPSG:4326 or GCJ-02)."""
        return self.gcj02 or self.epsg in (4490, 4326)


def parse_crs(value, *, field: str = "crs") -> SourceCRS:
    """Parse a user or file CRS: ``4490``, ``"EPSG:4549"``, a pyproj CRS, ``"gcj02"``.

    Parameters
    ----------
    value : int, str, pyproj.CRS or SourceCRS
        The CRS as given on the command line, in a request or read from a file.
    field : str, default "crs"
        The input field named in the error.

    Returns
    -------
    SourceCRS
        The accepted CRS.

    Raises
    ------
    CRSError
        When no CRS is given, it cannot be parsed, or it is not one of the accepted CRSs.

    Examples
    --------
    >>> parse_crs("EPSG:4549")
    SourceCRS(epsg=4549, gcj02=False)
    >>> parse_crs("GCJ-02")
    SourceCRS(epsg=None, gcj02=True)
    """
    if value is None or value == "":
        raise CRSError("no CRS given", field=field, expected="EPSG:4490, 4326, 4491–4554, 3857 or gcj02")
    if isinstance(value, SourceCRS):
        return value
    if isinstance(value, str) and value.strip().lower().replace("-", "").replace("_", "") in ("gcj02", "gcj"):
        return SourceCRS(gcj02=True)
    try:
        crs = value if isinstance(value, CRS) else CRS.from_user_input(
            int(value) if isinstance(value, str) and value.strip().isdigit() else value)
    except Exception as exc:  # pyproj raises CRSError of its own with a long text
        raise CRSError(f"cannot understand CRS {value!r}", field=field,
                       expected="EPSG:4490, 4326, 4491–4554, 3857 or gcj02") from exc
    epsg = crs.to_epsg(min_confidence=70)
    if epsg is None and crs.equals(CRS.from_user_input("OGC:CRS84")):
        epsg = 4326
    if epsg is None and crs.name and "CRS84" in crs.name:
        epsg = 4326
    if epsg not in ACCEPTED_EPSG:
        raise CRSError(f"CRS {crs.name!r} (EPSG:{epsg}) is not supported", field=field,
                       expected="EPSG:4490, 4326, 4491–4554 (CGCS2000 Gauss-Krüger), 3857 or gcj02")
    return SourceCRS(epsg=epsg)


def source_crs(named=None, declared=None) -> SourceCRS:
    """The CRS an input is read in, from the CRS the user named and the one the file declares.

    One rule for every reader: a CRS must come from somewhere (never guessed), and naming a CRS
    never silently re-labels a file that declares another. The one exception is GCJ-02: it has no
    EPSG code, so files in it always claim WGS84 (or CGCS2000); naming ``gcj02`` overrides that claim.

    Parameters
    ----------
    named : int, str, pyproj.CRS, SourceCRS or None
        The CRS named by the user (``--crs``, a form field, a request parameter).
    declared : int, str, pyproj.CRS, SourceCRS or None
        The CRS the file itself declares (a ``.prj``, GeoPackage metadata, a GeoJSON ``crs``).

    Returns
    -------
    SourceCRS
        The accepted CRS to read the input in.

    Raises
    ------
    CRSError
        When neither is given (field ``crs``), either is not an accepted CRS, or both are given and
        disagree (other than GCJ-02 over a WGS84/CGCS2000 claim).

    Examples
    --------
    >>> source_crs(declared="EPSG:4549")
    SourceCRS(epsg=4549, gcj02=False)
    >>> source_crs("4490", "EPSG:4490")
    SourceCRS(epsg=4490, gcj02=False)
    >>> source_crs("gcj02", "EPSG:4326")
    SourceCRS(epsg=None, gcj02=True)
    >>> source_crs("EPSG:4549", "EPSG:4326")
    Traceback (most recent call last):
    ...
    standardland.errors.CRSError: crs: the file declares EPSG:4326 but EPSG:4549 was named (expected no --crs for files that declare one, or the same CRS)
    >>> source_crs()
    Traceback (most recent call last):
    ...
    standardland.errors.CRSError: crs: the input has no CRS (expected --crs EPSG:4490 (or 4326, 4491–4554, 3857, gcj02))
    """
    if declared is None and named is None:
        raise CRSError("the input has no CRS", field="crs",
                       expected="--crs EPSG:4490 (or 4326, 4491–4554, 3857, gcj02)")
    if declared is None:
        return parse_crs(named)
    found = parse_crs(declared, field="file crs")
    if named is None:
        return found
    chosen = parse_crs(named)
    gcj_over_wgs = chosen.gcj02 and found.epsg in (4326, 4490)
    if chosen != found and not gcj_over_wgs:
        raise CRSError(f"the file declares {found} but {chosen} was named", field="crs",
                       expected="no --crs for files that declare one, or the same CRS")
    return chosen


# -- CRSs served (OGC API – Features, part 2) ---------------------------------------------

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4490_URI = "http://www.opengis.net/def/crs/EPSG/0/4490"
#: the CRSs features are served in: CRS84 (the default, lon/lat) and the storage CRS (lat/lon)
SERVED_CRS = (CRS84_URI, EPSG4490_URI)


@cache
def latitude_first(uri: str) -> bool:
    """Whether a CRS's authority axis order puts latitude (northing) first, as EPSG:4490 does.

    Stored coordinates are always x = longitude; a served CRS whose first axis points north
    gets its coordinates swapped on the way out (and a bbox in it swapped on the way in).

    Examples
    --------
    >>> latitude_first(EPSG4490_URI), latitude_first(CRS84_URI)
    (True, False)
    """
    return CRS.from_user_input(uri).axis_info[0].direction == "north"


def to_axis_order(geoms_4490, uri: str) -> np.ndarray:
    """Stored lon/lat geometries in the axis order of ``uri`` (one of :data:`SERVED_CRS`).

    Examples
    --------
    >>> to_axis_order([shapely.Point(121.4, 37.5)], EPSG4490_URI)[0].wkt
    'POINT (37.5 121.4)'
    >>> to_axis_order([shapely.Point(121.4, 37.5)], CRS84_URI)[0].wkt
    'POINT (121.4 37.5)'
    """
    geoms = np.asarray(geoms_4490, dtype=object)
    return shapely.transform(geoms, lambda xy: xy[:, ::-1]) if latitude_first(uri) else geoms


def bbox_lonlat(values, uri: str) -> tuple[float, float, float, float]:
    """A bounding box given in the axis order of ``uri`` as ``(min_lon, min_lat, max_lon, max_lat)``.

    Examples
    --------
    >>> bbox_lonlat([37.4, 121.4, 37.5, 121.5], EPSG4490_URI)
    (121.4, 37.4, 121.5, 37.5)
    >>> bbox_lonlat([121.4, 37.4, 121.5, 37.5], CRS84_URI)
    (121.4, 37.4, 121.5, 37.5)
    """
    a, b, c, d = (float(v) for v in values)
    return (b, a, d, c) if latitude_first(uri) else (a, b, c, d)


# -- Gauss-Krüger zones --------------------------------------------------------------

def gk3_zone(lon):
    """3° zone number for longitudes (scalar or array): the central meridian is 3·zone.

    Examples
    --------
    >>> gk3_zone([121.4, 121.6]).tolist()
    [40, 41]
    """
    return np.floor((np.asarray(lon, dtype="float64") + 1.5) / 3.0).astype(int)


def gk3_epsg(zone: int, *, prefixed: bool = False) -> int:
    """EPSG code of a CGCS2000 3° Gauss-Krüger zone (25–45).

    Parameters
    ----------
    zone : int
        The 3° zone number (central meridian 3·zone °E).
    prefixed : bool, default False
        True for the code whose eastings carry the zone number (zone·1,000,000 + 500,000).

    Returns
    -------
    int
        EPSG:4534–4554 (unprefixed) or EPSG:4513–4533 (prefixed).

    Raises
    ------
    CRSError
        For a zone outside China's 25–45.

    Examples
    --------
    >>> gk3_epsg(40), gk3_epsg(40, prefixed=True)
    (4549, 4528)
    """
    if not 25 <= zone <= 45:
        raise CRSError(f"3° zone {zone} is outside China's zones 25–45", field="geometry")
    return (GK3_PREFIXED.start if prefixed else GK3_UNPREFIXED.start) + zone - 25


@cache
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _apply(geoms: np.ndarray, fn) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.column_stack(fn(xy[:, 0], xy[:, 1])))


def transform(geoms, src: int, dst: int) -> np.ndarray:
    """Transform geometries between two EPSG codes (x = longitude/easting), vectorized.

    Parameters
    ----------
    geoms : array-like of shapely geometries
        The geometries in ``src``.
    src, dst : int
        EPSG codes; transformers are cached per pair.

    Returns
    -------
    numpy.ndarray
        Object array of the geometries in ``dst``.

    Examples
    --------
    >>> import shapely
    >>> [p] = transform([shapely.Point(120.0, 37.5)], 4490, 4549)
    >>> round(p.x, 3)
    500000.0
    """
    tr = _transformer(src, dst)
    return _apply(np.asarray(geoms, dtype=object), tr.transform)


def areas_m2(geoms_4490, *, source: tuple | None = None) -> np.ndarray:
    """Area in m² of CGCS2000 lon/lat geometries, each in its own 3° GK zone.

    ``source=(geoms, SourceCRS)`` passes the same geometries as they arrived: where they came
    in the parcel's own 3° zone (prefixed or not) their planar area is used as is, which is the
    same number without a second projection.

    Parameters
    ----------
    geoms_4490 : array-like of shapely geometries
        Stored geometries, EPSG:4490 lon/lat; missing ones get NaN.
    source : tuple of (array-like, SourceCRS), optional
        The same geometries as they arrived, with their declared CRS.

    Returns
    -------
    numpy.ndarray
        Areas in m², float64.

    Examples
    --------
    >>> import shapely
    >>> square = transform([shapely.box(500_000, 4_150_000, 500_100, 4_150_100)], 4549, 4490)
    >>> areas_m2(square).round(1).tolist()
    [10000.0]
    """
    geoms = np.asarray(geoms_4490, dtype=object)
    out = np.full(len(geoms), np.nan)
    if len(geoms) == 0:
        return out
    present = ~shapely.is_missing(geoms)
    # the zone of the centroid; it lies within the x-extent, so where both edges of the bounds
    # fall in one zone that is it, and only parcels across a zone edge need their centroid
    b = shapely.bounds(geoms[present])
    zones = gk3_zone(b[:, 0])
    across = np.flatnonzero((zones != gk3_zone(b[:, 2])) | np.isnan(b[:, 0]))
    if len(across):
        zones[across] = gk3_zone(shapely.get_x(shapely.centroid(geoms[present][across])))
    idx = np.flatnonzero(present)
    src_zone = None
    src_geoms: np.ndarray = geoms
    if source is not None and source[1].epsg is not None:
        e = source[1].epsg
        src_zone = 25 + e - 4534 if e in GK3_UNPREFIXED else 25 + e - 4513 if e in GK3_PREFIXED else None
        src_geoms = np.asarray(source[0], dtype=object)
    for z in np.unique(zones):
        sel = idx[zones == z]
        if src_zone == int(z):
            out[sel] = shapely.area(src_geoms[sel])
            continue
        projected = transform(geoms[sel], STORAGE_EPSG, gk3_epsg(int(z)))
        out[sel] = shapely.area(projected)
    return out


# -- GCJ-02 ----------------------------------------------------------------------------
_A = 6378245.0
_EE = 0.00669342162296594323


def _gcj_delta(lon, lat):
    x, y = lon - 105.0, lat - 35.0
    pi = np.pi
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * pi) + 320 * np.sin(y * pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """Apply the GCJ-02 obfuscation to WGS84 lon/lat (scalars or arrays).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(121.4, 37.5)
    >>> bool(0.004 < lon - 121.4 < 0.007), bool(0.0 < lat - 37.5 < 0.002)
    (True, True)
    """
    lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, *, method: str = "exact", tol_deg: float = 1e-10, max_iter: int = 30):
    """Invert the GCJ-02 obfuscation.

    ``method="exact"`` (default) iterates to the true inverse of :func:`wgs84_to_gcj02`
    (forward-projecting the result reproduces the input to < 1 mm). ``method="onestep"`` is the
    common one-step approximation ``w = g − (f(g) − g)`` used by cnmaps and most public code; it
    is up to ~2.5 m off the exact inverse around Yantai.

    Parameters
    ----------
    lon, lat : float or array-like
        GCJ-02 coordinates in degrees.
    method : {"exact", "onestep"}, default "exact"
        The inversion.
    tol_deg : float, default 1e-10
        Convergence tolerance of the exact inversion, in degrees.
    max_iter : int, default 30
        Iteration limit of the exact inversion.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude.

    Raises
    ------
    CRSError
        For an unknown ``method``.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(121.4, 37.5))
    >>> round(float(lon), 9), round(float(lat), 9)
    (121.4, 37.5)
    """
    glon, glat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    if method == "onestep":
        flon, flat = wgs84_to_gcj02(glon, glat)
        return 2 * glon - flon, 2 * glat - flat
    if method != "exact":
        raise CRSError(f"unknown GCJ-02 inversion method '{method}'", field="method", expected="exact or onestep")
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < tol_deg) and np.all(np.abs(elat) < tol_deg):
            break
    return wlon, wlat


# -- to storage ----------------------------------------------------------------------------

def to_storage(geoms, src: SourceCRS) -> np.ndarray:
    """Transform geometries from a declared source CRS to EPSG:4490 lon/lat.

    Checks first that the coordinates are plausible for the declared CRS (degrees for a
    geographic CRS; prefixed or unprefixed eastings for the matching GK EPSG code) and
    raises :class:`CRSError` on a mismatch rather than guessing.

    Parameters
    ----------
    geoms : array-like of shapely geometries
        The geometries as read, in ``src``.
    src : SourceCRS
        The declared CRS (see :func:`parse_crs`).

    Returns
    -------
    numpy.ndarray
        Object array of geometries in EPSG:4490 lon/lat.

    Raises
    ------
    CRSError
        When the coordinates do not fit the declared CRS (degrees vs metres, zone prefix).

    Examples
    --------
    >>> import shapely
    >>> [p] = to_storage([shapely.Point(500_000, 4_150_000)], parse_crs(4549))
    >>> round(p.x, 6)
    120.0
    >>> to_storage([shapely.Point(121.4, 37.5)], parse_crs(4549))
    Traceback (most recent call last):
    ...
    standardland.errors.CRSError: crs: coordinates look like degrees, but EPSG:4549 is projected (metres) (expected EPSG:4490 or 4326 for lon/lat)
    """
    geoms = np.asarray(geoms, dtype=object)
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if len(present):
        b = shapely.bounds(present)
        xmin, ymin, xmax, ymax = np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3])
        _check_plausible(src, xmin, ymin, xmax, ymax)
    if src.gcj02:
        return _apply(geoms, gcj02_to_wgs84)
    if src.epsg in (4490, 4326):
        return geoms  # CGCS2000 and WGS84 agree to a few centimetres; no datum shift applied
    assert src.epsg is not None  # a SourceCRS that is not GCJ-02 names its EPSG code (parse_crs)
    return transform(geoms, src.epsg, STORAGE_EPSG)


def _check_plausible(src: SourceCRS, xmin, ymin, xmax, ymax) -> None:
    if src.geographic:
        # |y| up to 180 may be swapped lon/lat: reported per row by lonlat_problems()
        if max(abs(xmin), abs(xmax)) > 180 or max(abs(ymin), abs(ymax)) > 180:
            raise CRSError(f"coordinates ({xmin:.0f}…{xmax:.0f}, {ymin:.0f}…{ymax:.0f}) are not degrees, "
                           f"but {src} is geographic", field="crs",
                           expected="the projected CRS the file is really in, e.g. EPSG:4549")
        return
    if max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90:
        raise CRSError(f"coordinates look like degrees, but {src} is projected (metres)", field="crs",
                       expected="EPSG:4490 or 4326 for lon/lat")
    epsg = src.epsg if src.epsg is not None else -1  # -1: in no zone range, like None
    if epsg in GK3_UNPREFIXED or epsg in range(4502, 4513):
        if xmin > 1_000_000:
            zone = int(xmin // 1_000_000)
            raise CRSError(f"eastings like {xmin:,.0f} carry a zone prefix ({zone}), but {src} expects "
                           f"unprefixed eastings (~500,000)", field="crs",
                           expected=f"the prefixed code for zone {zone}, e.g. EPSG:{_prefixed_for(zone)}")
    elif epsg in GK3_PREFIXED or epsg in range(4491, 4502):
        if xmax < 1_000_000:
            raise CRSError(f"eastings like {xmin:,.0f} carry no zone prefix, but {src} expects "
                           f"prefixed eastings (zone·1,000,000 + 500,000)", field="crs",
                           expected="the unprefixed CM code, e.g. EPSG:4549 for CM 120°E")
        zone_expected = 25 + epsg - 4513 if epsg in GK3_PREFIXED else 13 + epsg - 4491
        zone_seen = int(xmin // 1_000_000)
        if zone_seen != zone_expected:
            raise CRSError(f"eastings carry zone prefix {zone_seen}, but {src} is zone {zone_expected}",
                           field="crs", expected=f"EPSG:{_prefixed_for(zone_seen)}")


def _prefixed_for(zone: int) -> str:
    if 25 <= zone <= 45:
        return str(gk3_epsg(zone, prefixed=True))
    if 13 <= zone <= 23:
        return str(4491 + zone - 13)
    return "?"


def lonlat_problems(geoms_4490) -> list[tuple[int, str]]:
    """Per-geometry problems of stored lon/lat: swapped axes, or outside China.

    Parameters
    ----------
    geoms_4490 : array-like of shapely geometries
        Geometries in EPSG:4490 (x = longitude).

    Returns
    -------
    list of tuple of (int, str)
        ``(position, message)`` for each geometry that is not inside China's extent.

    Examples
    --------
    >>> import shapely
    >>> lonlat_problems([shapely.Point(121.4, 37.5), shapely.Point(37.5, 121.4)])[0][0]
    1
    """
    geoms = np.asarray(geoms_4490, dtype=object)
    out: list[tuple[int, str]] = []
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not ok.any():
        return out
    b = np.full((len(geoms), 4), np.nan)
    b[ok] = shapely.bounds(geoms[ok])
    inside_lon = (b[:, 0] >= CHINA_LON[0]) & (b[:, 2] <= CHINA_LON[1])
    inside_lat = (b[:, 1] >= CHINA_LAT[0]) & (b[:, 3] <= CHINA_LAT[1])
    swapped = (b[:, 0] >= CHINA_LAT[0]) & (b[:, 2] <= CHINA_LAT[1]) & \
              (b[:, 1] >= CHINA_LON[0]) & (b[:, 3] <= CHINA_LON[1])
    for i in np.flatnonzero(ok & ~(inside_lon & inside_lat)):
        if swapped[i]:
            out.append((int(i), f"longitude and latitude look swapped (x≈{b[i, 0]:.4f}, y≈{b[i, 1]:.4f}); "
                                "expected x = longitude 73–135°E, y = latitude 4–54°N"))
        else:
            out.append((int(i), f"coordinates (x≈{b[i, 0]:.4f}, y≈{b[i, 1]:.4f}) lie outside China; "
                                "expected longitude 73–135°E, latitude 4–54°N"))
    return out
