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


# -- a CLI a Chinese planner can read at 80 columns ------------------------------------------------

SAMPLE_CODES = ("370613004001GB20001", "370613004002GB10003")


def _cli_env(**env):
    import os

    return {k: v for k, v in os.environ.items() if k != "STANDARDLAND_LANG"} | env


def run_env(*args, env):
    return subprocess.run([sys.executable, "-m", "standardland.cli", *args], capture_output=True, text=True,
                          timeout=300, env=_cli_env(**env))


def test_parcels_list_at_80_columns_shows_whole_codes_chinese_headers_and_pages(tmp_path):
    from standardland.sample import load_reference_data
    from standardland.store import open_store

    url = f"sqlite:///{tmp_path / 'sample.db'}"  # rendering does not depend on the backend
    load_reference_data(open_store(url))
    p = run_env("parcels", "list", "--db", url, env={"COLUMNS": "80"})
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    shown = {c for line in lines for c in line.split() if len(c) == 19 and c.startswith("370613")}
    assert len(shown) == 35 and set(SAMPLE_CODES) <= shown  # every code whole, none cut to 37061300…
    header = next(line for line in lines if "地块代码" in line)
    assert "名称" in header and "状态" in header and "亩" in header
    assert "已公告" in p.stdout and "published" not in p.stdout  # statuses as the map's legend names them
    assert "显示 1–35 / 共 35 宗" in p.stdout and "{" not in p.stdout
    page = run_env("parcels", "list", "--limit", "10", "--offset", "30", "--db", url, env={"COLUMNS": "80"})
    assert "显示 31–35 / 共 35 宗" in page.stdout
    assert sum(1 for line in page.stdout.splitlines() if "370613" in line) == 5
    en = run_env("--lang", "en", "parcels", "list", "--limit", "2", "--db", url, env={"COLUMNS": "80"})
    assert "Parcel code" in en.stdout and "showing 1–2 of 35 parcels" in en.stdout and "地块代码" not in en.stdout
    env_en = run_env("parcels", "list", "--limit", "2", "--db", url, env={"COLUMNS": "80", "STANDARDLAND_LANG": "en"})
    assert "showing 1–2 of 35 parcels" in env_en.stdout
    show = run_env("parcels", "show", SAMPLE_CODES[1], "--db", url, env={"COLUMNS": "80"})
    assert show.returncode == 0 and "{'" not in show.stdout and "状态" in show.stdout


def test_store_problems_are_one_line_and_read_commands_create_nothing(tmp_path):
    missing = tmp_path / "typo.db"
    p = run_env("parcels", "list", "--db", f"sqlite:///{missing}", env={})
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert f"sqlite:///{missing}" in p.stderr and "standardland init" in p.stderr
    assert not missing.exists()
    q = run_env("check", "x.json", "--parcel", SAMPLE_CODES[0], "--db", f"sqlite:///{missing}", env={})
    assert q.returncode == 2 and len(q.stderr.strip().splitlines()) == 1 and not missing.exists()
    pg = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"
    p = run_env("parcels", "list", "--db", pg, env={})
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "127.0.0.1:1/none" in p.stderr and "secret" not in p.stderr and "PostgreSQL" in p.stderr
    assert run_env("--version", env={}).stdout.startswith("standardland ")


@pytest.mark.postgis
def test_a_postgres_database_never_initialised_is_named_not_created(pg_template):
    from conftest import _admin_create_empty

    url, drop = _admin_create_empty()
    try:
        p = run_env("parcels", "list", "--db", url, env={})
        assert p.returncode == 2 and "never initialised" in p.stderr and "standardland init" in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1
        from sqlalchemy import create_engine, inspect

        eng = create_engine(url)
        with eng.connect() as c:
            assert not inspect(c).has_table("parcels")  # the read command created nothing
        eng.dispose()
    finally:
        drop()


def test_parcels_delete_needs_yes_and_refuses_parcels_with_an_application(park_store):
    from standardland.workflow import applications

    url = park_store.url
    project = json.loads(open(__file__.rsplit("/", 2)[0] + "/api/examples/project.json", encoding="utf-8").read())
    applications.create(park_store, {"name": "企业甲", "role": "applicant"}, SAMPLE_CODES[1], project)
    p = run_env("parcels", "delete", SAMPLE_CODES[0], "--db", url, env={})
    assert p.returncode == 2 and "--yes" in p.stderr
    p = run_env("parcels", "delete", SAMPLE_CODES[1], "--yes", "--db", url, env={})
    assert p.returncode == 2 and "1 application" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert park_store.count_parcels() == 35
    p = run_env("parcels", "delete", SAMPLE_CODES[0], "--yes", "--db", url, env={})
    assert p.returncode == 0 and SAMPLE_CODES[0] in p.stdout and park_store.count_parcels() == 34
    assert run_env("parcels", "delete", SAMPLE_CODES[0], "--yes", "--db", url, env={}).returncode == 2


def test_a_busy_port_is_named_before_the_demo_loads_anything(tmp_path):
    """Port 8000 taken: the demo says so first (exit 2, the option and a free port to use), not after
    loading the park and announcing that it serves."""
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "standardland.cli", "demo", "--db", str(tmp_path / "d.db"),
                            "--out-dir", str(tmp_path / "out"), "--port", str(port)],
                           capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "--port" in r.stderr and f"--port {port + 1}" in r.stderr and "serving" not in r.stderr
    assert not (tmp_path / "d.db").exists() and not (tmp_path / "out").exists()
