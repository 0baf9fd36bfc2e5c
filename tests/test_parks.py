"""Parks as data: the CLI and /api/v1/parks on both backends, spatial assignment on import, the
zone-tier floor for imported parcels, and the curl workflow on a store built from files."""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import httpx
import pyogrio
import pytest
import shapely

from helpers import X0, Y0, code, square_parcels
from standardland import services
from standardland.store import open_store

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "standardland.cli", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def ok(p):
    assert p.returncode == 0, p.stdout[-1500:] + p.stderr[-1500:]
    return p


def boundary_file(tmp_path, *, epsg=4549, name="boundary.gpkg"):
    """A 2 km square around the test parcels (helpers.square_parcels), in GK CM 120E."""
    path = tmp_path / name
    geom = shapely.box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000)
    pyogrio.write_dataframe(gpd.GeoDataFrame({"label": ["园区范围"]}, geometry=[geom], crs=4549).to_crs(epsg), path)
    return path


def investment_floor(store, parcel: str):
    th = services.parcel_thresholds(store, parcel, on=date(2024, 3, 1), industry={"industry_code": "39"})
    it = next(i for i in th["indicators"] if i["id"] == "investment_intensity")
    return it["min"], it["min_by"]


def test_parks_over_the_cli_with_spatial_assignment_and_the_zone_tier_floor(store_url, tmp_path):
    parcels = tmp_path / "parcels.gpkg"
    pyogrio.write_dataframe(square_parcels(3), parcels)  # no park column
    outside = tmp_path / "outside.gpkg"
    pyogrio.write_dataframe(square_parcels(1, start=50).set_geometry(
        [shapely.box(X0 + 5000, Y0, X0 + 5100, Y0 + 100)], crs=4549), outside)
    ok(cli("parcels", "import", str(outside), "--db", store_url))
    store = open_store(store_url)
    assert investment_floor(store, code(50)) == (None, None)  # no park, no provincial zone-tier floor

    ok(cli("parks", "add", "gx-park", "--name", "高新区示范园", "--boundary", str(boundary_file(tmp_path)),
           "--county", "370613", "--zone-tier", "national", "--negative", "25,26", "--admit", "39",
           "--db", store_url))
    imp = ok(cli("parcels", "import", str(parcels), "--db", store_url, env={"STANDARDLAND_LANG": "en"}))
    assert "assigned 3 parcels to park gx-park by boundary" in imp.stdout
    recs = json.loads(ok(cli("parcels", "list", "--json", "--park", "gx-park", "--db", store_url)).stdout)
    assert sorted(r["code"] for r in recs) == [code(1), code(2), code(3)]
    assert investment_floor(store, code(1)) == (240.0, "shandong-2005")  # the floor applies again
    assert investment_floor(store, code(50)) == (None, None)  # outside the boundary: still no park

    shown = json.loads(ok(cli("parks", "show", "gx-park", "--json", "--db", store_url)).stdout)
    assert shown["parcels"] == 3 and shown["zone_tier"] == "national" and shown["county_code"] == "370613"
    assert shown["negative_industries"] == ["25", "26"] and shown["admitted_industries"] == ["39"]
    assert shown["area_m2"] == pytest.approx(4e6, rel=1e-3) and shown["boundary"]["type"] == "Polygon"
    listed = ok(cli("parks", "list", "--db", store_url, env={"COLUMNS": "80"})).stdout
    assert "gx-park" in listed and "园区代码" in listed and "开发区层级" in listed

    refused = cli("parks", "delete", "gx-park", "--db", store_url)
    assert refused.returncode == 2 and "still has 3 parcels" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    for i in (1, 2, 3):
        ok(cli("parcels", "delete", code(i), "--yes", "--db", store_url))
    ok(cli("parks", "delete", "gx-park", "--db", store_url))
    assert json.loads(ok(cli("parks", "list", "--json", "--db", store_url)).stdout) == []
    store.close()


def test_parks_import_file_and_its_errors(store_url, tmp_path):
    two = gpd.GeoDataFrame({"code": ["a-park", "b-park"], "name": ["甲园", "乙园"], "county_code": ["370613", None],
                            "zone_tier": ["national", "provincial_qingdao_yantai_weihai"],
                            "negative_industries": ["25, 26", None]},
                           geometry=[shapely.box(121.40, 37.40, 121.41, 37.41), shapely.box(121.42, 37.40, 121.43, 37.41)],
                           crs=4326)
    path = tmp_path / "parks.geojson"
    two.to_file(path)
    ok(cli("parks", "import", str(path), "--db", store_url))
    recs = {r["code"]: r for r in json.loads(ok(cli("parks", "list", "--json", "--db", store_url)).stdout)}
    assert set(recs) == {"a-park", "b-park"} and recs["a-park"]["negative_industries"] == ["25", "26"]
    assert recs["b-park"]["zone_tier"] == "provincial_qingdao_yantai_weihai"

    bad = two.assign(zone_tier=["national", "tier-x"], code=["c-park", "d-park"])
    bad.to_file(tmp_path / "bad.geojson")
    p = cli("parks", "import", str(tmp_path / "bad.geojson"), "--db", store_url)
    assert p.returncode == 2 and "row 2" in p.stderr and "zone_tier" in p.stderr and "national" in p.stderr
    codes = {r["code"] for r in json.loads(ok(cli("parks", "list", "--json", "--db", store_url)).stdout)}
    assert codes == {"a-park", "b-park"}  # nothing of the bad file was written
    # a boundary file without a CRS needs --crs, as parcels do
    nocrs = tmp_path / "nocrs.csv"
    nocrs.write_text('wkt\n"' + shapely.box(X0 - 10, Y0 - 10, X0 + 10, Y0 + 10).wkt + '"\n', encoding="utf-8")
    p = cli("parks", "add", "e-park", "--name", "丙园", "--boundary", str(nocrs), "--db", store_url)
    assert p.returncode == 2 and "crs" in p.stderr
    ok(cli("parks", "add", "e-park", "--name", "丙园", "--boundary", str(nocrs), "--crs", "EPSG:4549",
           "--db", store_url))


def test_parks_over_http(api):
    base, _, tokens = api

    def h(role):
        return {"Authorization": f"Bearer {tokens[role]}"}

    listed = httpx.get(f"{base}/api/v1/parks").json()  # open to all
    assert [p["code"] for p in listed] == ["yantai-hitech-intl"] and listed[0]["parcels"] == 35
    body = {"code": "http-park", "name": "接口园区", "county_code": "370613", "zone_tier": "national",
            "negative_industries": ["25"],
            "boundary": shapely.geometry.mapping(shapely.box(121.40, 37.40, 121.41, 37.41))}
    assert httpx.post(f"{base}/api/v1/parks", json=body).status_code == 401
    assert httpx.post(f"{base}/api/v1/parks", json=body, headers=h("viewer")).status_code == 403
    r = httpx.post(f"{base}/api/v1/parks", json={**body, "zone_tier": "tier-x"}, headers=h("planner"))
    assert r.status_code == 422 and "zone_tier" in r.text and "national" in r.text
    r = httpx.post(f"{base}/api/v1/parks", json=body, headers=h("planner"))
    assert r.status_code == 201, r.text
    assert r.json()["zone_tier"] == "national" and r.json()["boundary"]["type"] == "Polygon"
    # a boundary in GK metres, named by crs
    gk = shapely.box(X0, Y0, X0 + 500, Y0 + 500)
    r = httpx.put(f"{base}/api/v1/parks/http-park", json={"name": "接口园区（新）",
                                                          "boundary": shapely.geometry.mapping(gk),
                                                          "crs": "EPSG:4549"}, headers=h("admin"))
    assert r.status_code == 200 and r.json()["area_m2"] == pytest.approx(250_000, rel=1e-3)
    one = httpx.get(f"{base}/api/v1/parks/http-park").json()
    assert one["name"] == "接口园区（新）" and one["parcels"] == 0
    r = httpx.delete(f"{base}/api/v1/parks/yantai-hitech-intl", headers=h("planner"))
    assert r.status_code == 409 and "35 parcels" in r.text
    assert httpx.delete(f"{base}/api/v1/parks/http-park", headers=h("viewer")).status_code == 403
    assert httpx.delete(f"{base}/api/v1/parks/http-park", headers=h("planner")).status_code == 200
    assert httpx.get(f"{base}/api/v1/parks/http-park").status_code == 404


def test_workflow_example_runs_on_a_store_built_from_files(tmp_path):
    """init (no sample) → parks add from a boundary file → parcels import (no park column) → the curl
    workflow, the park dashboard included."""
    from server import running_server

    from standardland.api.auth import issue
    from standardland.resources import geodata

    db = f"sqlite:///{tmp_path / 'files.db'}"
    park = json.loads(geodata("park", "sample_park.json").read_text(encoding="utf-8"))
    bfile = tmp_path / "boundary.geojson"
    bfile.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": park["geometry"]}]}), encoding="utf-8")
    parcels = gpd.read_file(geodata("park", "sample_park_parcels.geojson")).drop(columns=["park"])
    pfile = tmp_path / "parcels.gpkg"
    pyogrio.write_dataframe(parcels, pfile)
    ok(cli("init", "--db", db))
    ok(cli("parks", "add", park["code"], "--name", park["name"], "--boundary", str(bfile), "--crs", "EPSG:4326",
           "--county", park["county_code"], "--zone-tier", park["zone_tier"], "--db", db))
    assert "35" in ok(cli("parcels", "import", str(pfile), "--db", db)).stdout
    store = open_store(db)
    tokens = {r: issue(store, name=f"t-{r}", role=r) for r in ("applicant", "reviewer", "planner")}
    store.close()
    with running_server(db) as base:
        p = subprocess.run(["bash", str(ROOT / "api" / "examples" / "workflow.sh")], capture_output=True, text=True,
                           timeout=120, env={"BASE": base, "APPLICANT_TOKEN": tokens["applicant"],
                                             "REVIEWER_TOKEN": tokens["reviewer"], "TOKEN": tokens["planner"],
                                             "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stdout[-1500:] + p.stderr[-1500:]


def test_a_boundary_declared_wgs84_may_be_named_gcj02_as_parcels_may(tmp_path):
    """Park boundaries take their CRS by the parcels' rule (crs.source_crs): GCJ-02 named over a WGS84
    declaration is read as GCJ-02; any other CRS named over a declared one is refused."""
    from standardland import crs as crsmod
    from standardland import parks
    from standardland.errors import CRSError

    box = shapely.box(121.40, 37.40, 121.42, 37.42)  # Yantai, coordinates as a GCJ-02 web map gives them
    path = tmp_path / "gcj.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"code": ["g-park"], "name": ["甲园"]}, geometry=[box], crs=4326), path)
    as_gcj = parks.read_boundary(path, crs="gcj02")
    want = crsmod.to_storage(box, crsmod.parse_crs("gcj02"))
    assert as_gcj.equals_exact(want, 1e-9)
    as_wgs = parks.read_boundary(path)  # the declaration alone
    shift = as_gcj.centroid.distance(as_wgs.centroid) * 111_000
    assert 100 < shift < 1000  # GCJ-02 is some hundreds of metres off WGS84 here, and was undone
    assert parks.read_parks_file(path, rulesets=[], crs="gcj02")[0]["geometry"].equals_exact(want, 1e-9)
    for reader in (lambda: parks.read_boundary(path, crs="EPSG:4549"),
                   lambda: services.prepare_parcels(gpd.read_file(path).assign(code=["p1"]), crs="EPSG:4549")):
        with pytest.raises(CRSError) as e:  # the same refusal, in the same words, for parks and parcels
            reader()
        assert e.value.field == "crs" and "the file declares EPSG:4326 but EPSG:4549 was named" in e.value.message
    # GeoJSON's RFC 7946 default is no declaration: a named CRS applies
    plain = tmp_path / "plain.geojson"
    plain.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(box)}]}), encoding="utf-8")
    assert parks.read_boundary(plain, crs="EPSG:4490").equals_exact(box, 1e-9)
    # a file with no CRS at all needs one named
    gk = tmp_path / "gk.csv"
    gk.write_text('wkt\n"' + shapely.box(X0 - 10, Y0 - 10, X0 + 10, Y0 + 10).wkt + '"\n', encoding="utf-8")
    with pytest.raises(CRSError):
        parks.read_boundary(gk)
    assert parks.read_boundary(gk, crs="EPSG:4549").area > 0
