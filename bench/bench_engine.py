"""Rule engine throughput: 1,000,000 (project, parcel) rows × 10 indicators, against the same
decision in a plain Python loop and in zen-engine (GoRules JDM via ``ZenEngine(loader=...)``).

The three implement one decision table: thresholds per context (industry, region class,
decision-date version, zone tier, park) as resolved by standardland.rules.indicators, then a
min/max comparison per indicator. Rows/s of the loop and of zen are measured on a sample
and extrapolated; the statuses are cross-checked on that sample.
"""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np
import pandas as pd

from common import timer

INDICATORS = ["investment_intensity", "far", "building_coefficient", "office_land_share", "green_ratio",
              "tax_per_mu", "output_per_mu", "value_added_per_energy", "value_added_per_emission", "rd_ratio"]


def make_pairs(n: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    from standardland import industry

    codes = ["13", "17", "18", "21", "26", "27", "29", "33", "34", "35", "36", "38", "39", "40"]
    res = {c: industry.resolve(c) for c in codes}
    ind = rng.choice(codes, n)
    area = rng.uniform(6_000, 120_000, n)
    mu = area * 3 / 2000
    return pd.DataFrame({
        "decision_date": pd.Categorical(rng.choice(pd.to_datetime(["2019-06-01", "2024-06-01"]), n)),
        "industry_2017": pd.Categorical([res[c].key2017 for c in ind]),
        "industry_2002": pd.Categorical([res[c].key2002 for c in ind]),
        "industry_error": pd.Categorical([None] * n),
        "region_class": rng.choice([1.0, 3.0, 7.0], n),
        "zone_tier": pd.Categorical(rng.choice(["national", "provincial_qingdao_yantai_weihai"], n)),
        "admin_code": pd.Categorical(["370613"] * n),
        "park": pd.Categorical(rng.choice(["yantai-hitech-intl", "other"], n)),
        "land_use_code": pd.Categorical(rng.choice(["100101", "100102", "100103"], n)),
        "nuisance_class": rng.choice([1.0, 2.0, 3.0], n),
        "parcel_area_m2": area,
        "fixed_asset_investment_wan_yuan": mu * rng.uniform(150, 450, n),
        "floor_area_m2": area * rng.uniform(0.5, 2.5, n),
        "building_footprint_m2": area * rng.uniform(0.25, 0.6, n),
        "office_living_land_m2": area * rng.uniform(0.02, 0.09, n),
        "green_area_m2": area * rng.uniform(0.05, 0.25, n),
        "annual_tax_wan_yuan": mu * rng.uniform(5, 40, n),
        "annual_output_wan_yuan": mu * rng.uniform(200, 600, n),
        "value_added_wan_yuan": mu * rng.uniform(50, 200, n),
        "energy_tce": mu * rng.uniform(10, 60, n),
        "emissions_t": mu * rng.uniform(0.1, 1, n),
        "rd_expense_wan_yuan": mu * rng.uniform(1, 10, n),
        "revenue_wan_yuan": mu * rng.uniform(200, 600, n),
    })


# -- the same decision, row by row in Python ----------------------------------------------------
def python_loop(pairs: pd.DataFrame, ev) -> list[list[str]]:
    """Per row: look the context's thresholds up, compute each indicator, compare. No numpy."""
    from standardland.rules.indicators import catalogue

    cat = catalogue()
    ths = ev.key_thresholds
    kidx = ev.key_index.tolist()
    recs = pairs.to_dict("records")
    out = []
    for r, k in zip(recs, kidx):
        th = ths[k]
        area = r["parcel_area_m2"]
        base = {"land_area_m2": area, "land_area_mu": area * 3 / 2000}
        row = []
        for ind in cat.indicators:
            num = base.get(ind.numerator, r.get(ind.numerator))
            den = base.get(ind.denominator, r.get(ind.denominator))
            actual = num * ind.scale / den if den else None
            t = th[ind.id]
            if t.min is None and t.max is None and t.advisory_min is None and t.advisory_max is None:
                row.append("not_applicable")
            elif t.unresolved:
                row.append("missing")
            elif (t.min is not None and actual < t.min - 1e-9 * max(1, abs(t.min))) or \
                    (t.max is not None and actual > t.max + 1e-9 * max(1, abs(t.max))):
                row.append("fail")
            elif (t.advisory_min is not None and actual < t.advisory_min - 1e-9 * max(1, abs(t.advisory_min))) or \
                    (t.advisory_max is not None and actual > t.advisory_max + 1e-9 * max(1, abs(t.advisory_max))):
                row.append("warn")
            else:
                row.append("pass")
        out.append(row)
    return out


# -- the same decision as a GoRules JDM graph for zen-engine ---------------------------------------
def jdm_for(pairs: pd.DataFrame, ev) -> dict:
    """A decision table (one row per context, first hit) feeding an expression node per indicator."""
    inputs = [{"id": f"in_{c}", "name": c, "field": c} for c in ("ctx",)]
    outputs = []
    for ind in INDICATORS:
        for b in ("min", "max", "amin", "amax"):
            outputs.append({"id": f"o_{ind}_{b}", "name": f"{ind}_{b}", "field": f"{ind}_{b}"})
    rules = []
    for k, th in enumerate(ev.key_thresholds):
        rule = {"_id": f"r{k}", "in_ctx": json.dumps(str(k))}
        for ind in INDICATORS:
            t = th[ind]
            for b, v in (("min", t.min), ("max", t.max), ("amin", t.advisory_min), ("amax", t.advisory_max)):
                rule[f"o_{ind}_{b}"] = "null" if v is None else repr(float(v))
        rules.append(rule)
    exprs = []
    from standardland.rules.indicators import catalogue

    for ind in catalogue().indicators:
        num = "(parcel_area_m2 * 3 / 2000)" if ind.numerator == "land_area_mu" else ind.numerator
        den = "(parcel_area_m2 * 3 / 2000)" if ind.denominator == "land_area_mu" else \
            ("parcel_area_m2" if ind.denominator == "land_area_m2" else ind.denominator)
        a = f"({num} * {ind.scale} / {den})"
        i = ind.id
        exprs.append({"id": f"e_{i}", "key": f"{i}_status", "value": (
            f"({i}_min == null and {i}_max == null and {i}_amin == null and {i}_amax == null) ? 'not_applicable' : "
            f"(({i}_min != null and {a} < {i}_min - 0.000000001 * max([1, abs({i}_min)])) or "
            f"({i}_max != null and {a} > {i}_max + 0.000000001 * max([1, abs({i}_max)]))) ? 'fail' : "
            f"(({i}_amin != null and {a} < {i}_amin - 0.000000001 * max([1, abs({i}_amin)])) or "
            f"({i}_amax != null and {a} > {i}_amax + 0.000000001 * max([1, abs({i}_amax)]))) ? 'warn' : 'pass'")})
    pos = {"x": 0, "y": 0}
    return {"contentType": "application/vnd.gorules.decision", "nodes": [
        {"id": "input", "type": "inputNode", "name": "request", "position": pos},
        {"id": "table", "type": "decisionTableNode", "name": "thresholds", "position": pos,
         "content": {"hitPolicy": "first", "inputs": inputs, "outputs": outputs, "rules": rules,
                     "passThrough": True, "inputField": None, "outputPath": None, "executionMode": "single"}},
        {"id": "expr", "type": "expressionNode", "name": "verdicts", "position": pos,
         "content": {"expressions": exprs, "passThrough": False, "inputField": None, "outputPath": None,
                     "executionMode": "single"}},
        {"id": "output", "type": "outputNode", "name": "response", "position": pos},
    ], "edges": [{"id": "e1", "sourceId": "input", "targetId": "table", "type": "edge"},
                 {"id": "e2", "sourceId": "table", "targetId": "expr", "type": "edge"},
                 {"id": "e3", "sourceId": "expr", "targetId": "output", "type": "edge"}]}


def main(n: int = 1_000_000, sample: int = 20_000) -> dict:
    from standardland.rules.engine import STATUSES, evaluate
    from standardland.rules.rulesets import load_rulesets, shipped_rulesets

    rs = load_rulesets(shipped_rulesets())
    print(f"\n== rule engine: {n:,} (project, parcel) rows × {len(INDICATORS)} indicators ==")
    pairs = make_pairs(n)
    evaluate(pairs.iloc[:1000], rs)  # warm-up
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        ev = evaluate(pairs, rs)
        best = min(best, time.perf_counter() - t0)
    vec_rate = n / best
    print(f"  vectorized engine (best of 3)                              {best * 1000:10.1f} ms  "
          f"{vec_rate / 1e6:6.2f} M rows/s")
    with timer("flat table for the CLI/CSV (Evaluation.flat)"):
        ev.flat()

    sub = pairs.iloc[:sample].reset_index(drop=True)
    ev_sub = evaluate(sub, rs)
    t0 = time.perf_counter()
    loop = python_loop(sub, ev_sub)
    loop_rate = sample / (time.perf_counter() - t0)
    print(f"  plain Python loop ({sample:,} rows)                          {sample / loop_rate * 1000:10.1f} ms  "
          f"{loop_rate / 1e6:6.3f} M rows/s")
    vec_status = np.column_stack([STATUSES[ev_sub.status[i]] for i in INDICATORS])
    assert (np.array(loop) == vec_status).all(), "python loop disagrees with the engine"

    import zen

    doc = jdm_for(sub, ev_sub)
    content = zen.ZenDecisionContent(json.dumps(doc))  # parsed once; the loader hands it out
    engine = zen.ZenEngine({"loader": lambda key: content})
    ctx_cols = [c for c in sub.columns if sub[c].dtype.kind == "f"]
    ctxs = [{**{c: float(r[j]) for j, c in enumerate(ctx_cols)}, "ctx": str(k)}
            for r, k in zip(sub[ctx_cols].to_numpy().tolist(), ev_sub.key_index.tolist())]
    zsample = min(sample, 2_000)
    engine.evaluate("standard-land", ctxs[0])
    t0 = time.perf_counter()
    zres = [engine.evaluate("standard-land", c)["result"] for c in ctxs[:zsample]]
    zen_rate = zsample / (time.perf_counter() - t0)
    print(f"  zen-engine, ZenEngine(loader=...).evaluate ({zsample:,} rows)     {zsample / zen_rate * 1000:10.1f} ms  "
          f"{zen_rate / 1e6:6.4f} M rows/s")
    zst = np.array([[z[f"{i}_status"] for i in INDICATORS] for z in zres])
    agree = (zst == vec_status[:zsample]).mean()
    t0 = time.perf_counter()
    engine.evaluate_batch([{"key": "standard-land", "context": c} for c in ctxs[:zsample]])
    zb_rate = zsample / (time.perf_counter() - t0)
    print(f"  zen-engine evaluate_batch ({zsample:,} rows)                     {zsample / zb_rate * 1000:10.1f} ms  "
          f"{zb_rate / 1e6:6.4f} M rows/s")
    print(f"  zen statuses agree with the engine on {agree:.2%} of {zsample:,} × {len(INDICATORS)} cells")
    print(f"  ratios: engine / python loop = {vec_rate / loop_rate:,.0f}×; engine / zen = {vec_rate / zen_rate:,.0f}×"
          f" (vs zen batch {vec_rate / zb_rate:,.0f}×)")
    print(f"  targets: ≥ 5 M rows/s {'met' if vec_rate >= 5e6 else 'MISSED'}; "
          f"≥ 50× zen {'met' if vec_rate / zen_rate >= 50 else 'MISSED'}")
    return {"rows_per_s": vec_rate, "loop_rows_per_s": loop_rate, "zen_rows_per_s": zen_rate, "agree": agree}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
