"""Authorization and concurrency over HTTP, on both backends (a real uvicorn, real clients):
idempotency keys scoped to their caller and replayed only after authorization, every list and
export filtered by the application view's visibility rule, and concurrent creates by one applicant."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import httpx
import pandas as pd
import pytest

from standardland.api.auth import issue
from standardland.store import open_store

EXAMPLE = json.loads((Path(__file__).resolve().parents[1] / "api/examples/project.json").read_text("utf-8"))
STD = "370613004002GB10001"
SIGN = {"signed_on": "2024-05-15", "agreed_start": "2024-06-01", "agreed_completion": "2025-12-31",
        "operating_years": 2, "penalty_terms": {"late_start_per_mille_per_day": 0.5, "late_completion_per_mille_per_day": 0.5}}


@pytest.fixture(scope="module")
def two_applicants(api):
    """(base, tokens by role, a second applicant's token) on the module's server."""
    base, url, tokens = api
    s = open_store(url)
    other = issue(s, name="applicant-b", role="applicant")
    s.close()
    return base, tokens, other


def _h(token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token}", **extra}


def _create(base, token, project=None) -> int:
    r = httpx.post(f"{base}/api/v1/applications", json={"parcel_code": STD, "project": project or EXAMPLE},
                   headers=_h(token), timeout=60)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _act(base, token, app_id, action, body=None, **headers):
    return httpx.post(f"{base}/api/v1/applications/{app_id}/transitions/{action}", json=body or {},
                      headers=_h(token, **headers), timeout=60)


def test_idempotency_keys_are_scoped_to_their_caller(two_applicants):
    base, tokens, b_token = two_applicants
    secret = {**EXAMPLE, "name": "B 的保密项目"}
    b_app = _create(base, b_token, secret)
    key = {"Idempotency-Key": f"b-submit-{b_app}"}
    first = _act(base, b_token, b_app, "submit", **key)
    assert first.status_code == 200 and first.json()["state"] == "submitted"
    # applicant A replaying B's key on B's application: not B's data, not even B's application's existence
    a = _act(base, tokens["applicant"], b_app, "submit", **key)
    assert a.status_code == 404, a.text
    assert "保密" not in a.text and a.headers["content-type"].startswith("application/problem+json")
    # a viewer may not submit, key or no key
    v = _act(base, tokens["viewer"], b_app, "submit", **key)
    assert v.status_code == 403, v.text and "保密" not in v.text
    # the owner's replay still returns the stored response, and nothing was applied twice
    again = _act(base, b_token, b_app, "submit", **key)
    assert again.status_code == 200
    assert again.json()["version"] == first.json()["version"] == 2
    assert again.json()["project"]["name"] == "B 的保密项目" and again.json()["verdict"] == first.json()["verdict"]
    audit = httpx.get(f"{base}/api/v1/applications/{b_app}/audit", headers=_h(b_token)).json()
    assert [r["action"] for r in audit["rows"]] == ["create", "submit"] and audit["verification"]["valid"]
    # A using the same key on A's own application is simply a new request of A's
    a_app = _create(base, tokens["applicant"])
    mine = _act(base, tokens["applicant"], a_app, "submit", **key)
    assert mine.status_code == 200 and mine.json()["id"] == a_app and mine.json()["project"]["name"] != "B 的保密项目"


def test_every_list_and_export_applies_the_visibility_rule(two_applicants):
    base, tokens, b_token = two_applicants
    b_app = _create(base, b_token, {**EXAMPLE, "name": "B 的项目"})
    a_app = _create(base, tokens["applicant"], {**EXAMPLE, "name": "A 的项目"})
    for app_id, owner in ((b_app, b_token), (a_app, tokens["applicant"])):
        assert _act(base, owner, app_id, "submit").status_code == 200
        assert _act(base, tokens["reviewer"], app_id, "start_review").status_code == 200
        assert _act(base, tokens["reviewer"], app_id, "approve").status_code == 200
        assert _act(base, tokens["planner"], app_id, "sign_agreement", SIGN).status_code == 200

    def ids(path, token, key="id"):
        r = httpx.get(f"{base}/api/v1/{path}", headers=_h(token), params={"today": "2025-07-01"}, timeout=60)
        assert r.status_code == 200, r.text
        return {x[key] for x in r.json()}

    # the register and the deadlines: A sees A's, B sees B's, a planner sees both
    assert a_app in ids("applications", tokens["applicant"]) and b_app not in ids("applications", tokens["applicant"])
    a_dl = ids("deadlines", tokens["applicant"], "application_id")
    assert a_app in a_dl and b_app not in a_dl
    b_dl = ids("deadlines", b_token, "application_id")
    assert b_app in b_dl and a_app not in b_dl
    assert {a_app, b_app} <= ids("deadlines", tokens["planner"], "application_id")
    # the Excel register
    reg = pd.read_excel(io.BytesIO(httpx.get(f"{base}/api/v1/applications.xlsx?lang=en",
                                             headers=_h(b_token)).content))
    assert b_app in set(reg["id"]) and a_app not in set(reg["id"]) and set(reg["applicant"]) == {"applicant-b"}
    # one application's audit trail and documents
    assert httpx.get(f"{base}/api/v1/applications/{a_app}/audit", headers=_h(b_token)).status_code == 404
    assert httpx.get(f"{base}/api/v1/applications/{a_app}/documents/agreement",
                     headers=_h(b_token)).status_code == 404
    assert httpx.get(f"{base}/api/v1/applications/{a_app}/audit",
                     headers=_h(tokens["applicant"])).status_code == 200


def test_fifty_concurrent_creates_by_one_applicant(api):
    base, url, tokens = api
    results: list[httpx.Response] = []
    lock = threading.Lock()
    barrier = threading.Barrier(50)

    def create(i):
        barrier.wait()
        r = httpx.post(f"{base}/api/v1/applications", headers=_h(tokens["applicant"]), timeout=120,
                       json={"parcel_code": STD, "project": {**EXAMPLE, "name": f"并发 {i}"}})
        with lock:
            results.append(r)
    threads = [threading.Thread(target=create, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = [r.status_code for r in results]
    assert statuses.count(201) == 50, sorted(statuses)
    ids = {r.json()["id"] for r in results}
    assert len(ids) == 50
    # each application is the one its client created, with a one-row verified audit chain
    assert {r.json()["project"]["name"] for r in results} == {f"并发 {i}" for i in range(50)}
    s = open_store(url)
    try:
        from standardland.workflow import audit

        for app_id in ids:
            rows = s.audit_rows(app_id)
            assert len(rows) == 1 and audit.verify(rows)["valid"]
    finally:
        s.close()


def test_one_key_raced_by_its_caller_on_two_applications_applies_once(park_store):
    """Two concurrent requests of one caller with one key: one applies, the other is a 409 (never a 500)."""
    from datetime import date

    from standardland.errors import ConflictError
    from standardland.workflow import applications as A

    s = park_store
    who = {"name": "racer", "role": "applicant"}
    apps = [A.create(s, who, STD, EXAMPLE)["id"] for _ in range(2)]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def submit(app_id):
        barrier.wait()
        try:
            A.transition(s, who, app_id, "submit", idempotency_key="same-key", today=date(2026, 6, 1))
            outcomes.append("applied")
        except ConflictError:
            outcomes.append("conflict")
    threads = [threading.Thread(target=submit, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["applied", "conflict"]
    assert sorted(s.application(a)["state"] for a in apps) == ["draft", "submitted"]
    assert s.idempotent_response("same-key", "applicant:racer")["action"] == "submit"
    assert s.idempotent_response("same-key", "applicant:someone-else") is None
