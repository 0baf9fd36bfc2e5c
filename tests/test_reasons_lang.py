"""A rule set's own reasons (an industry it cannot place, a parcel without a land grade, a scope that
leaves the project out) are worded in the check's language, under stable codes, and survive pickling
(Dask workers get the same reasons)."""

from __future__ import annotations

import pickle
import re

import pytest

from engine_cases import check, item, parcel
from standardland.rules.rulesets import Reason, load_rulesets, shipped_rulesets
from standardland.rules.thresholds import Context, effective_thresholds

CJK = re.compile(r"[\u3400-\u9fff]")
ZJ = "330106001001GB00001"  # a Zhejiang parcel: only the national layer applies


def _both(project, p):
    zh, en = check(project, p, lang="zh"), check(project, p, lang="en")
    return item(zh, "far"), item(en, "far"), zh, en


def test_an_industry_the_rule_set_cannot_place_reads_in_chinese_and_english():
    zh, en, _, _ = _both({"industry_code": "98", "far": 5}, parcel(ZJ))
    assert zh["reason_code"] == en["reason_code"] == "unresolved"
    assert zh["reason"].startswith("行业无法确定") and "industry unknown" not in zh["reason"]
    assert en["reason"].startswith("industry unknown (") and not CJK.search(en["reason"].split("(")[0])


def test_a_parcel_without_a_land_grade_reads_in_chinese_and_english():
    """The investment-intensity table is keyed by region class, which the land grade gives."""
    p = parcel(grade=None)
    zh, en = (check({"industry_code": "39"}, p, lang=lang) for lang in ("zh", "en"))
    a = next(i for i in zh["indicators"] if i["reason_code"] == "unresolved")
    b = item(en, a["id"])
    assert a["reason"] == "地块没有土地等别，无法确定其所在地区类别（1–7）"
    assert b["reason"] == "the parcel has no land grade, so its region class (1–7) is unknown"


def test_a_scope_note_names_the_projects_division_in_the_language():
    """2017 division 44 (electricity supply) is outside the national sets' manufacturing scope."""
    zh, en = (check({"industry_code": "44", "industry_code_edition": "2017", "decision_date": "2024-06-01"},
                    parcel(ZJ), lang=lang) for lang in ("zh", "en"))
    zn = [n["message"] for n in zh["notes"] if n["kind"] == "scope"]
    en_ = [n["message"] for n in en["notes"] if n["kind"] == "scope"]
    assert zn and en_, (zh["notes"], en["notes"])
    tail_zh, tail_en = zn[0].split("；")[-1], en_[0].split("; ")[-1]
    assert tail_zh in ("项目行业为 2002-44",) or tail_zh.endswith("属于 2002-44"), zn
    assert tail_en in ("the project's industry is 2002-44",) or tail_en.endswith(" is 2002-44"), en_
    far_zh, far_en = item(zh, "far"), item(en, "far")
    assert far_zh["reason_code"] == far_en["reason_code"] == "out_of_scope"
    assert far_zh["reason"] == zn[0] and far_en["reason"] == en_[0]


@pytest.mark.parametrize("code", ["industry_unknown", "no_counterpart", "no_land_grade"])
def test_a_reason_is_its_english_text_and_pickles_with_its_code(code):
    params = {"industry_unknown": {"error": "x"}, "no_counterpart": {"edition": "2002", "ruleset": "r"},
              "no_land_grade": {}}[code]
    r = Reason.of(code, **params)
    back = pickle.loads(pickle.dumps(r))
    assert back == r and back.code == code and back.text("zh") == r.text("zh") and back.text("en") == str(r)
    assert CJK.search(r.text("zh")) and not CJK.search(str(r).replace("x", ""))


def test_thresholds_keep_the_english_text_for_data_consumers():
    """The thresholds API and the flat table read the reason as text: it is still the English sentence."""
    ths = effective_thresholds(Context(decision_date=pickle.loads(pickle.dumps(
        __import__("datetime").date(2020, 6, 1))), industry_error="no industry"),
        load_rulesets(shipped_rulesets()))
    assert isinstance(ths["far"].unresolved, str) and ths["far"].unresolved == "industry unknown (no industry)"


def test_a_code_of_the_right_length_that_names_nothing_says_so():
    from standardland.industry import resolve

    err = resolve("98").error
    assert "there is no division 98" in err and "GB/T 4754-2017" in err
    assert "there is no group 999" in resolve("999").error
