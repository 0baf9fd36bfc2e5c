"""Use cases that combine the store with the domain modules; the CLI and the HTTP API are
thin shells around these functions (parse → call one function → render)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import chains
from .rules import checks, matching
from . import io as sio, tables
from . import crs as crsmod
from .crs import parse_crs
from .errors import InputError, NotFoundError, RuleSetError
from .gcpause import gc_paused
from .rules import thresholds
from .rules.catalogue import catalogue
from .rules.engine import contexts
from .rules.parcelfit import parcel_fit_notes
from .rules.thresholds import Context, admin_code, applicable_rulesets, effective_thresholds
from .parcels import find_overlaps, outside_boundary, prepare_parcels, STATUSES
from .parks import admission as park_admission
from .rules.project import parse_project, parse_projects
from .rules.rulesets import load_rulesets, merge_rules, parse_ruleset, read_rule_table
from .store import ParcelQuery, Store


# -- parcels ------------------------------------------------------------------------------

def read_and_prepare(path, *, layer=None, crs=None, fix=False, read: "sio.ReadResult | None" = None,
                     store: Store | None = None):
    """Read (unless ``read`` is the file already read) and validate a parcel file.

    With ``store``, parcels without a ``park`` take the park whose boundary holds them
    (:func:`standardland.parks.assign_by_boundary`; counts in the report's ``assigned``)."""
    res = read if read is not None else sio.read_parcels_file(path, layer=layer)
    if not res.has_geometry:
        raise InputError("the file has no geometry column (wkt); use it as an attribute update",
                         field="file", expected="a WKT column (without one, the file updates attributes)")
    frame = res.frame
    if crs is not None and not res.crs_explicit:
        # no CRS in the file, or only GeoJSON's RFC 7946 default: the CRS the user named applies
        frame = frame.set_crs(None, allow_override=True)
    gdf, rep = prepare_parcels(frame, crs=crs, fix=fix)
    rep.assigned = {}
    if store is not None:
        from .parks import assign_by_boundary

        gdf, rep.assigned = assign_by_boundary(gdf, parks(store))
    return gdf, rep


#: what ``import --allow`` may let through (each is refused by default)
ALLOWABLE = ("overlap", "outside-park")


@gc_paused()  # a bulk read, check and write: no collector passes over its rows
def import_file(store: Store, path, *, layer=None, crs=None, fix=False, mode="insert", progress=None,
                read: "sio.ReadResult | None" = None, allow=()) -> dict:
    """Import a parcel file in one transaction, after every check :func:`validate_file` runs.

    Refused by default (nothing written): overlaps beyond the sliver tolerance, within the file or
    with stored parcels (:data:`standardland.parcels.TOLERANCE_TEXT`), and parcels outside their
    park's boundary; ``allow`` ("overlap", "outside-park") imports them anyway and the result
    records what was allowed. Slivers are imported and reported. Duplicate codes within the
    file are always refused (:func:`~standardland.parcels.prepare_parcels`).
    """
    allow = _allowed(allow)
    res = read if read is not None else sio.read_parcels_file(path, layer=layer)
    if not res.has_geometry:
        upd = store.update_parcel_attributes(res.frame)
        return {"file": Path(path).name, "mode": "attributes", "encoding": res.encoding,
                "columns": res.renamed or {}, **upd.to_dict(), "repaired": []}
    gdf, rep = read_and_prepare(path, crs=crs, fix=fix, read=res, store=store)
    found = checked_write(store, gdf, allow, source_crs=rep.source_crs, replacing=mode == "upsert")
    out = store.import_parcels(gdf, mode=mode, progress=progress)
    allowed = {k: found[k] for k, a in (("overlaps", "overlap"), ("outside_park", "outside-park"))
               if a in allow and found[k]}
    return {"file": Path(path).name, "mode": mode, "source_crs": rep.source_crs, "encoding": res.encoding,
            "columns": res.renamed or {}, **out.to_dict(), "repaired": [str(p) for p in rep.repaired],
            "allowed": allowed, "slivers": found["slivers"], "warnings": found["warnings"],
            "assigned": rep.assigned}


def checked_write(store: Store, gdf: gpd.GeoDataFrame, allow=(), *, source_crs: str | None = None,
                  replacing: bool = False) -> dict:
    """The store checks of a parcel write (:func:`store_checks`), a file import's or the API's POST and
    PUT: refused unless ``allow`` lets them through; what was found is returned.

    ``replacing`` (an upsert, a PUT): the stored parcels the write replaces are set aside, so
    overlapping their old shapes is no overlap."""
    found = store_checks(store, gdf, source_crs)
    if replacing:
        found["overlaps"] = _not_replaced(found["overlaps"], gdf)
    _refuse(gdf, found, _allowed(allow))
    return found


def _not_replaced(overlaps: list[dict], gdf: gpd.GeoDataFrame) -> list[dict]:
    """The overlaps left once stored parcels the write replaces (their code is in ``gdf``) are set
    aside: their old shapes are going, so overlapping them is no overlap."""
    codes = set(gdf["code"])
    return [o for o in overlaps if not (o["with"] == "stored" and o["b"] in codes)]


def _allowed(allow) -> set:
    allow = set(allow or ())
    bad = sorted(allow - set(ALLOWABLE))
    if bad:
        from .errors import BadParameter

        raise BadParameter(f"'{bad[0]}' cannot be allowed", field="allow", expected=" or ".join(ALLOWABLE))
    return allow


def _refuse(gdf: gpd.GeoDataFrame, found: dict, allow: set) -> None:
    """Raise :class:`DataValidationError` for what ``found`` holds and ``allow`` does not let through."""
    from .errors import DataValidationError, RowProblem
    from .parcels import TOLERANCE_TEXT

    if not (found["overlaps"] and "overlap" not in allow or found["outside_park"] and "outside-park" not in allow):
        return
    row = {c: i + 1 for i, c in enumerate(gdf["code"].tolist())}
    problems = []
    if "overlap" not in allow:
        for o in found["overlaps"]:
            other = "stored parcel" if o["with"] == "stored" else f"row {row.get(o['b'])},"
            problems.append(RowProblem(row[o["a"]], "geometry", f"{o['a']} overlaps {other} {o['b']} by "
                                       f"{o['area_m2']:,.1f} m², beyond the tolerance ({TOLERANCE_TEXT}); "
                                       "expected no overlap (or --allow overlap)"))
    if "outside-park" not in allow:
        hint = next((w for w in found["warnings"] if "--crs gcj02" in w), "")
        for o in found["outside_park"]:
            problems.append(RowProblem(row[o["code"]], "park", f"{o['code']} lies {o['outside_m2']:,.1f} m² outside "
                                       f"park {o['park']}'s boundary; expected a parcel inside its park "
                                       "(or --allow outside-park)" + (f"; {hint}" if hint else "")))
    if problems:
        raise DataValidationError(problems=sorted(problems, key=lambda p: p.row))


def store_checks(store: Store | None, gdf: gpd.GeoDataFrame, source_crs: str | None = None) -> dict:
    """Every topology check of a prepared parcel file (EPSG:4490) against itself and the store.

    Returns ``overlaps`` (beyond the sliver tolerance; ``with`` = "file" or "stored"), ``slivers``
    (tolerated overlaps and boundary slivers), ``outside_park`` (beyond the tolerance) and
    ``warnings`` (a WGS84-declared file that fits its park's boundary markedly better after a
    GCJ-02 → WGS84 conversion: never shifted silently, the warning names ``--crs gcj02``).
    Stored parcels are fetched by the file's bounding box (:class:`ParcelQuery`), then an STRtree.
    """
    from .parcels import is_sliver, overlaps_with

    area = dict(zip(gdf["code"].tolist(), gdf["area_m2"].tolist(), strict=True))
    overlaps, slivers, outside, warnings = [], [], [], []
    within = find_overlaps(gdf)
    if within:
        smaller = [min(area[o.a], area[o.b]) for o in within]
        for o, tol in zip(within, is_sliver([o.area_m2 for o in within], smaller), strict=True):
            (slivers if tol else overlaps).append({"a": o.a, "b": o.b, "area_m2": o.area_m2, "with": "file"})
    if store is None or not len(gdf):
        return {"overlaps": overlaps, "slivers": slivers, "outside_park": outside, "warnings": warnings}
    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    stored = store.parcel_footprints((xmin, ymin, xmax, ymax))  # code, area and geometry only
    found, _, smaller = overlaps_with(gdf, stored)
    for o, tol in zip(found, is_sliver([o.area_m2 for o in found], smaller), strict=True):
        (slivers if tol else overlaps).append({"a": o.a, "b": o.b, "area_m2": o.area_m2, "with": "stored"})
    pk = parks(store)
    if "park" in gdf.columns:  # a park code with no park record: no boundary, no admission lists (a typo?)
        known = set(pk["code"])
        named = gdf["park"].where(gdf["park"].notna(), None)
        missing = sorted({str(p) for p in named.tolist() if p is not None and str(p).strip() and p not in known})
        if missing:
            warnings.append(f"park code(s) {', '.join(missing)} have no park record: their parcels get no boundary "
                            "check and no admission lists; add the park (`standardland parks add`) if it is not a "
                            "typo")
    bounds = {c: b for c, b in zip(pk["code"], pk.geometry, strict=True) if b is not None}
    if "park" not in gdf.columns or not bounds:
        return {"overlaps": overlaps, "slivers": slivers, "outside_park": outside, "warnings": warnings}
    before = after = 0.0
    for code, boundary in bounds.items():
        sub = gdf[gdf["park"] == code]
        if not len(sub):
            continue
        out_ = outside_boundary(sub, boundary)
        if out_:
            own = dict(zip(sub["code"], sub["area_m2"], strict=True))
            for (c, a), tol in zip(out_, is_sliver([a for _, a in out_], [own[c] for c, _ in out_]), strict=True):
                rec = {"code": c, "park": code, "outside_m2": a}
                (slivers if tol else outside).append(rec)
            before += sum(a for _, a in out_)
            if source_crs in ("EPSG:4326", "EPSG:4490"):
                shifted = sub.set_geometry(crsmod.to_storage(sub.geometry.values, parse_crs("gcj02")))
                after += sum(a for _, a in outside_boundary(shifted, boundary))
    if source_crs in ("EPSG:4326", "EPSG:4490") and before > 1.0 and after < 0.5 * before:
        warnings.append(f"the parcels fit their park's boundary markedly better as GCJ-02 ({after:,.0f} m² "
                        f"outside instead of {before:,.0f} m²): if the file comes from an online map, re-run "
                        "with --crs gcj02 (nothing was shifted)")
    return {"overlaps": overlaps, "slivers": slivers, "outside_park": outside, "warnings": warnings}


@gc_paused()  # a bulk read, check and write: no collector passes over its rows
def validate_file(path, *, layer=None, crs=None, fix=False, store: Store | None = None) -> dict:
    """Every check an import runs (geometry, codes, CRS, overlaps within the file and with the
    store, park boundaries, the GCJ-02 hint), writing nothing."""
    res = sio.read_parcels_file(path, layer=layer)
    gdf, rep = read_and_prepare(path, crs=crs, fix=fix, read=res, store=store)
    found = store_checks(store, gdf, rep.source_crs)
    return {"file": Path(path).name, "rows": len(gdf), "source_crs": rep.source_crs, "encoding": res.encoding,
            "columns": res.renamed or {}, "area_m2": float(gdf["area_m2"].sum()),
            "area_mu": float(gdf["area_mu"].sum()),
            "repaired": [str(p) for p in rep.repaired], "assigned": rep.assigned, **found}


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
    """Parcel counts and areas (mu, m²) in the store, by status (statuses with parcels only),
    and the park codes."""
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
    """The store's parks (a GeoDataFrame), cached until the store's parks change."""
    return _cached(store, "parks_version", store.parks, versions)


def admission_on(store: Store, on: date, versions: dict | None = None) -> dict:
    """Each park's admission on ``on`` (:func:`standardland.parks.admission` over the stored parks and
    rule sets), kept until the parks or the rule sets change."""
    versions = versions if versions is not None else store.versions()
    return _versioned(store, "admission", (versions["parks_version"], versions["rulesets_version"]), on,
                      lambda: park_admission(parks(store, versions), rulesets(store, versions=versions), on), 4096)


def _versioned(store: Store, name: str, versions_key: tuple, key, compute, limit: int):
    """``compute()``, kept under (``name``, ``key``) until the store versions ``versions_key`` change; at
    most ``limit`` entries per name (then emptied). The entry is read once, as another thread may empty
    the dict meanwhile; an exception is not kept."""
    slot = _CACHE.get((store.url, name))
    if slot is None or slot[0] != versions_key:
        slot = (versions_key, {})
        _CACHE[(store.url, name)] = slot
    memo = slot[1]
    if len(memo) > limit:
        memo.clear()
    got = memo.get(key)
    if got is None:
        got = memo[key] = compute()
    return got


# -- rules -------------------------------------------------------------------------------

def rulesets(store: Store, only: list[str] | None = None, versions: dict | None = None):
    """The store's rule sets, parsed (cached until they change); ``only`` keeps those ids, and an
    id not in the store raises :class:`NotFoundError`."""
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
    """Store a rule set from a JSON document, or from a CSV/xlsx rule table merged into the stored
    set ``into``; validated fully before writing. Returns its id, layer, rule count and dates.
    Raises :class:`RuleSetError` (a table without ``into``, an invalid set) or
    :class:`NotFoundError` (``into`` not stored)."""
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


def published_thresholds(store: Store, parcels: gpd.GeoDataFrame, *, on: date | None = None,
                         rs: list | None = None) -> pd.DataFrame:
    """Per parcel, the effective thresholds a browser sees: every layer in force ``on`` (today)
    whose value does not depend on the project's industry, tightened by the parcel's own.

    Columns ``<id>_min``, ``<id>_max`` and ``<id>_by`` (the winning rule set), indexed like ``parcels``.
    ``rs`` replaces the store's rule sets (a policy what-if's draft set).
    Contexts are resolved once each; the parcel layer is combined row-wise
    (:func:`standardland.rules.thresholds.tighten_rows`).
    """
    on = on or date.today()
    cat = catalogue()
    pk = parks(store)
    rs = rulesets(store) if rs is None else rs
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


def published_properties(store: Store, parcels: gpd.GeoDataFrame, *, on: date | None = None) -> pd.DataFrame:
    """:func:`published_thresholds` as a browser shows them: the numbers plus ``<id>_text``, the
    requirement rendered once on the server (:func:`standardland.rules.explain.required_texts`,
    e.g. ``≥ 240``; the page adds the unit) — for the map's popups and the OGC items."""
    from .rules.explain import required_texts

    frame = published_thresholds(store, parcels, on=on)
    texts = {f"{ind.id}_text": required_texts(frame[f"{ind.id}_min"].to_numpy(), frame[f"{ind.id}_max"].to_numpy())
             for ind in catalogue().indicators}
    return pd.concat([frame, pd.DataFrame(texts, index=frame.index)], axis=1)


def export_parcels(store: Store, gdf: gpd.GeoDataFrame, path, *, lang: str = "zh", style: str | None = None) -> Path:
    """Write parcels to a file (:func:`standardland.io.write_parcels_file`); a GeoPackage also gets the
    QGIS styles of the map (:mod:`standardland.styles`): by status, or ``style="indicator:<property>"``
    (default) with the status style beside it. The property is written as a column when it is not one."""
    from . import maps, styles

    kind, prop = styles.parse_style_option(style)
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        if style is not None:
            raise InputError("styles are written into a GeoPackage only", field="style",
                             expected="a .gpkg file, or no --style")
        return sio.write_parcels_file(gdf, path, lang=lang)
    chosen = [styles.status_style(lang)]
    if kind == "indicator":
        props = maps.feature_properties(gdf, published_properties(store, gdf))
        try:
            colour = maps.colour_config(props, prop, lang)
        except InputError as exc:
            raise InputError(exc.message, field="style", expected=exc.expected) from None
        values = pd.to_numeric(props[prop], errors="coerce").to_numpy(dtype="float64")
        if prop not in gdf.columns:
            gdf = gdf.assign(**{prop: values})
        chosen.insert(0, styles.indicator_style(colour, values, lang))
    out = sio.write_parcels_file(gdf, path, lang=lang)
    styles.write_gpkg_styles(out, "parcels", chosen)
    return out


# -- check / match / screen ------------------------------------------------------------------

def parcel_for_check(store: Store, code: str, versions: dict | None = None):
    """(one-row parcel frame, engine columns, the row as a dict) for a parcel, cached until any parcel or
    park changes."""
    versions = versions if versions is not None else store.versions()

    def read():
        parcel = store.parcel(code)
        return parcel, checks.parcel_columns(parcel, parks(store, versions)), parcel.iloc[0].to_dict()

    return _versioned(store, "parcel_rows", (versions["parcels_version"], versions["parks_version"]), code, read,
                      10_000)


FIX_NO_RULES = "run `standardland init` (the shipped rule sets) or `standardland rules load FILE`"


def rules_in_force(store: Store, parcel_row, on: date, versions: dict | None = None) -> list:
    """:func:`require_rules_in_force` over the store's rule sets, its answer kept per (date, county, park)
    until the rule sets change (a refusal is not kept)."""
    versions = versions if versions is not None else store.versions()
    return _versioned(store, "in_force", (versions["rulesets_version"],),
                      (on, admin_code(parcel_row["code"]), parcel_row.get("park")),
                      lambda: require_rules_in_force(rulesets(store, versions=versions), parcel_row, on), 4096)


def require_rules_in_force(rs: list, parcel_row, on: date) -> list:
    """The rule sets in force on ``on`` that cover the parcel; none is an error, never a verdict.

    Without a rule set every threshold would read "no value on file" and the check would
    pass vacuously, so a check with nothing in force is refused (CLI exit 2, HTTP 409)."""
    from .errors import ConflictError

    code = parcel_row["code"]
    if not rs:
        raise ConflictError("no rule set is loaded, so there is nothing to check against", field="rulesets",
                            expected=FIX_NO_RULES)
    ctx = Context(decision_date=on, admin_code=admin_code(code), park=parcel_row.get("park"))
    chosen = applicable_rulesets(rs, ctx)
    if not chosen:
        loaded = ", ".join(f"{r.id} ({r.effective_from}–{r.effective_to or 'open'})" for r in rs[:6])
        raise ConflictError(f"no rule set in force on {on.isoformat()} covers parcel {code} "
                            f"(loaded: {loaded})",
                            field="rulesets", expected=FIX_NO_RULES + " with a set for that date and place")
    return chosen


def check_project(store: Store, project: dict, parcel_code: str, *, checkpoint="screening", lang="zh") -> dict:
    """The explained verdict of a project on a stored parcel, with the parcel-fit notes.

    Raises :class:`ConflictError` when no rule set is in force for the decision date and the parcel.
    The batch of one of :func:`check_projects`."""
    got = check_projects(store, [CheckArgs(project, parcel_code, checkpoint, lang)])[0]
    if isinstance(got, BaseException):
        raise got
    return got


@dataclass(frozen=True)
class CheckArgs:
    """One check's request: the project document, the stored parcel's code, the checkpoint and language."""

    project: dict
    parcel_code: str
    checkpoint: str = "screening"
    lang: str = "zh"


def check_projects(store: Store, requests: list[CheckArgs]) -> list[dict | Exception]:
    """Many checks at once (the API's concurrent ``POST /checks``): one store snapshot, one
    column-wise parse of the documents and one engine evaluation per checkpoint over all the pairs.

    Each request gets what :func:`check_project` gives it alone: its verdict, or the exception for it
    (a :class:`~standardland.errors.StandardlandError` for a bad field, an unknown parcel, no rule set
    in force, a bad checkpoint, in that order). What one request raises while it is read, looked up or
    noted stays its own answer, and a failure of a shared evaluation has each of its pairs checked
    alone, so that only the pair that causes it fails; the store failing (its versions, rule sets)
    fails the checks that reached it. A batch whose documents are all refused does not read the store.

    Parameters
    ----------
    store : Store
        The store the parcels, parks and rule sets are read from (cached per version).
    requests : list of CheckArgs
        The checks.

    Returns
    -------
    list
        Per request, its verdict (``dict``) or its exception.
    """
    out: list = list(parse_projects([r.project for r in requests]))
    if all(isinstance(o, BaseException) for o in out):
        return out
    versions = store.versions()  # one snapshot for every cache below (no query while nothing changed)
    rs = rulesets(store, versions=versions)
    groups: dict[str, list[int]] = {}
    pairs: dict[int, tuple] = {}
    for i, r in enumerate(requests):
        if isinstance(out[i], BaseException):
            continue
        try:
            parcel, pf, row = parcel_for_check(store, r.parcel_code, versions)
            rules_in_force(store, row, out[i].decision_date, versions)
            checks._checkpoint(r.checkpoint)
        except Exception as exc:
            out[i] = exc
            continue
        pairs[i] = (out[i], pf, row)
        groups.setdefault(r.checkpoint, []).append(i)
    for checkpoint, idx in groups.items():
        try:
            verdicts = checks.check_pairs([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], rs,
                                          checkpoint=checkpoint, langs=[requests[i].lang for i in idx], advice=True)
            finished = False
        except Exception as exc:
            # something in one pair broke the shared evaluation: each pair alone, so only it fails
            verdicts = [exc] if len(idx) == 1 else [_alone(store, requests[i]) for i in idx]
            finished = True  # a check alone comes with its notes
        for i, v in zip(idx, verdicts, strict=True):
            if isinstance(v, dict) and not finished:
                try:
                    v = _with_notes(store, v, requests[i], pairs[i][0], pairs[i][2], versions)
                except Exception as exc:
                    v = exc
            out[i] = v
    return out


def _alone(store: Store, r: CheckArgs):
    """One check alone, its exception returned (for a batch that failed together)."""
    try:
        return check_project(store, r.project, r.parcel_code, checkpoint=r.checkpoint, lang=r.lang)
    except Exception as exc:
        return exc


def _with_notes(store: Store, v: dict, r: CheckArgs, p, row, versions: dict) -> dict:
    """The verdict with the parcel-fit notes and the park's admission note, the advice kept last."""
    adv = v.pop("advice")
    v.setdefault("notes", []).extend(parcel_fit_notes(p, row, checkpoint=r.checkpoint, lang=r.lang))
    adm = admission_on(store, p.decision_date, versions).get(row.get("park"))
    refused = adm.note(p.industry.div2017, r.lang) if adm is not None else None
    if refused is not None:  # beside the verdict, as the parcel-fit notes: matching excludes the parcel
        v["notes"].append(refused)
    v["advice"] = adv
    return v


def check_document(store: Store, project: dict, parcel_code: str, *, checkpoint="screening", lang="zh",
                   fmt: str = "html") -> bytes:
    """The meeting-ready document (HTML or PDF bytes) of :func:`check_project`'s verdict, with a
    sketch of the parcel: the one call ``check --format`` and ``POST /checks/document`` make."""
    from . import render
    from .workflow import documents

    if fmt not in render.FORMATS:  # refused before any work is done
        raise InputError(f"'{fmt}' is not a document format", field="format", expected="html or pdf")
    v = check_project(store, project, parcel_code, checkpoint=checkpoint, lang=lang)
    geometry = parcel_for_check(store, parcel_code)[0].geometry.iloc[0]
    return render.output(documents.check_document(v, lang=lang, geometry=geometry), fmt)


def match_project(store: Store, project: dict, *, top=10, within=None, lang="zh", within_advice=None) -> dict:
    """The stored parcels that suit ``project`` best (at most ``top``, optionally ``within`` a geometry),
    ranked by :func:`standardland.rules.matching.match` with industry-chain proximity."""
    p = parse_project(project)
    parcels = store.parcels()
    idx = matching.build_index(parcels, parks(store), rulesets(store))
    return matching.match(p, idx, top=top, within=within, lang=lang, within_advice=within_advice,
                          chains=chains.match_context(store, parcels))  # industry-chain proximity


def read_table(path) -> pd.DataFrame:
    """A screening table (.csv in UTF-8, with or without a BOM, or GB18030/GBK; or .xlsx) as text/Excel cells.

    The CSV encoding used is in ``df.attrs["encoding"]`` (:func:`standardland.io.detect_encoding`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file '{path}' does not exist", field="file", expected="a .csv or .xlsx file")
    return sio.read_table(path)


def write_table(df: pd.DataFrame, path, *, lang: str | None = None) -> None:
    """The screening output (.csv with a BOM or .xlsx), formulas neutralised (:mod:`standardland.tables`).

    An xlsx's headers are labels in ``lang`` (zh by default); a CSV keeps the machine headers (it is
    read back by programs) unless ``lang`` is given."""
    from .screening import header_labels

    if Path(path).suffix.lower() == ".csv" and lang:
        df = df.rename(columns=header_labels(df.columns, lang))
    elif Path(path).suffix.lower() == ".xlsx":
        tables.write_xlsx(df, path, sheet_name=tables.label("sheet_screening", lang or "zh"),
                          headers=header_labels(df.columns, lang or "zh"))
        return
    tables.write_table(df, path, field="out", sheet="sheet_screening")


def _screening_rulesets(store: Store, ruleset_ids=None) -> list:
    rs = rulesets(store, ruleset_ids)
    if not rs:
        from .errors import ConflictError

        raise ConflictError("no rule set is loaded, so there is nothing to screen against", field="rulesets",
                            expected=FIX_NO_RULES)
    return rs


def screen_table(store: Store, df: pd.DataFrame, *, ruleset_ids=None, engine="local", scheduler=None,
                 checkpoint="screening", indicators=None, chunk: int = 100_000, progress=None) -> pd.DataFrame:
    """Screen a table already read (:func:`read_table`, a request's rows) → the flat result table."""
    rs = _screening_rulesets(store, ruleset_ids)
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


def screen_file(store: Store, path, out, *, ruleset_ids=None, engine: str = "local", scheduler=None,
                checkpoint: str = "screening", indicators=None, lang: str | None = None, progress=None,
                on_header=None) -> dict:
    """Screen a project table file into ``out`` (the CLI's ``screen``).

    A CSV is screened in pieces (:mod:`standardland.screening`: Arrow-parsed, typed, byte-identical
    output with ``engine="local"`` or ``"dask"``); an xlsx is read whole (:func:`read_table`). Headers
    of ``out``: see :func:`write_table`. ``on_header({"encoding", "renamed"})`` is called once the
    header is read (before the rows); ``progress(done, total, stage)`` as the work goes.
    Returns ``{"rows", "verdicts", "encoding", "renamed", "out"}``."""
    from . import screening

    path, out = Path(path), Path(out)
    if not path.is_file():
        raise InputError(f"file '{path}' does not exist", field="file", expected="a .csv or .xlsx file")
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"unsupported output '{out.suffix}'", field="out", expected=".csv or .xlsx")
    if engine not in ("local", "dask"):
        raise InputError(f"engine '{engine}' is unknown", field="engine", expected="local or dask")
    rs = _screening_rulesets(store, ruleset_ids)
    if path.suffix.lower() != ".csv":
        df = read_table(path)
        info = {"encoding": None, "renamed": df.attrs.get("renamed") or {}}
        if on_header:
            on_header(info)
        res = screen_table(store, df, ruleset_ids=ruleset_ids, engine=engine, scheduler=scheduler,
                           checkpoint=checkpoint, indicators=indicators)
        if progress:
            progress(1, 2, "written")
        write_table(res, out, lang=lang)
        if progress:
            progress(2, 2, "done")
        counts = res["verdict"].value_counts().to_dict()
        return {"rows": len(res), "out": str(out), "verdicts": {str(k): int(v) for k, v in counts.items()}, **info}
    layout = sio.csv_layout(path)
    head = layout.read_range(layout.start, layout.start)  # the header: aliases, unknown columns refused
    info = {"encoding": layout.encoding, "renamed": head.attrs.get("renamed") or {}}
    if on_header:
        on_header(info)
    pf = None
    if "parcel_code" in head.columns:
        pf = checks.parcel_frame(store.parcels(), parks(store))
    summary = screening.screen_csv(layout, out, rs, pf, engine=engine, scheduler=scheduler, checkpoint=checkpoint,
                                   only=indicators, lang=lang, progress=progress)
    return {"rows": summary["rows"], "out": str(out), "verdicts": summary["verdicts"], **info}


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
    """A CLI date option (``--on``, ``--as-of``, ``--today``) in any form :mod:`standardland.dates` accepts."""
    from .dates import parse_date

    return parse_date(value, "date")
