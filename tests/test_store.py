"""The one store interface, on both backends (a real SQLite file and a real PostGIS database)."""

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from helpers import square_parcels
from standardland import services
from standardland.errors import CRSError, DataValidationError, InputError, NotFoundError
from standardland.parcels import prepare_parcels
from standardland.store import ParcelQuery, open_store

NAMES = ["高新区标准地（一）", "示例企业 A 项目用地·二期", "烟台市莱山区 <b>&amp;</b> 'quoted'"]


def _head() -> str:
    """The newest migration revision (read from the scripts, so a new migration needs no test edit)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from standardland.store.sql import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _prepared(n=3, **kw):
    gdf, _ = prepare_parcels(square_parcels(n, names=NAMES[:n] if n <= 3 else None, **kw))
    return gdf


def test_schema_is_managed_by_alembic(store):
    from sqlalchemy import text

    with store.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head()
    store.migrate()  # idempotent


def test_import_read_round_trip(store):
    res = store.import_parcels(_prepared())
    assert res.to_dict() == {"inserted": 3, "updated": 0}
    gdf = store.parcels()
    assert gdf.crs.to_epsg() == 4490
    assert gdf["name"].tolist() == NAMES
    assert gdf["area_mu"].tolist() == pytest.approx([15.0] * 3, abs=1e-6)
    one = store.parcel(gdf["code"].iloc[1])
    assert one["name"].iloc[0] == NAMES[1]
    with pytest.raises(NotFoundError):
        store.parcel("370613001001GB99999")


def test_import_is_all_or_nothing_on_duplicates(store):
    store.import_parcels(_prepared(2))
    with pytest.raises(DataValidationError, match="already exists"):
        store.import_parcels(_prepared(3))  # codes 1 and 2 exist, 3 is new
    assert store.count_parcels() == 2  # parcel 3 was not written either
    res = store.import_parcels(_prepared(3), mode="upsert")
    assert res.to_dict() == {"inserted": 1, "updated": 2}
    assert store.count_parcels() == 3


def test_queries_filter_by_status_park_bbox_and_page(store):
    gdf = _prepared(9)
    gdf.loc[gdf.index[:3], "status"] = "in_production"
    store.import_parcels(gdf)
    assert store.count_parcels(ParcelQuery(status=("in_production",))) == 3
    b = gdf.geometry.iloc[4].bounds
    hit = store.parcels(ParcelQuery(bbox=b))
    assert gdf["code"].iloc[4] in set(hit["code"])
    assert len(hit) < 9
    page1 = store.parcels(ParcelQuery(limit=4))
    page2 = store.parcels(ParcelQuery(limit=4, offset=4))
    page3 = store.parcels(ParcelQuery(limit=4, offset=8))
    codes = page1["code"].tolist() + page2["code"].tolist() + page3["code"].tolist()
    assert codes == sorted(gdf["code"])


def test_attribute_update_is_keyed_by_code_and_atomic(store):
    store.import_parcels(_prepared(3))
    codes = store.parcels()["code"].tolist()
    bad = pd.DataFrame({"code": [codes[0], "370613001001GB77777"], "status": ["listed", "listed"]})
    with pytest.raises(DataValidationError, match="not in the store"):
        store.update_parcel_attributes(bad)
    assert store.parcel(codes[0])["status"].iloc[0] == "published"
    ok = pd.DataFrame({"code": [codes[0]], "status": ["listed"], "far_min": [1.5]})
    store.update_parcel_attributes(ok)
    row = store.parcel(codes[0]).iloc[0]
    assert row["status"] == "listed" and row["attrs"]["far_min"] == 1.5


def test_delete(store):
    store.import_parcels(_prepared(3))
    assert store.delete_parcels([store.parcels()["code"].iloc[0]]) == 1
    assert store.count_parcels() == 2


def test_sample_park_loads(park_store):
    s = services.park_summary(park_store)
    assert s["parcels"] == 35
    assert s["by_status"]["published"]["parcels"] == 5
    assert s["by_status"]["published"]["area_mu"] == pytest.approx(750, abs=1e-3)
    laishan = park_store.boundaries().query("adcode == '370613'").geometry.iloc[0]
    assert all(laishan.contains(g) for g in park_store.parcels().geometry)
    park = park_store.parks().iloc[0]
    assert all(park.geometry.covers(g) for g in park_store.parcels().geometry)


# -- files --------------------------------------------------------------------------------

def _write_all_formats(tmp: Path) -> dict[str, Path]:
    g = square_parcels(3, names=NAMES)
    paths = {}
    paths["gpkg"] = tmp / "p.gpkg"
    pyogrio.write_dataframe(g, paths["gpkg"], layer="parcels")
    paths["geojson"] = tmp / "p.geojson"
    pyogrio.write_dataframe(g.to_crs(4326), paths["geojson"], driver="GeoJSON")
    shp_dir = tmp / "shp"
    shp_dir.mkdir()
    pyogrio.write_dataframe(g, shp_dir / "p.shp", encoding="UTF-8")
    paths["zip"] = tmp / "p.zip"
    with zipfile.ZipFile(paths["zip"], "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    df = pd.DataFrame(g.drop(columns="geometry"))
    df["wkt"] = shapely.to_wkt(g.to_crs(4490).geometry.values, rounding_precision=-1)
    paths["csv"] = tmp / "p.csv"
    df.to_csv(paths["csv"], index=False)
    paths["xlsx"] = tmp / "p.xlsx"
    df.to_excel(paths["xlsx"], index=False)
    return paths


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "zip", "csv", "xlsx"])
def test_every_format_imports_with_chinese_text(store, tmp_path, fmt):
    path = _write_all_formats(tmp_path)[fmt]
    crs = "EPSG:4490" if fmt in ("csv", "xlsx") else None
    res = services.import_file(store, path, crs=crs)
    assert res["inserted"] == 3
    gdf = store.parcels()
    assert gdf["name"].tolist() == NAMES
    assert gdf["area_m2"].tolist() == pytest.approx([10_000] * 3, rel=1e-6)


def test_csv_without_crs_is_refused_and_nothing_written(store, tmp_path):
    path = _write_all_formats(tmp_path)["csv"]
    with pytest.raises(CRSError, match="no CRS"):
        services.import_file(store, path)
    assert store.count_parcels() == 0


def test_bad_rows_are_reported_by_row_and_field_and_nothing_written(store, tmp_path):
    path = _write_all_formats(tmp_path)["csv"]
    df = pd.read_csv(path, dtype=str)
    df.loc[2, "land_use_code"] = "0000"
    df.loc[1, "wkt"] = "POLYGON ((121.40 37.40, 121.41 37.41, 121.41 37.40, 121.40 37.41, 121.40 37.40))"
    df.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as e:
        services.import_file(store, path, crs="EPSG:4490")
    got = {(p.row, p.field) for p in e.value.problems}
    assert got == {(2, "geometry"), (3, "land_use_code")}
    assert store.count_parcels() == 0


def test_xlsx_without_geometry_updates_attributes(store, tmp_path):
    store.import_parcels(_prepared(2))
    codes = store.parcels()["code"].tolist()
    path = tmp_path / "upd.xlsx"
    pd.DataFrame({"code": codes, "status": ["listed", "transferred"],
                  "transfer_price_wan_yuan": [3600, 4200]}).to_excel(path, index=False)
    res = services.import_file(store, path)
    assert res["mode"] == "attributes" and res["updated"] == 2
    assert store.parcels()["status"].tolist() == ["listed", "transferred"]


def test_gcj02_declared_input_is_converted(store, tmp_path):
    g = square_parcels(1).to_crs(4326)
    from standardland.crs import wgs84_to_gcj02

    gcj = g.copy()
    gcj.geometry = shapely.transform(g.geometry.values,
                                     lambda xy: __import__("numpy").column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    path = tmp_path / "gcj.geojson"
    pyogrio.write_dataframe(gcj, path, driver="GeoJSON")  # no crs member: RFC 7946 default, overridable
    services.import_file(store, path, crs="gcj02")
    stored = store.parcels().geometry.iloc[0]
    assert shapely.equals_exact(stored, g.geometry.iloc[0], tolerance=1e-8)


def test_export_gpkg_srs_4490_and_geojson_crs84(park_store, tmp_path):
    from standardland import io as sio

    gdf = park_store.parcels()
    gpkg = sio.write_parcels_file(gdf, tmp_path / "out.gpkg")
    info = pyogrio.read_info(gpkg, layer="parcels")
    assert info["crs"] == "EPSG:4490" and info["features"] == 35
    assert info["geometry_type"] == "MultiPolygon"
    back = pyogrio.read_dataframe(gpkg)
    assert back["name"].tolist() == gdf["name"].tolist()
    std1 = back[back["code"] == "370613004002GB10001"].iloc[0]
    assert json.loads(std1["attrs"])["investment_intensity_min"] == 350
    gj = sio.write_parcels_file(gdf, tmp_path / "out.geojson")
    doc = json.loads(gj.read_text(encoding="utf-8"))
    assert "crs" not in doc  # RFC 7946: CRS84 implied
    x, y = shapely.get_coordinates(shapely.geometry.shape(doc["features"][0]["geometry"]))[0]
    assert 121 < x < 122 and 37 < y < 38  # lon first


def test_killed_import_leaves_the_store_unchanged(store_url, tmp_path):
    """A subprocess importing 150,000 parcels is SIGKILLed mid-write; nothing of it remains."""
    store = open_store(store_url)
    store.import_parcels(_prepared(2))
    before = store.count_parcels()
    big = square_parcels(150_000, side=20, gap=1, start=100)
    path = tmp_path / "big.gpkg"
    pyogrio.write_dataframe(big, path, layer="parcels")
    proc = subprocess.Popen([sys.executable, "-m", "standardland.cli", "parcels", "import", str(path),
                             "--allow", "overlap",  # the grid covers the two stored parcels; this test is the kill
                             "--db", store_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    writing = False
    while time.time() < deadline and proc.poll() is None:
        if store.backend == "sqlite":
            writing = Path(store_url.removeprefix("sqlite:///") + "-journal").exists()
        else:
            from sqlalchemy import text

            with store.engine.connect() as c:
                writing = bool(c.execute(text("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                                              "AND query LIKE 'COPY parcels%' AND state = 'active'")).first())
        if writing:
            time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    assert writing, f"never saw the import writing (exit {proc.returncode}: {proc.stderr.read()[-500:]})"
    assert proc.returncode == -signal.SIGKILL
    store.engine.dispose()
    for _ in range(100):  # PostgreSQL notices the dead backend and rolls back
        if store.count_parcels() == before:
            break
        time.sleep(0.1)
    assert store.count_parcels() == before
    assert store.import_parcels(_prepared(3), mode="upsert").inserted == 1  # still usable
    store.close()


def test_unknown_file_type_is_a_clear_error(store, tmp_path):
    p = tmp_path / "p.txt"
    p.write_text("x")
    with pytest.raises(InputError, match="unsupported file type"):
        services.import_file(store, p)


@pytest.mark.parametrize("kind", ["swapped", "no_crs", "self_intersection", "empty", "3d"])
def test_bad_geometry_files_are_refused_and_the_store_is_unchanged(store, tmp_path, kind):
    store.import_parcels(_prepared(1))
    good = square_parcels(1, start=500).to_crs(4490)
    g = good.geometry.iloc[0]
    geom = {"swapped": shapely.transform(g, lambda xy: xy[:, ::-1]),
            "self_intersection": shapely.Polygon([(121.40, 37.40), (121.41, 37.41), (121.41, 37.40),
                                                  (121.40, 37.41)]),
            "empty": shapely.Polygon(), "3d": shapely.force_3d(g, 5.0), "no_crs": g}[kind]
    bad = gpd.GeoDataFrame(good.drop(columns="geometry"), geometry=[geom], crs=None if kind == "no_crs" else 4490)
    path = tmp_path / "bad.gpkg"
    pyogrio.write_dataframe(bad, path)
    with pytest.raises((DataValidationError, CRSError)) as e:
        services.import_file(store, path)
    assert e.value.field in ("crs", None) or any(p.field == "geometry" for p in e.value.problems)
    assert store.count_parcels() == 1


def test_concurrent_first_starts_migrate_once(store_url, tmp_path):
    """Several processes opening a brand-new database at once (app workers) all succeed."""
    if store_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        cleanup = None
    else:
        from conftest import _admin_create_empty

        url, cleanup = _admin_create_empty()
    code = ("import sys; from standardland.store import open_store; s = open_store(sys.argv[1]); "
            "print(s.version('parcels_version'))")
    procs = [subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    try:
        assert all(p.returncode == 0 for p in procs), [o[1].decode()[-800:] for o in outs]
        from sqlalchemy import text

        s = open_store(url)
        with s.engine.connect() as c:
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head()
        s.close()
    finally:
        if cleanup:
            cleanup()


def test_versions_snapshot_moves_with_writes(store):
    before = store.versions()
    assert set(before) == {"rulesets_version", "parks_version", "parcels_version", "chains_version"}
    store.import_parcels(_prepared(1))
    after = store.versions()
    assert after["parcels_version"] == before["parcels_version"] + 1
    assert after["rulesets_version"] == before["rulesets_version"]
    assert after["chains_version"] == before["chains_version"]
    store.put_chains([])  # a chain write moves its own counter (the map's chain layer is cached by it)
    assert store.versions()["chains_version"] == before["chains_version"] + 1


def test_parcel_footprints_are_the_bbox_parcels_code_area_and_geometry(park_store):
    """The import's overlap check reads footprints only; they are exactly what parcels(bbox) holds."""
    full = park_store.parcels()
    xmin, ymin, xmax, ymax = full.total_bounds
    box = (xmin, ymin, (xmin + xmax) / 2, (ymin + ymax) / 2)  # a quarter: some parcels in, some out
    want = park_store.parcels(ParcelQuery(bbox=box)).sort_values("code").reset_index(drop=True)
    got = park_store.parcel_footprints(box).sort_values("code").reset_index(drop=True)
    assert 0 < len(got) < len(full)
    assert list(got.columns) == ["code", "area_m2", "geometry"] and got.crs.to_epsg() == 4490
    assert got["code"].tolist() == want["code"].tolist()
    assert got["area_m2"].tolist() == pytest.approx(want["area_m2"].tolist())
    assert shapely.equals(got.geometry.values, want.geometry.values).all()
    assert len(park_store.parcel_footprints((0.0, 0.0, 1.0, 1.0))) == 0
