"""A parcel written through the API (POST, PUT) gets the checks a file import gets: no overlap beyond
the sliver tolerance, inside its park, a park the store has. Refusals are 422 naming the field, and
the store is unchanged."""

from __future__ import annotations

import httpx

PARCEL = "370613004002GB10005"  # in the sample park
PARK = "yantai-hitech-intl"


def _auth(tokens):
    return {"Authorization": f"Bearer {tokens['planner']}"}


def _stored(base, code):
    r = httpx.get(f"{base}/api/v1/parcels/{code}", timeout=30)
    return r.status_code, (r.json() if r.status_code == 200 else None)


def _feature(code, coords, **props):
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [coords]},
            "properties": {"code": code, "status": "planned", "land_use_code": "100101", **props}}


def _geometry_of(base, code):
    r = httpx.get(f"{base}/ogc/collections/parcels/items/{code}", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["geometry"]["coordinates"][0] if r.json()["geometry"]["type"] == "Polygon" else \
        r.json()["geometry"]["coordinates"][0][0]


def _problem(r, status, field):
    assert r.status_code == status, r.text
    body = r.json()
    text = str(body)
    assert field in text, body
    return body


def test_a_copy_of_a_stored_parcel_is_refused_then_allowed_on_request(api):
    base, _, tokens = api
    ring = _geometry_of(base, PARCEL)
    f = _feature("370613004002GB19901", ring, park=PARK)
    r = httpx.post(f"{base}/api/v1/parcels", json=f, headers=_auth(tokens), timeout=60)
    body = _problem(r, 422, "geometry")
    assert "overlaps stored parcel" in str(body) and PARCEL in str(body)
    assert _stored(base, "370613004002GB19901")[0] == 404  # nothing written
    r = httpx.post(f"{base}/api/v1/parcels", params={"allow": "overlap"}, json=f, headers=_auth(tokens), timeout=60)
    assert r.status_code == 201, r.text
    assert httpx.delete(f"{base}/api/v1/parcels/370613004002GB19901", headers=_auth(tokens), timeout=30).status_code == 204


def test_a_parcel_far_outside_its_park_is_refused(api):
    base, _, tokens = api
    beijing = [[116.40, 39.90], [116.401, 39.90], [116.401, 39.901], [116.40, 39.901], [116.40, 39.90]]
    r = httpx.post(f"{base}/api/v1/parcels", json=_feature("370613004002GB19902", beijing, park=PARK),
                   headers=_auth(tokens), timeout=60)
    body = _problem(r, 422, "park")
    assert "outside" in str(body) and PARK in str(body)
    assert _stored(base, "370613004002GB19902")[0] == 404


def test_a_park_code_with_no_park_record_is_imported_with_a_warning(api, tmp_path):
    """A park code is a label rule sets may scope to before the park has a record; an import says
    which codes have none (no boundary check, no admission lists) instead of passing in silence."""
    import json

    base, _, tokens = api
    beijing = [[116.40, 39.90], [116.401, 39.90], [116.401, 39.901], [116.40, 39.901], [116.40, 39.90]]
    f = _feature("110101001001GB19903", beijing, park="no-such-park")
    path = tmp_path / "typo.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [f]}), encoding="utf-8")
    with path.open("rb") as fh:
        r = httpx.post(f"{base}/api/v1/parcels/import", files={"file": ("typo.geojson", fh)},
                       headers=_auth(tokens), timeout=120)
    assert r.status_code == 200, r.text
    assert any("no-such-park" in w and "no park record" in w for w in r.json()["warnings"]), r.json()
    assert httpx.delete(f"{base}/api/v1/parcels/110101001001GB19903", headers=_auth(tokens), timeout=30).status_code == 204


def test_put_of_a_parcel_over_its_own_footprint_is_no_overlap(api):
    base, _, tokens = api
    before = _stored(base, PARCEL)[1]
    ring = _geometry_of(base, PARCEL)
    r = httpx.put(f"{base}/api/v1/parcels/{PARCEL}",
                  json=_feature(PARCEL, ring, park=PARK, name=before["name"], status=before["status"],
                                land_use_code=before["land_use_code"]),
                  headers=_auth(tokens), timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["code"] == PARCEL and r.json()["park"] == PARK


def _fc(path, parts):
    import json

    feats = [_feature(code, [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
             for code, (x0, y0, x1, y1) in parts.items()]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def test_a_reimport_may_move_a_boundary_between_two_parcels_it_replaces(store, tmp_path):
    """A shrinks and B grows into A's old shape: no overlap once both are replaced. Growing into a
    parcel the file does not replace is still refused."""
    from standardland import services
    from standardland.errors import DataValidationError

    a, b, c = "370613004003GB30001", "370613004003GB30002", "370613004003GB30003"
    services.import_file(store, _fc(tmp_path / "v1.geojson", {
        a: (121.4500, 37.4500, 121.4510, 37.4508), b: (121.4510, 37.4500, 121.4520, 37.4508),
        c: (121.4520, 37.4500, 121.4530, 37.4508)}))
    moved = _fc(tmp_path / "v2.geojson", {a: (121.4500, 37.4500, 121.4505, 37.4508),
                                           b: (121.4505, 37.4500, 121.4520, 37.4508)})
    out = services.import_file(store, moved, mode="upsert")
    assert out["updated"] == 2 if "updated" in out else True
    assert abs(store.parcel(b)["area_m2"].iloc[0] / store.parcel(a)["area_m2"].iloc[0] - 3.0) < 0.01
    before = store.parcel(c)["area_m2"].iloc[0]
    into_c = _fc(tmp_path / "v3.geojson", {b: (121.4505, 37.4500, 121.4528, 37.4508)})
    try:
        services.import_file(store, into_c, mode="upsert")
        raise AssertionError("growing into a stored parcel the file does not replace was accepted")
    except DataValidationError as e:
        assert c in str(e) and "overlaps stored parcel" in str(e)
    assert store.parcel(c)["area_m2"].iloc[0] == before
    assert abs(store.parcel(b)["area_m2"].iloc[0] / store.parcel(a)["area_m2"].iloc[0] - 3.0) < 0.01


def test_an_unknown_status_filter_is_a_400_and_a_label_filters_as_its_status(api):
    base, _, _ = api
    for url in (f"{base}/api/v1/parcels", f"{base}/ogc/collections/parcels/items"):
        r = httpx.get(url, params={"status": "bogus"}, timeout=30)
        assert r.status_code == 400, (url, r.text)
        assert "status" in r.text and "transferred" in r.text
    by_code = httpx.get(f"{base}/api/v1/parcels", params={"status": "published", "limit": 1000}, timeout=30).json()
    zh = httpx.get(f"{base}/api/v1/parcels", params={"status": "已公告", "limit": 1000}, timeout=30)
    assert zh.status_code == 200, zh.text
    assert by_code and zh.json() == by_code


def test_post_of_a_stored_code_says_the_code_exists_not_that_it_overlaps_itself(api):
    base, _, tokens = api
    ring = _geometry_of(base, PARCEL)
    r = httpx.post(f"{base}/api/v1/parcels", json=_feature(PARCEL, ring, park=PARK), headers=_auth(tokens), timeout=60)
    body = _problem(r, 422, "code")
    assert "already exists" in str(body) and "overlaps" not in str(body), body
