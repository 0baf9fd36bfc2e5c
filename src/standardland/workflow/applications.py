"""Applications through the workflow (:mod:`standardland.workflow.machine`, guards in
:mod:`.guards`): frozen agreements, inspections by the rule engine, penalties, the audit trail and
idempotent retries. The read-only reports (register, deadlines, park dashboard) are in :mod:`.reports`.

Every function takes the store and the caller's identity ``{"name", "role"}``; nothing here knows
HTTP. Visibility is one rule (:func:`visible_to`) applied by every view and list. Concurrency is
optimistic: a transition applies only if the application is still at the version the caller saw
(``If-Match``), and the winner's audit row is chained to the previous one. An ``Idempotency-Key``
belongs to its caller and is looked up only after the caller is authorised for the action.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from . import audit, bodies, penalties, machine as workflow
from ..rules import checks
from ..dates import parse_date
from ..errors import ConflictError, NotFoundError, PermissionDenied, PreconditionFailed
from ..rules import thresholds
from ..rules.catalogue import catalogue
from ..rules.project import parse_project
from ..rules.rulesets import load_rulesets
from ..store import Idempotency

ACCEPTANCE_INDICATORS = tuple(sorted(catalogue().at("acceptance")))  # the catalogue's checkpoints, not a copy
REVIEW_INDICATORS = tuple(sorted(catalogue().at("production_review")))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _snapshot(app: dict) -> dict:
    return {k: app.get(k) for k in ("id", "parcel_code", "applicant", "state", "version", "project", "verdict",
                                    "exception_reason", "rectify_due", "facts")}


def get(store, app_id: int) -> dict:
    """The stored application ``app_id``; :class:`NotFoundError` when there is none."""
    app = store.application(app_id)
    if app is None:
        raise NotFoundError(f"no application {app_id}", field="application_id")
    return app


def visible_to(app: dict, ident: dict | None) -> bool:
    """Applicants see their own applications only; every other role sees the register."""
    return ident is None or ident["role"] != "applicant" or app["applicant"] == ident["name"]


def caller_of(ident: dict) -> str:
    """The identity an ``Idempotency-Key`` is stored with (role and name: an applicant's name owns
    their applications)."""
    return f"{ident['role']}:{ident['name']}"


def view(store, app_id: int, ident: dict | None = None) -> dict:
    """Application ``app_id`` with its agreement and inspections, and the actions ``ident`` may take;
    :class:`NotFoundError` also when ``ident`` may not see it (its existence is not revealed)."""
    app = get(store, app_id)
    if not visible_to(app, ident):
        raise NotFoundError(f"no application {app_id}", field="application_id")  # not even its existence
    out = {**app, "agreement": store.agreement(app_id), "inspections": store.inspections(app_id)}
    if ident:
        out["allowed_actions"] = workflow.allowed_actions(app["state"], ident["role"])
    return out


def create(store, ident: dict, parcel_code: str, project: dict) -> dict:
    """Create a draft application for ``parcel_code`` with a validated ``project`` (audited, its promotion
    fields the start of the promotion record) and return its :func:`view`. Only an applicant or admin may
    (else :class:`PermissionDenied`); the parcel must exist."""
    if ident["role"] not in ("applicant", "admin"):
        raise PermissionDenied(f"role '{ident['role']}' may not create applications", field="Authorization",
                               expected="applicant or admin")
    parse_project(project)  # validated up front: a draft is never unparseable
    store.parcel(parcel_code)
    row = {"actor": ident["name"], "role": ident["role"], "at": _now(), "action": "create", "from_state": None,
           "to_state": "draft", "comment": None}
    row["snapshot_hash"] = audit.snapshot_hash({"parcel_code": parcel_code, "project": project, "state": "draft"})
    from .promotion import from_project

    app_id = store.create_application(parcel_code, ident["name"], project, row,
                                      promotion=from_project(project) or None)  # the promotion record's start
    return view(store, app_id, ident)


def transition(store, ident: dict, app_id: int, action: str, body: dict | bodies.TransitionBody | None = None, *,
               if_match: int | None = None, idempotency_key: str | None = None, today: date | None = None) -> dict:
    """Apply ``action``; returns the application view.

    In this order: the action must exist (404), the caller's role must be allowed (403) and the
    application visible to them (404, as for :func:`view`); then the caller's own
    ``idempotency_key``, if recorded, replays its stored response; then a stale ``if_match`` (412),
    a wrong state (409), a body that does not fit the row's model (422 naming the field path; a dict
    is validated here, a model instance was validated by the HTTP layer, :mod:`.bodies`), a failed
    guard (422, naming the field) or a lost race (409).
    """
    today = today or date.today()
    t = workflow.transition_for(action)
    if t is None:
        raise NotFoundError(f"unknown action '{action}'", field="action",
                            expected=", ".join(x.action for x in workflow.TRANSITIONS))
    if ident["role"] not in t.roles:
        raise PermissionDenied(f"role '{ident['role']}' may not {action}", field="Authorization",
                               expected=" or ".join(t.roles))
    app = view(store, app_id, ident)  # 404 for an application the caller may not see
    if idempotency_key:
        prior = store.idempotent_response(idempotency_key, caller_of(ident))
        if prior is not None:
            if prior["application_id"] != app_id or prior["action"] != action:
                raise ConflictError("this Idempotency-Key was used for another request", field="Idempotency-Key",
                                    expected="a fresh key per distinct request")
            return prior["response"]
    if if_match is not None and if_match != app["version"]:
        raise PreconditionFailed(f"the application is at version {app['version']}, not {if_match}",
                                 field="If-Match", expected=f'"{app["version"]}"')
    if app["state"] not in t.sources:
        allowed = workflow.allowed_actions(app["state"], ident["role"])
        raise ConflictError(f"cannot {action} an application in state '{app['state']}'", field="action",
                            expected="one of " + ", ".join(allowed) if allowed else "no action (terminal)")
    body = bodies.parse(t.body, body)  # the row's body model: required fields, types and ranges, named
    note = body.comment  # every body may carry one; the audit row records it
    changes, extra = t.guard(store, app, body, today)
    new_state = changes["state"]
    if new_state not in t.targets:  # the table is the contract: a guard may not lead elsewhere
        raise RuntimeError(f"guard of '{action}' chose '{new_state}', not one of {', '.join(t.targets)}")
    after = {**_snapshot(app), **changes, "version": app["version"] + 1}
    row = {"actor": ident["name"], "role": ident["role"], "at": _now(), "action": action, "from_state": app["state"],
           "to_state": new_state, "comment": note, "snapshot_hash": audit.snapshot_hash(_snapshot(after))}
    idem = None
    if idempotency_key:
        response = {**app, **changes, "version": app["version"] + 1,
                    "agreement": extra.get("agreement") or app["agreement"],
                    "inspections": app["inspections"] + ([extra["inspection"]] if extra.get("inspection") else [])}
        response["allowed_actions"] = workflow.allowed_actions(new_state, ident["role"])
        idem = Idempotency(caller_of(ident), idempotency_key, action,
                           json.dumps(response, ensure_ascii=False, default=str))
    ok = store.apply_transition(
        app_id, app["version"], changes, row, agreement=extra.get("agreement"), inspection=extra.get("inspection"),
        idempotency=idem, parcel_status=(app["parcel_code"], t.parcel_status) if t.parcel_status else None)
    if not ok:
        raise ConflictError("another change to this application won the race", field="If-Match",
                            expected="reload the application and retry")
    return view(store, app_id, ident)


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


def penalty_for(ag: dict, app: dict, result: dict, kind: str) -> dict:
    """The penalty notice (:func:`~standardland.workflow.penalties.combine`: lines and total) an agreement's
    terms impose for a check ``result``: each failed indicator (proportional, or the tax shortfall), and at
    ``acceptance`` a late start or completion."""
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
                days = (parse_date(facts[fact], fact) - parse_date(ag[due], due)).days
                lines.append(penalties.late(terms, which, days))
    return penalties.combine(terms, [x for x in lines if x is not None])


def audit_trail(store, app_id: int, ident: dict | None = None) -> dict:
    """The audit rows of application ``app_id`` (if ``ident`` may see it, as for :func:`view`) and their
    hash-chain verification (:func:`~standardland.workflow.audit.verify`)."""
    view(store, app_id, ident)
    rows = store.audit_rows(app_id)
    return {"rows": rows, "verification": audit.verify(rows)}
