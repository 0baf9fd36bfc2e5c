"""Ranking the sample park's parcels for a project."""

import copy
import json
from pathlib import Path

import shapely

from standardland import services

EXAMPLE = json.loads((Path(__file__).resolve().parents[1] / "src" / "standardland" / "examples" /
                      "project.json").read_text(encoding="utf-8"))


def test_matches_only_available_parcels_and_explains(park_store):
    m = services.match_project(park_store, EXAMPLE, top=10)
    assert m["considered"] == 35 and m["candidates"] == 5
    assert m["excluded"] == {"status: not available": 30}
    assert [r["rank"] for r in m["results"]] == [1, 2, 3, 4, 5]
    assert all(r["verdict"] == "pass" for r in m["results"])
    heads = [r["headroom"] for r in m["results"]]
    assert heads == sorted(heads, reverse=True)


def test_failures_rank_below_passes_and_say_why(park_store):
    proj = copy.deepcopy(EXAMPLE)
    proj["fixed_asset_investment_wan_yuan"] = 150 * 330  # 330 万元/亩: passes 300/320, fails 350/380
    m = services.match_project(park_store, proj)
    verdicts = [r["verdict"] for r in m["results"]]
    assert verdicts == sorted(verdicts, key=lambda v: {"pass": 0, "incomplete": 1, "fail": 2}[v])
    fails = [r for r in m["results"] if r["verdict"] == "fail"]
    assert {r["parcel_code"] for r in fails} == {"370613004002GB10001", "370613004002GB10004"}
    assert any(w.startswith("investment_intensity: fail") for w in fails[0]["why"])


def test_hard_filters(park_store):
    proj = copy.deepcopy(EXAMPLE)
    proj["nuisance_class"] = 2
    m = services.match_project(park_store, proj)
    assert m["candidates"] == 2  # only the two 100102 standard-land parcels
    proj["industry_code"] = "26"  # chemicals: on the park's negative list
    m = services.match_project(park_store, proj)
    assert m["candidates"] == 0 and any("negative list" in k for k in m["excluded"])
    proj = copy.deepcopy(EXAMPLE)
    proj["land_area_m2"] = 300_000  # far larger than any parcel
    assert services.match_project(park_store, proj)["candidates"] == 0


def test_area_of_interest(park_store):
    parcels = park_store.parcels()
    target = parcels[parcels["code"] == "370613004002GB10003"].geometry.iloc[0]
    m = services.match_project(park_store, EXAMPLE, within=shapely.buffer(target, -1e-5))
    assert [r["parcel_code"] for r in m["results"]] == ["370613004002GB10003"]
    assert m["excluded"] == {"status: not available": 30, "outside the area of interest": 4}
