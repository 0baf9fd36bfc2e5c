"""Batch screening through the real CLI, and the same engine on Dask."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from standardland.rules import checks
from standardland import services
from standardland.rules.rulesets import load_rulesets, shipped_rulesets

RECORDS = Path(__file__).resolve().parents[1] / "geodata" / "records" / "shandong_2017_industrial_projects.csv"


def test_real_records_screen_end_to_end_against_national_2008_far(tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    subprocess.run([sys.executable, "-m", "standardland.cli", "init", "--db", db], check=True, capture_output=True)
    out = tmp_path / "out.csv"
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "screen", str(RECORDS), "--out", str(out),
                        "--ruleset", "national-2008", "--indicator", "far", "--db", db, "--json"],
                       capture_output=True, text=True, check=True)
    summary = json.loads(p.stdout)
    assert summary["rows"] == 59
    res = pd.read_csv(out)
    assert {"verdict", "far_status", "far_actual", "far_required", "far_layer"} <= set(res.columns)
    # hand-checked rows: 2002-26 chemicals agreed FAR 1.0 ≥ 0.6; metal products 0.6 < 0.7;
    # textiles/garments (2002-18) 0.7 < 1.0; "其它" cannot be judged
    row = res.set_index("id")
    assert (row.loc["SD2017-001", "far_status"], row.loc["SD2017-001", "far_required"]) == ("pass", 0.6)
    assert (row.loc["SD2017-010", "far_status"], row.loc["SD2017-010", "far_required"]) == ("fail", 0.7)
    assert row.loc["SD2017-016", "far_status"] == "fail"
    assert row.loc["SD2017-015", "far_status"] == "pass"  # 0.70 = 0.70 passes
    assert row.loc["SD2017-008", "verdict"] == "incomplete"
    assert "generic" in row.loc["SD2017-008", "industry_error"]
    # 汽车制造 is 2002 group 372 (division 37, FAR ≥ 0.7): SD2017-012/013 at 0.7 pass, SD2017-051 at 0.6 fails
    assert [row.loc[i, "far_status"] for i in ("SD2017-012", "SD2017-013", "SD2017-051")] == ["pass", "pass", "fail"]
    counts = res["verdict"].value_counts().to_dict()
    assert counts == {"pass": 38, "incomplete": 9, "fail": 12}


def test_screen_refuses_bad_cells_with_row_and_field(store, tmp_path):
    df = pd.DataFrame({"decision_date": ["2020-01-01", "2020-13-01"], "industry_code": ["39", "39"],
                       "far": ["1.0", "high"], "colour": ["red", "blue"]})
    from standardland.errors import DataValidationError

    with pytest.raises(DataValidationError) as e:
        services.screen_table(store, df)
    got = {(p.row, p.field) for p in e.value.problems}
    assert got == {(0, "colour"), (2, "far"), (2, "decision_date")}


def _random_table(n, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "decision_date": rng.choice(["2012-01-01", "2021-06-30", "2024-02-29"], n),
        "industry_code": rng.choice(["13", "26", "29", "39", "40", "43", "59"], n),  # 59 仓储业: no FAR row
        "nuisance_class": rng.choice(["1", "2", "3"], n),
        "land_area_m2": rng.uniform(5_000, 80_000, n).round(2).astype(str),
        "fixed_asset_investment_wan_yuan": rng.uniform(1_000, 30_000, n).round(2).astype(str),
        "floor_area_m2": rng.uniform(2_000, 100_000, n).round(2).astype(str),
        "office_living_land_m2": rng.uniform(0, 5_000, n).round(2).astype(str),
    })


@pytest.mark.slow
def test_dask_results_are_identical_to_local(tmp_path):
    df = _random_table(20_000)
    pairs = checks.parse_project_table(df)
    rs = shipped_rulesets()
    local = checks.screen_frame(pairs, load_rulesets(rs))
    dist = checks.screen_dask(pairs, rs, npartitions=4)
    pd.testing.assert_frame_equal(local, dist)
    services.write_table(local, tmp_path / "local.csv")
    services.write_table(dist, tmp_path / "dask.csv")
    assert (tmp_path / "local.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()
    assert set(local["verdict"]) == {"fail", "incomplete"}
    assert set(local["far_status"]) >= {"pass", "fail", "not_applicable"}  # every 2017 code has a 2002 counterpart


def test_an_empty_screening_is_an_empty_answer(store):
    """One engine function serves 0, 1 and N rows: an empty table screens to an empty table."""
    import pandas as pd

    from standardland import services

    res = services.screen_table(store, pd.DataFrame({"id": [], "decision_date": [], "industry_code": []}))
    assert len(res) == 0 and "verdict" in res.columns


def test_csv_format_is_pinned(tmp_path):
    """The bytes of a written table: UTF-8 BOM, CRLF row ends, text quoted (RFC 4180, a quote doubled,
    a line break kept inside its quotes), numbers in their shortest round-trip form, a missing value
    empty, formulas neutralised in cells, categories and headers."""
    import csv
    import io

    from standardland import tables

    df = pd.DataFrame({"id": ["a,b", 'q"x', "l\nb", None, "工业", "=1+1"],
                       "far_actual": [0.1, 1e-7, 1234567.891, np.nan, 3.0, -2.5],
                       "far_status": pd.Categorical(["pass", "fail", "pass", None, "=x", "pass"]),
                       "n": [1, 2, 3, 4, 5, -6]})
    out = tmp_path / "t.csv"
    tables.write_csv(df, out)
    raw = out.read_bytes()
    assert raw == ('\ufeffid,far_actual,far_status,n\r\n'
                   '"a,b",0.1,"pass",1\r\n'
                   '"q""x",1e-7,"fail",2\r\n'
                   '"l\nb",1234567.891,"pass",3\r\n'
                   ',,,4\r\n'
                   '"工业",3,"\'=x",5\r\n'
                   '"\'=1+1",-2.5,"pass",-6\r\n').encode("utf-8")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [float(r[1]) for r in rows[1:] if r[1]] == [0.1, 1e-7, 1234567.891, 3.0, -2.5]  # exact round trip
    assert [r[0] for r in rows[1:]] == ["a,b", 'q"x', "l\nb", "", "工业", "'=1+1"]
    # a header that needs quoting is quoted; a table with booleans keeps the same guarantees
    odd = tmp_path / "odd.csv"
    tables.write_csv(pd.DataFrame({"a,b": ["x"], "ok": [True]}), odd)
    assert odd.read_bytes() == '\ufeff"a,b",ok\r\nx,True\r\n'.encode("utf-8")


def test_screen_csv_reads_back_as_the_screened_table(tmp_path):
    df = _random_table(500)
    pairs = checks.parse_project_table(df)
    res = checks.screen_frame(pairs, load_rulesets(shipped_rulesets()))
    services.write_table(res, tmp_path / "s.csv")
    back = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(back.columns) == list(res.columns)
    def cells(col):  # an empty text cell and a missing value read back alike
        return [None if v is None or v == "" else v for v in col.astype(object).where(col.notna(), None)]

    for c in res.columns:
        assert cells(back[c]) == cells(res[c]), c
