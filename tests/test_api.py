"""End to end over HTTP: a real uvicorn on 127.0.0.1 against both backends, real clients
(GDAL's OAPIF driver through pyogrio, OWSLib, httpx)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pyogrio
import pytest
import shapely

from helpers import square_parcels
from standardland import crs as crsmod
from standardland.api.auth import ROLES
from standardland.store import open_store

EXAMPLE = json.loads((Path(__file__).resolve().parents[1] / "api" / "examples" / "project.json").read_text("utf-8"))
STD = "370613004002GB10001"


def auth(tokens, role):
    return {"Authorization": f"Bearer {tokens[role]}"} if role else {}


def is_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# -- OGC API – Features with real clients ----------------------------------------------------

def test_gdal_oapif_reads_every_parcel(api):
    base, url, _ = api
    df = pyogrio.read_dataframe(f"OAPIF:{base}/ogc", layer="parcels")
    store = open_store(url)
    stored = store.parcels().set_index("code")
    assert len(df) == 35 and set(df["code"]) == set(stored.index)
    df = df.set_index("code")
    for code in stored.index:
        assert df.loc[code, "name"] == stored.loc[code, "name"]
        assert df.loc[code, "area_mu"] == pytest.approx(stored.loc[code, "area_mu"])
        assert shapely.equals_exact(df.loc[code, "geometry"], stored.loc[code, "geometry"], tolerance=1e-9)
    std = df.loc[STD]
    assert std["investment_intensity_min"] == 350 and std["investment_intensity_by"] == "parcel"
    assert std["status"] == "published"
    store.close()


def test_owslib_reads_every_parcel(api):
    from owslib.ogcapi.features import Features

    base, _, _ = api
    f = Features(base + "/ogc")
    assert {c["id"] for c in f.collections()["collections"]} == {"parcels", "boundaries"}
    items = f.collection_items("parcels", limit=100)
    assert items["numberReturned"] == 35 and items["numberMatched"] == 35
    feat = next(x for x in items["features"] if x["id"] == STD)
    assert feat["properties"]["area_mu"] == pytest.approx(150, abs=1e-3)
    area = crsmod.areas_m2([shapely.geometry.shape(feat["geometry"])])[0]
    assert area == pytest.approx(feat["properties"]["area_m2"], rel=1e-9)
    assert "transfer_price_wan_yuan" not in feat["properties"]  # anonymous: public fields only


def test_paging_visits_every_parcel_once(api):
    base, _, _ = api
    seen = []
    url = f"{base}/ogc/collections/parcels/items?limit=7"
    pages = 0
    while url:
        r = httpx.get(url)
        assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
        doc = r.json()
        assert doc["numberReturned"] == len(doc["features"]) <= 7
        seen += [f["id"] for f in doc["features"]]
        url = next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)
        pages += 1
    assert pages == 5 and len(seen) == 35 and len(set(seen)) == 35
    last = httpx.get(f"{base}/ogc/collections/parcels/items?limit=7&offset=28").json()
    assert any(link["rel"] == "prev" for link in last["links"])


def test_bbox_returns_only_intersecting_parcels(api):
    base, url, _ = api
    store = open_store(url)
    gdf = store.parcels()
    store.close()
    target = gdf[gdf["code"] == "370613004001GB20008"].geometry.iloc[0]
    minx, miny, maxx, maxy = target.bounds
    box = shapely.box(minx - 0.0005, miny - 0.0005, maxx - 0.0012, maxy)
    expect = set(gdf["code"][shapely.intersects(gdf.geometry.values, box)])
    doc = httpx.get(f"{base}/ogc/collections/parcels/items",
                    params={"bbox": ",".join(map(str, box.bounds)), "limit": 100}).json()
    assert {f["id"] for f in doc["features"]} == expect and 0 < len(expect) < 35
    assert doc["numberMatched"] == len(expect)
    # the same box in EPSG:4490 axis order (lat, lon)
    b = box.bounds
    doc2 = httpx.get(f"{base}/ogc/collections/parcels/items", params={
        "bbox": f"{b[1]},{b[0]},{b[3]},{b[2]}", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4490"}).json()
    assert {f["id"] for f in doc2["features"]} == expect


def test_crs_4490_is_served_in_lat_lon_order(api):
    base, _, _ = api
    r = httpx.get(f"{base}/ogc/collections/parcels/items/{STD}",
                  params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4490"})
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    y, x = r.json()["geometry"]["coordinates"][0][0]
    assert 37 < y < 38 and 121 < x < 122
    r84 = httpx.get(f"{base}/ogc/collections/parcels/items/{STD}")
    assert r84.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    assert r84.json()["geometry"]["coordinates"][0][0] == [x, y]


def test_limits_and_filters(api):
    base, _, _ = api
    ok = httpx.get(f"{base}/ogc/collections/parcels/items", params={"limit": 10_000})  # the maximum is inclusive
    assert ok.status_code == 200
    is_problem(httpx.get(f"{base}/ogc/collections/parcels/items", params={"limit": 10_001}), 400)
    pub = httpx.get(f"{base}/ogc/collections/parcels/items", params={"status": "published", "limit": 50}).json()
    assert pub["numberMatched"] == 5 and {f["properties"]["status"] for f in pub["features"]} == {"published"}
    lu = httpx.get(f"{base}/ogc/collections/parcels/items", params={"land_use_code": "100102", "limit": 50}).json()
    assert lu["numberMatched"] == 9
    b = httpx.get(f"{base}/ogc/collections/boundaries/items", params={"limit": 50}).json()
    assert b["numberReturned"] == 12 and any(f["properties"]["name"] == "莱山区" for f in b["features"])


@pytest.mark.parametrize("params, field", [
    ({"bbox": "1,2,3"}, "bbox"), ({"bbox": "a,b,c,d"}, "bbox"), ({"bbox": "121,38,120,37"}, "bbox"),
    ({"bbox": "0,0,200,10"}, "bbox"), ({"bbox-crs": "EPSG:3857", "bbox": "1,2,3,4"}, "bbox-crs"),
    ({"crs": "EPSG:4326"}, "crs"), ({"limit": 0}, "limit"), ({"limit": "ten"}, "limit"),
    ({"offset": -1}, "offset"),
])
def test_bad_ogc_parameters_are_400_problems(api, params, field):
    base, _, _ = api
    body = is_problem(httpx.get(f"{base}/ogc/collections/parcels/items", params=params), 400)
    assert body["errors"][0]["field"] == field


def test_unknown_collection_and_feature_are_404(api):
    base, _, _ = api
    is_problem(httpx.get(f"{base}/ogc/collections/roads"), 404)
    is_problem(httpx.get(f"{base}/ogc/collections/parcels/items/370613004002GB99999"), 404)


# -- JSON API ----------------------------------------------------------------------------------

def test_check_over_http_equals_the_cli(api, tmp_path):
    base, url, _ = api
    r = httpx.post(f"{base}/api/v1/checks", json={"project": EXAMPLE, "parcel_code": STD})
    assert r.status_code == 200
    path = tmp_path / "p.json"
    path.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "standardland.cli", "check", str(path), "--parcel", STD,
                          "--db", url, "--json"], capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert r.json() == json.loads(cli.stdout)
    assert r.json()["verdict"] == "pass"


def test_match_and_indicators(api):
    base, _, _ = api
    m = httpx.post(f"{base}/api/v1/matches", json={"project": EXAMPLE, "limit": 3}).json()
    assert len(m["results"]) == 3 and m["candidates"] == 5
    th = httpx.get(f"{base}/api/v1/parcels/{STD}/indicators", params={"date": "2024-01-01", "industry_code": "39"})
    far = next(i for i in th.json()["indicators"] if i["id"] == "far")
    assert (far["min"], far["max"], far["min_by"]) == (1.2, 2.5, "parcel")
    # the date by the one date rule (dates.py): the three forms are the same day; anything else is a 400
    for form in ("2024/1/1", "2024年1月1日"):
        same = httpx.get(f"{base}/api/v1/parcels/{STD}/indicators", params={"date": form, "industry_code": "39"})
        assert same.status_code == 200 and same.json() == th.json(), form
    bad = httpx.get(f"{base}/api/v1/parcels/{STD}/indicators", params={"date": "1709251200"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "date"


def test_screening_json_and_row_limit(api):
    base, _, tokens = api
    rows = [{"decision_date": "2024-01-01", "industry_code": "39", "far": 1.5, "parcel_code": STD}]
    r = httpx.post(f"{base}/api/v1/screenings", json={"rows": rows, "indicators": ["far"]},
                   headers=auth(tokens, "viewer"))
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["results"][0]["far_status"] == "pass" and "far_required" in res["columns"]
    big = [rows[0]] * 100_001
    body = is_problem(httpx.post(f"{base}/api/v1/screenings", json={"rows": big}, timeout=60,
                                 headers=auth(tokens, "viewer")), 413)
    assert "limit" in body["detail"]


@pytest.mark.parametrize("kind", ["malformed", "wrong_type", "unknown_unit", "unknown_field", "huge", "bad_code"])
def test_bad_json_input_is_a_4xx_problem(api, kind):
    base, _, _ = api
    url = f"{base}/api/v1/checks"
    if kind == "malformed":
        r = httpx.post(url, content=b'{"project": {', headers={"content-type": "application/json"})
        assert is_problem(r, 422)["errors"][0]["field"] == "body"
    elif kind == "wrong_type":
        r = httpx.post(url, json={"project": {**EXAMPLE, "floor_area_m2": "lots"}, "parcel_code": STD})
        assert is_problem(r, 422)["errors"][0]["field"] == "project.floor_area_m2"
    elif kind == "unknown_unit":
        r = httpx.post(url, json={"project": {**EXAMPLE, "land_area_m2": {"value": 1, "unit": "acre"}},
                                  "parcel_code": STD})
        err = is_problem(r, 422)["errors"][0]
        assert err["field"] == "project.land_area_m2" and "acre" in err["message"]
    elif kind == "unknown_field":
        r = httpx.post(url, json={"project": EXAMPLE, "parcel_code": STD, "verbose": True})
        assert is_problem(r, 422)["errors"][0]["field"] == "verbose"
    elif kind == "huge":
        r = httpx.post(url, content=b'{"project": "' + b"x" * 1_100_000 + b'"}',
                       headers={"content-type": "application/json"})
        is_problem(r, 413)
    elif kind == "bad_code":
        is_problem(httpx.post(url, json={"project": EXAMPLE, "parcel_code": "370613004002GB99999"}), 404)


# -- auth and writes ------------------------------------------------------------------------------

FEATURE = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
    [121.4500, 37.4500], [121.4510, 37.4500], [121.4510, 37.4508], [121.4500, 37.4508], [121.4500, 37.4500]]]},
    "properties": {"code": "370613004003GB30001", "name": "新地块", "status": "planned", "land_use_code": "100101"}}


def _routes(base):
    """(method, url, json) per protected or public route of the matrix."""
    return {
        "read_parcels": ("GET", f"{base}/api/v1/parcels", None),
        "ogc_items": ("GET", f"{base}/ogc/collections/parcels/items", None),
        "check": ("POST", f"{base}/api/v1/checks", {"project": EXAMPLE, "parcel_code": STD}),
        "screen": ("POST", f"{base}/api/v1/screenings",
                   {"rows": [{"decision_date": "2024-01-01", "industry_code": "39", "far": 1}]}),
        "create_parcel": ("POST", f"{base}/api/v1/parcels", FEATURE),
        "patch_parcel": ("PATCH", f"{base}/api/v1/parcels/{STD}", {"name": "国际招商产业园标准地 1 号（示例）"}),
        "upload_ruleset": ("POST", f"{base}/api/v1/rulesets", {
            "id": "matrix-test", "layer": "park", "effective_from": "2030-01-01", "scope": {"park": "nowhere"},
            "rules": [{"indicator": "tax_per_mu", "min": 1}]}),
        "list_rulesets": ("GET", f"{base}/api/v1/rulesets", None),
    }


MATRIX = {  # route → roles allowed (None = anonymous)
    "read_parcels": {None, *ROLES}, "ogc_items": {None, *ROLES}, "check": {None, *ROLES},
    "list_rulesets": {None, *ROLES}, "screen": set(ROLES),
    "create_parcel": {"planner", "admin"}, "patch_parcel": {"planner", "admin"},
    "upload_ruleset": {"planner", "admin"},
}


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_permission_matrix(api, route):
    base, url, tokens = api
    method, target, body = _routes(base)[route]
    for role in [None, *ROLES]:
        if route == "create_parcel":  # each allowed attempt creates it; remove before the next
            httpx.delete(f"{base}/api/v1/parcels/{FEATURE['properties']['code']}", headers=auth(tokens, "admin"))
        r = httpx.request(method, target, json=body, headers=auth(tokens, role), timeout=30)
        if role in MATRIX[route]:
            assert r.status_code < 300, (route, role, r.text)
        else:
            is_problem(r, 401 if role is None else 403)
    httpx.delete(f"{base}/api/v1/parcels/{FEATURE['properties']['code']}", headers=auth(tokens, "admin"))


def test_a_bad_token_is_401_not_anonymous(api):
    base, _, _ = api
    r = httpx.get(f"{base}/api/v1/parcels", headers={"Authorization": "Bearer sl_not-a-token"})
    is_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    is_problem(httpx.get(f"{base}/api/v1/parcels", headers={"Authorization": "Basic abc"}), 401)


def test_token_holders_see_commercial_fields(api):
    base, _, tokens = api
    anon = httpx.get(f"{base}/api/v1/parcels/{STD}").json()
    viewer = httpx.get(f"{base}/api/v1/parcels/{STD}", headers=auth(tokens, "viewer")).json()
    assert "transfer_price_wan_yuan" not in anon and viewer["transfer_price_wan_yuan"] == 3600


def test_failed_writes_change_nothing(api):
    base, url, tokens = api
    h = auth(tokens, "planner")
    before = httpx.get(f"{base}/api/v1/parcels", params={"limit": 10_000}).json()
    bowtie = {**FEATURE, "geometry": {"type": "Polygon", "coordinates": [[
        [121.45, 37.45], [121.451, 37.451], [121.451, 37.45], [121.45, 37.451], [121.45, 37.45]]]}}
    body = is_problem(httpx.post(f"{base}/api/v1/parcels", json=bowtie, headers=h), 422)
    assert body["errors"][0]["field"] == "geometry" and "Self-intersection" in body["errors"][0]["message"]
    swapped = {**FEATURE, "geometry": {"type": "Polygon", "coordinates": [[
        [37.45, 121.45], [37.45, 121.451], [37.451, 121.451], [37.45, 121.45]]]}}
    assert "swapped" in is_problem(httpx.post(f"{base}/api/v1/parcels", json=swapped, headers=h), 422)["detail"]
    dup = {**FEATURE, "properties": {**FEATURE["properties"], "code": STD}}
    is_problem(httpx.post(f"{base}/api/v1/parcels", json=dup, headers=h), 422)
    is_problem(httpx.patch(f"{base}/api/v1/parcels/{STD}", json={"status": "sold"}, headers=h), 422)
    bad_rs = {"id": "x", "layer": "galaxy", "effective_from": "2020-01-01", "rules": []}
    is_problem(httpx.post(f"{base}/api/v1/rulesets", json=bad_rs, headers=h), 422)
    after = httpx.get(f"{base}/api/v1/parcels", params={"limit": 10_000}).json()
    assert after == before


def test_upload_import_is_atomic_and_size_limited(api, tmp_path):
    base, url, tokens = api
    h = auth(tokens, "planner")
    g = square_parcels(3, start=70_001)
    shp = tmp_path / "shp"
    shp.mkdir()
    pyogrio.write_dataframe(g, shp / "p.shp", encoding="UTF-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in shp.iterdir():
            zf.write(f, f.name)
    r = httpx.post(f"{base}/api/v1/parcels/import", files={"file": ("parcels.zip", buf.getvalue())}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 3 and r.json()["source_crs"] == "EPSG:4549"
    again = httpx.post(f"{base}/api/v1/parcels/import", files={"file": ("parcels.zip", buf.getvalue())}, headers=h)
    assert is_problem(again, 422)["errors"][0]["field"] == "code"
    is_problem(httpx.post(f"{base}/api/v1/parcels/import", files={"file": ("../../etc/passwd.txt", b"x")},
                          headers=h), 422)
    big = httpx.post(f"{base}/api/v1/parcels/import", files={"file": ("big.gpkg", b"\0" * 51_000_000)},
                     headers=h, timeout=60)
    is_problem(big, 413)
    for code in g["code"]:
        assert httpx.delete(f"{base}/api/v1/parcels/{code}", headers=auth(tokens, "admin")).status_code == 204


def test_cors_is_off_by_default(api):
    base, _, _ = api
    r = httpx.get(f"{base}/ogc", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers


# -- the contract ------------------------------------------------------------------------------

def test_openapi_document_has_not_drifted():
    """api/openapi.json must be regenerated (python -m standardland.api.openapi > api/openapi.json)."""
    from standardland.api.openapi import render

    committed = (Path(__file__).resolve().parents[1] / "api" / "openapi.json").read_text(encoding="utf-8")
    assert render() == committed, "api/openapi.json is stale: python -m standardland.api.openapi > api/openapi.json"


def test_project_schema_matches_the_engine_fields():
    from standardland.rules.project import schema_fields

    schema = json.loads((Path(__file__).resolve().parents[1] / "api" / "project.schema.json").read_text("utf-8"))
    for field, unit in schema_fields().items():
        assert schema["properties"][field]["x-unit"] == unit


@pytest.mark.parametrize("script", sorted(p.name for p in (Path(__file__).resolve().parents[1] / "api" /
                                                           "examples").glob("*.sh") if not p.name.startswith("_")))
def test_curl_examples_run(api, script):
    base, _, tokens = api
    path = Path(__file__).resolve().parents[1] / "api" / "examples" / script
    p = subprocess.run(["bash", str(path)], capture_output=True, text=True, timeout=120,
                       env={"BASE": base, "TOKEN": tokens["planner"], "APPLICANT_TOKEN": tokens["applicant"],
                            "REVIEWER_TOKEN": tokens["reviewer"], "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stdout[-1500:] + p.stderr[-1500:]


def test_example_project_is_the_packaged_one():
    root = Path(__file__).resolve().parents[1]
    assert json.loads((root / "api/examples/project.json").read_text("utf-8")) == \
        json.loads((root / "src/standardland/examples/project.json").read_text("utf-8"))


def test_contract_declares_every_body_and_every_problem():
    """Every JSON 2xx has a schema; every error status is problem+json of one shape; no HTTPValidationError."""
    doc = json.loads((Path(__file__).resolve().parents[1] / "api" / "openapi.json").read_text(encoding="utf-8"))
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    ops = 0
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            ops += 1
            statuses = set(op["responses"])
            assert {"400", "500"} <= statuses, (method, path)
            if "requestBody" in op:
                assert {"413", "422"} <= statuses, (method, path)
            if op.get("security"):
                assert {"401", "403"} <= statuses, (method, path)
            for status, resp in op["responses"].items():
                if path == "/map" and status == "422":  # the page with the form's problems, or a problem body
                    assert resp["content"] == {**problem, "text/html": {"schema": {"type": "string"}}}
                elif status[0] in "45":
                    assert resp["content"] == problem, (method, path, status)
                elif status != "204":
                    for media, body in resp["content"].items():
                        assert body.get("schema"), (method, path, status, media)
    from standardland.workflow.machine import TRANSITIONS

    assert ops >= 34  # every operation above was checked, the typed transitions among them:
    assert all(f"/api/v1/applications/{{app_id}}/transitions/{t.action}" in doc["paths"] for t in TRANSITIONS)


def test_each_error_class_declares_its_status_and_survives_a_process_boundary():
    import pickle

    from standardland import errors

    for cls in errors.ERROR_CLASSES:
        assert 400 <= cls.status < 600 and cls.title, cls
    assert errors.BadParameter.status == 400 and errors.InputError.status == 422
    assert errors.TooLarge.status == 413 and errors.NotFoundError.status == 404
    exc = errors.TooLarge("too many rows", field="file", expected="at most 5 rows")
    back = pickle.loads(pickle.dumps(exc))
    assert (type(back), back.field, back.expected, str(back)) == (errors.TooLarge, "file", "at most 5 rows", str(exc))
    dv = errors.DataValidationError(problems=[errors.RowProblem(3, "code", "bad")])
    back = pickle.loads(pickle.dumps(dv))
    assert back.problems[0].row == 3 and str(back) == str(dv)
