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


# -- admission: the park record is the source; park rule sets in force add to it ------------------

PARK = "yantai-hitech-intl"


def _set_park_lists(store, *, admitted=(), negative=()):
    """Edit the sample park's record as ``parks add`` does (validated by parks.park_record)."""
    from standardland import parks as parks_mod

    row = store.parks().set_index("code").loc[PARK]
    doc = {"code": PARK, "name": row["name"], "name_en": row["name_en"], "county_code": row["county_code"],
           "zone_tier": row["zone_tier"], "attrs": {k: v for k, v in row["attrs"].items()
                                                    if k not in (parks_mod.ADMITTED, parks_mod.NEGATIVE)},
           "admitted_industries": list(admitted), "negative_industries": list(negative), "geometry": row.geometry}
    parks_mod.put_park(store, parks_mod.park_record(doc, rulesets=store.rulesets()))


def _with_industry(code):
    proj = copy.deepcopy(EXAMPLE)
    proj["industry_code"] = code
    return proj


def _std_parcel(store):
    return next(r["code"] for r in services.parcel_records(store.parcels()) if r["status"] == "published")


def test_the_park_record_lists_decide_matching_and_the_check(park_store):
    std = _std_parcel(park_store)
    assert services.match_project(park_store, EXAMPLE)["candidates"] == 5
    assert not [n for n in services.check_project(park_store, EXAMPLE, std)["notes"]
                if n["kind"].startswith("industry_")]
    # the park admits only 13 (agri-food processing): 39 is refused by matching and noted by the check
    _set_park_lists(park_store, admitted=["13"])
    m = services.match_project(park_store, EXAMPLE)
    assert m["candidates"] == 0 and m["excluded"].get(f"industry not admitted by {PARK}") == 5
    notes = [n for n in services.check_project(park_store, EXAMPLE, std, lang="en")["notes"]
             if n["kind"].startswith("industry_")]
    assert [n["kind"] for n in notes] == ["industry_not_admitted"]
    assert notes[0]["admitted"] == ["13"] and notes[0]["sources"] == ["park", "yantai-hitech-intl-2021"]
    assert "not admitted by park yantai-hitech-intl" in notes[0]["message"]
    # the park's negative list (39) joins the rule set's (25, 26, 31, 32): the union refuses both
    _set_park_lists(park_store, negative=["39"])
    m = services.match_project(park_store, EXAMPLE)
    assert m["candidates"] == 0 and m["excluded"].get(f"industry on the negative list of {PARK}") == 5
    note = [n for n in services.check_project(park_store, EXAMPLE, std)["notes"] if n["kind"] == "industry_negative"]
    assert note and note[0]["negative"] == ["25", "26", "31", "32", "39"] and "负面清单" in note[0]["message"]
    m = services.match_project(park_store, _with_industry("26"))  # the rule set's list still applies
    assert m["candidates"] == 0 and f"industry on the negative list of {PARK}" in m["excluded"]


def test_admitted_lists_of_the_park_and_a_rule_set_intersect(park_store):
    doc = next(d for d in park_store.rulesets() if d["id"] == "yantai-hitech-intl-2021")
    doc = copy.deepcopy(doc)
    doc["admission"]["admitted_industries_2017"] = ["39", "40"]
    park_store.put_ruleset(doc)
    assert services.match_project(park_store, EXAMPLE)["candidates"] == 5  # the rule set alone admits 39
    _set_park_lists(park_store, admitted=["40", "27"])
    std = _std_parcel(park_store)
    verdicts = {}
    for division in ("39", "40", "27"):
        m = services.match_project(park_store, _with_industry(division))
        notes = [n["kind"] for n in services.check_project(park_store, _with_industry(division), std)["notes"]
                 if n["kind"].startswith("industry_")]
        verdicts[division] = (m["candidates"], notes)
    # 39: the rule set admits it, the park does not; 27: the park does, the rule set not; 40: both
    assert verdicts == {"39": (0, ["industry_not_admitted"]), "40": (5, []), "27": (0, ["industry_not_admitted"])}


def test_a_rule_set_out_of_force_adds_nothing(park_store):
    from datetime import date

    from standardland.parks import admission

    rs = services.rulesets(park_store)
    before = admission(park_store.parks(), rs, date(2020, 6, 1))  # the park set begins 2021-01-01
    after = admission(park_store.parks(), rs, date(2024, 6, 1))
    assert PARK not in before and sorted(after[PARK].negative) == ["25", "26", "31", "32"]
    _set_park_lists(park_store, negative=["13"])
    before = admission(park_store.parks(), rs, date(2020, 6, 1))[PARK]
    assert sorted(before.negative) == ["13"] and before.admitted is None and before.sources == ("park",)
