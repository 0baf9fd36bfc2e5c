"""Verdicts a planner can trust on real names (issue: every official name, the standard's scope, no
false pass): hand-computed against 国土资发〔2008〕24号 表2 (FAR minimums by 2002 division)."""

from __future__ import annotations

import pandas as pd

from standardland import services


def _screen(store, rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame([{"decision_date": "2020-06-01", "land_area_m2": "10000", **r} for r in rows])
    df["id"] = [f"r{i}" for i in range(len(df))]
    return services.screen_table(store, df, ruleset_ids=["national-2008"], indicators=["far"]).set_index("id")


def test_group_and_class_names_resolve_to_their_division_and_are_judged(store):
    res = _screen(store, [
        {"name": "整车", "industry_name": "汽车制造", "industry_code_edition": "2002", "far": "0.69"},
        {"name": "整车", "industry_name": "汽车制造", "industry_code_edition": "2002", "far": "0.70"},
        {"name": "冰箱", "industry_name": "家用制冷电器具制造", "far": "0.69"},
    ])
    # 汽车制造 = 2002 group 372 → division 37 (FAR ≥ 0.7): 0.69 fails, 0.70 (equal) passes
    assert (res.loc["r0", "far_status"], res.loc["r0", "far_required"]) == ("fail", 0.7)
    assert res.loc["r1", "far_status"] == "pass"
    assert "372" in res.loc["r0", "industry_label"]
    # 家用制冷电器具制造 = 2002 class 3951 → division 39 (FAR ≥ 0.7)
    assert (res.loc["r2", "far_status"], res.loc["r2", "far_required"]) == ("fail", 0.7)


def test_a_warehouse_is_outside_the_standards_scope_not_missing(store):
    res = _screen(store, [{"name": "物流仓库", "industry_name": "仓储业", "far": "0.5"}])
    assert res.loc["r0", "far_status"] == "not_applicable"  # neither fail nor pass, and not "missing"
    assert pd.isna(res.loc["r0", "far_required"])


def test_the_scope_reason_reaches_a_check(park_store):
    import json
    from pathlib import Path

    project = json.loads((Path(__file__).resolve().parents[1] / "api/examples/project.json").read_text("utf-8"))
    project.update({"industry_code": None, "industry_name": "仓储业", "decision_date": "2020-06-01"})
    project.pop("industry_code")
    project.pop("industry_code_edition", None)
    out = services.check_project(park_store, project, "370613004002GB10001")
    far = next(i for i in out["indicators"] if i["id"] == "far")
    national = [la for la in far["layers"] if la["ruleset"] == "national-2008"]
    assert national and national[0]["min"] is None  # the national table does not apply to 58
    scope = [n for n in out["notes"] if n["kind"] == "scope"]
    assert scope and "13" in scope[0]["message"] and "58" in scope[0]["message"]
