"""The rule engine against hand-computed cases (DOMAIN §3–§6, §11)."""

import numpy as np
import pandas as pd
import pytest

from engine_cases import PARKS, RULESETS, check, item, parcel
from standardland.rules import checks
from standardland.errors import InputError, UnitError

ZJ = "330106001001GB00001"  # a Zhejiang parcel: only the national layer applies


def test_value_equal_to_the_threshold_passes():
    # 2002-13 (2017-13) FAR floor 1.0 (national-2008); 10,000 m² land, 10,000 m² floor area → exactly 1.0
    r = check({"industry_code": "13", "floor_area_m2": 10_000}, parcel(ZJ))
    far = item(r, "far")
    assert far["status"] == "pass" and far["actual"] == 1.0 and far["required"]["min"] == 1.0
    assert far["governing_ruleset"] == "national-2008" and far["operator"] == ">="
    assert item(r, "far")["clause"] == "Table 2, 农副食品加工业"
    below = check({"industry_code": "13", "floor_area_m2": 9_999.99}, parcel(ZJ))
    assert item(below, "far")["status"] == "fail"


def test_office_share_exactly_7_percent_passes_and_7_01_fails():
    ok = check({"office_living_land_m2": 700}, parcel(ZJ))  # 700/10000 = 7.00 %
    assert item(ok, "office_land_share")["status"] == "pass"
    assert item(ok, "office_land_share")["actual"] == pytest.approx(7.0)
    bad = check({"office_living_land_m2": 701}, parcel(ZJ))
    assert item(bad, "office_land_share")["status"] == "fail"
    assert item(bad, "office_land_share")["required"]["max"] == 7.0


def test_240_wan_per_mu_is_3600_wan_per_hectare_at_the_shandong_floor():
    p = parcel(park="yantai-hitech-intl")
    d = {"decision_date": "2024-06-01"}  # the park's set is in force from 2021
    ok = check({"investment_intensity": {"value": 3600, "unit": "万元/公顷"}, **d}, p)
    inv = item(ok, "investment_intensity")
    assert inv["actual"] == pytest.approx(240)
    sd = next(lv for lv in inv["layers"] if lv["ruleset"] == "shandong-2005")
    assert sd["min"] == 240 and sd["verified"] == "V"
    # the park's 300 and the shandong 240 both apply: the strictest (park) governs
    assert inv["governing_ruleset"] == "yantai-hitech-intl-2021" and inv["status"] == "fail"
    # 3600 万元/公顷 of investment over 1 ha derived from raw inputs is the same 240 万元/亩
    raw = check({"fixed_asset_investment_wan_yuan": 3600, **d}, p)
    assert item(raw, "investment_intensity")["actual"] == pytest.approx(240)


def test_strictest_layer_wins_and_is_named():
    p = parcel(park="yantai-hitech-intl", investment_intensity_min=350)
    d = {"decision_date": "2024-06-01"}
    r = check({"investment_intensity": 349.99, **d}, p)
    inv = item(r, "investment_intensity")
    assert inv["required"]["min"] == 350 and inv["governing_layer"] == "parcel" and inv["status"] == "fail"
    vals = {lv["ruleset"]: lv["min"] for lv in inv["layers"]}
    assert vals == {"national-2023": None, "shandong-2005": 240, "yantai-hitech-intl-2021": 300, "parcel": 350}
    assert item(check({"investment_intensity": 350, **d}, p), "investment_intensity")["status"] == "pass"


def test_a_local_range_combined_with_a_national_floor():
    # national FAR floor for 2017-17 textiles (2002-17) is 0.8; the park allows 1.0–3.0
    p = parcel(park="yantai-hitech-intl")
    d = {"decision_date": "2024-06-01"}
    r = check({"industry_code": "17", "far": 2.0, **d}, p)
    far = item(r, "far")
    assert (far["required"]["min"], far["required"]["max"]) == (1.0, 3.0)
    assert far["operator"] == "between" and far["status"] == "pass"
    over = item(check({"industry_code": "17", "far": 3.2, **d}, p), "far")
    assert over["status"] == "fail" and over["governing_ruleset"] == "yantai-hitech-intl-2021"
    # a parcel range 0.5–1.8 against a national floor of 1.0 intersects to 1.0–1.8
    q = parcel(ZJ, far_min=0.5, far_max=1.8)
    far = item(check({"industry_code": "13", "far": 0.9}, q), "far")
    assert (far["required"]["min"], far["required"]["max"]) == (1.0, 1.8)
    assert far["status"] == "fail" and far["governing_ruleset"] == "national-2008"


def test_version_is_chosen_by_decision_date_and_2023_only_warns():
    # electronics, region class 1 (land grade 1–4): 2008 Table 1 cell 4400 万元/公顷 = 293.33 万元/亩
    p = parcel(ZJ, grade=2)
    before = item(check({"investment_intensity": 250, "decision_date": "2020-01-01"}, p), "investment_intensity")
    assert before["status"] == "fail" and before["governing_ruleset"] == "national-2008"
    assert before["required"]["min"] == pytest.approx(4400 / 15)
    after = check({"investment_intensity": 250, "decision_date": "2024-01-01"}, p)
    inv = item(after, "investment_intensity")
    assert inv["status"] == "warn" and inv["governing_ruleset"] == "national-2023"
    assert inv["required"]["min"] is None and inv["required"]["advisory_min"] == pytest.approx(4400 / 15)
    assert after["verdict"] != "fail"
    # the last day of the 2008 regime still uses it
    edge = item(check({"investment_intensity": 250, "decision_date": "2023-05-10"}, p), "investment_intensity")
    assert edge["governing_ruleset"] == "national-2008"


def test_missing_national_cell_reads_no_value_on_file():
    r = check({"investment_intensity": 10}, parcel(ZJ, grade=9))  # electronics, region class 4: not on file
    inv = item(r, "investment_intensity")
    assert inv["status"] == "not_applicable"
    assert inv["layers"][0]["note"] == "no value on file"


def test_missing_data_is_missing_not_fail():
    r = check({}, parcel(ZJ))  # no floor area etc.
    assert item(r, "far")["status"] == "missing"
    assert "floor_area_m2" in item(r, "far")["reason"]
    assert r["verdict"] == "incomplete"


def test_unknown_industry_makes_industry_keyed_indicators_missing():
    r = check({"industry_code": "98", "far": 5}, parcel(ZJ), lang="en")
    far = item(r, "far")
    assert far["status"] == "missing" and "industry unknown" in far["reason"]
    assert r["industry"]["error"]
    # indicators that do not depend on industry are still judged
    assert item(check({"industry_code": "98", "green_area_m2": 2500}, parcel(ZJ)), "green_ratio")["status"] == "fail"


def test_2002_2017_trap_gives_different_floors():
    p = parcel(ZJ)
    # 2017-40 instruments → 2002-41 (FAR ≥ 1.0); 2002-40 electronics → FAR ≥ 1.0 as well, but
    # 2017-29 rubber+plastics takes the stricter of 2002-29 (0.8) and 2002-30 (1.0)
    assert item(check({"industry_code": "29", "far": 0.9}, p), "far")["required"]["min"] == 1.0
    assert item(check({"industry_code": "291", "far": 0.9}, p), "far")["status"] == "pass"
    assert item(check({"industry_code": "292", "far": 0.9}, p), "far")["status"] == "fail"
    # 2017-26 chemicals is 2002-26 (0.6); 2002-26 read as a 2017 code would be the same here,
    # but 2002-33 (non-ferrous, 0.6) read as 2017-33 (metal products, 0.7) differs:
    assert item(check({"industry_code": "33", "industry_code_edition": "2002", "far": 0.65}, p),
                "far")["status"] == "pass"
    assert item(check({"industry_code": "33", "far": 0.65}, p), "far")["status"] == "fail"


def test_class_3_project_on_a_class_1_parcel_is_inadmissible():
    r = check({"nuisance_class": 3}, parcel(ZJ, land_use="100101"), lang="en")
    lu = item(r, "land_use_class")
    assert lu["status"] == "fail" and r["verdict"] == "fail" and lu["reason_code"] == "land_use_inadmissible"
    assert "class-3 project is inadmissible on class-1" in lu["reason"]
    zh = item(check({"nuisance_class": 3}, parcel(ZJ, land_use="100101")), "land_use_class")
    assert zh["reason"] == "3类工业项目不得使用1类工业用地（100101）"  # Chinese unless English is asked for
    assert item(check({"nuisance_class": 1}, parcel(ZJ, land_use="100103")), "land_use_class")["status"] == "pass"
    assert item(check({"nuisance_class": 1}, parcel(ZJ, land_use="0901")), "land_use_class")["status"] == "fail"
    assert item(check({"nuisance_class": None}, parcel(ZJ)), "land_use_class")["status"] == "missing"


def test_zero_denominator_is_missing_not_an_error():
    r = check({"value_added_wan_yuan": 100, "energy_tce": 0, "decision_date": "2024-06-01"},
              parcel(park="yantai-hitech-intl"))
    assert item(r, "value_added_per_energy")["status"] == "missing"


def test_direct_value_overrides_derived():
    r = check({"floor_area_m2": 5_000, "far": 1.2}, parcel(ZJ))
    assert item(r, "far")["actual"] == 1.2


def test_checkpoints():
    r = check({"far": 0.1, "tax_per_mu": 1, "decision_date": "2024-06-01"}, parcel(park="yantai-hitech-intl"),
              checkpoint="production_review")
    assert item(r, "far")["status"] == "not_applicable"
    assert item(r, "tax_per_mu")["status"] == "fail"
    assert item(r, "land_use_class")["status"] == "not_applicable"
    with pytest.raises(InputError, match="checkpoint"):
        check({}, parcel(ZJ), checkpoint="someday")


@pytest.mark.parametrize("project, field", [
    ({"far": {"value": 1, "unit": "万元/亩"}}, "far"),
    ({"fixed_asset_investment_wan_yuan": {"value": 1, "unit": "parsec"}}, "fixed_asset_investment_wan_yuan"),
    ({"land_area_m2": "big"}, "land_area_m2"),
    ({"decision_date": "2020-13-45"}, "decision_date"),
    ({"nuisance_class": 4}, "nuisance_class"),
    ({"floor_area": 10}, "floor_area"),
])
def test_bad_project_input_names_the_field(project, field):
    with pytest.raises((InputError, UnitError)) as e:
        check(project, parcel(ZJ))
    assert e.value.field == field


def test_multi_industry_strictest_policy_takes_the_stricter_far():
    proj = {"industries": [{"industry_code": "26", "share": 0.6}, {"industry_code": "39", "share": 0.4}],
            "multi_industry_policy": "strictest", "far": 0.8}
    del_keys = {"industry_code"}
    base = {k: v for k, v in proj.items() if k not in del_keys}
    r = check({**base, "industry_code": None}, parcel(ZJ))
    assert item(r, "far")["required"]["min"] == 1.0  # max(0.6 chemicals, 1.0 electronics)
    dom = check({**base, "industry_code": None, "multi_industry_policy": "dominant"}, parcel(ZJ))
    assert item(dom, "far")["required"]["min"] == 0.6


def test_park_set_is_not_applied_before_it_took_effect():
    r = check({"investment_intensity": 250, "decision_date": "2020-06-01"}, parcel(park="yantai-hitech-intl"))
    inv = item(r, "investment_intensity")
    assert "yantai-hitech-intl-2021" not in {lv["ruleset"] for lv in inv["layers"]}
    assert inv["governing_ruleset"] == "shandong-2005" and inv["status"] == "pass"


def test_vectorized_batch_equals_single_checks():
    rng = np.random.default_rng(7)
    n = 300
    p = parcel(park="yantai-hitech-intl", investment_intensity_min=320)
    df = pd.DataFrame({
        "decision_date": rng.choice(["2015-03-01", "2023-05-10", "2023-05-11", "2025-01-01"], n),
        "industry_code": rng.choice(["13", "17", "26", "29", "39", "40", "43", "98"], n),
        "nuisance_class": rng.choice([1, 2, 3], n).astype(str),
        "fixed_asset_investment_wan_yuan": rng.uniform(2000, 6000, n).round(2).astype(str),
        "floor_area_m2": rng.uniform(5000, 20000, n).round(1).astype(str),
        "office_living_land_m2": rng.uniform(500, 900, n).round(1).astype(str),
        "green_area_m2": rng.uniform(1000, 2500, n).round(1).astype(str),
    })
    projects = checks.parse_project_table(df)
    pf = checks.parcel_frame(p, PARKS)
    pairs = projects.assign(**{c: pf[c].iloc[0] for c in pf.columns})
    flat = checks.screen_frame(pairs, RULESETS)
    for i in range(0, n, 17):
        single = check({k: (float(v) if k not in ("decision_date", "industry_code") else v)
                        for k, v in df.iloc[i].items()} | {"nuisance_class": int(df.iloc[i]["nuisance_class"])}, p)
        assert flat["verdict"].iloc[i] == single["verdict"]
        for it in single["indicators"]:
            assert flat[f"{it['id']}_status"].iloc[i] == it["status"], (i, it["id"])


def test_parcel_class_rule_has_one_home():
    from standardland.codes import parcel_class

    assert [parcel_class(c) for c in ("100101", "100102", "100103", "0901")] == [1, 2, 3, 0]
    assert np.isnan(parcel_class("1001"))


def test_required_text_is_rendered_once_in_the_requests_language():
    p = parcel(ZJ, grade=2)
    zh = check({"investment_intensity": 250, "far": 1.0, "decision_date": "2024-01-01"}, p)
    en = check({"investment_intensity": 250, "far": 1.0, "decision_date": "2024-01-01"}, p, lang="en")
    assert all("required_text" in it for it in zh["indicators"])
    assert item(zh, "investment_intensity")["required_text"] == "≥ 293.33 万元/亩（推荐值）"
    assert item(en, "investment_intensity")["required_text"] == "≥ 293.33 万元/亩 (recommended)"
    assert item(zh, "far")["required_text"] == "≥ 1"
    assert item(zh, "green_ratio")["required_text"] == "≤ 20 %"
    assert item(zh, "tax_per_mu")["required_text"] == "—"
    sd = check({"industry_code": "17", "decision_date": "2024-06-01"}, parcel(park="yantai-hitech-intl"))
    assert item(sd, "far")["required_text"] == "1–3"
    assert item(sd, "investment_intensity")["required_text"] == "≥ 300 万元/亩"


def test_documents_print_the_advisory_requirement_not_a_dash():
    from standardland.workflow.documents import render

    v = check({"investment_intensity": 250, "decision_date": "2024-01-01"}, parcel(ZJ, grade=2))
    app = {"id": 1, "parcel_code": ZJ, "project": {"name": "t", "decision_date": "2024-01-01"},
           "state": "submitted", "verdict": v}
    html = render("check", app, lang="zh")
    assert "≥ 293.33（推荐值）" in html and "≥ —" not in html
    assert "≥ 293.33 (recommended)" in render("check", app, lang="en")


def test_a_commitment_is_its_own_agreement_layer():
    p = parcel(ZJ, investment_intensity_min=280, grade=2)
    r = checks.check({"name": "t", "decision_date": "2020-06-01", "industry_code": "39", "investment_intensity": 300},
                     p, PARKS, RULESETS, checkpoint="acceptance", layers={"agreement": {"investment_intensity_min": 310}},
                     only={"investment_intensity"}, lang="en")
    inv = item(r, "investment_intensity")
    assert inv["status"] == "fail" and inv["required"]["min"] == 310
    assert inv["governing_layer"] == "agreement" and inv["governing_ruleset"] == "agreement"
    assert [lv["layer"] for lv in inv["layers"]] == ["national", "parcel", "agreement"]
    assert item(r, "far")["status"] == "not_applicable" and item(r, "far")["reason"] == \
        "not among the indicators asked for"
    assert r["verdict"] == "fail"


def test_context_for_parcel_and_published_thresholds_share_the_layering():
    from datetime import date

    from standardland.rules.thresholds import Context, effective_thresholds, with_layers

    p = parcel(park="yantai-hitech-intl", investment_intensity_min=350)
    ctx = Context.for_parcel(p.iloc[0], date(2024, 6, 1), parks=PARKS)
    assert (ctx.admin_code, ctx.zone_tier, ctx.park) == ("370613", "national", "yantai-hitech-intl")
    ths = with_layers(effective_thresholds(ctx, RULESETS), {"parcel": p.iloc[0]["attrs"]})
    inv = ths["investment_intensity"]
    assert inv.min == 350 and inv.min_layer.layer == "parcel"
    assert ths["far"].unresolved  # no industry given


def _project(div2002, div2017, label, **values):
    from datetime import date

    from standardland.industry import Industry
    from standardland.rules.project import Project

    return Project(name="t", decision_date=date.fromisoformat(values.pop("decision_date", "2020-06-01")),
                   industry=Industry(div2017=div2017, div2002=div2002, label=label), nuisance_class=1,
                   values={k: values.get(k) for k in ("far", "building_coefficient", "green_ratio")})


def test_an_industry_outside_the_standards_scope_is_not_applicable_with_the_reason():
    # 仓储业 is 2002-58: 国土资发〔2008〕24号 governs manufacturing (2002 divisions 13–43) only
    r = checks.check(_project(("58",), ("59",), "58 仓储业", far=0.2, building_coefficient=10), parcel(ZJ),
                     PARKS, RULESETS)
    far = item(r, "far")
    assert far["status"] == "not_applicable"
    assert far["reason"].startswith("国土资发〔2008〕24号 covers manufacturing, 2002 divisions 13–43；")  # zh
    assert far["reason"].endswith("仓储业属于 2002-58")  # every 2002 division is named, not only manufacturing
    en = item(checks.check(_project(("58",), ("59",), "58 仓储业", far=0.2, building_coefficient=10), parcel(ZJ),
                           PARKS, RULESETS, lang="en"), "far")
    assert en["reason"].startswith("国土资发〔2008〕24号 covers manufacturing, 2002 divisions 13–43; ")
    assert en["reason"].endswith("仓储业 is 2002-58")
    assert [n["kind"] for n in r["notes"]] == ["scope"] and r["notes"][0]["message"] == far["reason"]
    # the set's indicators that do not depend on industry still apply; the verdict is not "incomplete"
    assert item(r, "building_coefficient")["status"] == "fail" and r["verdict"] == "fail"
    # a manufacturing industry is inside the scope: no note, FAR judged
    inside = checks.check(_project(("13",), ("13",), "13", far=0.2), parcel(ZJ), PARKS, RULESETS)
    assert item(inside, "far")["status"] == "fail" and inside["notes"] == []
    # a park that widens the scope (or sets its own FAR) still governs the warehouse
    later = checks.check(_project(("58",), ("59",), "58 仓储业", far=0.2, decision_date="2024-06-01"),
                         parcel(park="yantai-hitech-intl"), PARKS, RULESETS)
    assert item(later, "far")["status"] == "fail" and item(later, "far")["governing_ruleset"] == \
        "yantai-hitech-intl-2021"
    assert later["notes"] and "2023 revision" in later["notes"][0]["message"]


def test_scope_membership_is_decided_per_context_in_a_batch():
    from standardland.rules.engine import evaluate

    n = 6
    cols = {"decision_date": np.array(["2020-06-01"] * n, dtype="datetime64[D]"),
            "industry_2002": np.array(["58", "13", "44", "58", "13", ""], dtype=object),
            "industry_2017": np.array(["59", "13", "44", "59", "13", "43"], dtype=object),
            "admin_code": np.array(["330106"] * n, dtype=object), "parcel_area_m2": np.full(n, 10_000.0),
            "far": np.full(n, 0.2)}
    ev = evaluate(cols, RULESETS)
    assert ev.status_of("far").tolist() == ["not_applicable", "fail", "not_applicable", "not_applicable", "fail",
                                            "missing"]
    assert len(ev.contexts) == 4


@pytest.mark.parametrize("scope, field", [
    ({"edition": "2002", "divisions": "13-x"}, "scope.divisions"),
    ({"edition": "2011", "divisions": "13-43"}, "scope.edition"),
    ({"divisions": "13-43"}, "scope.edition"),
    ({"edition": "2002", "divisions": "43-13"}, "scope.divisions"),
])
def test_bad_scope_names_the_field(scope, field):
    from standardland.errors import RuleSetError
    from standardland.rules.rulesets import parse_ruleset

    doc = {"id": "nat", "layer": "national", "effective_from": "2008-01-31", "industry_edition": "2002",
           "scope": scope, "rules": [{"indicator": "far", "industry": "13", "min": 1}]}
    with pytest.raises(RuleSetError) as e:
        parse_ruleset(doc)
    assert e.value.field == field


def test_a_row_on_which_nothing_is_judged_is_incomplete_not_pass():
    # no rule set, and a parcel land use that names no industrial class: every status is
    # not_applicable. That is no evidence of compliance, so the verdict must not read "pass".
    r = checks.check({"name": "t", "decision_date": "2020-06-01", "industry_code": "39", "nuisance_class": 1,
                      "floor_area_m2": 20_000}, parcel(land_use="1001"), PARKS, [])
    assert {i["status"] for i in r["indicators"]} == {"not_applicable"}
    assert r["verdict"] == "incomplete"
    assert [n["kind"] for n in r["notes"]] == ["nothing_judged"]
    # with the shipped rule sets the same project is judged (FAR passes), and the note is gone
    ok = check({"floor_area_m2": 20_000}, parcel(land_use="1001"))
    assert item(ok, "far")["status"] == "pass" and "nothing_judged" not in [n["kind"] for n in ok["notes"]]


def test_published_requirement_texts_are_the_one_rendering():
    # the map's popups and OGC items show <id>_text rendered by the same required_text a check uses
    from standardland.rules.explain import required_text, required_texts

    lo = [240.0, None, 1.2, None, 240.0, 1234.5]
    hi = [None, 7.0, 3.0, None, None, None]
    got = required_texts(lo, hi).tolist()
    assert got == ["≥ 240", "≤ 7", "1.2–3", None, "≥ 240", "≥ 1,234.5"]
    assert got[2] == required_text({"min": 1.2, "max": 3.0, "advisory_min": None, "advisory_max": None}, "between")
