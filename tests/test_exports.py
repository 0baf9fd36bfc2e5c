"""Exports and the terminal cannot be injected: no formula cell in any xlsx/CSV the product writes,
no control character that breaks a file, and data printed literally on the terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import openpyxl
import pandas as pd
import pyogrio

from helpers import code, square_parcels
from standardland import io as sio, services, tables
from standardland.store import open_store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))
EVIL = ['=HYPERLINK("http://evil.invalid","点击")', "+1+2", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1",
        "铃\x07声\x1b[31m红\x00", "正常地块"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _assert_no_formula(path_or_bytes) -> list:
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    wb = openpyxl.load_workbook(src)
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(DANGEROUS), (c.coordinate, c.value)
                    assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in c.value)
                values.append(c.value)
    return values


def _assert_csv_safe(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV without a UTF-8 BOM"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    for r in rows:
        for cell in r:
            assert not cell.startswith(DANGEROUS) or _number(cell), cell  # a negative number is a number
            assert "\x1b" not in cell and "\x00" not in cell and "\x07" not in cell
    return rows


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_neutralise_cells_and_keep_numbers():
    df = pd.DataFrame({"name": EVIL, "n": [-5.0, 1, 2, 3, 4, 5, 6, 7],
                       "cat": pd.Categorical(["=1"] * 4 + ["ok"] * 4), "=head": [None] * 8})
    safe = tables.safe_frame(df)
    assert list(safe["name"]) == ["'" + EVIL[0], "'+1+2", "'-2+3", "'@SUM(A1)", "'\t=1+1", "'\r=1+1",
                                  "铃声[31m红", "正常地块"]
    assert list(safe["n"]) == list(df["n"]) and safe["n"].dtype == df["n"].dtype
    assert list(safe.columns) == ["name", "n", "cat", "'=head"] and safe.loc[0, "cat"] == "'=1"
    assert tables.clean_text("a\x1b]8;;http://evil\x1b\\x") == "a]8;;http://evil\\x"


def test_parcel_export_xlsx_and_csv_have_no_formula(store, tmp_path):
    # the store refuses control characters in names (values are typed before SQL), so the stored
    # names carry the formula prefixes; the writer must still strip control characters from any frame
    storable = [n for n in EVIL if not any(ord(ch) < 32 and ch not in "\t\n" for ch in n)]
    g = square_parcels(len(storable), names=storable, park=["=1+1"] * len(storable))
    src = tmp_path / "evil.gpkg"
    pyogrio.write_dataframe(g, src)
    services.import_file(store, src)
    parcels = store.parcels()
    parcels.loc[parcels.index[-1], "name"] = "铃\x07声\x1b[31m红\x00"
    x = sio.write_parcels_file(parcels, tmp_path / "out.xlsx")
    values = _assert_no_formula(x)
    assert "'" + EVIL[0] in values and "铃声[31m红" in values and "'=1+1" in values
    assert 10_000 in values  # areas stay numbers
    rows = _assert_csv_safe(sio.write_parcels_file(parcels, tmp_path / "out.csv"))
    assert "'" + EVIL[0] in [c for r in rows for c in r]


def test_screening_output_has_no_formula(store, tmp_path):
    df = pd.DataFrame({"id": [f"r{i}" for i in range(len(EVIL))], "name": EVIL,
                       "decision_date": ["2024-03-01"] * len(EVIL), "industry_code": ["39"] * len(EVIL),
                       "land_area_m2": ["10000"] * len(EVIL), "annual_tax_wan_yuan": ["-30"] * len(EVIL)})
    res = services.screen_table(store, df)
    services.write_table(res, tmp_path / "s.xlsx")
    values = _assert_no_formula(tmp_path / "s.xlsx")
    assert "'=HYPERLINK(\"http://evil.invalid\",\"点击\")" in values
    assert -2.0 in values  # tax per 亩 of a refund year (-30 万元 on 15 亩): a negative number stays a number
    services.write_table(res, tmp_path / "s.csv")
    _assert_csv_safe(tmp_path / "s.csv")


def test_register_xlsx_has_no_formula_and_survives_control_characters(api):
    base, _, tokens = api
    h = {"Authorization": f"Bearer {tokens['applicant']}"}
    r = httpx.post(f"{base}/api/v1/applications", headers=h, json={
        "parcel_code": "370613004002GB10003",
        "project": {**EXAMPLE, "name": '=HYPERLINK("http://evil")\x07项目'}})
    assert r.status_code == 201, r.text
    x = httpx.get(f"{base}/api/v1/applications.xlsx", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert x.status_code == 200
    assert "'=HYPERLINK(\"http://evil\")项目" in _assert_no_formula(x.content)


# -- the terminal ------------------------------------------------------------------------------------

MARKUP = "[/bold] 收尾"
LINK = "[link=http://evil.invalid]官方登记[/link]"
OSC8 = "\x1b]8;;http://evil.invalid\x1b\\点我\x1b]8;;\x1b\\"


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "standardland.cli", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def test_the_terminal_prints_parcel_names_literally(store_url, tmp_path):
    # a name carrying raw escape sequences never reaches the store (values are typed before SQL) ...
    bad = tmp_path / "osc8.gpkg"
    pyogrio.write_dataframe(square_parcels(1, names=[OSC8]), bad)
    refused = _cli("parcels", "import", str(bad), "--db", store_url)
    assert refused.returncode == 2 and "control character" in refused.stderr
    # ... and the terminal printer strips them from any data all the same
    from rich.console import Console

    from standardland.cli import lit

    con = Console(force_terminal=True, width=200, record=False, file=io.StringIO())
    con.print(lit(OSC8))
    assert "\x1b]8;" not in con.file.getvalue() and "]8;;http://evil.invalid" in _strip_sgr(con.file.getvalue())
    src = tmp_path / "names.gpkg"
    pyogrio.write_dataframe(square_parcels(3, names=[MARKUP, LINK, "正常"]), src)
    s = open_store(store_url)
    services.import_file(s, src)
    s.close()
    env = {"FORCE_COLOR": "1", "COLUMNS": "200", "TTY_COMPATIBLE": "1"}  # rich writes escapes as on a tty
    p = _cli("parcels", "list", "--db", store_url, env=env)
    assert p.returncode == 0, p.stderr
    plain = _strip_sgr(p.stdout)
    assert MARKUP in plain and LINK in plain
    assert "\x1b]8;" not in p.stdout  # no live hyperlink (OSC 8), neither from markup nor from the data
    shown = _cli("parcels", "show", code(2), "--db", store_url, env=env)
    assert shown.returncode == 0 and LINK in _strip_sgr(shown.stdout) and "\x1b]8;" not in shown.stdout


def _strip_sgr(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)
