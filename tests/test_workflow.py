"""The approval and supervision workflow on both backends: every transition for every role, the
audit chain, optimistic locking under a race, idempotent retries, penalties, idle land, the dashboard."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from standardland.workflow import applications as A
from standardland.workflow import reports as R
from standardland.workflow import deadlines, penalties, machine as workflow
from standardland.errors import ConflictError, InputError, NotFoundError, PermissionDenied

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))
STD = "370613004002GB10001"
WHO = {r: {"name": f"user-{r}", "role": r} for r in ("applicant", "reviewer", "planner", "admin", "viewer")}
TODAY = date(2026, 6, 1)
GOOD_ACCEPT = {"actuals": {"floor_area_m2": 150000, "building_footprint_m2": 50000, "office_living_land_m2": 6000,
                           "green_area_m2": 10000, "fixed_asset_investment_wan_yuan": 60000},
               "inspected_on": "2025-12-20"}
BAD_ACCEPT = {**GOOD_ACCEPT, "actuals": {**GOOD_ACCEPT["actuals"], "fixed_asset_investment_wan_yuan": 55000}}
GOOD_REVIEW = {"actuals": {"annual_tax_wan_yuan": 4500, "annual_output_wan_yuan": 75000, "value_added_wan_yuan": 20000,
                           "energy_tce": 5000, "emissions_t": 120, "rd_expense_wan_yuan": 2400,
                           "revenue_wan_yuan": 80000}, "inspected_on": "2026-05-20"}
BAD_REVIEW = {**GOOD_REVIEW, "actuals": {**GOOD_REVIEW["actuals"], "annual_tax_wan_yuan": 3000}}
SIGN = {"signed_on": "2024-05-15", "agreed_start": "2024-06-01", "agreed_completion": "2025-12-31", "operating_years": 2,
        "penalty_terms": {"late_start_per_mille_per_day": 0.5, "late_completion_per_mille_per_day": 0.5,
                          "tax_shortfall_per_mu": True, "combine": "sum"}}
BODIES = {"reject": {"comment": "不符合产业导向"}, "return": {"comment": "请补充研发投入"},
          "recover": {"comment": "违约收回"}, "sign_agreement": SIGN, "start_construction": {"date": "2024-06-11"},
          "complete": {"date": "2025-12-01"}, "accept": GOOD_ACCEPT, "review": GOOD_REVIEW}
ACTOR = {"submit": "applicant", "start_review": "reviewer", "approve": "reviewer", "reject": "reviewer",
         "return": "reviewer", "sign_agreement": "planner", "start_construction": "planner", "complete": "planner",
         "accept": "reviewer", "start_production": "planner", "review": "reviewer", "close": "planner",
         "recover": "planner"}
# how to reach every state with real transitions
PATHS = {
    "draft": [], "submitted": ["submit"], "under_review": ["submit", "start_review"],
    "approved": ["submit", "start_review", "approve"], "rejected": ["submit", "start_review", "reject"],
    "returned": ["submit", "start_review", "return"],
    "agreement_signed": ["submit", "start_review", "approve", "sign_agreement"],
    "construction_started": ["submit", "start_review", "approve", "sign_agreement", "start_construction"],
    "completed": ["submit", "start_review", "approve", "sign_agreement", "start_construction", "complete"],
}
PATHS["acceptance_passed"] = PATHS["completed"] + ["accept"]
PATHS["acceptance_rectifying"] = PATHS["completed"] + [("accept", BAD_ACCEPT)]
PATHS["acceptance_failed"] = PATHS["completed"] + [("accept", BAD_ACCEPT), ("accept", BAD_ACCEPT)]
PATHS["in_production"] = PATHS["acceptance_passed"] + ["start_production"]
PATHS["review_passed"] = PATHS["in_production"] + ["review"]
PATHS["review_rectifying"] = PATHS["in_production"] + [("review", BAD_REVIEW)]
PATHS["review_breach"] = PATHS["in_production"] + [("review", BAD_REVIEW), ("review", BAD_REVIEW)]
PATHS["closed"] = PATHS["review_passed"] + ["close"]
PATHS["recovered"] = PATHS["agreement_signed"] + ["recover"]


def advance(store, state: str) -> int:
    app_id = A.create(store, WHO["applicant"], STD, EXAMPLE)["id"]
    for step in PATHS[state]:
        action, body = step if isinstance(step, tuple) else (step, BODIES.get(step, {}))
        A.transition(store, WHO[ACTOR[action]], app_id, action, body, today=TODAY)
    assert store.application(app_id)["state"] == state
    return app_id


def test_the_workflow_is_one_table():
    """Each transition carries its guard and parcel status; no second table restates them."""
    assert not hasattr(A, "GUARDS") and not hasattr(A, "PARCEL_STATUS_AFTER")
    assert all(callable(t.guard) and t.description for t in workflow.TRANSITIONS)
    assert {t.action: t.parcel_status for t in workflow.TRANSITIONS if t.parcel_status} == {
        "sign_agreement": "transferred", "start_construction": "under_construction",
        "start_production": "in_production", "recover": "recovered"}
    for t in workflow.TRANSITIONS:  # the simple guards say where they lead: it is one of the row's targets
        assert getattr(t.guard, "target", t.targets[0]) in t.targets
    assert workflow.describe()["transitions"][5]["parcel_status"] == "transferred"


def test_a_guard_leading_outside_its_row_is_refused(park_store, monkeypatch):
    from dataclasses import replace

    from standardland.workflow import guards

    s = park_store
    app_id = advance(s, "submitted")
    t = workflow.BY_ACTION["start_review"]
    monkeypatch.setitem(workflow.BY_ACTION, "start_review", replace(t, guard=guards.simple("approved")))
    with pytest.raises(RuntimeError, match="not one of under_review"):
        A.transition(s, WHO["reviewer"], app_id, "start_review", today=TODAY)
    assert s.application(app_id)["state"] == "submitted" and len(s.audit_rows(app_id)) == 2


def test_every_transition_for_every_role(park_store):
    s = park_store
    assert set(PATHS) == set(workflow.STATES)
    by_state = {st: advance(s, st) for st in workflow.STATES}
    for t in workflow.TRANSITIONS:
        body = BODIES.get(t.action, {})
        for role in ("applicant", "reviewer", "planner", "admin", "viewer"):
            if role in t.roles:
                continue
            app_id = by_state[t.sources[0]]
            v = s.application(app_id)["version"]
            with pytest.raises(PermissionDenied):
                A.transition(s, WHO[role], app_id, t.action, body, today=TODAY)
            assert s.application(app_id)["version"] == v
        for st in workflow.STATES:
            role = WHO[t.roles[0]]
            if st in t.sources:
                app_id = advance(s, st)
                out = A.transition(s, role, app_id, t.action, body, today=TODAY)
                assert out["state"] in t.targets, (t.action, st, out["state"])
            else:
                app_id = by_state[st]
                v = s.application(app_id)["version"]
                with pytest.raises(ConflictError):
                    A.transition(s, role, app_id, t.action, body, today=TODAY)
                assert s.application(app_id)["version"] == v
    for app_id in by_state.values():
        assert A.audit_trail(s, app_id)["verification"]["valid"]


def test_guards(park_store):
    s = park_store
    app_id = advance(s, "under_review")
    assert s.application(app_id)["verdict"]["verdict"] == "pass"
    with pytest.raises(InputError, match="comment"):
        A.transition(s, WHO["reviewer"], app_id, "reject", {}, today=TODAY)
    # a failing project can only be approved with a written exception
    bad = A.create(s, WHO["applicant"], STD, {**EXAMPLE, "floor_area_m2": 50_000})["id"]
    A.transition(s, WHO["applicant"], bad, "submit", today=TODAY)
    A.transition(s, WHO["reviewer"], bad, "start_review", today=TODAY)
    with pytest.raises(InputError) as e:
        A.transition(s, WHO["reviewer"], bad, "approve", {}, today=TODAY)
    assert e.value.field == "exception_reason"
    out = A.transition(s, WHO["reviewer"], bad, "approve", {"exception_reason": "重点招商项目，经管委会研究同意"},
                       today=TODAY)
    assert out["state"] == "approved" and out["exception_reason"].startswith("重点")
    # another applicant may not submit someone else's draft, nor learn that it exists
    other = A.create(s, WHO["applicant"], STD, EXAMPLE)["id"]
    with pytest.raises(NotFoundError, match=f"no application {other}"):
        A.transition(s, {"name": "mallory", "role": "applicant"}, other, "submit", today=TODAY)
    assert s.application(other)["state"] == "draft"


def test_dated_transitions_require_their_date(park_store):
    """No silent today: the date is required, not in the future, not before signing (the CLI/domain path)."""
    s = park_store
    app_id = advance(s, "agreement_signed")
    for body, message in (({}, "Field required"), ({"date": "2026-06-03"}, "in the future"),
                          ({"date": "2024-05-14"}, "before the agreement's signing date 2024-05-15")):
        with pytest.raises(InputError, match=message) as e:
            A.transition(s, WHO["planner"], app_id, "start_construction", body, today=TODAY)
        assert e.value.field == "date"
    assert s.application(app_id)["state"] == "agreement_signed" and not s.application(app_id)["facts"]
    out = A.transition(s, WHO["planner"], app_id, "start_construction", {"date": "2026-06-02"}, today=TODAY)
    assert out["facts"]["actual_start"] == "2026-06-02"  # a day's grace for the time zone
    with pytest.raises(InputError) as e:
        A.transition(s, WHO["planner"], app_id, "complete", {"date": "2026-06-01"}, today=TODAY)
    assert e.value.field == "date" and "actual start" in e.value.message


def test_signing_requires_the_contracts_late_rates_and_records_the_template_default(park_store):
    s = park_store
    app_id = advance(s, "approved")
    no_terms = {k: v for k, v in SIGN.items() if k != "penalty_terms"}
    with pytest.raises(InputError) as e:
        A.transition(s, WHO["planner"], app_id, "sign_agreement", no_terms, today=TODAY)
    assert e.value.field == "penalty_terms" and s.agreement(app_id) is None
    A.transition(s, WHO["planner"], app_id, "sign_agreement", SIGN, today=TODAY)
    terms = s.agreement(app_id)["penalty_terms"]
    assert terms["late_payment_per_mille_per_day"] == 1.0  # the national template's rate, recorded
    assert terms["national_template_defaults"] == ["late_payment_per_mille_per_day"]
    assert terms["late_start_per_mille_per_day"] == 0.5 and terms["price_wan_yuan"] == 3600


def test_signing_freezes_terms_and_inspections_use_them(park_store):
    s = park_store
    app_id = advance(s, "agreement_signed")
    ag = s.agreement(app_id)
    assert ag["commitments"]["investment_intensity"] == pytest.approx(400)
    assert {r["id"] for r in ag["rulesets"]} == {"national-2023", "shandong-2005", "yantai-hitech-intl-2021"}
    assert ag["review_due"] == "2027-12-31"
    assert s.parcel(STD)["status"].iloc[0] == "transferred"
    # a later rule set must not change the acceptance of this agreement
    from standardland import services

    strict = {"id": "yantai-hitech-intl-2026", "series": "yantai-hitech-intl", "layer": "park",
              "effective_from": "2026-01-01", "scope": {"park": "yantai-hitech-intl"},
              "rules": [{"indicator": "investment_intensity", "min": 900}]}
    s.put_ruleset(strict)
    for action in ("start_construction", "complete"):
        A.transition(s, WHO["planner"], app_id, action, BODIES[action], today=TODAY)
    out = A.transition(s, WHO["reviewer"], app_id, "accept", GOOD_ACCEPT, today=TODAY)
    assert out["state"] == "acceptance_passed"
    assert services.rulesets(s)  # the new set is in the store all the same


def test_failed_acceptance_itemises_penalties(park_store):
    s = park_store
    app_id = advance(s, "acceptance_rectifying")
    insp = s.inspections(app_id)[-1]
    inv = next(i for i in insp["verdict"]["indicators"] if i["id"] == "investment_intensity")
    assert inv["status"] == "fail" and inv["required"]["min"] == pytest.approx(400)
    pen = insp["penalties"]
    reasons = {line["reason"]: line["amount_wan_yuan"] for line in pen["lines"]}
    # price 3600: investment (400 − 366.67)/400 → 300; 10 days late start at 0.5‰ → 18; completion on time
    assert reasons["investment_intensity_shortfall"] == pytest.approx(300, rel=1e-6)
    assert reasons["late_start"] == pytest.approx(18)
    assert "late_completion" not in reasons
    assert pen["total_wan_yuan"] == pytest.approx(318, rel=1e-6)
    assert s.application(app_id)["rectify_due"] == "2026-06-20"  # 6 months from inspected_on 2025-12-20
    # incomplete actuals cannot conclude an inspection
    with pytest.raises(InputError, match="cannot conclude"):
        A.transition(s, WHO["reviewer"], app_id, "accept", {**GOOD_ACCEPT, "actuals": {"floor_area_m2": 150000}},
                     today=TODAY)


def test_review_breach_charges_tax_shortfall_per_mu(park_store):
    s = park_store
    app_id = advance(s, "review_rectifying")
    pen = s.inspections(app_id)[-1]["penalties"]
    line = next(x for x in pen["lines"] if x["reason"] == "tax_shortfall")
    # committed 30 万元/亩, actual 20 万元/亩, 150 亩
    assert line["amount_wan_yuan"] == pytest.approx(10 * 150, rel=1e-6)


def test_audit_chain_verifies_and_tampering_breaks_it(park_store):
    s = park_store
    app_id = advance(s, "approved")
    trail = A.audit_trail(s, app_id)
    assert trail["verification"] == {"valid": True, "rows": 4, "broken_at": None}
    assert [r["action"] for r in trail["rows"]] == ["create", "submit", "start_review", "approve"]
    with s.engine.begin() as c:
        c.execute(text("UPDATE audit_log SET comment = 'edited' WHERE application_id = :i AND seq = 2"),
                  {"i": app_id})
    assert A.audit_trail(s, app_id)["verification"] == {"valid": False, "rows": 4, "broken_at": 2}


def test_idempotent_retry_applies_once(park_store):
    s = park_store
    app_id = advance(s, "draft")
    first = A.transition(s, WHO["applicant"], app_id, "submit", idempotency_key="k-123", today=TODAY)
    again = A.transition(s, WHO["applicant"], app_id, "submit", idempotency_key="k-123", today=TODAY)
    assert again["version"] == first["version"] == 2 and again["state"] == "submitted"
    assert [r["action"] for r in s.audit_rows(app_id)] == ["create", "submit"]
    # the same caller's key on another request is a conflict
    other = advance(s, "draft")
    with pytest.raises(ConflictError, match="Idempotency-Key"):
        A.transition(s, WHO["applicant"], other, "submit", idempotency_key="k-123", today=TODAY)
    assert s.application(other)["state"] == "draft"
    # another caller's key is unknown to them: their request is simply a new one
    out = A.transition(s, WHO["reviewer"], app_id, "start_review", idempotency_key="k-123", today=TODAY)
    assert out["state"] == "under_review" and out["version"] == 3


# -- pure arithmetic ------------------------------------------------------------------------------

T = {"price_wan_yuan": 1000, "late_start_per_mille_per_day": 1, "tax_shortfall_per_mu": True}


def test_penalty_arithmetic():
    assert penalties.proportional(T, "far", 1.2, 0.9).amount_wan_yuan == pytest.approx(250)  # 1000 × 0.3/1.2
    assert penalties.proportional(T, "far", 1.2, 1.5) is None  # surplus: nothing
    assert penalties.proportional(T, "far", 0, 0.5) is None  # agreed 0: no division
    assert penalties.proportional(T, "investment_intensity", 300, -5).amount_wan_yuan == pytest.approx(1000)  # ≤ price
    assert penalties.late(T, "start", 30).amount_wan_yuan == pytest.approx(30)
    assert penalties.late(T, "start", -3) is None
    assert penalties.tax_shortfall(T, 20, 12.5, 100).amount_wan_yuan == pytest.approx(750)
    assert penalties.tax_shortfall(T, 20, -4, 100).amount_wan_yuan == pytest.approx(2400)  # a refund year
    lines = [penalties.proportional(T, "far", 1.2, 0.9), penalties.late(T, "start", 30)]
    assert penalties.combine({"combine": "sum"}, lines)["total_wan_yuan"] == pytest.approx(280)
    capped = penalties.combine({"combine": "cap", "cap_wan_yuan": 100}, lines)
    assert capped["total_wan_yuan"] == 100 and capped["capped"] and len(capped["lines"]) == 2
    assert penalties.combine({"combine": "sum"}, [])["total_wan_yuan"] == 0


def test_idle_land_day_counts_across_a_leap_year():
    start = date(2024, 2, 29)
    s = deadlines.idle_stage(start, None, date(2025, 3, 1))
    assert s["days_late"] == 366 and s["stage"] == "idle_fee"
    assert s["idle_fee_from"] == "2025-02-28" and s["recovery_eligible_from"] == "2026-02-28"
    assert deadlines.idle_stage(start, None, date(2025, 2, 27))["stage"] == "late"
    assert deadlines.idle_stage(start, None, date(2026, 2, 28))["stage"] == "recovery_eligible"
    assert deadlines.idle_stage(date(2023, 3, 1), None, date(2024, 3, 1))["days_late"] == 366
    assert deadlines.idle_stage(date(2023, 3, 1), date(2023, 4, 1), date(2025, 1, 1))["stage"] == "started"


def test_deadlines_list(park_store):
    s = park_store
    app_id = advance(s, "agreement_signed")
    recs = R.deadline_list(s, today=date(2025, 7, 1), overdue_only=True)
    rec = next(r for r in recs if r["application_id"] == app_id)
    assert rec["idle_land"]["stage"] == "idle_fee" and rec["idle_land"]["days_late"] == 395
    assert rec["deadlines"][0] == {"kind": "start", "due": "2024-06-01", "status": "overdue"}
    assert R.deadline_list(s, today=date(2024, 5, 1), overdue_only=True) == []


def test_dashboard_on_the_sample_park(park_store):
    d = R.park_dashboard(park_store, "yantai-hitech-intl")
    assert d["parcels"] == 35
    assert d["by_status"]["published"]["parcels"] == 5 and d["land_offered_mu"] == pytest.approx(750, abs=1e-3)
    assert d["by_status"]["in_production"]["parcels"] == 24 and d["by_status"]["under_construction"]["parcels"] == 6
    assert sum(d["classes"].values()) == 24
    taxes = [a.get("tax_per_mu") for a in park_store.parcels()["attrs"] if a.get("tax_per_mu") is not None]
    assert d["mu_average"]["tax_per_mu"] == pytest.approx(sum(taxes) / len(taxes), abs=1e-3)


def test_workflow_diagram_in_the_repo_is_current():
    doc = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    assert workflow.diagram() in doc
    assert doc == workflow.markdown(), "regenerate: python -m standardland.workflow.machine > docs/workflow.md"


# -- over HTTP ---------------------------------------------------------------------------------

def _h(tokens, role, **extra):
    return {"Authorization": f"Bearer {tokens[role]}", **extra}


def _act(base, tokens, role, app_id, action, body=None, **headers):
    return httpx.post(f"{base}/api/v1/applications/{app_id}/transitions/{action}", json=body or {},
                      headers=_h(tokens, role, **headers), timeout=60)


def test_happy_path_over_http(api):
    base, _, tokens = api
    r = httpx.post(f"{base}/api/v1/applications", json={"parcel_code": "370613004002GB10002", "project": EXAMPLE},
                   headers=_h(tokens, "applicant"))
    assert r.status_code == 201 and r.headers["etag"] == '"1"'
    app_id = r.json()["id"]
    steps = [("applicant", "submit", {}), ("reviewer", "start_review", {}), ("reviewer", "approve", {}),
             ("planner", "sign_agreement", SIGN), ("planner", "start_construction", {"date": "2024-06-01"}),
             ("planner", "complete", {"date": "2025-12-01"}), ("reviewer", "accept", GOOD_ACCEPT),
             ("planner", "start_production", {}), ("reviewer", "review", GOOD_REVIEW), ("planner", "close", {})]
    etag = r.headers["etag"]
    for role, action, body in steps:
        r = _act(base, tokens, role, app_id, action, body, **{"If-Match": etag})
        assert r.status_code == 200, (action, r.text)
        etag = r.headers["etag"]
    assert r.json()["state"] == "closed" and etag == '"11"'
    audit = httpx.get(f"{base}/api/v1/applications/{app_id}/audit", headers=_h(tokens, "viewer")).json()
    assert audit["verification"]["valid"] and len(audit["rows"]) == 11
    for kind in ("check", "agreement", "inspection"):
        doc = httpx.get(f"{base}/api/v1/applications/{app_id}/documents/{kind}", headers=_h(tokens, "viewer"))
        assert doc.status_code == 200 and doc.headers["content-type"].startswith("text/html")
    en = httpx.get(f"{base}/api/v1/applications/{app_id}/documents/inspection?lang=en", headers=_h(tokens, "viewer"))
    assert "Inspection report" in en.text
    xlsx = httpx.get(f"{base}/api/v1/applications.xlsx", headers=_h(tokens, "viewer"))
    import io

    import pandas as pd

    reg = pd.read_excel(io.BytesIO(xlsx.content))
    assert reg.set_index("id").loc[app_id, "state"] == "closed"
    wf = httpx.get(f"{base}/api/v1/workflow").json()
    assert "stateDiagram-v2" in wf["mermaid"] and len(wf["transitions"]) == len(workflow.TRANSITIONS)
    dash = httpx.get(f"{base}/api/v1/parks/yantai-hitech-intl/dashboard").json()
    assert dash["applications"]["closed"] >= 1


def test_http_errors(api):
    base, _, tokens = api
    app_id = httpx.post(f"{base}/api/v1/applications", json={"parcel_code": STD, "project": EXAMPLE},
                        headers=_h(tokens, "applicant")).json()["id"]
    assert _act(base, tokens, "viewer", app_id, "submit").status_code == 403
    assert _act(base, tokens, "applicant", app_id, "submit", **{"If-Match": '"7"'}).status_code == 412
    assert _act(base, tokens, "applicant", app_id, "submit", **{"If-Match": "abc"}).status_code == 400
    assert _act(base, tokens, "reviewer", app_id, "approve").status_code == 409
    assert _act(base, tokens, "reviewer", app_id, "fly").status_code == 404
    r = httpx.post(f"{base}/api/v1/applications", json={"parcel_code": STD, "project": {**EXAMPLE, "far": "x"}},
                   headers=_h(tokens, "applicant"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "far"
    assert httpx.get(f"{base}/api/v1/applications/{app_id}").status_code == 401


def test_fifty_clients_race_one_transition(api):
    base, url, tokens = api
    app_id = httpx.post(f"{base}/api/v1/applications", json={"parcel_code": STD, "project": EXAMPLE},
                        headers=_h(tokens, "applicant")).json()["id"]
    assert _act(base, tokens, "applicant", app_id, "submit").status_code == 200
    statuses = []
    barrier = threading.Barrier(50)

    def race():
        barrier.wait()
        statuses.append(_act(base, tokens, "reviewer", app_id, "start_review", **{"If-Match": '"2"'}).status_code)
    threads = [threading.Thread(target=race) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 412}
    audit = httpx.get(f"{base}/api/v1/applications/{app_id}/audit", headers=_h(tokens, "viewer")).json()
    assert [r["action"] for r in audit["rows"]].count("start_review") == 1 and audit["verification"]["valid"]


def test_idempotency_key_over_http(api):
    base, _, tokens = api
    app_id = httpx.post(f"{base}/api/v1/applications", json={"parcel_code": STD, "project": EXAMPLE},
                        headers=_h(tokens, "applicant")).json()["id"]
    key = {"Idempotency-Key": f"retry-{app_id}"}
    a = _act(base, tokens, "applicant", app_id, "submit", **key)
    b = _act(base, tokens, "applicant", app_id, "submit", **key)
    assert a.status_code == b.status_code == 200 and a.json()["version"] == b.json()["version"] == 2
    audit = httpx.get(f"{base}/api/v1/applications/{app_id}/audit", headers=_h(tokens, "viewer")).json()
    assert [r["action"] for r in audit["rows"]] == ["create", "submit"]


def test_dashboard_weights_are_configurable(api):
    base, _, _ = api
    tax_only = httpx.get(f"{base}/api/v1/parks/yantai-hitech-intl/dashboard",
                         params={"weights": json.dumps({"tax_per_mu": 1})}).json()
    assert tax_only["weights"] == {"tax_per_mu": 1}
    by_code = {r["code"]: r["score"] for r in tax_only["scores"]}
    assert max(by_code.values()) <= 200 and min(by_code.values()) >= 0
    bad = httpx.get(f"{base}/api/v1/parks/yantai-hitech-intl/dashboard", params={"weights": "[1]"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "weights"
    assert httpx.get(f"{base}/api/v1/parks/nowhere/dashboard").status_code == 404


def test_cli_deadlines(park_store, tmp_path):
    import subprocess
    import sys

    app_id = advance(park_store, "agreement_signed")
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "deadlines", "--overdue", "--today", "2025-07-01",
                        "--db", park_store.url, "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rec = next(r for r in json.loads(p.stdout) if r["application_id"] == app_id)
    assert rec["idle_land"]["stage"] == "idle_fee"


def test_applicants_see_only_their_own_applications(api):
    base, _, tokens = api
    mine = httpx.post(f"{base}/api/v1/applications", json={"parcel_code": STD, "project": EXAMPLE},
                      headers=_h(tokens, "applicant")).json()["id"]
    from standardland.api.auth import issue
    from standardland.store import open_store

    s = open_store(api[1])
    other = issue(s, name="another-applicant", role="applicant")
    s.close()
    h_other = {"Authorization": f"Bearer {other}"}
    assert httpx.get(f"{base}/api/v1/applications/{mine}", headers=h_other).status_code == 404
    assert httpx.get(f"{base}/api/v1/applications/{mine}/audit", headers=h_other).status_code == 404
    assert all(a["applicant"] == "another-applicant"
               for a in httpx.get(f"{base}/api/v1/applications", headers=h_other).json())
    assert httpx.get(f"{base}/api/v1/applications/{mine}", headers=_h(tokens, "applicant")).status_code == 200
    assert any(a["id"] == mine for a in httpx.get(f"{base}/api/v1/applications",
                                                 headers=_h(tokens, "reviewer")).json())
