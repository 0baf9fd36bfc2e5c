"""An independent reference for the rule engine: the same decision, one row at a time, in plain
Python, straight from the rule-set *documents* (DOMAIN §3–§6).

Nothing here imports the engine or the threshold module: rule selection (in force on the
decision date, scope, latest per series), the strictest value per layer, advisory values,
the parcel's own ``<id>_min/_max``, and the comparison are written out again, as simply as
possible, so the engine can be checked against it (tests/test_oracle.py). It began as the
plain loop of bench/bench_engine.py.
"""

from __future__ import annotations

import math
from datetime import date

from standardland.codes import parcel_class
from standardland.rules.catalogue import catalogue

TOL = 1e-9
LAYER_ORDER = {"national": 0, "province": 1, "city": 2, "park": 3}


def _in_force(doc: dict, d: date) -> bool:
    start = date.fromisoformat(doc["effective_from"])
    end = date.fromisoformat(doc["effective_to"]) if doc.get("effective_to") else None
    return start <= d and (end is None or d <= end)


def _covers(doc: dict, row: dict) -> bool:
    scope = doc.get("scope") or {}
    if scope.get("admin_prefix") and not (row.get("admin_code") or "").startswith(scope["admin_prefix"]):
        return False
    if scope.get("park") and row.get("park") != scope["park"]:
        return False
    return True


def _divisions(spec: str) -> set[str]:
    out = set()
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        for k in range(int(lo), int(hi or lo) + 1):
            out.add(f"{k:02d}")
    return out


def chosen_sets(docs: list[dict], row: dict) -> list[dict]:
    best: dict[str, dict] = {}
    for doc in docs:
        if not _in_force(doc, row["decision_date"]) or not _covers(doc, row):
            continue
        series = doc.get("series") or doc["id"]
        if series not in best or doc["effective_from"] > best[series]["effective_from"]:
            best[series] = doc
    return list(best.values())


def set_value(doc: dict, ind_id: str, row: dict):
    """(min, max, advisory, kind) of one rule set for one indicator in one row's context.

    kind is None (a value, possibly none), "unresolved" (missing) or "out_of_scope"."""
    rules = [r for r in doc["rules"] if r["indicator"] == ind_id]
    if not rules:
        return None, None, False, "none"
    keyed = any(r.get("industry") for r in rules)
    codes: list[str] = []
    if keyed:
        codes = row["industry_2017" if doc.get("industry_edition") == "2017" else "industry_2002"]
        if row.get("industry_error"):
            return None, None, False, "unresolved"
        if not codes:
            return None, None, False, "unresolved"
        scope = doc.get("scope") or {}
        if scope.get("divisions") and scope.get("edition"):
            own = row["industry_2017" if scope["edition"] == "2017" else "industry_2002"]
            allowed = _divisions(scope["divisions"])
            if own and all(c[:2] not in allowed for c in own):
                return None, None, False, "out_of_scope"
    matching = []
    for r in rules:
        ind = r.get("industry")
        if ind and not any(c.startswith(ind) or ind.startswith(c) for c in codes):
            continue
        if r.get("zone_tier") and r["zone_tier"] != row.get("zone_tier"):
            continue
        matching.append(r)
    if any(r.get("region_class") is not None for r in matching):
        if row.get("region_class") is None:
            return None, None, False, "unresolved"
        matching = [
            r for r in matching if r.get("region_class") is None or r["region_class"] == row["region_class"]
        ]
    if not matching:
        return None, None, False, "none"
    mins = [r["min"] for r in matching if r.get("min") is not None]
    maxs = [r["max"] for r in matching if r.get("max") is not None]
    advisory = all(r.get("severity") == "advisory" for r in matching)
    return (max(mins) if mins else None), (min(maxs) if maxs else None), advisory, None


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def evaluate_row(docs: list[dict], row: dict, checkpoint: str = "screening") -> dict:
    """The verdict of one row: ``{"verdict", "status": {id: s}, "min": {id: v}, "max": {id: v},
    "by": {id: (min layer, max layer)}, "out_of_scope": {ids a rule set's scope left out}}``."""
    cat = catalogue()
    land = _num(row.get("land_area_m2")) or _num(row.get("parcel_area_m2"))
    base = {"land_area_m2": land, "land_area_mu": None if land is None else land * 3 / 2000}
    status, mins, maxs, by, scoped = {}, {}, {}, {}, set()
    for ind in cat.indicators:
        i = ind.id
        lo = hi = alo = ahi = None
        lo_by = hi_by = None
        unresolved = False
        for doc in sorted(chosen_sets(docs, row), key=lambda d: (LAYER_ORDER[d["layer"]], d["id"])):
            vmin, vmax, adv, kind = set_value(doc, i, row)
            if kind == "out_of_scope":
                scoped.add(i)
            if kind == "unresolved":
                unresolved = True
            if adv:
                if vmin is not None and (alo is None or vmin > alo):
                    alo = vmin
                if vmax is not None and (ahi is None or vmax < ahi):
                    ahi = vmax
            else:
                if vmin is not None and (lo is None or vmin > lo):
                    lo, lo_by = vmin, doc["id"]
                if vmax is not None and (hi is None or vmax < hi):
                    hi, hi_by = vmax, doc["id"]
        for layer in ("parcel", "agreement"):
            own = row.get(layer) or {}
            pmin, pmax = _num(own.get(f"{i}_min")), _num(own.get(f"{i}_max"))
            if pmin is not None and (lo is None or pmin > lo):
                lo, lo_by = pmin, layer
            if pmax is not None and (hi is None or pmax < hi):
                hi, hi_by = pmax, layer
        mins[i], maxs[i], by[i] = lo, hi, (lo_by, hi_by)
        actual = _num(row.get(i))
        if actual is None:
            num = base.get(ind.numerator) if ind.numerator in base else _num(row.get(ind.numerator))
            den = base.get(ind.denominator) if ind.denominator in base else _num(row.get(ind.denominator))
            actual = None if num is None or not den else num * ind.scale / den
        if checkpoint not in ind.checkpoints:
            status[i] = "not_applicable"
            continue
        if lo is None and hi is None and alo is None and ahi is None and not unresolved:
            status[i] = "not_applicable"
            continue
        if actual is not None and (
            (lo is not None and actual < lo - TOL * max(1, abs(lo)))
            or (hi is not None and actual > hi + TOL * max(1, abs(hi)))
        ):
            status[i] = "fail"
        elif actual is None or unresolved:
            status[i] = "missing"
        elif (alo is not None and actual < alo - TOL * max(1, abs(alo))) or (
            ahi is not None and actual > ahi + TOL * max(1, abs(ahi))
        ):
            status[i] = "warn"
        else:
            status[i] = "pass"
    # 用地类别
    if checkpoint != "screening":
        lu = "not_applicable"
    else:
        code = row.get("land_use_code")
        pc = parcel_class(code) if code else float("nan")
        nuis = _num(row.get("nuisance_class"))
        if code and pc == 0:
            lu = "fail"
        elif not code:
            lu = "missing"
        elif math.isnan(pc):
            lu = "not_applicable"
        elif nuis is None:
            lu = "missing"
        else:
            lu = "fail" if nuis > pc else "pass"
    status["land_use_class"] = lu
    values = set(status.values())
    # a row on which nothing was judged (every status not_applicable) is incomplete, not a pass
    judged = any(v != "not_applicable" for v in values)
    verdict = "fail" if "fail" in values else "incomplete" if "missing" in values or not judged else "pass"
    return {"verdict": verdict, "status": status, "min": mins, "max": maxs, "by": by, "out_of_scope": scoped}
