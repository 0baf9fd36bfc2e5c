"""Errors leave as problems from one home: each error class declares its status; a query or header
parameter of the wrong type is a 400 naming the parameter on every route (never FastAPI's 422)."""

from __future__ import annotations

import httpx
import pytest

from standardland import errors
from standardland.api.problems import error_body

STD = "370613004002GB10001"
PATH_VALUES = {"code": STD, "feature_id": STD, "collection_id": "parcels", "park": "yantai-hitech-intl",
               "app_id": "1"}
#: parameters a route checks itself (free text in the schema): a wrong value for each
HAND_CHECKED = {("query", "bbox"): "1,2,3", ("query", "bbox-crs"): "urn:no-such-crs",  # (with a good bbox)
                ("query", "crs"): "urn:no-such-crs", ("query", "weights"): "zz",
                ("query", "color"): "no_such_property", ("header", "if-match"): "not-a-version"}


def _schema(param: dict) -> dict:
    """The non-null branch of an ``Optional[...]`` schema."""
    s = param.get("schema", {})
    branches = [b for b in s.get("anyOf", [s]) if b.get("type") != "null"]
    return branches[0] if branches else {}


def _wrong(where: str, param: dict) -> str | None:
    """A value of the wrong type or form for ``param``, or None when any text is acceptable."""
    s = _schema(param)
    if (where, param["name"].lower()) in HAND_CHECKED:
        return HAND_CHECKED[(where, param["name"].lower())]
    kind = s.get("type")
    if kind in ("integer", "number"):
        return "not-a-number"
    if kind == "boolean":
        return "maybe"
    if kind == "array" and s.get("items", {}).get("enum"):
        return "no-such-choice"
    if kind == "string":
        if s.get("enum") or s.get("pattern"):
            return "no-such-choice"
        if s.get("format") == "date" or "YYYY/M/D" in (param.get("description") or ""):
            return "not-a-date"  # a date parameter (the three forms of standardland.dates)
        if "maxLength" in s:
            return "x" * (s["maxLength"] + 1)
    return None


def _path(template: str, op: dict) -> str:
    out = template
    for p in op.get("parameters", []):
        if p["in"] == "path":
            s = _schema(p)
            value = (s.get("enum") or [None])[0] or PATH_VALUES.get(p["name"]) or "1"
            out = out.replace("{" + p["name"] + "}", str(value))
    return out


def test_every_wrong_query_or_header_parameter_is_a_400_naming_it(api):
    base, _, tokens = api
    doc = httpx.get(f"{base}/openapi.json").json()
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    checked = []
    for template, ops in doc["paths"].items():
        for method, op in ops.items():
            body_required = op.get("requestBody", {}).get("required", False)
            for p in op.get("parameters", []):
                if p["in"] not in ("query", "header"):
                    continue
                value = _wrong(p["in"], p)
                if value is None:
                    continue
                if p["name"].lower() == "if-match" and body_required:
                    continue  # checked by the route itself, after its body is read; the optional-body ones test it
                url = base + _path(template, op)
                if p["in"] == "query":
                    params = {p["name"]: value}
                    if p["name"] == "bbox-crs":
                        params["bbox"] = "121,37,122,38"
                    r = httpx.request(method.upper(), url, params=params, headers=admin, timeout=30)
                else:
                    r = httpx.request(method.upper(), url, headers={**admin, p["name"]: value}, timeout=30)
                where = f"{method.upper()} {template} {p['in']} {p['name']}={value!r}"
                assert r.status_code == 400, (where, r.status_code, r.text[:300])
                assert r.headers["content-type"].startswith("application/problem+json"), where
                body = r.json()
                assert body["status"] == 400 and body["title"] == "Invalid parameter", (where, body)
                fields = [e["field"].lower() for e in body.get("errors", [])]
                assert any(f.split(".")[0] == p["name"].lower() for f in fields), (where, body)  # allow.0
                checked.append(where)
    # integers, booleans, enums, dates, lengths and the hand-checked ones, on many operations
    names = {w.split()[3].split("=")[0] for w in checked}
    assert {"limit", "offset", "boundary", "overdue", "today", "date", "format", "lang", "bbox", "crs",
            "weights", "If-Match", "Idempotency-Key"} <= names, sorted(names)
    assert len(checked) >= 30, checked


def test_every_error_class_has_one_status_and_title_and_the_body_names_the_field():
    for cls in errors.ERROR_CLASSES:
        if cls is errors.DataValidationError:  # rows, not one field (test_robustness covers its body)
            continue
        body = error_body(cls("something was wrong", field="f", expected="e"), "/x")
        assert (body["status"], body["title"]) == (cls.status, cls.title), cls
        assert body["errors"] == [{"field": "f", "message": "something was wrong", "expected": "e"}]
    assert errors.Unauthorized.headers == {"WWW-Authenticate": "Bearer"}
    assert errors.MalformedRequest.status == 400 and errors.PermissionDenied.status == 403


@pytest.mark.parametrize("header, status, title", [
    ("Basic abc", 401, "Unauthorized"), ("Bearer sl_unknown", 401, "Unauthorized")])
def test_auth_problems_come_from_the_error_classes(api, header, status, title):
    base, _, _ = api
    r = httpx.post(f"{base}/api/v1/screenings", json={"rows": []}, headers={"Authorization": header})
    assert (r.status_code, r.json()["title"]) == (status, title), r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["errors"][0]["field"] == "Authorization"


def test_a_role_refused_is_403_from_permission_denied(api):
    base, _, tokens = api
    r = httpx.post(f"{base}/api/v1/screenings", json={"rows": []}, headers={"Authorization": "Bearer x"})
    assert r.status_code == 401
    r = httpx.post(f"{base}/api/v1/rulesets", json={}, headers={"Authorization": f"Bearer {tokens['viewer']}"})
    body = r.json()
    assert (r.status_code, body["title"], body["errors"][0]["field"]) == (403, "Forbidden", "Authorization"), r.text
    assert "viewer" in body["detail"]
