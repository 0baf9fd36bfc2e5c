"""Every value is checked by type before it reaches SQL, on both backends: objects, lists, NUL
bytes and infinities are refused with the field and the expected type (never a 500, never stored
as something else), a NUL byte in a query or path parameter matches nothing, and a missing
optional value is ``null`` in every JSON list (never NaN). Plus the vertex limit per parcel."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely

from helpers import square_parcels
from standardland.errors import DataValidationError
from standardland.parcels import prepare_attribute_updates, prepare_parcels
from standardland.store import open_store

STD = "370613004002GB10001"
LONE = "370613004002GB90001"  # a parcel with no name and no park (added by a test below)


def _h(tokens, role):
    return {"Authorization": f"Bearer {tokens[role]}"}


def _strict(text: str):
    """JSON as the standard defines it: NaN and Infinity are not JSON."""
    def no(c):
        raise AssertionError(f"{c} in JSON output")
    return json.loads(text, parse_constant=no)


def _square(lon, lat, d=0.001):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d],
                                                [lon, lat]]]}


def _ring(n: int, lon=121.41, lat=37.385, r=0.002) -> shapely.Polygon:
    """A polygon of exactly ``n`` coordinates (n − 1 distinct points and the closing one)."""
    t = np.linspace(0, 2 * np.pi, n - 1, endpoint=False)
    return shapely.Polygon(np.c_[lon + r * np.cos(t), lat + r * np.sin(t)])


# -- over HTTP, both backends -----------------------------------------------------------------

@pytest.mark.parametrize("bad, fragment, status, field", [({"a": 1}, "is an object; expected text", 422, "name"),
                                                           ([1, 2], "is a list; expected text", 422, "name"),
                                                           (True, "expected text", 422, "name"),
                                                           ("a\x07b", "control character", 422, "name"),
                                                           ("a\x00b", "NUL", 400, "body")])  # refused at the door
def test_patch_refuses_a_name_of_the_wrong_type(api, bad, fragment, status, field):
    base, _, tokens = api
    before = httpx.get(f"{base}/api/v1/parcels/{STD}").json()
    r = httpx.patch(f"{base}/api/v1/parcels/{STD}", json={"name": bad}, headers=_h(tokens, "planner"))
    assert r.status_code == status, r.text
    err = r.json()["errors"][0]
    assert err["field"] == field and fragment in err["message"]
    assert httpx.get(f"{base}/api/v1/parcels/{STD}").json() == before  # nothing stored, "{1,2}" least of all


def test_patch_refuses_infinities_and_nested_values(api):
    base, _, tokens = api
    h = {**_h(tokens, "planner"), "Content-Type": "application/json"}
    for body, field in (('{"far_min": Infinity}', "far_min"), ('{"transfer_price_wan_yuan": NaN}', None),
                        ('{"note": Infinity}', "note"), ('{"note": {"deep": 1}}', "note"),
                        ('{"status": ["listed"]}', "status")):
        r = httpx.patch(f"{base}/api/v1/parcels/{STD}", content=body, headers=h)
        if field is None:  # NaN is "no value": nothing to change
            assert r.status_code == 200 and _strict(r.text)["code"] == STD
            continue
        assert r.status_code == 422, (body, r.text)
        assert r.json()["errors"][0]["field"] == field
    ok = httpx.patch(f"{base}/api/v1/parcels/{STD}", json={"note": "长期\t留用"}, headers=_h(tokens, "planner"))
    assert ok.status_code == 200 and ok.json()["attrs"]["note"] == "长期\t留用"


def test_a_nul_byte_in_a_parameter_is_never_a_server_error(api):
    base, _, tokens = api
    h = _h(tokens, "reviewer")
    # a NUL in the path or query is refused at the door (400 naming it) before any route or SQL runs
    for path, params in (("/api/v1/parcels", {"park": "a\x00b"}), ("/api/v1/parcels", {"status": "\x00"}),
                         (f"/api/v1/parcels/{STD}%00", None), ("/api/v1/parcels/%00", None),
                         (f"/api/v1/parcels/{STD}%00/indicators", None),
                         ("/api/v1/applications", {"state": "draft\x00"}),
                         ("/ogc/collections/parcels/items/%00", None), ("/api/v1/rulesets/%00", None),
                         ("/api/v1/parks/%00/dashboard", None)):
        r = httpx.get(base + path, params=params, headers=h)
        assert r.status_code == 400 and "NUL" in r.json()["detail"], (path, params, r.status_code, r.text[:300])
    for w in ('{"tax_per_mu": Infinity}', '{"tax_per_mu": NaN}'):
        r = httpx.get(f"{base}/api/v1/parks/yantai-hitech-intl/dashboard", params={"weights": w})
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "weights", r.text
    r = httpx.patch(f"{base}/api/v1/parcels/%00", json={"name": "x"}, headers=_h(tokens, "planner"))
    assert 400 <= r.status_code < 500, r.text
    r = httpx.post(f"{base}/api/v1/applications", headers=_h(tokens, "applicant"),
                   json={"parcel_code": STD[:-1] + "\x00", "project": {"name": "x"}})
    assert 400 <= r.status_code < 500, r.text


def test_a_parcel_without_name_or_park_lists_as_null(api, tmp_path):
    base, url, tokens = api
    feature = {"type": "Feature", "geometry": _square(121.405, 37.385),
               "properties": {"code": LONE, "land_use_code": "100101", "status": "planned"}}
    r = httpx.post(f"{base}/api/v1/parcels", json=feature, headers=_h(tokens, "planner"))
    assert r.status_code == 201, r.text
    for who in (None, "viewer"):
        r = httpx.get(f"{base}/api/v1/parcels", headers=_h(tokens, who) if who else {})
        assert r.status_code == 200, r.text
        lone = next(p for p in _strict(r.text) if p["code"] == LONE)
        assert lone["name"] is None and lone["park"] is None
    items = httpx.get(f"{base}/ogc/collections/parcels/items", params={"limit": 1000})
    assert items.status_code == 200
    assert any(f["properties"]["code"] == LONE for f in _strict(items.text)["features"])
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "parcels", "list", "--json", "--db", url],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lone = next(x for x in _strict(p.stdout) if x["code"] == LONE)
    assert lone["park"] is None and lone["name"] is None


def test_http_import_refuses_a_monster_polygon(api, tmp_path):
    base, url, tokens = api
    before = httpx.get(f"{base}/api/v1/parcels", params={"limit": 10_000}).json()
    monster = _ring(10_001)
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "370613004002GB90002", "status": "planned"},
         "geometry": shapely.geometry.mapping(monster)}]}
    r = httpx.post(f"{base}/api/v1/parcels/import", headers=_h(tokens, "planner"),
                   files={"file": ("monster.geojson", json.dumps(doc).encode(), "application/geo+json")})
    assert r.status_code == 422, r.text
    msg = r.json()["errors"][0]
    assert msg["field"] == "geometry" and "10,001 vertices exceed the limit of 10,000" in msg["message"]
    r = httpx.post(f"{base}/api/v1/parcels", headers=_h(tokens, "planner"), json=doc["features"][0])
    assert r.status_code == 422 and "exceed the limit of 10,000" in r.text
    assert httpx.get(f"{base}/api/v1/parcels", params={"limit": 10_000}).json() == before


# -- the CLI and the store, both backends -------------------------------------------------------

def test_cli_import_refuses_a_polygon_over_the_configured_limit(store_url, tmp_path):
    path = tmp_path / "big.geojson"
    gpd.GeoDataFrame({"code": ["370613004002GB90003", "370613004002GB90004"], "status": ["planned"] * 2},
                     geometry=[_ring(201), _ring(5, lon=121.42)], crs=4326).to_file(path, driver="GeoJSON")
    env = {"STANDARDLAND_MAX_VERTICES": "200", "COLUMNS": "400"}
    import os

    p = subprocess.run([sys.executable, "-m", "standardland.cli", "parcels", "import", str(path), "--db", store_url],
                       capture_output=True, text=True, timeout=120, env={**os.environ, **env})
    assert p.returncode == 2, p.stderr
    assert "row 1, geometry: 201 vertices exceed the limit of 200 per parcel" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    s = open_store(store_url)
    assert s.count_parcels() == 0
    s.close()


def test_attribute_updates_are_validated_in_parcels_with_one_set_of_messages(store):
    store.import_parcels(prepare_parcels(square_parcels(2))[0])
    codes = store.parcels()["code"].tolist()
    df = pd.DataFrame({"code": codes, "land_grade": [3, 16], "name": ["ok", {"x": 1}], "far_min": [1.2, "high"]})
    with pytest.raises(DataValidationError) as e:
        store.update_parcel_attributes(df)
    got = {(p.row, p.field) for p in e.value.problems}
    assert got == {(2, "land_grade"), (2, "name"), (2, "far_min")}
    # the same rows imported with geometry get the same messages from prepare_parcels
    gdf = square_parcels(2, start=50)
    gdf["land_grade"] = [3, 16]
    with pytest.raises(DataValidationError) as e2:
        prepare_parcels(gdf)
    assert [p.message for p in e2.value.problems if p.field == "land_grade"] == \
        [p.message for p in e.value.problems if p.field == "land_grade"]
    assert store.parcel(codes[0])["name"].iloc[0] == "测试地块 1 号"
    up = prepare_attribute_updates(pd.DataFrame({"code": [codes[0]], "name": [None], "park": ["p1"]}))
    assert up[0].values == {"park": "p1"} and up[0].attrs == {}


def test_vertex_limit_is_vectorized_and_exact():
    polys = [_ring(5), _ring(10_000), _ring(10_001), _ring(40)]
    gdf = gpd.GeoDataFrame({"code": [f"370613004002GB9100{i}" for i in range(4)]}, geometry=polys, crs=4490)
    assert shapely.get_num_coordinates(polys[1]) == 10_000
    with pytest.raises(DataValidationError) as e:
        prepare_parcels(gdf)
    assert [(p.row, p.field) for p in e.value.problems] == [(3, "geometry")]
    assert "10,001 vertices exceed the limit of 10,000" in e.value.problems[0].message
    with pytest.raises(DataValidationError) as e:
        prepare_parcels(gdf, max_vertices=39)
    assert [p.row for p in e.value.problems] == [2, 3, 4]
    out, _ = prepare_parcels(gdf.iloc[[0, 1, 3]])
    assert len(out) == 3 and math.isfinite(out["area_m2"].sum())


@pytest.mark.parametrize("value", [3.5, 1e308, float("inf"), -1, [1], {"a": 1}, True, "\x00", "x"])
def test_no_value_of_any_type_in_any_column_is_a_crash(store, value):
    """Each updatable column and an extra attribute, given a value of every JSON type: refused with
    the field named (DataValidationError), or stored and read back as valid JSON; never another error."""
    store.import_parcels(prepare_parcels(square_parcels(1))[0])
    code = store.parcels()["code"].iloc[0]
    from standardland import services

    for field in ("name", "park", "land_use_code", "land_grade", "status", "transfer_price_wan_yuan", "far_min",
                  "note"):
        try:
            store.update_parcel_attributes(pd.DataFrame([{"code": code, field: value}]))
        except DataValidationError as exc:
            assert {p.field for p in exc.problems} == {field}
        json.dumps(services.parcel_records(store.parcels()), allow_nan=False)
