"""Parks (园区) as first-class data: code, name, boundary, jurisdiction, zone tier and industry lists.

A park record is validated here once, whatever the door it comes through (``standardland parks``,
``/api/v1/parks``, ``init --sample``), then written with :meth:`Store.upsert_park`:

- ``code``: 1–64 letters, digits, ``-`` or ``_`` (``yantai-hitech-intl``);
- ``name`` (required) and ``name_en``;
- ``boundary``: a Polygon or MultiPolygon in any accepted CRS (:mod:`standardland.crs`, the same
  policy and errors as parcels), stored in EPSG:4490;
- ``county_code``: the 6-digit county (区县) code of the park's jurisdiction;
- ``zone_tier``: the tier the province's zone-tier thresholds are keyed by (e.g. shandong-2005's
  ``national`` for a 国家级开发区), one of the tiers the loaded rule sets name;
- ``admitted_industries`` / ``negative_industries`` (准入 / 负面清单): industry codes or official
  names, resolved with :func:`standardland.industry.resolve` to GB/T 4754-2017 divisions.

Parcels take their park from their own ``park`` column or, failing that, from the park boundary
they fall in (:func:`assign_by_boundary`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import crs as crsmod
from .errors import ConflictError, GeometryError, InputError, NotFoundError

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
COUNTY_RE = re.compile(r"^\d{6}$")
#: where the industry lists live in a park's ``attrs`` (the keys matching reads in park rule sets)
ADMITTED, NEGATIVE = "admitted_industries_2017", "negative_industries_2017"
FIELDS = ("code", "name", "name_en", "county_code", "zone_tier", "admitted_industries", "negative_industries")


def zone_tiers_known(rulesets: list[dict]) -> list[str]:
    """The zone tiers named by any rule of the stored rule sets (what a park's tier may be)."""
    return sorted({r["zone_tier"] for d in rulesets for r in d.get("rules", []) if r.get("zone_tier")})


def _industries(values, field: str) -> list[str]:
    from .industry import resolve

    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in re.split(r"[,，;；\s]+", values) if v]
    if not isinstance(values, (list, tuple)):
        raise InputError(f"{field} must be a list of industry codes", field=field,
                         expected="GB/T 4754-2017 division/group/class codes or official names, e.g. [\"25\", \"26\"]")
    out: list[str] = []
    for v in values:
        v = str(v).strip()
        ind = resolve(v) if v.isdigit() or v.isalpha() and v.isascii() else resolve(name=v)
        if ind.error:
            raise InputError(f"industry '{v}': {ind.error}", field=field,
                             expected="GB/T 4754-2017 codes (e.g. 26 or 2614) or official names")
        out += [d for d in ind.div2017 if d not in out]
    return out


def boundary_geometry(geom, crs, *, field: str = "boundary"):
    """One (multi)polygon from ``geom`` (a shapely geometry, or an array of them to union) declared in
    ``crs``, validated and transformed to EPSG:4490."""
    geoms = np.atleast_1d(np.asarray(geom, dtype=object))
    if not len(geoms) or shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any():
        raise GeometryError("the park boundary is empty", field=field, expected="a Polygon or MultiPolygon")
    kinds = set(shapely.get_type_id(geoms).tolist())
    if not kinds <= {3, 6}:
        raise GeometryError("the park boundary is not a polygon", field=field,
                            expected="a Polygon or MultiPolygon")
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        reason = shapely.is_valid_reason(geoms[bad][0])
        raise GeometryError(f"the park boundary is not a valid polygon ({reason})", field=field,
                            expected="a simple polygon without self-intersections")
    src = crsmod.parse_crs(crs, field="crs")
    stored = crsmod.to_storage(geoms, src)
    probs = crsmod.lonlat_problems(stored)
    if probs:
        raise GeometryError(f"the park boundary: {probs[0][1]}", field=field,
                            expected="coordinates in China in the CRS named")
    out = shapely.union_all(stored) if len(stored) > 1 else stored[0]
    return shapely.make_valid(out) if not out.is_valid else out


def _source_crs(file_crs, named, explicit: bool) -> crsmod.SourceCRS:
    """The CRS a boundary is in, by the one rule of every reader (:func:`standardland.crs.source_crs`:
    never guessed, a named CRS never silently re-labels a declared one, GCJ-02 may be named over a
    WGS84/CGCS2000 claim). GeoJSON's RFC 7946 default (not ``explicit``) is no claim when one is named."""
    return crsmod.source_crs(named, file_crs if explicit or named is None else None)


def park_record(doc: dict, *, rulesets: list[dict], crs=None) -> dict:
    """A validated park ready for :meth:`Store.upsert_park` from a plain document.

    Parameters
    ----------
    doc : dict
        ``code``, ``name`` and optionally ``name_en``, ``county_code``, ``zone_tier``,
        ``admitted_industries``, ``negative_industries``, ``geometry`` (shapely) and ``attrs``.
    rulesets : list of dict
        The stored rule-set documents (the zone tiers they name are the accepted tiers).
    crs : optional
        The CRS of ``geometry`` (anything :func:`standardland.crs.parse_crs` accepts).

    Returns
    -------
    dict
        The park with its boundary in EPSG:4490 and its industry lists as 2017 divisions in ``attrs``.
    """
    code = doc.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise InputError(f"park code {code!r} is not valid", field="code",
                         expected="1–64 letters, digits, '-' or '_', e.g. yantai-hitech-intl")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or re.search(r"[\x00-\x1f\x7f]", name):
        raise InputError("the park needs a one-line name of at most 200 characters", field="name",
                         expected="e.g. 烟台高新区 国际招商产业园")
    name_en = doc.get("name_en") or None
    if name_en is not None and (not isinstance(name_en, str) or len(name_en) > 200
                                or re.search(r"[\x00-\x1f\x7f]", name_en)):
        raise InputError("name_en must be one line of at most 200 characters", field="name_en")
    county = doc.get("county_code") or None
    if county is not None:
        county = str(county).strip()
        if not COUNTY_RE.match(county):
            raise InputError(f"county code '{county}' is not 6 digits", field="county_code",
                             expected="the 6-digit 区县 code of the jurisdiction, e.g. 370613")
    tier = doc.get("zone_tier") or None
    if tier is not None:
        known = zone_tiers_known(rulesets)
        if tier not in known:
            raise InputError(f"zone tier '{tier}' is not named by any loaded rule set", field="zone_tier",
                             expected=", ".join(known) or "a tier of a loaded provincial rule set")
    attrs = dict(doc.get("attrs") or {})
    attrs[ADMITTED] = _industries(doc.get("admitted_industries"), "admitted_industries")
    attrs[NEGATIVE] = _industries(doc.get("negative_industries"), "negative_industries")
    both = sorted(set(attrs[ADMITTED]) & set(attrs[NEGATIVE]))
    if both:
        raise InputError(f"divisions {', '.join(both)} are both admitted and on the negative list",
                         field="negative_industries", expected="disjoint admitted and negative lists")
    geom = doc.get("geometry")
    if geom is not None:
        geom = boundary_geometry(geom, crs if crs is not None else 4490)
    return {"code": code, "name": name.strip(), "name_en": name_en, "county_code": county, "zone_tier": tier,
            "attrs": attrs, "geometry": geom}


def read_boundary(path, *, crs=None, layer: str | None = None):
    """The (unioned) boundary polygon of a vector file, in EPSG:4490."""
    from . import io as sio

    res = sio.read_parcels_file(path, layer=layer)
    if not res.has_geometry:
        raise InputError("the boundary file has no geometry", field="boundary",
                         expected="a GeoPackage, GeoJSON, zipped Shapefile or CSV with WKT")
    frame = res.frame
    src = _source_crs(frame.crs, crs, res.crs_explicit)
    return boundary_geometry(np.asarray(frame.geometry.values, dtype=object), src)


def read_parks_file(path, *, rulesets: list[dict], crs=None, layer: str | None = None) -> list[dict]:
    """Parks from a vector file, one feature each (columns ``code``, ``name`` … of :data:`FIELDS`;
    industry lists separated by commas), all validated before any is written."""
    from . import io as sio

    res = sio.read_parcels_file(path, layer=layer)
    if not res.has_geometry:
        raise InputError("the parks file has no geometry", field="file",
                         expected="a GeoPackage, GeoJSON or zipped Shapefile with one polygon per park")
    frame = res.frame
    if "code" not in frame.columns or "name" not in frame.columns:
        raise InputError("the parks file needs 'code' and 'name' columns", field="file",
                         expected="columns " + ", ".join(FIELDS))
    src = _source_crs(frame.crs, crs, res.crs_explicit)
    out, seen = [], set()
    for i, r in enumerate(frame.drop(columns=frame.geometry.name).to_dict("records")):
        doc = {k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
               for k, v in r.items() if k in FIELDS}
        doc["geometry"] = frame.geometry.values[i]
        try:
            rec = park_record(doc, rulesets=rulesets, crs=src)
        except (InputError, GeometryError, crsmod.CRSError) as exc:
            raise type(exc)(f"row {i + 1}: {exc.message}", field=exc.field, expected=exc.expected) from exc
        if rec["code"] in seen:
            raise InputError(f"row {i + 1}: park code '{rec['code']}' appears twice", field="code")
        seen.add(rec["code"])
        out.append(rec)
    return out


@dataclass(frozen=True)
class Admission:
    """A park's industry admission (准入 / 负面清单) in force on a date, as GB/T 4754-2017 divisions.

    ``negative`` is every division a source puts on its negative list; ``admitted`` is ``None`` when
    no source restricts admission, else the divisions every restricting source admits (possibly
    none). ``sources`` names where the lists came from: ``park`` (the park record) and rule-set ids.

    Examples
    --------
    >>> a = Admission("p", negative=frozenset({"26"}), admitted=frozenset({"39", "40"}), sources=("park",))
    >>> a.refusal(["26"]), a.refusal(["13"]), a.refusal(["39"])
    ('negative', 'not_admitted', None)
    """

    park: str
    negative: frozenset[str]
    admitted: frozenset[str] | None
    sources: tuple[str, ...]

    def refusal(self, divisions) -> str | None:
        """``negative`` if any of the project's divisions is on the negative list; ``not_admitted`` if an
        admitted list restricts and none of them is on it; else ``None`` (the negative list wins)."""
        divs = set(divisions or ())
        if divs & self.negative:
            return "negative"
        if self.admitted is not None and not divs & self.admitted:
            return "not_admitted"
        return None

    def note(self, divisions, lang: str = "zh") -> dict | None:
        """The check's note when the project's industry is refused (``kind`` ``industry_negative`` or
        ``industry_not_admitted``), or ``None``."""
        why = self.refusal(divisions)
        if why is None:
            return None
        divs = "、".join(sorted(divisions or ())) or "—"
        if why == "negative":
            msg = (f"行业门类 {divs} 在园区 {self.park} 的负面清单上（{'、'.join(sorted(self.negative))}）"
                   if lang == "zh" else f"industry division {divs} is on the negative list of park {self.park} "
                   f"({', '.join(sorted(self.negative))})")
        else:
            listed = sorted(self.admitted or ())
            msg = (f"行业门类 {divs} 不在园区 {self.park} 的准入行业内（{'、'.join(listed) or '无'}）"
                   if lang == "zh" else f"industry division {divs} is not admitted by park {self.park} "
                   f"(admitted: {', '.join(listed) or 'none'})")
        return {"kind": f"industry_{why}", "message": msg, "park": self.park,
                "negative": sorted(self.negative), "admitted": None if self.admitted is None else sorted(self.admitted),
                "sources": list(self.sources)}


def admission(parks, rulesets, on) -> dict[str, Admission]:
    """Each park's admission on date ``on``: the one source matching and the check read.

    The park record (``parks add --admit/--negative``, kept in ``attrs``) is the source; a park rule
    set in force on ``on`` (``scope.park``, ``payload.admission``) may add to it:

    - **negative lists: the union.** A division any source puts on a negative list is refused.
    - **admitted lists: the intersection** of the sources that have one (an empty list restricts
      nothing). A project must be admitted by the park *and* by every rule set that restricts, so
      two disjoint lists admit nothing.

    Parameters
    ----------
    parks : pandas.DataFrame or None
        The parks table (``code``, ``attrs``).
    rulesets : list of RuleSet
        Loaded rule sets (``scope``, ``payload``, ``id``, ``in_force``).
    on : datetime.date
        The project's decision date (which rule sets are in force).

    Returns
    -------
    dict
        Park code → :class:`Admission`, for parks with at least one list.

    Examples
    --------
    >>> from datetime import date
    >>> import pandas as pd
    >>> from standardland.rules.rulesets import load_rulesets, shipped_rulesets
    >>> parks = pd.DataFrame({"code": ["yantai-hitech-intl"],
    ...                       "attrs": [{NEGATIVE: ["27"], ADMITTED: ["27", "39", "40"]}]})
    >>> a = admission(parks, load_rulesets(shipped_rulesets()), date(2024, 1, 1))["yantai-hitech-intl"]
    >>> sorted(a.negative), sorted(a.admitted), a.sources
    (['25', '26', '27', '31', '32'], ['27', '39', '40'], ('park', 'yantai-hitech-intl-2021'))
    """
    neg: dict[str, set[str]] = {}
    adm: dict[str, set[str] | None] = {}
    src: dict[str, list[str]] = {}

    def add(park: str, source: str, negative, admitted) -> None:
        negative, admitted = set(negative or ()), set(admitted or ())
        if not negative and not admitted:
            return
        neg.setdefault(park, set()).update(negative)
        if admitted:
            before = adm.get(park)
            adm[park] = admitted if before is None else before & admitted
        else:
            adm.setdefault(park, None)
        src.setdefault(park, []).append(source)

    if parks is not None and len(parks) and "attrs" in parks.columns:  # a parks table without records: no lists
        for code, attrs in zip(parks["code"], parks["attrs"], strict=True):
            attrs = attrs if isinstance(attrs, dict) else {}
            add(code, "park", attrs.get(NEGATIVE), attrs.get(ADMITTED))
    for rs in rulesets or ():
        lists, park = rs.payload.get("admission"), rs.scope.get("park")
        if lists and park and rs.in_force(on):
            add(park, rs.id, lists.get(NEGATIVE), lists.get(ADMITTED))
    return {p: Admission(p, frozenset(neg[p]), None if adm[p] is None else frozenset(adm[p]), tuple(src[p]))
            for p in src}


def put_park(store, park: dict) -> dict:
    """Write a validated park and return its public record."""
    store.upsert_park(park)
    return park_records(store.parks(), store, codes=[park["code"]])[0]


def delete_park(store, code: str) -> int:
    """Delete a park; refused (:class:`ConflictError`) while parcels belong to it."""
    from .store import ParcelQuery

    if code not in set(store.parks()["code"]):
        raise NotFoundError(f"no park with code '{code}'", field="code")
    n = store.count_parcels(ParcelQuery(park=code))
    if n:
        raise ConflictError(f"park '{code}' still has {n:,} parcels", field="code",
                            expected="delete or reassign its parcels first")
    if not store.delete_park(code):
        raise ConflictError(f"park '{code}' gained parcels while being deleted", field="code",
                            expected="delete or reassign its parcels first")
    return 1


def park_records(parks: gpd.GeoDataFrame, store=None, *, codes=None, geometry: bool = False) -> list[dict]:
    """The JSON contract of ``parks list --json`` and ``GET /api/v1/parks`` (boundary as GeoJSON in
    CRS84 when ``geometry``; parcel counts when ``store`` is given)."""
    from .store import ParcelQuery

    if codes is not None:
        parks = parks[parks["code"].isin(codes)]
    out = []
    for r, g in zip(parks.drop(columns=parks.geometry.name).to_dict("records"), parks.geometry.values, strict=True):
        attrs = dict(r.get("attrs") or {})
        rec = {"code": r["code"], "name": r["name"], "name_en": r.get("name_en"),
               "county_code": r.get("county_code"), "zone_tier": _none(r.get("zone_tier")),
               "admitted_industries": attrs.pop(ADMITTED, []), "negative_industries": attrs.pop(NEGATIVE, []),
               "has_boundary": g is not None,
               "area_m2": float(crsmod.areas_m2(np.array([g], dtype=object))[0]) if g is not None else None,
               "attrs": attrs}
        if store is not None:
            rec["parcels"] = store.count_parcels(ParcelQuery(park=r["code"]))
        if geometry:
            rec["boundary"] = shapely.geometry.mapping(g) if g is not None else None
        out.append(rec)
    return out


def _none(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def assign_by_boundary(gdf: gpd.GeoDataFrame, parks: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    """Give parcels without a ``park`` the park whose boundary holds them (their point on surface).

    Returns the frame (a copy when anything changed) and ``{park code: parcels assigned}``. Parcels
    with a park of their own keep it; a parcel inside no boundary keeps none. One STRtree query.
    """
    if not len(gdf) or parks is None or not len(parks):
        return gdf, {}
    has = parks.geometry.notna().to_numpy()
    if not has.any():
        return gdf, {}
    own = gdf["park"].to_numpy(dtype=object) if "park" in gdf.columns else np.full(len(gdf), None, dtype=object)
    missing = np.flatnonzero(pd.isna(own))
    if not len(missing):
        return gdf, {}
    bounds = np.asarray(parks.geometry.values, dtype=object)[has]
    pcodes = parks["code"].to_numpy(dtype=object)[has]
    pts = shapely.point_on_surface(np.asarray(gdf.geometry.values, dtype=object)[missing])
    tree = shapely.STRtree(bounds)
    pi, bi = tree.query(pts, predicate="within")
    if not len(pi):
        return gdf, {}
    first = np.unique(pi, return_index=True)[1]  # a parcel in two parks takes the first by code
    pi, bi = pi[first], bi[first]
    own = own.copy()
    own[missing[pi]] = pcodes[bi]
    out = gdf.copy()
    out["park"] = pd.Series(own, index=gdf.index, dtype=object)
    codes, counts = np.unique(pcodes[bi].astype(str), return_counts=True)
    return out, {str(c): int(n) for c, n in zip(codes, counts, strict=True)}
