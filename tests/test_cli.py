"""The command line, run as a real subprocess against both backends."""

import json
import subprocess
import sys

import pyogrio
import pytest

from helpers import square_parcels


def run(*args, cwd=None, check=True):
    p = subprocess.run([sys.executable, "-m", "standardland.cli", *args], capture_output=True, text=True, cwd=cwd,
                       timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def test_demo_loads_the_park_and_writes_a_geopackage(tmp_path):
    p = run("demo", "--json", "--no-serve", cwd=tmp_path)
    out = json.loads(p.stdout)
    assert out["summary"]["parcels"] == 35
    assert out["summary"]["by_status"]["published"]["area_mu"] == pytest.approx(750, abs=1e-3)
    assert out["check"]["verdict"] == "pass"
    assert len(out["match"]["results"]) == 5
    assert (tmp_path / "standardland.db").exists()
    info = pyogrio.read_info(tmp_path / "demo-out" / "parcels.gpkg")
    assert info["crs"] == "EPSG:4490" and info["features"] == 35


def test_parcels_list_json_contract(store_url, tmp_path):
    path = tmp_path / "p.gpkg"
    pyogrio.write_dataframe(square_parcels(2, side=1000), path)
    run("parcels", "import", str(path), "--db", store_url)
    recs = json.loads(run("parcels", "list", "--json", "--db", store_url).stdout)
    assert isinstance(recs, list) and len(recs) == 2
    for r in recs:
        assert {"code", "name", "status", "land_use_code", "area_m2", "area_mu", "area_ha"} <= set(r)
        assert r["area_mu"] == pytest.approx(1500, abs=1e-6)
    show = json.loads(run("parcels", "show", recs[0]["code"], "--json", "--db", store_url).stdout)
    assert show["code"] == recs[0]["code"] and show["area_ha"] == pytest.approx(100)


def test_import_errors_exit_2_with_the_field_and_write_nothing(store_url, tmp_path):
    g = square_parcels(2)
    g.loc[1, "land_use_code"] = "12345"
    path = tmp_path / "bad.gpkg"
    pyogrio.write_dataframe(g, path)
    p = run("parcels", "import", str(path), "--db", store_url, check=False)
    assert p.returncode == 2
    assert "row 2, land_use_code" in p.stderr
    pj = run("parcels", "import", str(path), "--db", store_url, "--json", check=False)
    err = json.loads(pj.stdout)["error"]
    assert err["problems"][0] == {"row": 2, "field": "land_use_code",
                                  "message": "'12345' is not a 2023 用地用海 code; expected e.g. 1001, 100101–100103"}
    assert json.loads(run("parcels", "list", "--json", "--db", store_url).stdout) == []


def test_validate_reports_overlaps_and_writes_nothing(store_url, tmp_path):
    g = square_parcels(2, gap=-20)  # 20 m overlap
    path = tmp_path / "ov.gpkg"
    pyogrio.write_dataframe(g, path)
    p = run("parcels", "validate", str(path), "--json", "--db", store_url, check=False)
    rep = json.loads(p.stdout)
    assert rep["rows"] == 2 and len(rep["overlaps"]) == 1
    assert rep["overlaps"][0]["area_m2"] == pytest.approx(2000, rel=1e-3)
    assert json.loads(run("parcels", "list", "--json", "--db", store_url).stdout) == []


def test_export_geojson(store_url, tmp_path):
    path = tmp_path / "p.gpkg"
    pyogrio.write_dataframe(square_parcels(3), path)
    run("parcels", "import", str(path), "--db", store_url)
    out = tmp_path / "out.geojson"
    run("parcels", "export", str(out), "--db", store_url)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["features"]) == 3 and doc["features"][0]["properties"]["name"] == "测试地块 1 号"
