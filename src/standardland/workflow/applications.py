"""Applications through the workflow (:mod:`standardland.workflow.machine`): guards, frozen agreements,
inspections by the rule engine, penalties, deadlines, the audit trail and idempotent retries.

Every function takes the store and the caller's identity ``{"name", "role"}``; nothing here knows
HTTP. Concurrency is optimistic: a transition applies only if the application is still at the
version the caller saw (``If-Match``), and the winner's audit row is chained to the previous one.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pandas as pd

from . import audit, deadlines, penalties, machine as workflow
from ..rules import checks
from .. import services
from ..errors import ConflictError, InputError, NotFoundError, PermissionDenied, PreconditionFailed
from ..rules import thresholds
from ..rules.indicators import catalogue
from ..rules.project import parse_project
from ..rules.rulesets import load_rulesets

ACCEPTANCE_INDICATORS = tuple(sorted(catalogue().at("acceptance")))  # the catalogue's checkpoints, not a copy
REVIEW_INDICATORS = tuple(sorted(catalogue().at("production_review")))
PARCEL_STATUS_AFTER = {"sign_agreement": "transferred", "start_construction": "under_construction",
                       "start_production": "in_production", "recover": "recovered"}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _date(v, field: str, default: date | None = None) -> date:
    if v is None or v == "":
        if default is not None:
            return default
        raise InputError("missing", field=field, expected="YYYY-MM-DD")
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError as exc:
        raise InputError(f"'{v}' is not a date", field=field, expected="YYYY-MM-DD") from exc


def _snapshot(app: dict) -> dict:
    return {k: app.get(k) for k in ("id", "parcel_code", "applicant", "state", "version", "project", "verdict",
                                    "exception_reason", "rectify_due", "facts")}


def get(store, app_id: int) -> dict:
    app = store.application(app_id)
    if app is None:
        raise NotFoundError(f"no application {app_id}", field="application_id")
    return app


def visible_to(app: dict, ident: dict | None) -> bool:
    """Applicants see their own applications only; every other role sees the register."""
    return ident is None or ident["role"] != "applicant" or app["applicant"] == ident["name"]


def register(store, ident: dict, state: str | None = None) -> list[dict]:
    return [a for a in store.applications(state) if visible_to(a, ident)]


def view(store, app_id: int, ident: dict | None = None) -> dict:
    app = get(store, app_id)
    if not visible_to(app, ident):
        raise NotFoundError(f"no application {app_id}", field="application_id")  # not even its existence
    out = {**app, "agreement": store.agreement(app_id), "inspections": store.inspections(app_id)}
    if ident:
        out["allowed_actions"] = workflow.allowed_actions(app["state"], ident["role"])
    return out


def create(store, ident: dict, parcel_code: str, project: dict) -> dict:
    if ident["role"] not in ("applicant", "admin"):
        raise PermissionDenied(f"role '{ident['role']}' may not create applications", field="Authorization",
                               expected="applicant or admin")
    parse_project(project)  # validated up front: a draft is never unparseable
    store.parcel(parcel_code)
    row = {"actor": ident["name"], "role": ident["role"], "at": _now(), "action": "create", "from_state": None,
           "to_state": "draft", "comment": None}
    row["snapshot_hash"] = audit.snapshot_hash({"parcel_code": parcel_code, "project": project, "state": "draft"})
    app_id = store.create_application(parcel_code, ident["name"], project, row)
    return view(store, app_id, ident)


def transition(store, ident: dict, app_id: int, action: str, body: dict | None = None, *,
               if_match: int | None = None, idempotency_key: str | None = None, today: date | None = None) -> dict:
    """Apply ``action``; returns the application view. Raises on a forbidden role, a wrong state,
    a failed guard (each with the field), a stale ``if_match`` (412) or a lost race (409)."""
    body = body or {}
    today = today or date.today()
    if idempotency_key:
        prior = store.idempotent_response(idempotency_key)
        if prior is not None:
            if prior["application_id"] != app_id or prior["action"] != action:
                raise ConflictError("this Idempotency-Key was used for another request", field="Idempotency-Key",
                                    expected="a fresh key per distinct request")
            return prior["response"]
    t = workflow.transition_for(action)
    if t is None:
        raise NotFoundError(f"unknown action '{action}'", field="action",
                            expected=", ".join(x.action for x in workflow.TRANSITIONS))
    app = get(store, app_id)
    if ident["role"] not in t.roles:
        raise PermissionDenied(f"role '{ident['role']}' may not {action}", field="Authorization",
                               expected=" or ".join(t.roles))
    if ident["role"] == "applicant" and app["applicant"] != ident["name"]:
        raise PermissionDenied("applicants act only on their own applications", field="Authorization")
    if if_match is not None and if_match != app["version"]:
        raise PreconditionFailed(f"the application is at version {app['version']}, not {if_match}",
                                 field="If-Match", expected=f'"{app["version"]}"')
    if app["state"] not in t.sources:
        raise ConflictError(f"cannot {action} an application in state '{app['state']}'", field="action",
                            expected="one of " + ", ".join(workflow.allowed_actions(app["state"], ident["role"]))
                            if workflow.allowed_actions(app["state"], ident["role"]) else "no action (terminal)")
    changes, extra = GUARDS[action](store, app, body, today)
    new_state = changes["state"]
    after = {**app, **changes, "version": app["version"] + 1}
    row = {"actor": ident["name"], "role": ident["role"], "at": _now(), "action": action, "from_state": app["state"],
           "to_state": new_state, "comment": body.get("comment"), "snapshot_hash": audit.snapshot_hash(
               _snapshot(after))}
    status = PARCEL_STATUS_AFTER.get(action)
    response = None
    if idempotency_key:
        response = {**after, "agreement": extra.get("agreement") or store.agreement(app_id),
                    "inspections": store.inspections(app_id) + ([extra["inspection"]] if extra.get("inspection")
                                                                else [])}
    ok = store.apply_transition(
        app_id, app["version"], changes, row, agreement=extra.get("agreement"), inspection=extra.get("inspection"),
        idempotency=(idempotency_key, action, json.dumps(response, ensure_ascii=False, default=str))
        if idempotency_key else None, parcel_status=(app["parcel_code"], status) if status else None)
    if not ok:
        raise ConflictError("another change to this application won the race", field="If-Match",
                            expected="reload the application and retry")
    return view(store, app_id, ident)


# -- guards: each returns (changes to the application, extra rows) --------------------------------

def _need_comment(body, action):
    if not str(body.get("comment") or "").strip():
        raise InputError(f"{action} needs a written comment", field="comment", expected="a non-empty text")


def _submit(store, app, body, today):
    verdict = services.check_project(store, app["project"], app["parcel_code"])
    return {"state": "submitted", "verdict": verdict}, {}


def _approve(store, app, body, today):
    v = (app.get("verdict") or {}).get("verdict")
    reason = str(body.get("exception_reason") or "").strip()
    if v != "pass" and not reason:
        raise InputError(f"the stored verdict is '{v}'; approving needs an exception with a written reason",
                         field="exception_reason", expected="a written reason for the exception")
    return {"state": "approved", "exception_reason": reason or None}, {}


def _simple(target, comment=False):
    def guard(store, app, body, today):
        if comment:
            _need_comment(body, target)
        return {"state": target}, {}
    return guard


def _sign(store, app, body, today):
    start = _date(body.get("agreed_start"), "agreed_start")
    completion = _date(body.get("agreed_completion"), "agreed_completion")
    if completion < start:
        raise InputError("completion precedes the start", field="agreed_completion", expected=f"≥ {start}")
    years = body.get("operating_years", 3)
    if isinstance(years, bool) or not isinstance(years, (int, float)) or not 0 < years <= 10:
        raise InputError(f"{years!r}", field="operating_years", expected="a number of years, 1–3 typically")
    parcel = store.parcel(app["parcel_code"]).iloc[0]
    terms = dict(body.get("penalty_terms") or {})
    for k in ("late_start_per_mille_per_day", "late_completion_per_mille_per_day", "cap_wan_yuan"):
        if k in terms and (isinstance(terms[k], bool) or not isinstance(terms[k], (int, float)) or terms[k] < 0):
            raise InputError(f"{terms[k]!r}", field=f"penalty_terms.{k}", expected="a number ≥ 0")
    if terms.get("combine", "sum") not in ("sum", "cap"):
        raise InputError(f"{terms.get('combine')!r}", field="penalty_terms.combine", expected="sum or cap")
    price = body.get("price_wan_yuan", None if pd.isna(parcel["transfer_price_wan_yuan"])
                     else float(parcel["transfer_price_wan_yuan"]))
    terms["price_wan_yuan"] = price
    verdict = app["verdict"] or {}
    commitments = {it["id"]: it["actual"] for it in verdict.get("indicators", [])
                   if it["actual"] is not None and it["id"] in catalogue().ids}
    decision = parse_project(app["project"]).decision_date
    in_force = [rs.to_dict() for rs in services.rulesets(store) if rs.in_force(decision)]
    review_due = deadlines.add_months(completion, int(round(float(years) * 12)))
    agreement = {"agreed_start": start.isoformat(), "agreed_completion": completion.isoformat(),
                 "operating_years": years, "review_due": review_due.isoformat(),
                 "rectification_months": int(body.get("rectification_months", 6)),
                 "commitments": commitments, "decision_date": decision.isoformat(), "rulesets": in_force,
                 "parcel": {"code": parcel["code"], "area_m2": float(parcel["area_m2"]),
                            "area_mu": float(parcel["area_mu"]), "attrs": parcel["attrs"] or {},
                            "land_use_code": parcel["land_use_code"], "park": parcel["park"],
                            "region_class": None if pd.isna(parcel["region_class"]) else int(parcel["region_class"]),
                            "zone_tier": _zone_tier(store, parcel["park"])},
                 "penalty_terms": terms}
    return {"state": "agreement_signed"}, {"agreement": agreement}


def _dated(target, fact):
    def guard(store, app, body, today):
        d = _date(body.get("date"), "date", today)
        if d > today:
            raise InputError(f"{d} is in the future", field="date", expected=f"≤ {today}")
        return {"state": target, "facts": {**(app.get("facts") or {}), fact: d.isoformat()}}, {}
    return guard


def _inspect(kind):
    indicators = ACCEPTANCE_INDICATORS if kind == "acceptance" else REVIEW_INDICATORS
    states = ("acceptance_passed", "acceptance_rectifying", "acceptance_failed") if kind == "acceptance" else \
        ("review_passed", "review_rectifying", "review_breach")

    def guard(store, app, body, today):
        ag = store.agreement(app["id"])
        actuals = body.get("actuals")
        if not isinstance(actuals, dict) or not actuals:
            raise InputError("missing", field="actuals", expected="the measured values (project-schema fields)")
        on = _date(body.get("inspected_on"), "inspected_on", today)
        result = inspect(ag, app, actuals, kind)
        if result["verdict"]["verdict"] == "incomplete":
            missing = [i["id"] for i in result["verdict"]["indicators"] if i["status"] == "missing"]
            raise InputError(f"cannot conclude: no actual value for {', '.join(missing)}", field="actuals",
                             expected="values for " + ", ".join(indicators))
        passed = result["verdict"]["verdict"] == "pass"
        first = app["state"] in ("completed", "in_production")
        target = states[0] if passed else states[1] if first else states[2]
        changes = {"state": target,
                   "rectify_due": deadlines.add_months(on, ag["rectification_months"]).isoformat()
                   if target == states[1] else None}
        pen = None if passed else penalty_for(ag, app, result, kind)
        return changes, {"inspection": {"kind": kind, "actuals": actuals, "verdict": result["verdict"],
                                        "result": target, "penalties": pen, "inspected_on": on.isoformat()}}
    return guard


GUARDS = {
    "submit": _submit, "start_review": _simple("under_review"), "approve": _approve,
    "reject": _simple("rejected", comment=True), "return": _simple("returned", comment=True),
    "sign_agreement": _sign, "start_construction": _dated("construction_started", "actual_start"),
    "complete": _dated("completed", "actual_completion"), "accept": _inspect("acceptance"),
    "start_production": _simple("in_production"), "review": _inspect("review"), "close": _simple("closed"),
    "recover": _simple("recovered", comment=True),
}


def inspect(ag: dict, app: dict, actuals: dict, kind: str) -> dict:
    """The engine on the measured values, against the rule sets frozen at signing, the parcel's own
    limits and the commitments (their own layer, ``agreement``), at the acceptance or
    production-review checkpoint; the indicators judged are the catalogue's for that checkpoint."""
    import geopandas as gpd

    checkpoint = "acceptance" if kind == "acceptance" else "production_review"
    only = catalogue().at(checkpoint)
    project = {k: v for k, v in app["project"].items() if k in ("name", "industry_code", "industry_code_edition",
                                                                  "industry_name", "industries",
                                                                  "multi_industry_policy", "nuisance_class")}
    project.update(actuals)
    project["decision_date"] = ag["decision_date"]
    p = parse_project(project)
    fp = ag["parcel"]
    parcel = gpd.GeoDataFrame([{"code": fp["code"], "area_m2": fp["area_m2"], "area_mu": fp["area_mu"], "name": None,
                                "park": fp["park"], "land_use_code": fp["land_use_code"],
                                "region_class": fp["region_class"], "attrs": dict(fp["attrs"])}], geometry=[None])
    parcel["region_class"] = parcel["region_class"].astype("Float64")
    parks = gpd.GeoDataFrame({"code": [fp["park"]], "zone_tier": [fp["zone_tier"]]})
    agreed = thresholds.commitment_limits({k: v for k, v in ag["commitments"].items() if k in only})
    verdict = checks.check(p, parcel, parks, load_rulesets(ag["rulesets"]), checkpoint=checkpoint,
                           layers={"agreement": agreed}, only=only)
    verdict["indicators"] = [i for i in verdict["indicators"] if i["id"] in only]
    return {"verdict": verdict}


def _zone_tier(store, park):
    return thresholds.zone_tiers(services.parks(store)).get(park)


def penalty_for(ag: dict, app: dict, result: dict, kind: str) -> dict:
    terms = ag["penalty_terms"]
    lines = []
    facts = app.get("facts") or {}
    for it in result["verdict"]["indicators"]:
        if it["status"] != "fail":
            continue
        if it["id"] in penalties.PROPORTIONAL:
            lines.append(penalties.proportional(terms, it["id"], it["required"]["min"], it["actual"]))
        elif it["id"] == "tax_per_mu":
            lines.append(penalties.tax_shortfall(terms, it["required"]["min"], it["actual"], ag["parcel"]["area_mu"]))
    if kind == "acceptance":
        for which, fact, due in (("start", "actual_start", "agreed_start"),
                                 ("completion", "actual_completion", "agreed_completion")):
            if facts.get(fact):
                days = (date.fromisoformat(facts[fact]) - date.fromisoformat(ag[due])).days
                lines.append(penalties.late(terms, which, days))
    return penalties.combine(terms, [x for x in lines if x is not None])


def audit_trail(store, app_id: int, ident: dict | None = None) -> dict:
    view(store, app_id, ident)
    rows = store.audit_rows(app_id)
    return {"rows": rows, "verification": audit.verify(rows)}


# -- deadlines, dashboard -----------------------------------------------------------------------

def deadline_list(store, *, today: date | None = None, overdue_only: bool = False) -> list[dict]:
    today = today or date.today()
    apps = {a["id"]: a for a in store.applications()}
    out = []
    for app_id, ag in sorted(store.agreements().items()):
        app = apps.get(app_id)
        if app is None or app["state"] in workflow.TERMINAL:
            continue
        facts = app.get("facts") or {}
        start = date.fromisoformat(ag["agreed_start"])
        actual_start = date.fromisoformat(facts["actual_start"]) if facts.get("actual_start") else None
        actual_done = date.fromisoformat(facts["actual_completion"]) if facts.get("actual_completion") else None
        idle = deadlines.idle_stage(start, actual_start, today)
        items = [
            {"kind": "start", "due": ag["agreed_start"], "status": deadlines.due_status(start, actual_start, today)},
            {"kind": "completion", "due": ag["agreed_completion"], "status": deadlines.due_status(
                date.fromisoformat(ag["agreed_completion"]), actual_done, today)},
            {"kind": "production_review", "due": ag["review_due"], "status": deadlines.due_status(
                date.fromisoformat(ag["review_due"]),
                today if app["state"] in ("review_passed", "closed") else None, today)},
        ]
        if app.get("rectify_due"):
            items.append({"kind": "rectification", "due": app["rectify_due"], "status": deadlines.due_status(
                date.fromisoformat(app["rectify_due"]), None, today)})
        rec = {"application_id": app_id, "parcel_code": app["parcel_code"], "state": app["state"], "deadlines": items,
               "idle_land": idle}
        if not overdue_only or any(i["status"] == "overdue" for i in items):
            out.append(rec)
    return out


def register_frame(store, ident: dict | None = None) -> pd.DataFrame:
    """The application register (one row per application the caller may see) for an Excel export."""
    rows = []
    ags = store.agreements()
    for a in register(store, ident) if ident else store.applications():
        ag = ags.get(a["id"], {})
        rows.append({"id": a["id"], "parcel_code": a["parcel_code"], "applicant": a["applicant"],
                     "project": a["project"].get("name"), "state": a["state"], "version": a["version"],
                     "verdict": (a["verdict"] or {}).get("verdict"), "exception_reason": a["exception_reason"],
                     "agreed_start": ag.get("agreed_start"), "agreed_completion": ag.get("agreed_completion"),
                     "review_due": ag.get("review_due"), "actual_start": a["facts"].get("actual_start"),
                     "actual_completion": a["facts"].get("actual_completion"), "rectify_due": a["rectify_due"],
                     "created_at": a["created_at"], "updated_at": a["updated_at"]})
    return pd.DataFrame(rows)


def park_dashboard(store, park: str, *, weights: dict | None = None) -> dict:
    """Counts by status, land offered and used (亩), 亩均 figures and the A–D class distribution."""
    from . import evaluation
    from ..store import ParcelQuery

    if park not in set(services.parks(store)["code"]):
        raise NotFoundError(f"no park '{park}'", field="park")
    gdf = store.parcels(ParcelQuery(park=park))
    by_status = gdf.groupby("status")["area_mu"].agg(["count", "sum"])
    offered = gdf[gdf["status"].isin(("serviced", "published", "listed"))]["area_mu"].sum()
    used = gdf[gdf["status"].isin(("transferred", "under_construction", "in_production"))]["area_mu"].sum()
    prod = gdf[gdf["status"] == "in_production"]
    flat = pd.DataFrame({"code": prod["code"].to_numpy()})
    for k in (weights or evaluation.DEFAULT_WEIGHTS):
        flat[k] = [a.get(k) for a in prod["attrs"]]
    scores = evaluation.evaluate(flat, weights)
    mean = {k: (None if flat[k].isna().all() else round(float(pd.to_numeric(flat[k]).mean()), 4))
            for k in flat.columns if k != "code"}
    return {"park": park, "parcels": int(len(gdf)),
            "by_status": {s: {"parcels": int(r["count"]), "area_mu": round(float(r["sum"]), 4)}
                          for s, r in by_status.iterrows()},
            "land_offered_mu": round(float(offered), 4), "land_used_mu": round(float(used), 4),
            "mu_average": mean, "weights": weights or evaluation.DEFAULT_WEIGHTS,
            "classes": {c: int((scores["class"] == c).sum()) for c in ("A", "B", "C", "D")},
            "scores": scores.to_dict("records"),
            "applications": {s: n for s, n in pd.Series([a["state"] for a in store.applications()
                                                          if a["parcel_code"] in set(gdf["code"])]).value_counts()
                             .items()}}
