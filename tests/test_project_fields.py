"""One project field table, two parsers: a JSON document and a CSV/xlsx row agree on every value."""

import json
import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from standardland import services
from standardland.errors import DataValidationError, StandardlandError
from standardland.rules.checks import parse_project_table
from standardland.rules.fields import render_schema
from standardland.rules.project import parse_project

ROOT = Path(__file__).resolve().parents[1]
QTY = ("land_area_m2", "floor_area_m2", "far", "annual_tax_wan_yuan", "green_ratio",
       "fixed_asset_investment_wan_yuan")

dates = st.one_of(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)).map(date.isoformat),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)).map(date.isoformat),
    st.sampled_from(["10-05-2023", "2023/05/10", "20230510", "2024-02-30", "2023-02-29", "2024-13-01",
                     "2024-00-10", "1899-12-31", " 2024-02-29 ", "2024-2-1", "x", ""]),
    st.none())
numbers = st.one_of(st.none(), st.none(), st.floats(min_value=1e-6, max_value=100),
                    st.floats(allow_nan=False, allow_infinity=True, width=64),
                    st.sampled_from([0.0, -0.0, -5.0, 100.0, 100.5, 1e-9]))
rows = st.fixed_dictionaries({
    "decision_date": dates,
    "nuisance_class": st.sampled_from([1, 2, 3, None, 0, 4]),
    "multi_industry_policy": st.sampled_from(["dominant", "strictest", None, "bogus"]),
    "industry_code_edition": st.sampled_from(["2017", "2002", None, "1994"]),
    "industry_code": st.sampled_from(["39", "26", "13", None]),
    "name": st.one_of(st.none(), st.text(min_size=1, max_size=8).filter(lambda t: t.strip())),
    **{k: numbers for k in QTY},
})


def as_document(row: dict) -> dict:
    return {k: v for k, v in row.items() if v is not None}


def as_csv_cells(row: dict) -> dict:
    """The row as a CSV holds it: text in the canonical unit, blank for missing."""
    return {k: "" if v is None else repr(v) if isinstance(v, float) else str(v) for k, v in row.items()}


def _doc(row):
    try:
        return parse_project(as_document(row))
    except StandardlandError:
        return None


def _table(cells: list[dict]):
    df = pd.DataFrame(cells, dtype=object).replace("", np.nan)
    return parse_project_table(df)


def _same(p, t: pd.Series) -> None:
    assert pd.Timestamp(t["decision_date"]).date() == p.decision_date
    for k in QTY:
        a, b = p.values[k], t[k]
        assert (a is None and np.isnan(b)) or a == b, k
    nc = t["nuisance_class"]
    assert (p.nuisance_class is None and np.isnan(nc)) or p.nuisance_class == nc
    assert (p.industry.key2017, p.industry.key2002, p.industry.error or None) == \
        (t["industry_2017"], t["industry_2002"],
         t["industry_error"] if isinstance(t["industry_error"], str) else None)
    assert (p.name if p.name else None) == (t["project_name"] if isinstance(t["project_name"], str) else None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_a_row_is_accepted_by_one_parser_iff_by_the_other_with_the_same_values(row):
    p = _doc(row)
    try:
        t = _table([as_csv_cells(row)])
    except DataValidationError:
        t = None
    assert (p is None) == (t is None), (row, p)
    if p is not None:
        _same(p, t.iloc[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=17, max_size=40))
def test_a_long_table_refuses_exactly_the_rows_a_document_refuses(batch):
    """Long columns are read with pandas, short ones with plain Python: the same answers."""
    refused = {i + 1 for i, r in enumerate(batch) if _doc(r) is None}
    try:
        t = _table([as_csv_cells(r) for r in batch])
        assert not refused
        for i, r in enumerate(batch):
            _same(parse_project(as_document(r)), t.iloc[i])
    except DataValidationError as e:
        assert {p.row for p in e.problems} == refused


@pytest.mark.parametrize("cell, field, says", [
    ({"land_area_m2": "-5"}, "land_area_m2", "-5 is not positive"),
    ({"far": "inf"}, "far", "infinite value"),
    ({"floor_area_m2": "-1"}, "floor_area_m2", "-1 is negative"),
    ({"fixed_asset_investment_wan_yuan": "-100"}, "fixed_asset_investment_wan_yuan", "is negative"),
    ({"decision_date": "10-05-2023"}, "decision_date", "is not in the format YYYY-MM-DD"),
    ({"decision_date": "2024-02-30"}, "decision_date", "no such day"),
    ({"multi_industry_policy": "mostly"}, "multi_industry_policy", "is not one of them"),
])
def test_the_table_refuses_what_the_document_refuses(cell, field, says):
    row = {"decision_date": "2024-03-01", "industry_code": "39", **cell}
    with pytest.raises(DataValidationError) as e:
        _table([row])
    assert [(p.row, p.field) for p in e.value.problems] == [(1, field)]
    assert says in e.value.problems[0].message
    doc = {k: (float(v) if k not in ("decision_date", "industry_code", "multi_industry_policy") else v)
           for k, v in row.items()}
    with pytest.raises(StandardlandError) as d:
        parse_project(doc)
    assert d.value.field == field and says in str(d.value)


def test_a_refund_year_tax_may_be_negative_in_both():
    p = parse_project({"decision_date": "2024-03-01", "annual_tax_wan_yuan": -12.5})
    t = _table([{"decision_date": "2024-03-01", "annual_tax_wan_yuan": "-12.5"}])
    assert p.values["annual_tax_wan_yuan"] == t.loc[0, "annual_tax_wan_yuan"] == -12.5


def test_the_table_honours_several_industries_and_the_policy():
    inds = [{"industry_code": "39", "share": 0.3}, {"industry_code": "26", "share": 0.7}]
    for policy in ("dominant", "strictest"):
        doc = {"decision_date": "2024-03-01", "industries": inds, "multi_industry_policy": policy}
        p = parse_project(doc)
        t = _table([{"decision_date": "2024-03-01", "industries": json.dumps(inds),
                     "multi_industry_policy": policy}])
        assert t.loc[0, "industry_2017"] == p.industry.key2017
    assert parse_project({"decision_date": "2024-03-01", "industries": inds,
                          "multi_industry_policy": "dominant"}).industry.key2017 == "26"
    assert "26" in p.industry.key2017 and "39" in p.industry.key2017  # strictest keeps both
    with pytest.raises(DataValidationError) as e:
        _table([{"decision_date": "2024-03-01", "industries": "[{"}])
    assert e.value.problems[0].field == "industries"


def test_an_excel_date_cell_is_a_date_and_text_must_be_iso(tmp_path):
    path = tmp_path / "p.xlsx"
    pd.DataFrame({"decision_date": [datetime(2023, 5, 10), "2023-05-10"], "industry_code": [39, "39"],
                  "far": [1.2, "1.2"]}).to_excel(path, index=False)
    t = parse_project_table(services.read_table(path))
    assert list(t["decision_date"].dt.date) == [date(2023, 5, 10)] * 2
    assert list(t["far"]) == [1.2, 1.2] and t["industry_2017"].nunique() == 1


def test_the_project_schema_is_generated_from_the_field_table():
    """Regenerate with: python -m standardland.rules.fields > api/project.schema.json."""
    committed = (ROOT / "api" / "project.schema.json").read_text(encoding="utf-8")
    assert committed == render_schema(), "api/project.schema.json is stale"
    schema = json.loads(committed)
    assert schema["properties"]["land_area_m2"]["oneOf"][0] == {"type": "number", "exclusiveMinimum": 0,
                                                                "maximum": 1e12}  # QUANTITY_MAX
    assert schema["properties"]["annual_tax_wan_yuan"]["oneOf"][0] == {"type": "number", "minimum": -1e12,
                                                                       "maximum": 1e12}
    assert schema["properties"]["far"]["oneOf"][0] == {"type": "number", "minimum": 0, "maximum": 1e12}
    assert "id" not in schema["properties"]


def test_the_example_project_still_parses():
    p = parse_project(json.loads((ROOT / "api" / "examples" / "project.json").read_text("utf-8")))
    assert math.isclose(p.values["land_area_m2"], 100_000)
