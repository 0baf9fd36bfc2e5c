"""The guards of the workflow's transitions (:data:`standardland.workflow.machine.TRANSITIONS`).

A guard checks the request body against the application and returns ``(changes, extra)``: the
changes to the application (always its new ``state``) and the extra rows to write with it (an
``agreement`` or an ``inspection``). It raises :class:`~standardland.errors.InputError` naming the
field when the body does not satisfy it. Every value of a body is checked by type here
(:mod:`standardland.values`) before it is stored. Nothing here knows HTTP.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from . import deadlines
from .. import services, values
from ..errors import InputError
from ..rules import thresholds
from ..rules.catalogue import catalogue
from ..rules.project import parse_project


def _date(v, field: str, default: date | None = None) -> date:
    if v is None or v == "":
        if default is not None:
            return default
        raise InputError("missing", field=field, expected="YYYY-MM-DD")
    if not isinstance(v, str):
        raise InputError(f"{v!r} is {values.kind(v)}", field=field, expected="a date YYYY-MM-DD")
    try:
        return date.fromisoformat(v[:10])
    except ValueError as exc:
        raise InputError(f"'{v}' is not a date", field=field, expected="YYYY-MM-DD") from exc


def comment(body: dict, required: str | None = None) -> str | None:
    """The body's ``comment`` as plain text; ``required`` names the action that needs one."""
    if required:
        return values.text(body.get("comment"), "comment", required=True,
                           expected=f"a written comment (to {required})")
    return values.text(body.get("comment"), "comment")


def submit(store, app, body, today):
    verdict = services.check_project(store, app["project"], app["parcel_code"])
    return {"state": "submitted", "verdict": verdict}, {}


def approve(store, app, body, today):
    v = (app.get("verdict") or {}).get("verdict")
    reason = values.text(body.get("exception_reason"), "exception_reason",
                         expected="a written reason for the exception")
    if v != "pass" and not reason:
        raise InputError(f"the stored verdict is '{v}'; approving needs an exception with a written reason",
                         field="exception_reason", expected="a written reason for the exception")
    return {"state": "approved", "exception_reason": reason or None}, {}


def simple(target: str, *, needs_comment: bool = False):
    """A guard that only moves to ``target`` (after a written comment when ``needs_comment``)."""
    def guard(store, app, body, today):
        if needs_comment:
            comment(body, required=target)
        return {"state": target}, {}
    guard.target = target
    return guard


def sign(store, app, body, today):
    start = _date(body.get("agreed_start"), "agreed_start")
    completion = _date(body.get("agreed_completion"), "agreed_completion")
    if completion < start:
        raise InputError("completion precedes the start", field="agreed_completion", expected=f"≥ {start}")
    years = body.get("operating_years", 3)
    if isinstance(years, bool) or not isinstance(years, (int, float)) or not 0 < years <= 10:
        raise InputError(f"{years!r}", field="operating_years", expected="a number of years, 1–3 typically")
    months = body.get("rectification_months", 6)
    if (isinstance(months, bool) or not isinstance(months, (int, float)) or not 0 < months <= 60
            or not float(months).is_integer()):
        raise InputError(f"{months!r}", field="rectification_months",
                         expected="a whole number of months, 1–60")
    months = int(months)
    parcel = store.parcel(app["parcel_code"]).iloc[0]
    raw_terms = body.get("penalty_terms") or {}
    if not isinstance(raw_terms, dict):
        raise InputError(f"{raw_terms!r} is {values.kind(raw_terms)}", field="penalty_terms",
                         expected="an object of penalty terms")
    terms = dict(raw_terms)
    for k in ("late_start_per_mille_per_day", "late_completion_per_mille_per_day", "cap_wan_yuan"):
        if k in terms:
            values.number(terms[k], f"penalty_terms.{k}", minimum=0, expected="a number ≥ 0")
    if "tax_shortfall_per_mu" in terms and not isinstance(terms["tax_shortfall_per_mu"], bool):
        raise InputError(f"{terms['tax_shortfall_per_mu']!r}", field="penalty_terms.tax_shortfall_per_mu",
                         expected="true or false")
    if terms.get("combine", "sum") not in ("sum", "cap"):
        raise InputError(f"{terms.get('combine')!r}", field="penalty_terms.combine", expected="sum or cap")
    if "price_wan_yuan" in body and body["price_wan_yuan"] is not None:
        price = values.number(body["price_wan_yuan"], "price_wan_yuan", minimum=0,
                              expected="a number ≥ 0 (万元)")
    else:
        own = parcel["transfer_price_wan_yuan"]
        price = None if pd.isna(own) else float(own)
    terms["price_wan_yuan"] = price
    verdict = app["verdict"] or {}
    commitments = {it["id"]: it["actual"] for it in verdict.get("indicators", [])
                   if it["actual"] is not None and it["id"] in catalogue().ids}
    decision = parse_project(app["project"]).decision_date
    in_force = [rs.to_dict() for rs in services.rulesets(store) if rs.in_force(decision)]
    review_due = deadlines.add_months(completion, int(round(float(years) * 12)))
    agreement = {"agreed_start": start.isoformat(), "agreed_completion": completion.isoformat(),
                 "operating_years": years, "review_due": review_due.isoformat(),
                 "rectification_months": months,
                 "commitments": commitments, "decision_date": decision.isoformat(), "rulesets": in_force,
                 "parcel": {"code": parcel["code"], "area_m2": float(parcel["area_m2"]),
                            "area_mu": float(parcel["area_mu"]), "attrs": parcel["attrs"] or {},
                            "land_use_code": parcel["land_use_code"], "park": parcel["park"],
                            "region_class": None if pd.isna(parcel["region_class"]) else int(parcel["region_class"]),
                            "zone_tier": _zone_tier(store, parcel["park"])},
                 "penalty_terms": terms}
    return {"state": "agreement_signed"}, {"agreement": agreement}


def _zone_tier(store, park):
    return thresholds.zone_tiers(services.parks(store)).get(park)


def dated(target: str, fact: str):
    """A guard recording the date of ``fact`` (today unless the body names an earlier ``date``)."""
    def guard(store, app, body, today):
        d = _date(body.get("date"), "date", today)
        if d > today:
            raise InputError(f"{d} is in the future", field="date", expected=f"≤ {today}")
        return {"state": target, "facts": {**(app.get("facts") or {}), fact: d.isoformat()}}, {}
    guard.target = target
    return guard


def inspection(kind: str, states: tuple[str, str, str]):
    """An inspection guard: ``states`` are (passed, rectifying, failed); a first failure opens
    rectification with a deadline, a failed re-check is the third state."""
    def guard(store, app, body, today):
        from .applications import ACCEPTANCE_INDICATORS, REVIEW_INDICATORS, inspect, penalty_for

        indicators = ACCEPTANCE_INDICATORS if kind == "acceptance" else REVIEW_INDICATORS
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
