"""Screening a CSV in pieces (standardland.screening): the Arrow-typed read gives the values and errors the
text read gives, the pieces give the bytes a whole table gives, and Dask workers that read their own
byte ranges give the bytes the local engine gives."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from standardland import io as sio
from standardland import screening, services
from standardland.errors import DataValidationError
from standardland.rules import checks
from standardland.rules.rulesets import load_rulesets, shipped_rulesets


def _table(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = np.char.add("项目", np.arange(n).astype(str)).astype(object)
    names[::97] = '甲,乙 "丙"\n第二行'  # quoted: a comma, a doubled quote and a line break inside the cell
    far = rng.uniform(0.3, 2.5, n).round(3).astype(str).astype(object)
    far[::13] = ""  # blank: missing
    return pd.DataFrame({
        "id": np.char.add("P", np.arange(n).astype(str)),
        "name": names,
        "decision_date": rng.choice(["2012-01-01", "2021-06-30", "2024-02-29"], n),
        "industry_code": rng.choice(["13", "26", "29", "39", "40", "59"], n),
        "nuisance_class": rng.choice(["1", "2", "3", ""], n),
        "用地面积(亩)": rng.uniform(10, 120, n).round(2).astype(str),
        "fixed_asset_investment_wan_yuan": rng.uniform(1_000, 30_000, n).round(2).astype(str),
        "far": far,
    })


def _write(df: pd.DataFrame, path, encoding="utf-8"):
    df.to_csv(path, index=False, encoding=encoding)
    return path


@pytest.fixture(scope="module")
def rules():
    return load_rulesets(shipped_rulesets())


def test_typed_read_parses_to_what_the_text_read_parses_to(tmp_path):
    """Quantities, the nuisance class and the date typed by Arrow give the same parsed table as every
    cell read as text (the reader the screening had before)."""
    path = _write(_table(3_000), tmp_path / "p.csv")
    typed = sio.read_table(path)
    assert typed["far"].dtype == "float64" and typed["decision_date"].dtype.kind == "M"
    assert typed["land_area_m2"].dtype == "float64"  # 用地面积(亩), converted to m²
    text = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    text, _ = sio.aliases.apply_column_aliases(text, "project")
    a, b = checks.parse_project_table(typed), checks.parse_project_table(text)
    assert list(a.columns) == list(b.columns)
    for c in a.columns:
        x, y = a[c].astype(object).where(a[c].notna(), None), b[c].astype(object).where(b[c].notna(), None)
        assert x.tolist() == y.tolist(), c


@pytest.mark.parametrize("cell,message", [
    ("high", "'high' is not a number in -"), (" 1.5 ", None), ("nan", "'nan' is not a number in -"),
    ("inf", "infinite value"), ("1e400", "infinite value"), ("-1", "-1 is negative"),
])
def test_a_cell_arrow_refuses_keeps_the_text_path_and_its_error(tmp_path, cell, message):
    path = tmp_path / "p.csv"
    path.write_text(f"decision_date,industry_code,far\n2024-01-01,39,1.0\n2024-01-01,39,{cell}\n", encoding="utf-8")
    df = sio.read_table(path)
    if message is None:
        assert checks.parse_project_table(df)["far"].tolist() == [1.0, 1.5]
        return
    with pytest.raises(DataValidationError) as e:
        checks.parse_project_table(df)
    assert [(p.row, p.field) for p in e.value.problems] == [(2, "far")] and message in e.value.problems[0].message


@pytest.mark.parametrize("cell,message", [
    ("2024-02-30", "'2024-02-30': no such day"), ("10-05-2023", "not in the format YYYY-MM-DD"),
    (" 2024-01-02 ", None), ("1899-12-31", "year 1899 is out of range"), ("", "missing; the rule-set"),
])
def test_a_date_arrow_refuses_keeps_the_text_path_and_its_error(tmp_path, cell, message):
    path = tmp_path / "p.csv"
    path.write_text(f"decision_date,industry_code\n2024-01-01,39\n{cell},39\n", encoding="utf-8")
    df = sio.read_table(path)
    if message is None:
        assert df["decision_date"].dtype == object or df["decision_date"].dtype == "str"  # kept as text
        got = checks.parse_project_table(df)["decision_date"]
        assert got.tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]
        return
    with pytest.raises(DataValidationError) as e:
        checks.parse_project_table(df)
    assert [(p.row, p.field) for p in e.value.problems] == [(2, "decision_date")]
    assert message in e.value.problems[0].message


def test_a_short_row_is_refused_naming_the_counts(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("decision_date,industry_code,far\n2024-01-01,39\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"'p.csv' is not a well-formed CSV table \(a row has 2 fields, the header 3\)"):
        sio.read_table(path)


def test_byte_ranges_end_on_rows_outside_quotes(tmp_path):
    path = _write(_table(2_000), tmp_path / "p.csv", "gb18030")
    layout = sio.csv_layout(path)
    assert layout.encoding == "gb18030"
    ranges = layout.ranges(4_000)
    assert len(ranges) > 20 and ranges[0][0] == layout.start and ranges[-1][1] == layout.size
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    parts = [layout.read_range(a, b) for a, b in ranges]
    whole = sio.read_table(path)
    got = pd.concat(parts, ignore_index=True)
    assert got["name"].tolist() == whole["name"].tolist() and len(got) == 2_000
    assert got["name"].tolist()[0] == '甲,乙 "丙"\n第二行'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_pieces_write_the_bytes_of_the_whole_table(tmp_path, rules, encoding):
    """A GBK / UTF-8 / BOM file screened in many pieces writes exactly what one piece writes, and what
    the whole-table path writes (read_table → screen_table → write_table)."""
    path = _write(_table(2_500), tmp_path / "p.csv", encoding)
    layout = sio.csv_layout(path)
    one = screening.screen_csv(layout, tmp_path / "one.csv", rules, part_bytes=1 << 30)
    many = screening.screen_csv(layout, tmp_path / "many.csv", rules, part_bytes=10_000)
    assert one["pieces"] == 1 and many["pieces"] > 10
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "many.csv").read_bytes()
    assert one["verdicts"] == many["verdicts"] and many["rows"] == 2_500
    projects = checks.parse_project_table(sio.read_table(path))
    whole = checks.screen_frame(projects, rules)
    services.write_table(whole, tmp_path / "whole.csv")
    assert (tmp_path / "whole.csv").read_bytes() == (tmp_path / "many.csv").read_bytes()


def test_problems_name_the_files_rows_and_nothing_is_written(tmp_path, rules):
    df = _table(2_500)
    df.loc[4, "far"] = "high"
    df.loc[2_300, "decision_date"] = "2024-13-01"
    df.loc[2_301, "nuisance_class"] = "4"
    path = _write(df, tmp_path / "p.csv")
    with pytest.raises(DataValidationError) as whole:
        checks.parse_project_table(sio.read_table(path))
    with pytest.raises(DataValidationError) as pieces:
        screening.screen_csv(sio.csv_layout(path), tmp_path / "out.csv", rules, part_bytes=10_000)
    assert [(p.row, p.field, p.message) for p in pieces.value.problems] == \
        [(p.row, p.field, p.message) for p in whole.value.problems]
    assert {p.row for p in pieces.value.problems} >= {5, 2_301, 2_302}
    assert not any(tmp_path.glob("*out.csv*"))


def test_a_missing_date_column_is_one_problem_not_one_per_piece(tmp_path, rules):
    path = _write(_table(2_000).drop(columns=["decision_date"]), tmp_path / "p.csv")
    with pytest.raises(DataValidationError) as e:
        screening.screen_csv(sio.csv_layout(path), tmp_path / "out.csv", rules, part_bytes=10_000)
    assert [(p.row, p.field) for p in e.value.problems] == [(0, "decision_date")]


def test_flat_columns_are_fixed_by_the_rule_sets_not_the_rows(rules):
    """A piece whose rows meet no maximum has the same columns as one whose rows do."""
    one = checks.parse_project_table(pd.DataFrame({"decision_date": ["2012-01-01"], "industry_code": ["59"]}))
    other = checks.parse_project_table(pd.DataFrame({"decision_date": ["2024-02-29"], "industry_code": ["39"]}))
    a, b = checks.screen_frame(one, rules), checks.screen_frame(other, rules)
    assert list(a.columns) == list(b.columns)
    assert "far_required_max" in a.columns


@pytest.mark.slow
def test_dask_workers_reading_their_own_ranges_write_the_local_bytes(tmp_path, rules):
    from distributed import Client, LocalCluster

    path = _write(_table(6_000), tmp_path / "p.csv", "gb18030")
    layout = sio.csv_layout(path)
    local = screening.screen_csv(layout, tmp_path / "local.csv", rules, part_bytes=50_000)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dist = screening.screen_csv(layout, tmp_path / "dask.csv", rules, engine="dask", scheduler=client,
                                    part_bytes=50_000)
        assert len(client.scheduler_info()["workers"]) == 2
        # the workers answered only counts: no table came back to the client
        df = _table(200)
        df.loc[150, "far"] = "high"
        bad = _write(df, tmp_path / "bad.csv")
        with pytest.raises(DataValidationError) as e:
            screening.screen_csv(sio.csv_layout(bad), tmp_path / "bad_out.csv", rules, engine="dask",
                                 scheduler=client, part_bytes=2_000)
        assert [(p.row, p.field) for p in e.value.problems] == [(151, "far")]
    assert dist["pieces"] == local["pieces"] > 5 and dist["verdicts"] == local["verdicts"]
    assert (tmp_path / "local.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # part files removed


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "standardland.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=300)


def test_cli_screen_names_the_encoding_and_headers_and_localises_the_workbook(tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert _cli("init", "--db", db).returncode == 0
    path = tmp_path / "项目.csv"
    path.write_bytes("项目名称,行业代码,决策日期,用地面积(亩),容积率\n汽车零部件,36,2024-03-01,100,1.2\n".encode("gbk"))
    p = _cli("screen", str(path), "--out", str(tmp_path / "o.csv"), "--db", db)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert "文本编码：GB18030/GBK" in lines
    assert "表头对应：项目名称 → name; 行业代码 → industry_code; 决策日期 → decision_date; " \
           "用地面积(亩) → land_area_m2; 容积率 → far" in lines
    assert (tmp_path / "o.csv").read_text(encoding="utf-8-sig").startswith("id,name,") is False  # no id column
    assert (tmp_path / "o.csv").read_text(encoding="utf-8-sig").startswith("name,industry_label,")
    p = _cli("screen", str(path), "--out", str(tmp_path / "o.xlsx"), "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["encoding"] == "gb18030" and summary["headers"]["容积率"] == "far"
    zh = pd.read_excel(tmp_path / "o.xlsx", sheet_name="筛查结果")
    assert list(zh.columns[:3]) == ["项目名称", "行业", "行业问题"] and "容积率·要求值" in zh.columns
    p = _cli("screen", str(path), "--out", str(tmp_path / "en.xlsx"), "--db", db, "--lang", "en")
    assert p.returncode == 0, p.stderr
    en = pd.read_excel(tmp_path / "en.xlsx", sheet_name="screening")
    assert "Verdict" in en.columns and any(c.endswith(" required") for c in en.columns)
    p = _cli("screen", str(path), "--out", str(tmp_path / "en.csv"), "--db", db, "--lang", "en")
    assert (tmp_path / "en.csv").read_text(encoding="utf-8-sig").startswith("Project name,Industry,")
    # the verdicts in the table's language (the same rows): 资料不全 ↔ incomplete
    words = {"通过": "pass", "不通过": "fail", "资料不全": "incomplete"}
    assert en["Verdict"].tolist() == [words[v] for v in zh["结论"].tolist()]


def test_a_row_limit_stops_the_typed_read_at_the_first_row_beyond(tmp_path):
    from standardland.errors import TooLarge

    path = _write(_table(50), tmp_path / "p.csv")
    assert len(sio.read_table(path, limits=sio.ReadLimits(max_rows=50))) == 50
    with pytest.raises(TooLarge, match="'p.csv' has more than 49 rows"):
        sio.read_table(path, limits=sio.ReadLimits(max_rows=49))


@pytest.mark.parametrize("text", ["decision_date,industry_code,far\n", "decision_date,industry_code,far"])
def test_a_header_alone_screens_to_a_header(tmp_path, rules, text):
    path = tmp_path / "p.csv"
    path.write_text(text, encoding="utf-8")
    assert len(sio.read_table(path)) == 0
    res = screening.screen_csv(sio.csv_layout(path), tmp_path / "o.csv", rules)
    assert res["rows"] == 0
    assert (tmp_path / "o.csv").read_text(encoding="utf-8-sig").startswith("industry_label,industry_error,verdict,")
