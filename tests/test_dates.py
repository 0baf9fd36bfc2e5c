"""One home for dates (`standardland.dates`): the accepted forms, errors naming the field and form."""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from standardland import dates, services
from standardland.errors import DataValidationError, InputError, RuleSetError
from standardland.rules.checks import parse_project_table
from standardland.rules.fields import project_schema
from standardland.rules.project import parse_project
from standardland.rules.rulesets import parse_ruleset
from standardland.workflow.documents import long_date


@pytest.mark.parametrize("value", ["2024-03-01", " 2024-03-01 ", "2024/3/1", "2024/03/01", "2024年3月1日",
                                   "2024-03-01T08:30:00", "2024-03-01 08:30", date(2024, 3, 1),
                                   datetime(2024, 3, 1, 23, 59), np.datetime64("2024-03-01"),
                                   pd.Timestamp("2024-03-01 12:00")])
def test_every_accepted_form_gives_the_same_day(value):
    assert dates.parse_date(value, "decision_date") == date(2024, 3, 1)


@pytest.mark.parametrize("value, words", [("03/01/2024", "is not a date"), ("1/3/2024", "is not a date"),
                                          ("2024-3-1", "is not a date"), ("24-03-01", "is not a date"),
                                          ("2023-02-29", "no such day"), ("2024年2月30日", "no such day"),
                                          (45352, "is not a date"), ("", "missing"), (None, "missing"),
                                          (np.datetime64("NaT"), "missing")])
def test_refused_values_name_the_field_and_the_accepted_forms(value, words):
    with pytest.raises(InputError) as e:
        dates.parse_date(value, "agreed_start")
    assert e.value.field == "agreed_start" and words in e.value.message
    assert e.value.expected == dates.EXPECTED and "YYYY年M月D日" in e.value.expected


def test_blank_is_none_when_not_required_and_the_error_class_is_the_callers():
    assert dates.parse_date(" ", "effective_to", required=False) is None
    with pytest.raises(RuleSetError):
        dates.parse_date("soon", "effective_to", error=RuleSetError)


def test_a_column_is_parsed_in_its_one_explicit_format_and_every_bad_row_is_named():
    n = 100_000
    col = np.array(["2024-03-01", "2021-12-31", ""] * (n // 3) + ["2020-02-29"], dtype=object)
    out = dates.parse_date_column(col, "decision_date")
    assert out.dtype == np.dtype("datetime64[D]") and np.isnat(out).sum() == n // 3
    assert out[0] == np.datetime64("2024-03-01") and out[-1] == np.datetime64("2020-02-29")
    assert (dates.parse_date_column(["2024年3月1日"], "d", "YYYY年M月D日") == np.datetime64("2024-03-01")).all()
    with pytest.raises(DataValidationError) as e:  # no guessing: the other forms are refused in a column
        dates.parse_date_column(["2024-03-01", "2024/3/1", "3/1/2024", 7, None], "decision_date", required=True)
    assert [(p.row, p.field) for p in e.value.problems] == [(2, "decision_date"), (3, "decision_date"),
                                                            (4, "decision_date"), (5, "decision_date")]
    assert "YYYY-MM-DD" in e.value.problems[0].message
    with pytest.raises(InputError) as e:
        dates.parse_date_column(["2024-03-01"], "decision_date", "mixed")
    assert e.value.field == "format"


def test_a_rule_set_dated_in_chinese_form_is_kept_in_iso_form():
    doc = {"id": "dates-test", "layer": "park", "effective_from": "2024年3月1日", "effective_to": "2025/12/31",
           "scope": {"park": "nowhere"}, "rules": [{"indicator": "tax_per_mu", "min": 1}]}
    rs = parse_ruleset(doc)
    assert (rs.effective_from, rs.effective_to) == (date(2024, 3, 1), date(2025, 12, 31))
    assert (rs.payload["effective_from"], rs.payload["effective_to"]) == ("2024-03-01", "2025-12-31")
    with pytest.raises(RuleSetError) as e:
        parse_ruleset(dict(doc, effective_from="01.03.2024"))
    assert e.value.field == "effective_from"


def test_the_cli_date_options_take_every_accepted_form():
    from standardland import services

    assert services.decision_date("2024年3月1日") == services.decision_date("2024/3/1") == date(2024, 3, 1)
    with pytest.raises(InputError) as e:
        services.decision_date("1.3.2024")
    assert e.value.field == "date" and "YYYY-MM-DD" in e.value.expected


# -- the project fields read dates by the same rule (issue 14) -----------------------------------------

@pytest.mark.parametrize("text", ["2024-06-01", "2024/6/1", "2024年6月1日", " 2024 年 6 月 1 日 ", "2024/06/01"])
def test_a_project_document_takes_every_accepted_form(text):
    p = parse_project({"decision_date": text, "industry_code": "39", "signed_on": text})
    assert p.decision_date == date(2024, 6, 1)


@pytest.mark.parametrize("text, says", [("6/1/2024", "is not in the format YYYY-MM-DD, YYYY/M/D or YYYY年M月D日"),
                                        ("2024年2月30日", "'2024年2月30日': no such day"),
                                        ("1899/12/31", "year 1899 is out of range")])
def test_a_project_document_refuses_the_rest_naming_the_field_and_forms(text, says):
    with pytest.raises(InputError) as e:
        parse_project({"decision_date": text, "industry_code": "39"})
    assert e.value.field == "decision_date" and says in e.value.message


def test_a_gbk_csv_column_in_every_form_is_read_and_a_bad_row_named(tmp_path):
    forms = ["2024/6/1", "2024年6月1日", "2024-06-01", "2024/06/01"]
    body = "".join(f"{f},39,1.5\n" for f in forms * 10)  # 40 rows: the vectorized path
    path = tmp_path / "项目.csv"
    path.write_bytes(("决策日期,行业代码,容积率\n" + body).encode("gbk"))
    df = services.read_table(path)
    assert df.attrs["encoding"] == "gb18030"
    got = parse_project_table(df)["decision_date"]
    assert (got == pd.Timestamp("2024-06-01")).all() and len(got) == 40
    path.write_bytes(("决策日期,行业代码,容积率\n" + body + "6/1/2024,39,1.5\n2024年13月1日,39,1.5\n").encode("gbk"))
    with pytest.raises(DataValidationError) as e:
        parse_project_table(services.read_table(path))
    assert [(p.row, p.field) for p in e.value.problems] == [(41, "decision_date"), (42, "decision_date")]
    assert "YYYY年M月D日" in e.value.problems[0].message and "no such day" in e.value.problems[1].message


_CELL = st.one_of(st.text(alphabet="0123456789２０/-年月日 T:", max_size=14),
                  st.builds(date.strftime, st.dates(min_value=date(1000, 1, 1)),
                            st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y/%-m/%-d", "%Y-%m-%d 08:%M"])),
                  st.none(), st.integers(), st.dates())


@settings(max_examples=60, deadline=None)
@given(st.lists(_CELL, min_size=1, max_size=40))
def test_a_column_reads_each_cell_as_parse_date_reads_it(cells):
    """The vectorized reader (small and large columns) is the scalar rule, cell for cell."""
    r = dates.read_date_cells(cells)
    for i, v in enumerate(cells):
        try:
            want = dates.parse_date(v, "d", required=False)
        except InputError:
            assert np.isnat(r.days[i]) and (r.refused[i] or r.no_such_day[i])
            continue
        if want is None:
            assert r.blank[i] and np.isnat(r.days[i])
        else:
            assert r.days[i] == np.datetime64(want) and not (r.refused[i] or r.no_such_day[i] or r.blank[i])


def test_the_schema_and_the_documents_take_the_same_forms():
    pattern = project_schema()["properties"]["decision_date"]["pattern"]
    assert all(re.search(pattern, t) for t in ("2024-06-01", "2024/6/1", "2024年6月1日"))
    assert not re.search(pattern, "6/1/2024")
    assert long_date("2024/6/1", "zh") == long_date("2024年6月1日", "zh") == "2024年6月1日"
    assert long_date(" 2024-06-01T08:00:00 ", "en") == "1 June 2024" and long_date(None, "en") == ""
    with pytest.raises(InputError):
        long_date("1.6.2024", "zh")


def test_workflow_body_dates_follow_the_one_rule():
    """A transition body's date (workflow/bodies.Day) takes the forms of dates.py; never a number."""
    import pydantic

    from standardland.workflow.bodies import Day

    ta = pydantic.TypeAdapter(Day)
    assert ta.validate_python("2024-06-01") == ta.validate_python("2024/6/1") == ta.validate_python("2024年6月1日") \
        == date(2024, 6, 1)
    for bad in (1717200000, "06/01/2024", "2024-02-30", True):
        with pytest.raises(pydantic.ValidationError):
            ta.validate_python(bad)
