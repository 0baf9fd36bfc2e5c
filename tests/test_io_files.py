"""Office files as they come (issue 10): encodings, header aliases, Chinese values.

Files are written in the tests themselves, in the encodings Chinese Windows and 国土 systems use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pandas as pd
import pyogrio
import pytest
import shapely

from helpers import square_parcels
from standardland import io as sio
from standardland import services
from standardland.errors import DataValidationError, EncodingError
from standardland.rules.rulesets import read_rule_table


def _csv_of(gdf, path, encoding):
    """A parcel CSV with a WKT column (coordinates in the frame's CRS), in ``encoding``."""
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    df["wkt"] = shapely.to_wkt(gdf.geometry.values)
    path.write_bytes(df.to_csv(index=False).encode(encoding))
    return path


@pytest.mark.parametrize("encoding, expected", [("gbk", "gb18030"), ("gb18030", "gb18030"),
                                                ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig")])
def test_csv_parcels_import_in_every_office_encoding(store, tmp_path, encoding, expected):
    g = square_parcels(3, names=["高新区智能终端产业园 1 号", "高新区 2 号", "芝罘区 3 号"])
    path = _csv_of(g, tmp_path / "地块.csv", encoding)
    res = services.import_file(store, path, crs="EPSG:4549")
    assert res["encoding"] == expected and res["inserted"] == 3
    stored = store.parcels()
    assert sorted(stored["name"]) == sorted(g["name"])


def test_gbk_shapefile_without_cpg_imports_cleanly(store, tmp_path):
    g = square_parcels(2, names=["智能终端地块", "新材料地块"])
    pyogrio.write_dataframe(g, tmp_path / "zd.shp", encoding="GBK")
    (tmp_path / "zd.cpg").unlink()  # as many 国土 exports come: no code page file
    with zipfile.ZipFile(tmp_path / "zd.zip", "w") as zf:
        for s in ("shp", "shx", "dbf", "prj"):
            zf.write(tmp_path / f"zd.{s}", f"zd.{s}")
    rv = services.validate_file(tmp_path / "zd.shp")
    assert rv["encoding"] == "gb18030"
    res = services.import_file(store, tmp_path / "zd.zip")
    assert res["encoding"] == "gb18030" and res["inserted"] == 2
    assert sorted(store.parcels()["name"]) == ["新材料地块", "智能终端地块"]


def test_shapefile_with_cpg_keeps_its_declared_encoding(tmp_path):
    g = square_parcels(1, names=["智能终端地块"])
    pyogrio.write_dataframe(g, tmp_path / "zd.shp", encoding="GBK")
    res = sio.read_parcels_file(tmp_path / "zd.shp")
    assert res.encoding is None and res.frame["name"].tolist() == ["智能终端地块"]


def test_screening_table_in_gbk_decodes(tmp_path):
    path = tmp_path / "项目.csv"
    path.write_bytes("decision_date,industry_code,far,name\n2024-01-01,39,1.5,智能终端制造\n".encode("gbk"))
    df = services.read_table(path)
    assert df.attrs["encoding"] == "gb18030" and df["name"].tolist() == ["智能终端制造"]


def test_rule_table_in_gbk_decodes(tmp_path):
    path = tmp_path / "rules.csv"
    path.write_bytes("indicator,industry,min,unit,source\nfar,39,1.2,,山东省标准\n".encode("gbk"))
    rules = read_rule_table(path)
    assert rules[0]["source"] == "山东省标准" and rules[0]["min"] == "1.2"


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("项目名称,决策日期\n甲,2024-01-01\n".encode("utf-8-sig"))
    df = sio.read_table(path)
    assert list(df.columns) == ["name", "decision_date"] and df.attrs["encoding"] == "utf-8-sig"


def test_text_in_neither_encoding_is_one_clean_error(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"code,name\n1,\xff\xfe\x80\n")
    with pytest.raises(EncodingError, match=r"'latin.csv' is neither UTF-8 nor GB18030/GBK text \(byte 0xff"):
        sio.read_table(path)


def test_cli_summary_names_the_encoding(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    g = square_parcels(2)
    path = _csv_of(g, tmp_path / "gbk.csv", "gbk")
    env = {**os.environ, "COLUMNS": "200"}
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "init", "--db", url], capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "parcels", "import", str(path), "--crs",
                        "EPSG:4549", "--db", url], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "text encoding: GB18030/GBK" in p.stdout
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "parcels", "validate", str(path), "--crs",
                        "EPSG:4549", "--db", url, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert json.loads(p.stdout)["encoding"] == "gb18030"


# -- header and value aliases -------------------------------------------------------------------

def _xlsx(path, rows: list[dict]):
    pd.DataFrame(rows).to_excel(path, index=False, engine="openpyxl")
    return path


def test_excel_with_chinese_headers_and_statuses_imports_cleanly(store, tmp_path):
    g = square_parcels(3).to_crs(4490)
    wkt = shapely.to_wkt(g.geometry.values)
    rows = [{"宗地代码": c, "宗地名称": f"高新区 {i} 号", "用地用途": lu, "土地等别": 7, "出让价款（万元）": 360,
             "面积（亩）": 15, "状态": st, "WKT": w}
            for i, (c, lu, st, w) in enumerate(zip(g["code"], ["100101", "二类工业用地", "1001"],
                                                   ["已成交", "已出让", "已公告"], wkt, strict=True))]
    path = _xlsx(tmp_path / "出让公告.xlsx", rows)
    res = services.import_file(store, path, crs="EPSG:4490")
    assert res["inserted"] == 3
    assert res["columns"]["宗地代码"] == "code" and res["columns"]["出让价款（万元）"] == "transfer_price_wan_yuan"
    got = store.parcels().sort_values("code")
    assert got["status"].tolist() == ["transferred", "transferred", "published"]
    assert got["land_use_code"].tolist() == ["100101", "100102", "1001"]
    assert got["transfer_price_wan_yuan"].tolist() == [360, 360, 360]
    assert got["attrs"].iloc[0]["declared_area_m2"] == pytest.approx(10_000)  # 15 亩 in m²


def test_price_header_in_yuan_converts_to_wan_yuan(tmp_path):
    g = square_parcels(1)
    df = pd.DataFrame({"地块编号": g["code"], "成交价(元)": ["3600000"], "wkt": shapely.to_wkt(g.geometry.values)})
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    gdf, _ = services.read_and_prepare(path, crs="EPSG:4549")
    assert gdf["transfer_price_wan_yuan"].tolist() == [360.0]


def test_missing_code_header_lists_the_accepted_names(tmp_path):
    g = square_parcels(1)
    df = pd.DataFrame({"编号": g["code"], "wkt": shapely.to_wkt(g.geometry.values)})
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as e:
        services.validate_file(path, crs="EPSG:4549")
    msg = str(e.value)
    assert "code (or 宗地代码, 宗地编号, 地块编号" in msg and "the file has 编号" in msg


def test_unknown_project_header_lists_fields_and_aliases(tmp_path):
    path = tmp_path / "项目.csv"
    path.write_text("项目名称,投资额\n甲,100\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as e:
        services.read_table(path)
    p = e.value.problems[0]
    assert p.field == "投资额" and "fixed_asset_investment_wan_yuan (or 固定资产投资(万元), 固定资产投资(亿元))" in p.message


def test_project_area_header_names_its_unit_or_is_refused(tmp_path):
    ok = tmp_path / "ok.csv"
    ok.write_text("项目名称,用地面积（亩）,固定资产投资(亿元)\n甲,30,1.2\n", encoding="utf-8")
    df = services.read_table(ok)
    assert df["land_area_m2"].tolist() == [pytest.approx(20_000)]  # 30 亩
    assert df["fixed_asset_investment_wan_yuan"].tolist() == [pytest.approx(12_000)]
    assert df.attrs["renamed"]["用地面积（亩）"] == "land_area_m2"
    hectares = tmp_path / "ha.csv"
    hectares.write_text("用地面积(公顷)\n2\n", encoding="utf-8")
    assert services.read_table(hectares)["land_area_m2"].tolist() == [pytest.approx(20_000)]
    bare = tmp_path / "bare.csv"
    bare.write_text("项目名称,面积\n甲,30\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"'面积' is ambiguous; expected a header with its unit: "
                                                  r"用地面积\(平方米\), 用地面积\(亩\)"):
        services.read_table(bare)


def test_two_headers_for_one_field_are_refused(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("用地面积(亩),land_area_m2\n30,20000\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="both name land_area_m2"):
        services.read_table(path)


def test_status_error_lists_the_chinese_labels(tmp_path):
    g = square_parcels(1, status=["卖掉了"])
    with pytest.raises(DataValidationError, match=r"expected one of planned \(规划\), serviced \(净地\)"):
        services.prepare_parcels(g)


# -- xlsx exports ---------------------------------------------------------------------------------

def test_parcel_xlsx_export_is_made_to_be_read_and_reads_back(store, tmp_path):
    import openpyxl

    g = square_parcels(3, transfer_price_wan_yuan=[52000.00000545289, 1.0, 2.5])
    src = tmp_path / "in.gpkg"
    pyogrio.write_dataframe(g, src, layer="parcels")
    services.import_file(store, src)
    out = sio.write_parcels_file(store.parcels(), tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["宗地"]
    ws = wb["宗地"]
    heads = [c.value for c in ws[1]]
    assert heads[:2] == ["宗地代码", "宗地名称"] and "出让价款(万元)" in heads and "计算面积(亩)" in heads
    assert ws.freeze_panes == "A2"
    price = ws.cell(row=2, column=heads.index("出让价款(万元)") + 1)
    assert price.value == 52000.00000545289 and price.number_format == "#,##0.00"  # full value, shown rounded
    assert ws.column_dimensions["A"].width >= 19  # a whole 宗地代码
    # what we export reads back (the Chinese headers are aliases)
    again = sio.read_parcels_file(out)
    assert {"code", "name", "transfer_price_wan_yuan", "area_mu"} <= set(again.frame.columns)
    en = sio.write_parcels_file(store.parcels(), tmp_path / "en.xlsx", lang="en")
    wb = openpyxl.load_workbook(en)
    assert wb.sheetnames == ["parcels"] and wb["parcels"]["A1"].value == "Parcel code"


def test_csv_export_keeps_its_bom_and_canonical_headers(store, tmp_path):
    g = square_parcels(1)
    src = tmp_path / "in.gpkg"
    pyogrio.write_dataframe(g, src, layer="parcels")
    services.import_file(store, src)
    out = sio.write_parcels_file(store.parcels(), tmp_path / "out.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcode,")


# -- imports that protect the store ----------------------------------------------------------------

def _snapshot(store):
    g = store.parcels()
    return sorted(zip(g["code"], g.geometry.to_wkb(), strict=True))


def _gpkg(g, path):
    pyogrio.write_dataframe(g, path, layer="parcels")
    return path


def test_overlap_with_a_stored_parcel_is_refused_unless_allowed(store, tmp_path):
    services.import_file(store, _gpkg(square_parcels(4), tmp_path / "a.gpkg"))
    before = _snapshot(store)
    moved = square_parcels(1, start=500)
    moved = moved.set_geometry(moved.geometry.translate(-30, -30))  # 70 × 70 m over parcel 1
    path = _gpkg(moved, tmp_path / "b.gpkg")
    with pytest.raises(DataValidationError) as e:
        services.import_file(store, path)
    p = e.value.problems[0]
    assert p.row == 1 and p.field == "geometry"
    assert "overlaps stored parcel 370613001001GB00001 by 4,900.0 m²" in p.message and "--allow overlap" in p.message
    assert _snapshot(store) == before
    v = services.validate_file(path, store=store)
    assert [(o["b"], o["with"]) for o in v["overlaps"]] == [("370613001001GB00001", "stored")]
    res = services.import_file(store, path, allow=["overlap"])
    assert res["inserted"] == 1 and res["allowed"]["overlaps"][0]["area_m2"] == pytest.approx(4900, rel=1e-3)


def test_upsert_of_the_same_parcel_is_not_an_overlap_and_slivers_pass(store, tmp_path):
    g = square_parcels(4)
    services.import_file(store, _gpkg(g, tmp_path / "a.gpkg"))
    res = services.import_file(store, _gpkg(g, tmp_path / "same.gpkg"), mode="upsert")
    assert res["updated"] == 4 and not res["slivers"]
    sliver = square_parcels(1, start=600)
    sliver = sliver.set_geometry(sliver.geometry.translate(-99.995, 0))  # 0.005 m × 100 m = 0.5 m² over parcel 1
    res = services.import_file(store, _gpkg(sliver, tmp_path / "s.gpkg"))
    assert res["inserted"] == 1 and res["slivers"][0]["area_m2"] == pytest.approx(0.5, rel=1e-2)


def test_overlap_within_the_file_is_refused(store, tmp_path):
    g = square_parcels(2)
    g = g.set_geometry([g.geometry.iloc[0], g.geometry.iloc[0].buffer(-10)])
    with pytest.raises(DataValidationError, match=r"row 1, geometry: .* overlaps row 2, 370613001001GB00002"):
        services.import_file(store, _gpkg(g, tmp_path / "w.gpkg"))
    assert len(store.parcels()) == 0


def test_unknown_allow_is_a_parameter_error(store, tmp_path):
    from standardland.errors import BadParameter

    with pytest.raises(BadParameter, match="'duplicates' cannot be allowed"):
        services.import_file(store, _gpkg(square_parcels(1), tmp_path / "a.gpkg"), allow=["duplicates"])


def _sample_parcels(park_store):
    g = park_store.parcels()
    return g[["code", "name", "park", "land_use_code", "land_grade", "status", "geometry"]].copy()


def test_outside_park_is_refused_and_gcj02_is_named(park_store, tmp_path):
    from standardland import crs as crsmod

    g = _sample_parcels(park_store)
    g["code"] = [c[:-5] + f"{90000 + i:05d}" for i, c in enumerate(g["code"])]  # new parcels, same shapes
    gcj = g.set_geometry(crsmod._apply(g.geometry.values, crsmod.wgs84_to_gcj02), crs=4326)
    path = _gpkg(gcj, tmp_path / "from_amap.gpkg")  # GCJ-02 coordinates declared as WGS84
    before = _snapshot(park_store)
    with pytest.raises(DataValidationError) as e:
        services.import_file(park_store, path, allow=["overlap"])
    outside = [p for p in e.value.problems if p.field == "park"]
    assert outside and "outside park yantai-hitech-intl's boundary" in outside[0].message
    assert "--crs gcj02" in outside[0].message and "nothing was shifted" in outside[0].message
    assert _snapshot(park_store) == before
    v = services.validate_file(path, store=park_store)
    assert v["outside_park"] and any("--crs gcj02" in w for w in v["warnings"])
    res = services.import_file(park_store, path, allow=["overlap", "outside-park"])
    assert res["inserted"] == len(g) and res["allowed"]["outside_park"] and res["warnings"]


def test_http_import_refuses_an_overlap_unless_allowed(api, tmp_path):
    import httpx

    from standardland.store import open_store

    base, url, tokens = api
    s = open_store(url)
    one = s.parcels().iloc[[0]][["code", "geometry"]].copy()
    before = _snapshot(s)
    one["code"] = one["code"].str[:-5] + "97001"
    one["name"] = "叠加地块"
    body = _gpkg(one, tmp_path / "o.gpkg").read_bytes()
    h = {"Authorization": f"Bearer {tokens['planner']}"}
    r = httpx.post(f"{base}/api/v1/parcels/import", files={"file": ("o.gpkg", body)}, headers=h, timeout=120)
    assert r.status_code == 422 and "--allow overlap" in r.json()["detail"], r.text
    assert _snapshot(s) == before
    r = httpx.post(f"{base}/api/v1/parcels/import?allow=overlap", files={"file": ("o.gpkg", body)}, headers=h,
                   timeout=120)
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 1 and r.json()["allowed"]["overlaps"][0]["with"] == "stored"
    s.close()


def test_a_gbk_project_table_with_chinese_indicator_headers_screens(store, tmp_path):
    """A GBK CSV as Excel on Chinese Windows saves it, with 用地面积(亩), 固定资产投资(万元) and a
    unit-less 容积率 (a pure ratio): read, converted and screened without a word of English."""
    from standardland import services

    rows = "项目名称,行业代码,决策日期,用地面积(亩),固定资产投资(万元),容积率\n汽车零部件,36,2024-03-01,100,30000,1.2\n"
    path = tmp_path / "项目.csv"
    path.write_bytes(rows.encode("gbk"))
    df = services.read_table(path)
    res = services.screen_table(store, df)
    assert res.loc[0, "far_actual"] == 1.2
    assert abs(res.loc[0, "investment_intensity_actual"] - 300.0) < 1e-9  # 30,000 万元 on 100 亩
    bare = tmp_path / "bare.csv"
    bare.write_bytes("项目名称,决策日期,用地面积\nx,2024-03-01,100\n".encode("gbk"))
    with pytest.raises(Exception, match="ambiguous"):  # a bare 用地面积 names no unit: never guessed
        services.screen_table(store, services.read_table(bare))


def test_the_industrial_class_in_chinese_words_is_read(park_store, tmp_path):
    """工业类别 (the map form's own label) with 一类 / 二类工业 / 3: a fully Chinese table can pass
    the land-use check; a word no list names is still refused with its row. 项目编号 is the id."""
    from standardland import services

    rows = ("项目编号,项目名称,行业代码,决策日期,工业类别,宗地代码\n"
            "P-1,甲,39,2024-03-01,一类,370613004002GB10001\nP-2,乙,39,2024-03-01,三类工业,370613004002GB10001\n"
            "P-3,丙,39,2024-03-01,3,370613004002GB10003\n")
    path = tmp_path / "项目.csv"
    path.write_bytes(rows.encode("gbk"))
    res = services.screen_table(park_store, services.read_table(path))
    assert res["land_use_class_status"].astype(str).tolist() == ["pass", "fail", "fail"]  # 10003 is 二类 land
    assert res["id"].tolist() == ["P-1", "P-2", "P-3"]  # 项目编号 carried through as the project's id
    bad = tmp_path / "bad.csv"
    bad.write_bytes("项目名称,行业代码,决策日期,工业类别\n丁,39,2024-03-01,四类\n".encode("gbk"))
    with pytest.raises(Exception, match="nuisance_class"):
        services.screen_table(park_store, services.read_table(bad))
