"""One home for dates (`standardland.dates`): the accepted forms, errors naming the field and form."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from standardland import dates
from standardland.errors import DataValidationError, InputError, RuleSetError
from standardland.rules.rulesets import parse_ruleset


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
