"""Advice a planner can trust on odd input: no lever for a threshold the industry leaves unresolved,
and quantities no real project reaches are refused naming the field (never a 500 from the advice's
arithmetic)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))
PARCEL = "370613004002GB10001"


def test_an_unresolved_industry_gets_no_lever_and_is_not_zero_away_from_passing(park_store):
    from standardland import services

    v = services.check_project(park_store, dict(EXAMPLE, industry_code="98"), PARCEL, lang="zh")
    assert v["verdict"] == "incomplete"
    unresolved = {i["id"] for i in v["indicators"] if i["reason_code"] == "unresolved"}
    assert unresolved, v["indicators"]
    assert not [lv for lv in v["advice"]["levers"] if lv["indicator"] in unresolved], v["advice"]["levers"]
    assert v["advice"]["within"] is None  # nothing changes it into a pass until the industry is fixed


@pytest.mark.parametrize("field,value", [("floor_area_m2", 1e308), ("land_area_m2", 1e308),
                                         ("annual_tax_wan_yuan", -1e308), ("green_area_m2", 1e300)])
def test_a_quantity_beyond_any_real_project_is_a_422_naming_it(api, field, value):
    base, _, _ = api
    r = httpx.post(f"{base}/api/v1/checks", json={"project": dict(EXAMPLE, **{field: value}),
                                                  "parcel_code": PARCEL}, timeout=60)
    assert r.status_code == 422, r.text
    body = r.json()
    assert field in json.dumps(body) and "1e+12" in json.dumps(body), body


def test_the_largest_accepted_value_still_gets_advice_in_plain_numbers(api):
    base, _, _ = api
    r = httpx.post(f"{base}/api/v1/checks", json={"project": dict(EXAMPLE, green_area_m2=1e12),
                                                  "parcel_code": PARCEL, "lang": "en"}, timeout=60)
    assert r.status_code == 200, r.text
    texts = [lv["text"] for lv in r.json()["advice"]["levers"]]
    assert texts and all(len(t) < 300 for t in texts), texts


def test_a_check_on_an_unknown_parcel_names_parcel_code(api):
    base, _, _ = api
    r = httpx.post(f"{base}/api/v1/checks", json={"project": EXAMPLE, "parcel_code": "370613004002GB19999"},
                   timeout=60)
    assert r.status_code == 404, r.text
    body = r.json()
    assert "parcel_code" in json.dumps(body) and "project.code" not in json.dumps(body), body


def test_a_workflow_date_that_is_no_day_says_so_in_our_words():
    """The body's date: 'no such day' (not "is text"), and no pydantic 'Value error, ' prefix."""
    import pydantic

    from standardland.workflow.bodies import Day

    adapter = pydantic.TypeAdapter(Day)
    with pytest.raises(pydantic.ValidationError) as e:
        adapter.validate_python("2024-02-30")
    assert "'2024-02-30': no such day" in str(e.value)


def test_an_api_validation_message_carries_no_pydantic_prefix(api):
    base, _, _ = api
    r = httpx.post(f"{base}/api/v1/matches", json={"project": EXAMPLE, "within_advice": "lots"}, timeout=60)
    assert r.status_code == 422, r.text
    errs = r.json()["errors"]
    assert any(e["field"] == "within_advice" for e in errs), errs
    assert not any(str(e["message"]).startswith("Value error") for e in errs), errs


def test_an_agreements_price_beyond_any_real_parcel_is_refused():
    """A 1e308 price printed a 300-digit penalty in the documents; it is refused naming the field."""
    import pydantic

    from standardland.workflow.bodies import SignAgreementBody

    fields = SignAgreementBody.model_fields
    assert fields["price_wan_yuan"].metadata and any(getattr(m, "le", None) == 1e12
                                                     for m in fields["price_wan_yuan"].metadata)
    with pytest.raises(pydantic.ValidationError) as e:
        SignAgreementBody.model_validate({"price_wan_yuan": 1e308})
    assert any(err["loc"] == ("price_wan_yuan",) and err["type"] == "less_than_equal" for err in e.value.errors())
