"""Use cases that combine the store with the domain modules; the CLI and the HTTP API are
thin shells around these functions (parse → call one function → render)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .rules import checks, matching
from . import io as sio, tables
from .crs import parse_crs
from .errors import InputError, NotFoundError, RuleSetError
from .rules import thresholds
from .rules.catalogue import catalogue
from .rules.engine import contexts
from .rules.parcelfit import parcel_fit_notes
from .rules.thresholds import Context, applicable_rulesets, effective_thresholds
from .parcels import find_overlaps, outside_boundary, prepare_parcels, STATUSES
from .rules.project import parse_decision_date, parse_project
from .rules.rulesets import load_rulesets, merge_rules, parse_ruleset, read_rule_table
from .store import ParcelQuery, Store


# -- parcels ------------------------------------------------------------------------------

def read_and_prepare(path, *, layer=None, crs=None, fix=False, read: "sio.ReadResult | None" = None):
    """Read (unless ``read`` is the file already read) and validate a parcel file."""
    res = read if read is not None else sio.read_parcels_file(path, layer=layer)
    if not res.has_geometry:
        raise InputError("the file has no geometry column (wkt); use it as an attribute update",
                         field="file", expected="a WKT column (without one, the file updates attributes)")
    frame = res.frame
    if crs is not None and not res.crs_explicit:
        # no CRS in the file, or only GeoJSON's RFC 7946 default: the CRS the user named applies
        frame = frame.set_crs(None, allow_override=True)
    return prepare_parcels(frame, crs=crs, fix=fix)


def import_file(store: Store, path, *, layer=None, crs=None, fix=False, mode="insert", progress=None,
                read: "sio.ReadResult | None" = None) -> dict:
    res = read if read is not None else sio.read_parcels_file(path, layer=layer)
    if not res.has_geometry:
        upd = store.update_parcel_attributes(res.frame)
        return {"file": Path(path).name, "mode": "attributes", **upd.to_dict(), "repaired": []}
    gdf, rep = read_and_prepare(path, crs=crs, fix=fix, read=res)
    out = store.import_parcels(gdf, mode=mode, progress=progress)
    return {"file": Path(path).name, "mode": mode, "source_crs": rep.source_crs, **out.to_dict(),
            "repaired": [str(p) for p in rep.repaired]}


def validate_file(path, *, layer=None, crs=None, fix=False, store: Store | None = None) -> dict:
    gdf, rep = read_and_prepare(path, layer=layer, crs=crs, fix=fix)
    overlaps = find_overlaps(gdf)
    outside = []
    if store is not None:
        pk = parks(store)
        for code, boundary in zip(pk["code"], pk.geometry):
            if boundary is None:
                continue
            outside += outside_boundary(gdf[gdf["park"] == code], boundary)
    return {"file": Path(path).name, "rows": len(gdf), "source_crs": rep.source_crs,
            "area_m2": float(gdf["area_m2"].sum()), "area_mu": float(gdf["area_mu"].sum()),
            "repaired": [str(p) for p in rep.repaired],
            "overlaps": [{"a": o.a, "b": o.b, "area_m2": o.area_m2} for o in overlaps],
            "outside_park": [{"code": c, "outside_m2": a} for c, a in outside]}


def _or_none(v):
    """A missing value (None, NaN, pd.NA) as None: JSON has ``null``, never NaN."""
    return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v


def parcel_records(gdf: gpd.GeoDataFrame) -> list[dict]:
    """The JSON contract of ``parcels list --json`` and ``GET /api/v1/parcels`` (missing values are null)."""
    out = []
    for r in gdf.drop(columns=gdf.geometry.name).to_dict("records"):
        out.append({
            "code": r["code"], "name": _or_none(r.get("name")), "park": _or_none(r.get("park")),
            "status": r["status"], "land_use_code": _or_none(r.get("land_use_code")),
            "land_grade": None if pd.isna(r.get("land_grade")) else int(r["land_grade"]),
            "region_class": None if pd.isna(r.get("region_class")) else int(r["region_class"]),
            "transfer_price_wan_yuan": None if pd.isna(r.get("transfer_price_wan_yuan"))
            else float(r["transfer_price_wan_yuan"]),
            "area_m2": float(r["area_m2"]), "area_mu": float(r["area_mu"]), "area_ha": float(r["area_ha"]),
            "attrs": r.get("attrs") or {},
        })
    return out


def park_summary(store: Store) -> dict:
    gdf = store.parcels()
    by_status = {s: {"parcels": int((gdf["status"] == s).sum()),
                     "area_mu": float(gdf.loc[gdf["status"] == s, "area_mu"].sum())} for s in STATUSES}
    return {"parcels": len(gdf), "area_mu": float(gdf["area_mu"].sum()), "area_m2": float(gdf["area_m2"].sum()),
            "by_status": {k: v for k, v in by_status.items() if v["parcels"]},
            "parks": store.parks()["code"].tolist()}


# -- cached reference data ----------------------------------------------------------------
_CACHE: dict[tuple[str, str], tuple[int, object]] = {}


def _cached(store: Store, key: str, load, versions: dict | None = None):
    """``load()`` once per change of the store's counter ``key`` (safe across processes).

    ``versions`` is a snapshot from :meth:`Store.versions` when the caller already took one."""
    version = versions[key] if versions is not None else store.version(key)
    hit = _CACHE.get((store.url, key))
    if hit is not None and hit[0] == version:
        return hit[1]
    value = load()
    _CACHE[(store.url, key)] = (version, value)
    return value


def parks(store: Store, versions: dict | None = None):
    return _cached(store, "parks_version", store.parks, versions)


# -- rules -------------------------------------------------------------------------------

def rulesets(store: Store, only: list[str] | None = None, versions: dict | None = None):
    if not only:
        return _cached(store, "rulesets_version", lambda: load_rulesets(store.rulesets()), versions)
    docs = store.rulesets()
    if only:
        known = {d["id"] for d in docs}
        missing = [i for i in only if i not in known]
        if missing:
            raise NotFoundError(f"rule set(s) {', '.join(missing)} not in the store", field="ruleset",
                                expected=", ".join(sorted(known)))
        docs = [d for d in docs if d["id"] in only]
    return load_rulesets(docs)


def load_rule_file(store: Store, path, *, into: str | None = None) -> dict:
    path = Path(path)
    if path.suffix.lower() == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
    else:
        if not into:
            raise RuleSetError("a rule table needs --into RULESET_ID (the rule set it extends)", field="into")
        current = {d["id"]: d for d in store.rulesets()}
        if into not in current:
            raise NotFoundError(f"rule set '{into}' not in the store", field="into", expected=", ".join(current))
        doc = merge_rules(current[into], read_rule_table(path))
    rs = parse_ruleset(doc)  # validate fully before writing
    store.put_ruleset(doc)
    return {"id": rs.id, "layer": rs.layer, "rules": len(rs.rules), "effective_from": str(rs.effective_from),
            "effective_to": str(rs.effective_to) if rs.effective_to else None}


def parcel_thresholds(store: Store, code: str, *, on: date, industry: dict | None = None) -> dict:
    """Effective thresholds with provenance for a parcel on a date (optionally for an industry)."""
    from .rules.project import resolve_industry

    parcel = store.parcel(code)
    row = parcel.iloc[0]
    ind = resolve_industry(industry or {}) if industry else None
    ctx = Context.for_parcel(row, on, parks=parks(store), industry=ind)
    ths = thresholds.with_layers(effective_thresholds(ctx, rulesets(store)), {"parcel": row["attrs"]})
    cat = catalogue()
    items = []
    for ind_def in cat.indicators:
        th = ths[ind_def.id]
        items.append({
            "id": ind_def.id, "name_zh": ind_def.name_zh, "name_en": ind_def.name_en, "unit": ind_def.unit,
            "direction": ind_def.direction, "min": th.min, "max": th.max,
            "min_by": th.min_layer.ruleset if th.min_layer else None,
            "max_by": th.max_layer.ruleset if th.max_layer else None,
            "advisory_min": th.advisory_min, "advisory_max": th.advisory_max, "unresolved": th.unresolved,
            "out_of_scope": th.out_of_scope, "conflict": th.conflict, "layers": [lv.to_dict() for lv in th.layers],
        })
    return {"parcel_code": code, "date": on.isoformat(), "industry": ind.to_dict() if ind else None,
            "indicators": items}


def published_thresholds(store: Store, parcels: gpd.GeoDataFrame, *, on: date | None = None) -> pd.DataFrame:
    """Per parcel, the effective thresholds a browser sees: every layer in force ``on`` (today)
    whose value does not depend on the project's industry, tightened by the parcel's own.

    Columns ``<id>_min``, ``<id>_max`` and ``<id>_by`` (the winning rule set), indexed like ``parcels``.
    Contexts are resolved once each; the parcel layer is combined row-wise
    (:func:`standardland.rules.thresholds.tighten_rows`).
    """
    on = on or date.today()
    cat = catalogue()
    pk = parks(store)
    rs = rulesets(store)
    n = len(parcels)
    cols = thresholds.parcel_columns(parcels, pk, cat)
    # the contexts a browser sees: the parcel's own, on that date, with no industry
    kidx, ctxs = contexts({**{c: cols[c] for c in ("region_class", "zone_tier", "admin_code", "park")},
                           "decision_date": np.full(n, np.datetime64(on, "D")),
                           "industry_error": np.full(n, "no industry", dtype=object)}, n)
    ths = [effective_thresholds(ctx, rs, cat) for ctx in ctxs]
    out: dict[str, object] = {}
    for ind in cat.indicators:
        i = ind.id
        for side in thresholds.SIDES:
            pick = [(getattr(t[i], side), getattr(t[i], f"{side}_layer")) for t in ths]
            value = np.array([np.nan if v is None else v for v, _ in pick], dtype="float64")[kidx]
            by = np.array([lv.ruleset if lv else None for _, lv in pick], dtype=object)[kidx]
            own = cols.get(thresholds.limit_column(i, side))
            if own is not None:
                value, by = thresholds.tighten_rows(value, by, own, "parcel", side)
            out[f"{i}_{side}"], out[f"{i}_{side}_by"] = value, by
        lo_by, hi_by = out.pop(f"{i}_min_by"), out.pop(f"{i}_max_by")
        out[f"{i}_by"] = np.where(np.isnan(out[f"{i}_min"]), hi_by, lo_by)
    frame = pd.DataFrame(out, index=parcels.index)
    return frame.astype(object).where(frame.notna(), None)


# -- check / match / screen ------------------------------------------------------------------

def parcel_for_check(store: Store, code: str, versions: dict | None = None):
    """(one-row parcel frame, engine columns, the row) for a parcel, cached until any parcel or park
    changes."""
    versions = versions if versions is not None else store.versions()
    key = (versions["parcels_version"], versions["parks_version"])
    slot = _CACHE.get((store.url, "parcel_rows"))
    if slot is None or slot[0] != key:
        slot = (key, {})
        _CACHE[(store.url, "parcel_rows")] = slot
    rows = slot[1]
    if code not in rows:
        if len(rows) > 10_000:
            rows.clear()
        parcel = store.parcel(code)
        rows[code] = (parcel, checks.parcel_columns(parcel, parks(store, versions)), parcel.iloc[0])
    return rows[code]


FIX_NO_RULES = "run `standardland init` (the shipped rule sets) or `standardland rules load FILE`"


def require_rules_in_force(rs: list, parcel_row, on: date) -> list:
    """The rule sets in force on ``on`` that cover the parcel; none is an error, never a verdict.

    Without a rule set every threshold would read "no value on file" and the check would
    pass vacuously, so a check with nothing in force is refused (CLI exit 2, HTTP 409)."""
    from .errors import ConflictError

    code = parcel_row["code"]
    if not rs:
        raise ConflictError("no rule set is loaded, so there is nothing to check against", field="rulesets",
                            expected=FIX_NO_RULES)
    ctx = Context(decision_date=on, admin_code=code[:6], park=parcel_row.get("park"))
    chosen = applicable_rulesets(rs, ctx)
    if not chosen:
        loaded = ", ".join(f"{r.id} ({r.effective_from}–{r.effective_to or 'open'})" for r in rs[:6])
        raise ConflictError(f"no rule set in force on {on.isoformat()} covers parcel {code} "
                            f"(loaded: {loaded})",
                            field="rulesets", expected=FIX_NO_RULES + " with a set for that date and place")
    return chosen


def check_project(store: Store, project: dict, parcel_code: str, *, checkpoint="screening", lang="zh") -> dict:
    """The explained verdict of a project on a stored parcel, with the parcel-fit notes.

    Raises :class:`ConflictError` when no rule set is in force for the decision date and the parcel."""
    p = parse_project(project)
    versions = store.versions()  # one snapshot for every cache below (no query while nothing changed)
    parcel, pf, row = parcel_for_check(store, parcel_code, versions)
    rs = rulesets(store, versions=versions)
    require_rules_in_force(rs, row, p.decision_date)
    v = checks.check(p, parcel, parks(store, versions), rs, checkpoint=checkpoint, lang=lang, frame=pf)
    v.setdefault("notes", []).extend(parcel_fit_notes(p, row, checkpoint=checkpoint, lang=lang))
    return v


def match_project(store: Store, project: dict, *, top=10, within=None, lang="zh") -> dict:
    p = parse_project(project)
    idx = matching.build_index(store.parcels(), parks(store), rulesets(store))
    return matching.match(p, idx, top=top, within=within, lang=lang)


def read_table(path) -> pd.DataFrame:
    """A screening table (.csv, UTF-8 with or without a BOM, or .xlsx) as text/Excel cells."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file '{path}' does not exist", field="file", expected="a .csv or .xlsx file")
    return sio.read_table(path)


def write_table(df: pd.DataFrame, path) -> None:
    """The screening output (.csv with a BOM or .xlsx), formulas neutralised (:mod:`standardland.tables`)."""
    tables.write_table(df, path, field="out")


def screen_table(store: Store, df: pd.DataFrame, *, ruleset_ids=None, engine="local", scheduler=None,
                 checkpoint="screening", indicators=None, chunk: int = 100_000, progress=None) -> pd.DataFrame:
    rs = rulesets(store, ruleset_ids)
    if not rs:
        from .errors import ConflictError

        raise ConflictError("no rule set is loaded, so there is nothing to screen against", field="rulesets",
                            expected=FIX_NO_RULES)
    projects = checks.parse_project_table(df)
    pf = None
    if "parcel_code" in projects.columns and projects["parcel_code"].notna().any():
        codes = sorted({c for c in projects["parcel_code"] if isinstance(c, str) and c})
        parcels = store.parcels(ParcelQuery(codes=tuple(codes)))
        pf = checks.parcel_frame(parcels, parks(store))
    pairs = checks.join_parcels(projects, pf)
    if engine == "dask":
        out = checks.screen_dask(pairs, rs, checkpoint=checkpoint, scheduler=scheduler, only=indicators)
        if progress:
            progress(len(pairs))
        return out
    if engine != "local":
        raise InputError(f"engine '{engine}' is unknown", field="engine", expected="local or dask")
    parts = []
    for start in range(0, max(len(pairs), 1), chunk):
        parts.append(checks.screen_frame(pairs.iloc[start:start + chunk], rs, checkpoint=checkpoint,
                                         only=indicators))
        if progress:
            progress(min(start + chunk, len(pairs)))
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return out


def aoi_from_file(path):
    """An area-of-interest (multi)polygon in EPSG:4490 from a vector file with a declared CRS."""
    import shapely

    from .crs import to_storage

    res = sio.read_parcels_file(path)
    if not res.has_geometry or res.frame.crs is None:
        raise InputError("the area of interest needs a geometry with a declared CRS", field="within")
    src = parse_crs(res.frame.crs, field="within")
    return shapely.union_all(to_storage(np.asarray(res.frame.geometry.values, dtype=object), src))


def decision_date(value) -> date:
    return parse_decision_date(value, "date")
