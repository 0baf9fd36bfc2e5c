"""Rank 100,000 parcels for one project (goal: < 200 ms), with the index built once."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import geopandas as gpd

from common import synthetic_parcels, timer


def main(n: int = 100_000) -> dict:
    from standardland.rules import matching
    from standardland.parcels import prepare_parcels
    from standardland.rules.rulesets import shipped_rulesets

    print(f"\n== matching: rank {n:,} parcels for one project ==")
    gdf = synthetic_parcels(n)
    gdf["status"] = "published"  # all available: the worst case for ranking
    gdf["park"] = "yantai-hitech-intl"
    parcels, _ = prepare_parcels(gdf)
    parks = gpd.GeoDataFrame({"code": ["yantai-hitech-intl"], "zone_tier": ["national"]})
    res: dict = {}
    with timer("build the parcel index (engine columns + STRtree), once", res):
        idx = matching.build_index(parcels, parks, shipped_rulesets())
    project = json.loads((Path(__file__).resolve().parents[1] / "src" / "standardland" / "examples" /
                          "project.json").read_text(encoding="utf-8"))
    project.pop("land_area_m2")  # no area filter: every parcel is ranked
    matching.match(project, idx, top=10)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        m = matching.match(project, idx, top=10)
        best = min(best, time.perf_counter() - t0)
    print(f"  rank {m['candidates']:,} candidates, top 10 explained (best of 5)     {best * 1000:10.1f} ms")
    aoi = parcels.geometry.iloc[: n // 10].union_all().envelope
    with timer("the same within an area of interest (STRtree query)", res):
        m2 = matching.match(project, idx, top=10, within=aoi)
    print(f"    ({m2['candidates']:,} candidates inside the area)")
    print(f"  goal < 200 ms: {'met' if best < 0.2 else 'MISSED'}")
    res["rank"] = best
    return res


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
