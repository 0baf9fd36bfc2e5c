"""Policy what-if: a draft rule set against everything already in the store.

Before a park (or province) tightens its indicators, a planner asks who would fall below the
line. :func:`whatif` evaluates, through the same engine and the same screening path
(:func:`standardland.rules.checks.screen_frame`, or :func:`~standardland.rules.checks.screen_dask`
on Dask with identical results), twice:

- **before**: the store's rule sets;
- **after**: the same, with the draft in force in place of its series (every earlier version of
  the draft's ``series`` is set aside; the draft applies wherever its scope covers, whatever the
  decision date).

over three populations:

- every **application**'s committed values (its project document, on its parcel, at screening);
- every **inspection**'s measured values (with the agreement's commitments as their own layer, at
  the inspection's checkpoint); both are judged on their own decision date, or on ``as_of``;
- every **parcel**'s published thresholds (what a browser sees, :func:`services.published_thresholds`).

A row *changes* when its verdict or any indicator's status changes (a parcel: when any published
bound moves). Each change lists the indicators that moved with the actual value, the requirement
before and after and the margin (actual − the after requirement: negative below a minimum,
positive above a maximum). ``summary`` counts the changes by transition, park and industry.
Vectorized: the two evaluations and the comparison are column operations; only the reported
entries are built row by row.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from . import services, units
from .errors import InputError, NotFoundError
from .rules import checks, thresholds
from .rules.catalogue import catalogue
from .rules.fields import quantity_fields
from .rules.rulesets import RuleSet, parse_ruleset

#: the most change entries a report lists (the counts are always complete)
MAX_ENTRIES = 10_000
ALWAYS = date(1900, 1, 1)


# -- the draft --------------------------------------------------------------------------------


def load_draft(store, ruleset: str | Path | dict, *, as_of: date | None = None) -> RuleSet:
    """The draft rule set: a document, a JSON file, or the id of a stored set not yet in force on
    ``as_of`` (today by default)."""
    if isinstance(ruleset, dict):
        return parse_ruleset(ruleset)
    path = Path(str(ruleset))
    if path.suffix.lower() == ".json" and path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno})", field="ruleset") from exc
        return parse_ruleset(doc)
    docs = {d["id"]: d for d in store.rulesets()}
    if str(ruleset) not in docs:
        raise NotFoundError(f"'{ruleset}' is neither a rule-set file nor a stored rule set", field="ruleset",
                            expected="a .json rule-set file, or the id of a stored draft")
    rs = parse_ruleset(docs[str(ruleset)])
    on = as_of or date.today()
    if rs.in_force(on):
        raise InputError(f"rule set '{rs.id}' is already in force on {on.isoformat()}", field="ruleset",
                         expected="a draft: a file, or a stored set whose effective_from is later")
    return rs


def with_draft(current: list[RuleSet], draft: RuleSet) -> list[RuleSet]:
    """The rule sets after adoption: ``current`` without the draft's series, plus the draft in force
    from :data:`ALWAYS` with no end."""
    kept = [r for r in current if r.series != draft.series and r.id != draft.id]
    doc = {**draft.to_dict(), "effective_from": ALWAYS.isoformat(), "effective_to": None}
    return kept + [parse_ruleset(doc)]  # a document again, so Dask workers rebuild the same set


# -- the comparison (vectorized) --------------------------------------------------------------


def compare(before: pd.DataFrame, after: pd.DataFrame) -> dict:
    """Compare two flat screening tables of the same rows: ``changed`` (bool per row), the
    per-indicator status change masks and the verdicts."""
    cat = catalogue()
    moved = {}

    def codes(df, c):  # categorical codes into the engine's fixed categories (text otherwise)
        col = df[c]
        return col.cat.codes.to_numpy() if isinstance(col.dtype, pd.CategoricalDtype) else col.to_numpy(dtype=object)

    changed = codes(before, "verdict") != codes(after, "verdict")
    for ind in cat.indicators:
        c = f"{ind.id}_status"
        m = codes(before, c) != codes(after, c)
        if m.any():
            moved[ind.id] = m
            changed = changed | m
    return {"changed": changed, "moved": moved}


def _entries(kind: str, keys: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame, cmp: dict,
             limit: int) -> list[dict]:
    """The reported change entries (at most ``limit``): the columns are taken out once for the
    changed rows, then each entry is assembled from plain arrays (no per-cell DataFrame access)."""
    rows = np.flatnonzero(cmp["changed"])[:limit]
    if not len(rows):
        return []
    key_cols = {k: keys[k].to_numpy(dtype=object)[rows] for k in keys.columns}
    vb = before["verdict"].astype(object).to_numpy()[rows]
    va = after["verdict"].astype(object).to_numpy()[rows]
    per_ind = {}
    for ind_id, m in cmp["moved"].items():
        mr = m[rows]
        if not mr.any():
            continue
        per_ind[ind_id] = (mr, *(df[f"{ind_id}_status"].astype(object).to_numpy()[rows] for df in (before, after)),
                           *(df[f"{ind_id}_{c}"].to_numpy()[rows] for df, c in
                             ((after, "actual"), (before, "required"), (after, "required"), (after, "required_max"))))
    out = []
    for i in range(len(rows)):
        inds = []
        for ind_id, (mr, sb, sa, actual, rb, ra, rmax) in per_ind.items():
            if not mr[i]:
                continue
            act, req_b, req_a = _f(actual[i]), _f(rb[i]), _f(ra[i])
            margin = None if act is None or req_a is None else act - req_a
            hi = _f(rmax[i])  # the upper end of a range
            if act is not None and hi is not None and act > hi:
                req_a, margin = hi, act - hi
            inds.append({"id": ind_id, "before": str(sb[i]), "after": str(sa[i]), "actual": act,
                         "required_before": req_b, "required_after": req_a, "margin": margin})
        out.append({"kind": kind, **{k: _py(v[i]) for k, v in key_cols.items()},
                    "before": str(vb[i]), "after": str(va[i]), "indicators": inds})
    return out


def _f(v):
    if v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v


def _py(v):
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return v.item() if isinstance(v, np.generic) else v


def _summary(kind: str, keys: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame, cmp: dict) -> dict:
    ch = cmp["changed"]
    trans = (before["verdict"].astype(object).to_numpy()[ch] + "→" + after["verdict"].astype(object).to_numpy()[ch])
    frame = pd.DataFrame({"transition": trans,
                          "park": keys["park"].astype(object).to_numpy()[ch] if "park" in keys else None,
                          "industry": keys["industry"].astype(object).to_numpy()[ch] if "industry" in keys else None})
    frame = frame.fillna("—")

    def counts(by):
        g = frame.groupby([by, "transition"]).size()
        out: dict = {}
        for (k, t), n in g.items():
            out.setdefault(str(k), {})[t] = int(n)
        return out

    return {"rows": int(len(ch)), "changed": int(ch.sum()),
            "by_transition": {str(k): int(v) for k, v in frame["transition"].value_counts().items()},
            "by_park": counts("park"), "by_industry": counts("industry"),
            "by_indicator": {i: int(m.sum()) for i, m in cmp["moved"].items()}}


# -- the populations -----------------------------------------------------------------------------


def result_columns() -> list[str]:
    """The flat-table columns a what-if compares, fixed for every partition (a range's
    ``_required_max`` is always present, NaN where no row of a partition has a maximum)."""
    cols = ["verdict"]
    for ind in catalogue().indicators:
        cols += [f"{ind.id}_{c}" for c in ("status", "actual", "required", "required_max")]
    return cols


def _flat(pairs: pd.DataFrame, docs, checkpoint: str, only) -> pd.DataFrame:
    """One partition's screening, restricted to :func:`result_columns` (statuses as text)."""
    flat = checks.screen_frame(pairs, docs, checkpoint=checkpoint, only=only)
    out = flat.reindex(columns=result_columns())
    for c in out.columns:
        if not (c == "verdict" or c.endswith("_status")):
            out[c] = out[c].astype("float64")  # statuses stay categorical (the engine's fixed categories)
    return out


def _screen(pairs: pd.DataFrame, rs: list, *, checkpoint: str, only, engine: str, scheduler=None) -> pd.DataFrame:
    """Both engines: locally in one call, or on Dask partitions (a LocalCluster unless ``scheduler``)
    with the same per-partition function, so the results are identical."""
    if engine == "local":
        return _flat(pairs, rs, checkpoint, only)
    if engine != "dask":
        raise InputError(f"engine '{engine}' is unknown", field="engine", expected="local or dask")
    import dask.dataframe as dd

    from .rules.checks import dask_client

    docs = [r.to_dict() for r in rs]
    meta = _flat(pairs.iloc[:1], docs, checkpoint, only).iloc[:0]
    with dask_client(scheduler) as client:
        ddf = dd.from_pandas(pairs.reset_index(drop=True), npartitions=max(2, len(pairs) // 250_000 + 1))
        out = client.compute(ddf.map_partitions(_flat, docs, checkpoint, only, meta=meta)).result()
    return out.reset_index(drop=True)


def project_table(docs: list[dict], as_of: date | None = None) -> pd.DataFrame:
    """Project documents (``{"value", "unit"}`` quantities) as a canonical screening table.

    Column-wise: the documents become one frame in one pass, and each quantity field is converted
    once per distinct unit (``{"value", "unit"}`` cells by their unit's factor from
    :mod:`standardland.units`, plain numbers as they are, already canonical); the table parser
    (:func:`standardland.rules.checks.parse_project_table`) then validates every cell as a screening
    table's. No per-document ``parse_project``: 1,000,000 stored documents read in seconds."""
    if not docs:
        return pd.DataFrame({"decision_date": []})
    qty = quantity_fields(catalogue())
    raw = pd.DataFrame.from_records(docs)
    out = pd.DataFrame(index=raw.index)
    is_dict = np.frompyfunc(lambda v: isinstance(v, dict), 1, 1)
    for k, spec in qty.items():
        if k not in raw.columns:
            continue
        cells = raw[k].to_numpy(dtype=object)
        q = is_dict(cells).astype(bool)
        vals = np.array(pd.to_numeric(pd.Series(np.where(q, None, cells)), errors="coerce"), dtype="float64")
        if q.any():
            obj = pd.DataFrame.from_records(cells[q].tolist(), columns=["value", "unit"])
            v = pd.to_numeric(obj["value"], errors="coerce").to_numpy(dtype="float64")
            unit = obj["unit"].astype(object).to_numpy()
            factor = np.ones(len(obj))
            for u in pd.unique(unit):
                factor[unit == u] = units.convert(1.0, str(u), spec.unit, field=k)
            vals[q] = v * factor
        if not np.isnan(vals).all():
            out[k] = vals
    for k in ("industry_code", "industry_code_edition", "industry_name", "multi_industry_policy"):
        if k in raw.columns:
            col = raw[k].astype(object)
            out[k] = col.where(col.notna(), None).map(lambda v: v if v is None else str(v))
    if "industries" in raw.columns:
        ind = raw["industries"]
        given = ind.notna().to_numpy()
        if given.any():
            col = np.full(len(raw), None, dtype=object)
            col[given] = [json.dumps(v, ensure_ascii=False) for v in ind[given]]
            out["industries"] = col
    if as_of is not None or "decision_date" not in raw.columns:
        out["decision_date"] = as_of.isoformat() if as_of else None
    else:
        out["decision_date"] = raw["decision_date"].astype(object)
    if "nuisance_class" in raw.columns:
        out["nuisance_class"] = raw["nuisance_class"].astype(object)
    return out


def pairs_of(store, table: pd.DataFrame, codes: list[str], extra: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(engine pairs, the projects' industry labels) of a canonical table with its parcel codes."""
    projects = checks.parse_project_table(table.astype(object).where(table.notna(), None))
    projects["parcel_code"] = np.asarray(codes, dtype=object)
    parcels = store.parcels(services.ParcelQuery(codes=tuple(sorted(set(codes)))))
    pairs = checks.join_parcels(projects, checks.parcel_frame(parcels, services.parks(store)))
    for k, v in (extra or {}).items():
        pairs[k] = v
    return pairs


def whatif(store, ruleset, *, as_of: date | None = None, engine: str = "local", scheduler=None,
           limit: int = MAX_ENTRIES) -> dict:
    """Evaluate a draft rule set against the store's applications, inspections and parcels.

    Parameters
    ----------
    store : Store
    ruleset : path, stored id or document
        The draft (:func:`load_draft`).
    as_of : date, optional
        Judge every application and inspection as decided on this date (default: each its own).
    engine : {"local", "dask"}
    limit : int
        At most this many ``changed`` entries per population (the summary counts every row).

    Returns
    -------
    dict
        ``{"draft", "as_of", "changed": [...], "summary": {"applications", "inspections", "parcels"}}``.
    """
    draft = load_draft(store, ruleset, as_of=as_of)
    mu_evaluation(draft.to_dict())  # a bad 亩均 evaluation is refused before any work
    current = services.rulesets(store)
    after_rs = with_draft(current, draft)
    changed: list[dict] = []
    summary: dict = {"applications": {"rows": 0, "changed": 0}}

    apps = store.applications()
    if apps:
        table = project_table([a["project"] for a in apps], as_of)
        pairs = pairs_of(store, table, [a["parcel_code"] for a in apps])
        keys = pd.DataFrame({"id": [a["id"] for a in apps], "parcel_code": [a["parcel_code"] for a in apps],
                             "park": pairs["park"].astype(object).to_numpy(),
                             "industry": pairs["industry_label"].astype(object).to_numpy(),
                             "state": [a["state"] for a in apps]})
        b = _screen(pairs, current, checkpoint="screening", only=None, engine=engine, scheduler=scheduler)
        a_ = _screen(pairs, after_rs, checkpoint="screening", only=None, engine=engine, scheduler=scheduler)
        cmp = compare(b, a_)
        changed += _entries("application", keys, b, a_, cmp, limit)
        summary["applications"] = _summary("application", keys, b, a_, cmp)

    summary["inspections"] = {"rows": 0, "changed": 0}
    agreements = store.agreements()
    ins_rows = []
    for app in apps:
        ag = agreements.get(app["id"])
        if not ag:
            continue
        for ins in store.inspections(app["id"]):
            ins_rows.append((app, ag, ins))
    for checkpoint in ("acceptance", "production_review"):
        group = [(a, g, i) for a, g, i in ins_rows
                 if ("acceptance" if i["kind"] == "acceptance" else "production_review") == checkpoint]
        if not group:
            continue
        only = sorted(catalogue().at(checkpoint))
        docs = []
        for app, ag, ins in group:
            d = {k: v for k, v in app["project"].items() if k in ("name", "industry_code", "industry_code_edition",
                                                                   "industry_name", "industries",
                                                                   "multi_industry_policy", "nuisance_class")}
            d.update(ins["actuals"])
            d["decision_date"] = ag["decision_date"]
            docs.append(d)
        table = project_table(docs, as_of)
        limits = thresholds.limit_columns(
            [thresholds.commitment_limits({k: v for k, v in ag["commitments"].items() if k in only})
             for _, ag, _ in group], layer="agreement")
        pairs = pairs_of(store, table, [a["parcel_code"] for a, _, _ in group], limits)
        keys = pd.DataFrame({"id": [i["id"] for _, _, i in group], "application_id": [a["id"] for a, _, _ in group],
                             "parcel_code": [a["parcel_code"] for a, _, _ in group],
                             "park": pairs["park"].astype(object).to_numpy(),
                             "industry": pairs["industry_label"].astype(object).to_numpy(),
                             "inspection": [i["kind"] for _, _, i in group]})
        b = _screen(pairs, current, checkpoint=checkpoint, only=only, engine=engine, scheduler=scheduler)
        a_ = _screen(pairs, after_rs, checkpoint=checkpoint, only=only, engine=engine, scheduler=scheduler)
        cmp = compare(b, a_)
        changed += _entries("inspection", keys, b, a_, cmp, limit)
        s = _summary("inspection", keys, b, a_, cmp)
        prev = summary["inspections"]
        summary["inspections"] = s if not prev["rows"] else _merge(prev, s)

    parcels = store.parcels()
    if len(parcels):
        on = as_of or date.today()
        pb = services.published_thresholds(store, parcels, on=on, rs=current)
        pa = services.published_thresholds(store, parcels, on=on, rs=after_rs)
        value_cols = [c for c in pb.columns if not c.endswith("_by")]
        vb = pb[value_cols].astype("float64").to_numpy()
        va = pa[value_cols].astype("float64").to_numpy()
        diff = ~((vb == va) | (np.isnan(vb) & np.isnan(va)))
        moved_rows = diff.any(axis=1)
        codes = parcels["code"].to_numpy(dtype=object)
        parks = parcels["park"].astype(object).to_numpy()
        for r in np.flatnonzero(moved_rows)[:limit]:
            changed.append({"kind": "parcel", "parcel_code": codes[r], "park": _py(parks[r]),
                            "thresholds": [{"column": value_cols[j], "before": _f(vb[r, j]), "after": _f(va[r, j])}
                                           for j in np.flatnonzero(diff[r])]})
        by_park: dict = {}
        for p in parks[moved_rows]:
            by_park[str(p) if p is not None else "—"] = by_park.get(str(p) if p is not None else "—", 0) + 1
        summary["parcels"] = {"rows": int(len(parcels)), "changed": int(moved_rows.sum()), "by_park": by_park,
                              "by_threshold": {value_cols[j]: int(diff[:, j].sum())
                                               for j in np.flatnonzero(diff.any(axis=0))}}
    if len(parcels):
        mu_entries, summary["mu_classes"] = mu_class_changes(parcels, current, draft, on=as_of or date.today())
        by_code = {e["parcel_code"]: e for e in changed if e["kind"] == "parcel"}
        for e in mu_entries[:limit]:
            if e["parcel_code"] in by_code:
                by_code[e["parcel_code"]]["mu_class"] = e["mu_class"]
            else:
                changed.append(e)
    return {"draft": draft.id, "series": draft.series, "as_of": as_of.isoformat() if as_of else None,
            "engine": engine, "changed": changed, "summary": summary}


# -- 亩均 classes (A–D, as the park dashboard computes them) --------------------------------------


def mu_evaluation(doc: dict | None, field: str = "ruleset.mu_evaluation") -> tuple[dict, tuple]:
    """(weights, class floors) of a rule-set document's optional ``mu_evaluation``
    (``{"weights": {"tax_per_mu": 0.6, …}, "classes": {"A": 120, "B": 90, "C": 60}}``), the
    defaults of :mod:`standardland.workflow.evaluation` for what it leaves out."""
    from .workflow import evaluation

    spec = (doc or {}).get("mu_evaluation")
    if spec is None:
        return dict(evaluation.DEFAULT_WEIGHTS), evaluation.DEFAULT_CLASSES
    if not isinstance(spec, dict) or set(spec) - {"weights", "classes"}:
        raise InputError(f"{spec!r}", field=field, expected='{"weights": {...}, "classes": {"A": 120, "B": 90, "C": 60}}')
    weights = spec.get("weights", evaluation.DEFAULT_WEIGHTS)
    ids = set(catalogue().ids)
    if (not isinstance(weights, dict) or not weights or set(weights) - ids
            or not all(isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in weights.values())
            or sum(weights.values()) <= 0):
        raise InputError(f"{weights!r}", field=f"{field}.weights",
                         expected="indicator id → non-negative weight (not all 0), e.g. {\"tax_per_mu\": 0.6}")
    floors = spec.get("classes", dict(evaluation.DEFAULT_CLASSES))
    if (not isinstance(floors, dict) or set(floors) != {"A", "B", "C"}
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in floors.values())
            or not floors["A"] >= floors["B"] >= floors["C"]):
        raise InputError(f"{floors!r}", field=f"{field}.classes", expected="{\"A\": ≥ B, \"B\": ≥ C, \"C\": x} (scores)")
    return {k: float(v) for k, v in weights.items()}, tuple((c, float(floors[c])) for c in ("A", "B", "C"))


def mu_class_changes(parcels: pd.DataFrame, current: list[RuleSet], draft: RuleSet, *, on: date) -> tuple[list, dict]:
    """Every in-production parcel's 亩均 class (:func:`standardland.workflow.evaluation.evaluate`,
    per park, as the dashboard scores them) under the evaluation in force (``mu_evaluation`` of the
    draft's series in force on ``on``, else the defaults) and under the draft's. Returns (entries
    of the parcels whose class moves, the summary: counts before and after, by transition and park)."""
    from .workflow import evaluation

    before_doc = next((r.to_dict() for r in current if r.series == draft.series and r.in_force(on)
                       and "mu_evaluation" in r.to_dict()), None)
    wb, cb = mu_evaluation(before_doc)
    wa, ca = mu_evaluation(draft.to_dict()) if "mu_evaluation" in draft.to_dict() else (wb, cb)
    prod = parcels[parcels["status"].to_numpy() == "in_production"]
    summary = {"rows": int(len(prod)), "changed": 0, "by_transition": {}, "by_park": {},
               "before": dict.fromkeys("ABCD", 0), "after": dict.fromkeys("ABCD", 0)}
    if not len(prod):
        return [], summary
    attrs = pd.DataFrame.from_records([a or {} for a in prod["attrs"]])
    flat = pd.DataFrame({"code": prod["code"].to_numpy(dtype=object)})
    for k in {*wb, *wa}:
        flat[k] = attrs[k].to_numpy() if k in attrs.columns else np.nan
    parks = prod["park"].astype(object).where(prod["park"].notna(), "—").to_numpy()
    frames = []
    for park in pd.unique(parks):  # the dashboard scores each park against its own medians
        sub = flat[parks == park].reset_index(drop=True)
        b = evaluation.evaluate(sub, wb, cb)
        a = evaluation.evaluate(sub, wa, ca)
        frames.append(pd.DataFrame({"code": b["code"], "park": park, "before": b["class"], "after": a["class"],
                                    "score_before": b["score"], "score_after": a["score"]}))
    res = pd.concat(frames, ignore_index=True)
    moved = res[res["before"] != res["after"]]
    trans = moved["before"] + "→" + moved["after"]
    summary.update({"changed": int(len(moved)),
                    "by_transition": {str(k): int(v) for k, v in trans.value_counts().items()},
                    "by_park": {str(k): int(v) for k, v in moved["park"].value_counts().items()},
                    "before": {c: int((res["before"] == c).sum()) for c in "ABCD"},
                    "after": {c: int((res["after"] == c).sum()) for c in "ABCD"}})
    entries = [{"kind": "parcel", "parcel_code": r.code, "park": None if r.park == "—" else r.park, "thresholds": [],
                "mu_class": {"before": r.before, "after": r.after, "score_before": float(r.score_before),
                             "score_after": float(r.score_after)}}
               for r in moved.itertuples(index=False)]
    return entries, summary


# -- stored reports and the map's view of one ------------------------------------------------------


def run(store, ruleset, *, created_by: str | None = None, **kw) -> dict:
    """:func:`whatif`, stored: the report with its new ``id`` (``GET /api/v1/whatifs/{id}``,
    ``/map?whatif=ID``)."""
    report = whatif(store, ruleset, **kw)
    report["id"] = store.put_whatif(report, created_by)
    return report


def stored(store, report_id: int) -> dict:
    """A stored what-if report; :class:`NotFoundError` naming ``whatif`` when there is none."""
    r = store.whatif_report(report_id)
    if r is None:
        raise NotFoundError(f"no what-if report {report_id}", field="whatif",
                            expected="the id of a stored report (POST /api/v1/whatifs, standardland whatif)")
    return r


#: the map's colour of a parcel under a what-if, strongest first
MAP_CHANGES = ("to_fail", "to_pass", "threshold")


def map_changes(report: dict) -> dict:
    """Per parcel code, how the what-if changes it (``to_fail``: an application or inspection on it
    goes pass → fail; ``to_pass``: fail → pass; ``threshold``: a published threshold or its 亩均
    class moves; the strongest wins) and the lines of the change (indicator, before → after),
    for the map (:mod:`standardland.maps`)."""
    out: dict[str, dict] = {}

    def put(code, change, lines):
        cur = out.setdefault(code, {"change": change, "lines": []})
        if MAP_CHANGES.index(change) < MAP_CHANGES.index(cur["change"]):
            cur["change"] = change
        cur["lines"] += lines

    for e in report.get("changed", []):
        code = e.get("parcel_code")
        if not code:
            continue
        if e["kind"] in ("application", "inspection"):
            b, a = e.get("before"), e.get("after")
            change = "to_fail" if a == "fail" and b != "fail" else "to_pass" if b == "fail" and a != "fail" \
                else "threshold"
            who = f"{e['kind']} {e.get('id')}"
            put(code, change, [{"what": who, "indicator": None, "before": b, "after": a}]
                + [{"what": who, "indicator": i["id"], "before": i["before"], "after": i["after"],
                    "required_before": i.get("required_before"), "required_after": i.get("required_after")}
                   for i in e.get("indicators", [])])
        else:
            lines = [{"what": "threshold", "indicator": t["column"], "before": t["before"], "after": t["after"]}
                     for t in e.get("thresholds", [])]
            if e.get("mu_class"):
                m = e["mu_class"]
                lines.append({"what": "mu_class", "indicator": None, "before": m["before"], "after": m["after"]})
            put(code, "threshold", lines)
    return out


def _merge(a: dict, b: dict) -> dict:
    out = {"rows": a["rows"] + b["rows"], "changed": a["changed"] + b["changed"]}
    for k in ("by_transition", "by_indicator"):
        out[k] = {x: a.get(k, {}).get(x, 0) + b.get(k, {}).get(x, 0) for x in {*a.get(k, {}), *b.get(k, {})}}
    for k in ("by_park", "by_industry"):
        m: dict = {}
        for src in (a.get(k, {}), b.get(k, {})):
            for g, d in src.items():
                for t, n in d.items():
                    m.setdefault(g, {})[t] = m.get(g, {}).get(t, 0) + n
        out[k] = m
    return out


def report_frame(report: dict) -> pd.DataFrame:
    """The ``changed`` entries as a flat table (one row per moved indicator or threshold), for xlsx."""
    rows = []
    for e in report["changed"]:
        base = {"kind": e["kind"], "id": e.get("id"), "parcel_code": e.get("parcel_code"), "park": e.get("park"),
                "industry": e.get("industry"), "before": e.get("before"), "after": e.get("after")}
        for it in e.get("indicators", []):
            rows.append({**base, "indicator": it["id"], "status_before": it["before"], "status_after": it["after"],
                         "actual": it["actual"], "required_before": it["required_before"],
                         "required_after": it["required_after"], "margin": it["margin"]})
        for t in e.get("thresholds", []):
            rows.append({**base, "indicator": t["column"], "required_before": t["before"],
                         "required_after": t["after"]})
        if e.get("mu_class"):
            m = e["mu_class"]
            rows.append({**base, "indicator": "mu_class", "status_before": m["before"], "status_after": m["after"],
                         "required_before": m["score_before"], "required_after": m["score_after"]})
        if not e.get("indicators") and not e.get("thresholds") and not e.get("mu_class"):
            rows.append(base)
    cols = ["kind", "id", "parcel_code", "park", "industry", "before", "after", "indicator", "status_before",
            "status_after", "actual", "required_before", "required_after", "margin"]
    return pd.DataFrame(rows, columns=cols)
