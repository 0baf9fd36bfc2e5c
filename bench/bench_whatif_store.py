"""A policy what-if over N stored applications (1,000,000 by default), end to end from the store:
:func:`standardland.whatif.whatif` reads every application document, builds the project table
(column-wise, :func:`standardland.whatif.project_table`), screens before and after the draft, and
compares — locally and, with ``--dask``, on a LocalCluster (identical reports asserted). The
project-table step is also timed against the per-document ``parse_project`` it replaced.

The store is a SQLite file with the sample park (35 parcels); the applications are inserted in bulk
(one ``executemany``; workflow writes are not what is measured) with varied quantities, half of
them typed as ``{"value", "unit"}`` (亩, 亿元). The draft tightens the sample park's set (FAR ≥ 1.2,
investment intensity ≥ 330 万元/亩).

Run: ``PYTHONPATH=src python bench/bench_whatif_store.py [N] [--dask]``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def documents(n: int, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    codes = ["13", "17", "18", "26", "27", "29", "34", "35", "36", "38", "39", "40"]
    ind = rng.choice(codes, n)
    mu = rng.uniform(20, 200, n)
    inv = mu * rng.uniform(150, 450, n)
    far = rng.uniform(0.5, 2.5, n)
    typed = rng.random(n) < 0.5
    out = []
    for i in range(n):
        m2 = mu[i] * 2000 / 3
        d = {"name": f"p{i}", "industry_code": str(ind[i]), "industry_code_edition": "2017", "nuisance_class": 1,
             "decision_date": "2024-03-01",
             "land_area_m2": {"value": round(float(mu[i]), 4), "unit": "亩"} if typed[i] else round(float(m2), 2),
             "fixed_asset_investment_wan_yuan": ({"value": round(float(inv[i]) / 10_000, 6), "unit": "亿元"}
                                                 if typed[i] else round(float(inv[i]), 2)),
             "floor_area_m2": round(float(m2 * far[i]), 2), "building_footprint_m2": round(float(m2 * 0.45), 2),
             "office_living_land_m2": round(float(m2 * 0.05), 2), "green_area_m2": round(float(m2 * 0.1), 2)}
        out.append(json.dumps(d, ensure_ascii=False))
    return out


def main(n: int, dask: bool) -> None:
    from sqlalchemy import text

    from standardland import whatif
    from standardland.rules.project import parse_project
    from standardland.rules.rulesets import shipped_rulesets
    from standardland.sample import load_reference_data
    from standardland.store import open_store

    tmp = Path(tempfile.mkdtemp())
    store = open_store(f"sqlite:///{tmp / 'w.db'}")
    load_reference_data(store, with_sample=True)
    parcels = store.parcels()
    avail = parcels[parcels["status"].isin(["published", "serviced", "listed"])]["code"].tolist() or \
        parcels["code"].tolist()
    t0 = time.perf_counter()
    docs = documents(n)
    rows = [{"p": avail[i % len(avail)], "j": d} for i, d in enumerate(docs)]
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO applications (parcel_code, applicant, state, version, project) "
                          "VALUES (:p, 'bench', 'submitted', 1, :j)"), rows)
    del rows, docs
    print(f"{n:,} stored applications (inserted in {time.perf_counter() - t0:.1f} s)")

    t0 = time.perf_counter()
    apps = store.applications()
    t_read = time.perf_counter() - t0
    projects = [a["project"] for a in apps]
    t0 = time.perf_counter()
    whatif.project_table(projects)
    t_table = time.perf_counter() - t0
    k = min(n, 100_000)
    t0 = time.perf_counter()
    for d in projects[:k]:
        parse_project(d)
    t_parse = (time.perf_counter() - t0) * n / k
    print(f"  store.applications() (read + JSON)       {t_read:8.2f} s")
    print(f"  project table, column-wise               {t_table:8.2f} s")
    print(f"  per-document parse_project (extrapolated from {k:,}) {t_parse:8.2f} s")
    del apps, projects

    park = next(d for d in shipped_rulesets() if d["id"] == "yantai-hitech-intl-2021")
    draft = {**park, "id": "yantai-hitech-intl-draft", "effective_from": "2099-01-01",
             "rules": [dict(r, min=1.2) if r["indicator"] == "far" else
                       dict(r, min=330) if r["indicator"] == "investment_intensity" else r for r in park["rules"]]}
    t0 = time.perf_counter()
    local = whatif.whatif(store, draft)
    t_local = time.perf_counter() - t0
    s = local["summary"]["applications"]
    print(f"  what-if, local (end to end)              {t_local:8.2f} s; {s['changed']:,} of {s['rows']:,} change "
          f"({', '.join(f'{k} {v:,}' for k, v in s['by_transition'].items())})")
    if dask:
        t0 = time.perf_counter()
        dd = whatif.whatif(store, draft, engine="dask")
        t_d = time.perf_counter() - t0
        same = dd["changed"] == local["changed"] and dd["summary"] == local["summary"]
        print(f"  what-if, Dask LocalCluster (2 workers)   {t_d:8.2f} s; identical report: {same}")
        assert same
    store.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 1_000_000, "--dask" in sys.argv)
