"""Typed transition bodies over real HTTP on both backends: every transition's body is a schema in the
OpenAPI document, a missing required field, a wrong type or an out-of-range value is a 422 naming the
field path (and changes nothing), dated transitions require their date, the agreement records its
penalty terms explicitly, and the example scripts show the problem body when they fail."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta
from pathlib import Path

import httpx

from standardland.workflow import machine as workflow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "api" / "examples"
EXAMPLE = json.loads((EXAMPLES / "project.json").read_text("utf-8"))
BODY = {name: json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))
        for name in ("sign_agreement", "start_construction", "complete", "accept", "review")}
ACTOR = {"submit": "applicant", "start_review": "reviewer", "approve": "reviewer", "sign_agreement": "planner",
         "start_construction": "planner", "complete": "planner", "accept": "reviewer", "start_production": "planner",
         "review": "reviewer", "close": "planner"}
SOON = (date.today() + timedelta(days=3)).isoformat()
PT = BODY["sign_agreement"]["penalty_terms"]
# per action: bad bodies and the field path the problem must name (each sent before the good body)
BAD = {
    "sign_agreement": [
        ({k: v for k, v in BODY["sign_agreement"].items() if k != "signed_on"}, "signed_on"),
        ({k: v for k, v in BODY["sign_agreement"].items() if k != "penalty_terms"}, "penalty_terms"),
        ({**BODY["sign_agreement"], "penalty_terms": {"late_start_per_mille_per_day": 0.5}},
         "penalty_terms.late_completion_per_mille_per_day"),
        ({**BODY["sign_agreement"], "penalty_terms": {**PT, "late_start_per_mille_per_day": "0.5"}},
         "penalty_terms.late_start_per_mille_per_day"),
        ({**BODY["sign_agreement"], "penalty_terms": {**PT, "late_completion_per_mille_per_day": -1}},
         "penalty_terms.late_completion_per_mille_per_day"),
        ({**BODY["sign_agreement"], "penalty_terms": {**PT, "combine": "cap"}}, "penalty_terms"),
        ({**BODY["sign_agreement"], "operating_years": 0}, "operating_years"),
        ({**BODY["sign_agreement"], "rectification_months": 6.5}, "rectification_months"),
        ({**BODY["sign_agreement"], "agreed_completion": "2024-01-01"}, "agreed_completion"),
        ({**BODY["sign_agreement"], "price_wan_yuan": True}, "price_wan_yuan"),
        ({**BODY["sign_agreement"], "penalty_term": {}}, "penalty_term"),
        ({**BODY["sign_agreement"], "signed_on": SOON}, "signed_on"),
    ],
    "start_construction": [({}, "date"), ({"date": 20240601}, "date"), ({"date": "2024-13-01"}, "date"),
                           ({"date": SOON}, "date"), ({"date": "2024-05-01"}, "date")],  # before signing
    "complete": [({}, "date"), ({"date": "2024-05-20"}, "date")],  # before the actual start
    "accept": [({"actuals": BODY["accept"]["actuals"]}, "inspected_on"),
               ({"inspected_on": "2025-12-20", "actuals": {}}, "actuals"),
               ({"inspected_on": "2025-12-20", "actuals": {**BODY["accept"]["actuals"], "floor_area_m2": "many"}},
                "actuals.floor_area_m2")],
    "review": [({"inspected_on": "2026-05-20"}, "actuals")],
}


def _h(tokens, role, **extra):
    return {"Authorization": f"Bearer {tokens[role]}", **extra}


def _schema(doc: dict, schema: dict) -> dict:
    """The object schema of a request body (through anyOf [ref, null] and $ref)."""
    for s in schema.get("anyOf", [schema]):
        if "$ref" in s:
            return doc["components"]["schemas"][s["$ref"].rsplit("/", 1)[1]]
    raise AssertionError(f"no schema reference in {schema}")


def test_the_openapi_document_types_every_transition_body(api):
    base, _, _ = api
    doc = httpx.get(f"{base}/openapi.json", timeout=60).json()
    assert "/api/v1/applications/{app_id}/transitions/{action}" not in doc["paths"]
    for t in workflow.TRANSITIONS:
        op = doc["paths"][f"/api/v1/applications/{{app_id}}/transitions/{t.action}"]["post"]
        schema = _schema(doc, op["requestBody"]["content"]["application/json"]["schema"])
        assert schema["additionalProperties"] is False and schema["properties"], t.action
        required = sorted(k for k, f in t.body.model_fields.items() if f.is_required())
        assert sorted(schema.get("required", [])) == required, t.action
        assert op["requestBody"].get("required", False) == bool(required), t.action
        assert all(p.get("description") for p in schema["properties"].values()), t.action
    assert sorted(_schema(doc, {"$ref": "#/components/schemas/DatedBody"})["required"]) == ["date"]
    terms = doc["components"]["schemas"]["PenaltyTerms"]
    assert sorted(terms["required"]) == ["late_completion_per_mille_per_day", "late_start_per_mille_per_day"]
    assert terms["properties"]["late_payment_per_mille_per_day"]["default"] == 1.0
    assert "GF-2008-2601" in terms["description"] and "逾期开工" in json.dumps(terms, ensure_ascii=False)
    assert terms["properties"]["late_start_per_mille_per_day"]["minimum"] == 0


def test_bad_bodies_are_named_and_the_happy_path_runs_to_closed(api):
    base, _, tokens = api
    r = httpx.post(f"{base}/api/v1/applications", json={"parcel_code": "370613004002GB10003", "project": EXAMPLE},
                   headers=_h(tokens, "applicant"), timeout=60)
    assert r.status_code == 201, r.text
    app_id, version = r.json()["id"], 1
    url = f"{base}/api/v1/applications/{app_id}/transitions"
    for action, role in ACTOR.items():
        for body, field in BAD.get(action, []):
            bad = httpx.post(f"{url}/{action}", json=body, headers=_h(tokens, role), timeout=60)
            assert bad.status_code == 422, (action, body, bad.text)
            assert bad.headers["content-type"].startswith("application/problem+json")
            assert field in [e["field"] for e in bad.json()["errors"]], (action, body, bad.text)
        now = httpx.get(f"{base}/api/v1/applications/{app_id}", headers=_h(tokens, "viewer"), timeout=60)
        assert now.headers["etag"] == f'"{version}"', action  # nothing changed
        ok = httpx.post(f"{url}/{action}", json=BODY.get(action), headers=_h(tokens, role, **{
            "If-Match": f'"{version}"'}), timeout=60)
        assert ok.status_code == 200, (action, ok.text)
        version += 1
    app = ok.json()
    assert app["state"] == "closed" and version == 11
    assert app["facts"] == {"actual_start": "2024-06-01", "actual_completion": "2025-12-01"}
    ag = app["agreement"]
    assert ag["signed_on"] == "2024-05-15"
    terms = ag["penalty_terms"]
    assert terms["late_start_per_mille_per_day"] == 0.5 and terms["late_payment_per_mille_per_day"] == 1.0
    assert terms["national_template_defaults"] == ["late_payment_per_mille_per_day"]
    assert terms["price_wan_yuan"] == 3600 and "GF-2008-2601" in terms["template"]
    assert [i["inspected_on"] for i in app["inspections"]] == ["2025-12-20", "2026-05-20"]


def test_a_comment_is_required_where_the_row_says_and_typed_everywhere(api):
    base, _, tokens = api
    app_id = httpx.post(f"{base}/api/v1/applications", json={"parcel_code": "370613004002GB10001",
                                                             "project": EXAMPLE},
                        headers=_h(tokens, "applicant"), timeout=60).json()["id"]
    url = f"{base}/api/v1/applications/{app_id}/transitions"
    bad = httpx.post(f"{url}/submit", json={"comment": ["x"]}, headers=_h(tokens, "applicant"), timeout=60)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "comment"
    assert httpx.post(f"{url}/submit", headers=_h(tokens, "applicant"), timeout=60).status_code == 200  # no body
    assert httpx.post(f"{url}/start_review", headers=_h(tokens, "reviewer"), timeout=60).status_code == 200
    for body in ({}, {"comment": "   "}, {"comment": "a\x07b"}):
        r = httpx.post(f"{url}/reject", json=body, headers=_h(tokens, "reviewer"), timeout=60)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "comment", (body, r.text)
    r = httpx.post(f"{url}/reject", json={"comment": "a\x00b"}, headers=_h(tokens, "reviewer"), timeout=60)
    assert r.status_code == 400 and "NUL" in r.json()["detail"]  # refused at the door, before any route
    r = httpx.post(f"{url}/reject", json={"comment": "不符合产业导向"}, headers=_h(tokens, "reviewer"), timeout=60)
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert httpx.post(f"{url}/fly", headers=_h(tokens, "reviewer"), timeout=60).status_code == 404


def test_an_example_script_shows_the_problem_body_when_it_fails(api):
    base, _, tokens = api
    p = subprocess.run(["bash", str(EXAMPLES / "workflow.sh")], capture_output=True, text=True, timeout=120,
                       env={"BASE": base, "TOKEN": tokens["planner"], "APPLICANT_TOKEN": tokens["viewer"],
                            "REVIEWER_TOKEN": tokens["reviewer"], "PATH": "/usr/bin:/bin"})
    assert p.returncode != 0
    assert "HTTP 403 from" in p.stderr and '"field":"Authorization"' in p.stderr, p.stderr
    assert tokens["viewer"] not in p.stderr + p.stdout  # the token is never echoed
