"""Rule sets: validation, versions in the store, loading an official table."""

import copy
import json
from datetime import date

import pandas as pd
import pytest

from standardland import services
from standardland.errors import NotFoundError, RuleSetError
from standardland.rules.rulesets import parse_ruleset, shipped_rulesets

PARK = {"id": "test-park", "layer": "park", "effective_from": "2022-01-01", "scope": {"park": "p1"},
        "rules": [{"indicator": "tax_per_mu", "min": 15}]}


def test_shipped_rulesets_parse_and_keep_flags():
    docs = {d["id"]: d for d in shipped_rulesets()}
    assert set(docs) == {"national-2008", "national-2023", "shandong-2005", "yantai-hitech-intl-2021"}
    n08 = parse_ruleset(docs["national-2008"])
    inv = [r for r in n08.rules if r.indicator == "investment_intensity"]
    assert {(r.industry, r.region_class, round(r.min, 6)) for r in inv} == {("40", 1, round(4400 / 15, 6)),
                                                                          ("40", 7, round(440 / 15, 6))}
    assert all(r.verified == "V" for r in inv)
    n23 = parse_ruleset(docs["national-2023"])
    assert all(r.verified == "U" for r in n23.rules)
    assert all(r.severity == "advisory" for r in n23.rules if r.indicator == "investment_intensity")
    assert docs["yantai-hitech-intl-2021"]["illustrative"] is True


@pytest.mark.parametrize("patch, field", [
    ({"layer": "county"}, "layer"),
    ({"effective_from": "2022-02-30"}, "effective_from"),
    ({"effective_to": "2021-01-01"}, "effective_to"),
    ({"scope": {}}, "scope"),
    ({"rules": [{"indicator": "jobs", "min": 1}]}, "rules[0].indicator"),
    ({"rules": [{"indicator": "tax_per_mu", "min": 1, "unit": "%"}]}, "rules[0].unit"),
    ({"rules": [{"indicator": "far", "min": 2, "max": 1}]}, "rules[0]"),
    ({"rules": [{"indicator": "far", "min": "high"}]}, "rules[0].min"),
    ({"rules": [{"indicator": "far", "min": 1, "industry": "39"}]}, "industry_edition"),
    ({"rules": []}, "rules"),
])
def test_bad_rulesets_name_the_field(patch, field):
    doc = copy.deepcopy(PARK) | patch
    with pytest.raises(RuleSetError) as e:
        parse_ruleset(doc)
    assert e.value.field == field


def test_units_in_rules_are_converted_to_canonical():
    doc = copy.deepcopy(PARK)
    doc["rules"] = [{"indicator": "investment_intensity", "min": 3600, "unit": "万元/公顷"},
                    {"indicator": "building_coefficient", "min": 0.3, "unit": "ratio"}]
    rs = parse_ruleset(doc)
    assert rs.rules[0].min == pytest.approx(240) and rs.rules[1].min == pytest.approx(30)


def test_load_an_official_table_into_national_2008(store, tmp_path):
    """A user loads the rest of Table 1; a formerly missing cell then governs."""
    rows = [{"indicator": "investment_intensity", "industry": "26", "region_class": 3, "min": 2000,
             "unit": "万元/公顷", "verified": "user-loaded", "source": "official PDF p.3"},
            {"indicator": "investment_intensity", "industry": "40", "region_class": 3, "min": 2500,
             "unit": "万元/公顷", "verified": "user-loaded", "source": "official PDF p.3"}]
    path = tmp_path / "table1.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False)
    res = services.load_rule_file(store, path, into="national-2008")
    assert res["rules"] == 37
    from standardland.sample import load_reference_data

    load_reference_data(store, with_sample=True)  # re-initialising keeps the user's table
    th = services.parcel_thresholds(store, "370613004002GB10002", on=date(2020, 1, 1),
                                    industry={"industry_code": "39"})
    inv = next(i for i in th["indicators"] if i["id"] == "investment_intensity")
    n08 = next(lv for lv in inv["layers"] if lv["ruleset"] == "national-2008")
    assert n08["min"] == pytest.approx(2500 / 15) and n08["verified"] == "user-loaded"
    assert inv["min"] == 320 and inv["min_by"] == "parcel"  # parcel 320 > shandong 240 > national 166.67


def test_a_bad_table_changes_nothing(store, tmp_path):
    before = json.dumps(store.rulesets(), sort_keys=True)
    path = tmp_path / "bad.csv"
    pd.DataFrame([{"indicator": "far", "industry": "13", "min": "one"}]).to_csv(path, index=False)
    with pytest.raises(RuleSetError, match="not a number"):
        services.load_rule_file(store, path, into="national-2008")
    with pytest.raises(RuleSetError, match="--into"):
        services.load_rule_file(store, path)
    with pytest.raises(NotFoundError):
        services.load_rule_file(store, path, into="nope")
    assert json.dumps(store.rulesets(), sort_keys=True) == before


def test_rules_show_on_the_sample_park(park_store):
    th = services.parcel_thresholds(park_store, "370613004002GB10001", on=date(2024, 1, 1))
    far = next(i for i in th["indicators"] if i["id"] == "far")
    assert (far["min"], far["max"]) == (1.2, 2.5) and far["min_by"] == "parcel"
    national = next(lv for lv in far["layers"] if lv["ruleset"] == "national-2023")
    assert "industry unknown" in national["note"]  # no industry given: the FAR table cannot be read


def test_published_thresholds_agree_with_each_parcels_thresholds(park_store):
    """The map's per-parcel thresholds and a parcel's thresholds come from the one home of layering."""
    gdf = park_store.parcels()
    pub = services.published_thresholds(park_store, gdf, on=date(2024, 1, 1))
    assert len(pub) == len(gdf)
    for k in range(0, len(gdf), max(1, len(gdf) // 8)):
        code = gdf["code"].iloc[k]
        one = {it["id"]: it for it in services.parcel_thresholds(park_store, code, on=date(2024, 1, 1))["indicators"]}
        for ind_id, it in one.items():
            assert pub[f"{ind_id}_min"].iloc[k] == it["min"] and pub[f"{ind_id}_max"].iloc[k] == it["max"], \
                (code, ind_id)
            assert pub[f"{ind_id}_by"].iloc[k] == (it["min_by"] if it["min"] is not None else it["max_by"])
