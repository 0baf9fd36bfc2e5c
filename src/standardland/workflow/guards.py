"""The guards of the workflow's transitions (:data:`standardland.workflow.machine.TRANSITIONS`).

A guard checks the request body against the application and returns ``(changes, extra)``: the
changes to the application (always its new ``state``) and the extra rows to write with it (an
``agreement`` or an ``inspection``). It raises :class:`~standardland.errors.InputError` naming the
field when the body does not satisfy it. The body is the row's model (:mod:`.bodies`), already
validated for types, ranges and required fields; a guard checks only what needs the application,
the agreement or today's date. Nothing here knows HTTP.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from . import deadlines
from .. import services
from ..dates import parse_date
from ..errors import InputError, StandardlandError
from ..rules import thresholds
from ..rules.catalogue import catalogue
from ..rules.project import parse_project


def _not_future(d: date, field: str, today: date) -> None:
    """Refuse a date more than a day after ``today`` (a day's grace for time zones: 北京时间 is UTC+8)."""
    if d > today + timedelta(days=1):
        raise InputError(f"{d} is in the future", field=field, expected=f"a date ≤ {today + timedelta(days=1)}")


def _not_before(d: date, field: str, floor: str | None, what: str) -> None:
    """Refuse a date before ``floor`` (an ISO date recorded earlier, e.g. the agreement's signing date)."""
    if floor and d < parse_date(floor, field):
        raise InputError(f"{d} is before {what} {floor}", field=field, expected=f"a date ≥ {floor}")


def submit(store, app, body, today):
    """Guard of ``submit``: check the project against the parcel and record the verdict."""
    verdict = services.check_project(store, app["project"], app["parcel_code"])
    return {"state": "submitted", "verdict": verdict}, {}


def approve(store, app, body, today):
    """Guard of ``approve``: a verdict other than pass needs a written exception reason."""
    v = (app.get("verdict") or {}).get("verdict")
    reason = body.exception_reason
    if v != "pass" and not reason:
        raise InputError(f"the stored verdict is '{v}'; approving needs an exception with a written reason",
                         field="exception_reason", expected="a written reason for the exception")
    return {"state": "approved", "exception_reason": reason or None}, {}


def simple(target: str):
    """A guard that only moves to ``target`` (a required comment is the row's body model's concern)."""
    def guard(store, app, body, today):
        return {"state": target}, {}
    guard.target = target
    return guard


def sign(store, app, body, today):
    """Guard of ``sign_agreement``: the signing date, the price (the parcel's own when none is given) and
    the penalty terms, with the commitments and rule sets in force recorded for later review."""
    _not_future(body.signed_on, "signed_on", today)
    start, completion, years = body.agreed_start, body.agreed_completion, body.operating_years
    parcel = store.parcel(app["parcel_code"]).iloc[0]
    price = body.price_wan_yuan
    if price is None:
        own = parcel["transfer_price_wan_yuan"]
        if pd.isna(own):
            raise InputError(f"missing, and parcel {parcel['code']} has no recorded transfer price",
                             field="price_wan_yuan", expected="the contract's transfer price in 万元 (≥ 0)")
        price = float(own)
    terms = {**body.penalty_terms.recorded(), "price_wan_yuan": price}
    verdict = app["verdict"] or {}
    commitments = {it["id"]: it["actual"] for it in verdict.get("indicators", [])
                   if it["actual"] is not None and it["id"] in catalogue().ids}
    decision = parse_project(app["project"]).decision_date
    in_force = [rs.to_dict() for rs in services.rulesets(store) if rs.in_force(decision)]
    review_due = deadlines.add_months(completion, int(round(float(years) * 12)))
    agreement = {"signed_on": body.signed_on.isoformat(),
                 "agreed_start": start.isoformat(), "agreed_completion": completion.isoformat(),
                 "operating_years": years, "review_due": review_due.isoformat(),
                 "rectification_months": body.rectification_months,
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
    """A guard recording the date of ``fact`` (the body's required ``date``): not more than a day in the
    future, not before the agreement's signing date, and a completion not before the actual start."""
    def guard(store, app, body, today):
        d = body.date
        _not_future(d, "date", today)
        facts = app.get("facts") or {}
        _not_before(d, "date", (store.agreement(app["id"]) or {}).get("signed_on"), "the agreement's signing date")
        if fact == "actual_completion":
            _not_before(d, "date", facts.get("actual_start"), "the actual start")
        return {"state": target, "facts": {**facts, fact: d.isoformat()}}, {}
    guard.target = target
    return guard


def inspection(kind: str, states: tuple[str, str, str]):
    """An inspection guard: ``states`` are (passed, rectifying, failed); a first failure opens
    rectification with a deadline, a failed re-check is the third state."""
    def guard(store, app, body, today):
        from .applications import ACCEPTANCE_INDICATORS, REVIEW_INDICATORS, inspect, penalty_for

        indicators = ACCEPTANCE_INDICATORS if kind == "acceptance" else REVIEW_INDICATORS
        ag = store.agreement(app["id"])
        actuals, on = body.actuals, body.inspected_on
        _not_future(on, "inspected_on", today)
        _not_before(on, "inspected_on", ag.get("signed_on"), "the agreement's signing date")
        try:
            result = inspect(ag, app, actuals, kind)
        except StandardlandError as exc:  # a measured value of the wrong type or unit: name it under actuals
            exc.field = f"actuals.{exc.field}" if exc.field else "actuals"
            exc.args = (str(exc),)
            raise
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
