"""The promotion record (招商) of an application and its service log (issue 13 §3).

The promotion record holds the fields of :data:`standardland.rules.fields.PROMOTION` (investor,
origin and country, total investment, 500-强 list and year, the intended → signed → registered →
started → commissioned dates), validated by the same checkers as every project field. A project
document may carry them: :func:`standardland.workflow.applications.create` seeds the record from it.

The service log: dated entries (``visit``, ``issue_raised``, ``issue_resolved``) with text, an
optional ``follow_up_due`` date and the entry they ``answers``. An entry's follow-up is met by the
first later entry that answers it (an ``issue_resolved`` must answer an open ``issue_raised``);
open follow-ups past their date are overdue in :func:`standardland.workflow.reports.deadline_list`.

Who may do what: the planner and the admin write the record and the log and assign the service
officer (a user: the name of an API token of a staff role); the assigned officer writes the record
and the log of their applications; every caller who may see the application reads both (an
applicant: their own, :func:`standardland.workflow.applications.visible_to`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from ..dates import parse_date
from ..errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ..rules.fields import (CHECKERS, DATE_FORMAT, PROMOTION, PROMOTION_FIELDS, Problem, check_promotion,
                            check_quantities, parse_dates)
from ..units import quantity
from ..values import text as clean_text
from .applications import get, visible_to

SPECS = {f.name: f for f in PROMOTION}
ENTRY_KINDS = ("visit", "issue_raised", "issue_resolved")
#: roles that write every application's record and log (the assigned officer writes their own)
WRITERS = ("planner", "admin")
MAX_TEXT = 2000
#: entries one application's service log may hold
MAX_ENTRIES = 5000


def _raise_first(problems: list[Problem]) -> None:
    if problems:
        p = problems[0]
        raise InputError(p.message, field=p.field, expected=p.expected)


def parse_record(doc: dict, *, whole: bool = True) -> dict:
    """A promotion record (or part of one) checked against the field spec; returns plain values
    (dates as ``YYYY-MM-DD``, the year as an int, the total investment in 万元, None to clear).

    Raises :class:`InputError` naming the field (unknown fields too). The cross-field rules
    (:func:`standardland.rules.fields.check_promotion`) apply to what is given, unless ``whole``
    is False (a change to be merged into a stored record, checked whole afterwards)."""
    if not isinstance(doc, dict):
        raise InputError(f"expected a JSON object, got {type(doc).__name__}", field="promotion")
    unknown = sorted(set(doc) - set(PROMOTION_FIELDS))
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", field=unknown[0],
                         expected="fields of the promotion record: " + ", ".join(PROMOTION_FIELDS))
    out: dict = {}
    cols: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    for k, v in doc.items():
        spec = SPECS[k]
        if spec.kind == "quantity":
            x = quantity(v, spec.unit, field=k)
            cols[k] = np.array([np.nan if x is None else x], dtype="float64")
            problems += check_quantities([spec], [cols[k]])
            out[k] = x
            continue
        if spec.kind == "text":
            out[k] = clean_text(v, k, expected=spec.expected)
            if out[k] is not None and ("\n" in out[k] or len(out[k]) > 200):
                raise InputError(f"{out[k][:40]!r} is not one line of at most 200 characters", field=k,
                                 expected="a one-line name")
            cols[k] = np.array([out[k]], dtype=object)
            continue
        cols[k], probs = CHECKERS[spec.kind]([v], spec)
        problems += probs
        val = cols[k][0]
        if spec.kind == "date":
            out[k] = None if pd.isna(val) else pd.Timestamp(val).date().isoformat()
        elif spec.kind == "year":
            out[k] = None if np.isnan(val) else int(val)
        else:
            out[k] = val
    _raise_first(problems)
    if whole:
        _raise_first(check_promotion(cols))
    return out


def from_project(project: dict) -> dict:
    """The promotion fields a (validated) project document carries, as a record."""
    return {k: v for k, v in parse_record({k: project[k] for k in PROMOTION_FIELDS if k in project}).items()
            if v is not None}


def _app_for(store, app_id: int, ident: dict | None) -> dict:
    app = get(store, app_id)
    if not visible_to(app, ident):
        raise NotFoundError(f"no application {app_id}", field="application_id")
    return app


def _may_write(app: dict, ident: dict | None) -> None:
    if ident is None or ident["role"] in WRITERS:
        return
    if ident["role"] != "applicant" and app.get("service_officer") == ident["name"]:
        return
    raise PermissionDenied(f"role '{ident['role']}' may not write the promotion record or service log of "
                           f"application {app['id']}", field="Authorization",
                           expected="planner or admin, or the application's assigned service officer")


def view(store, app_id: int, ident: dict | None = None) -> dict:
    """The promotion record, the service officer and the service log (with each entry's follow-up
    status on ``today``) of an application the caller may see."""
    app = _app_for(store, app_id, ident)
    return {"application_id": app_id, "promotion": app["promotion"], "service_officer": app["service_officer"],
            "service_log": with_follow_up(store.service_entries(app_id), date.today())}


def update(store, ident: dict | None, app_id: int, changes: dict) -> dict:
    """Change fields of the promotion record (None clears one); the merged record is validated as a
    whole (dates in stage order), and nothing is written when any field is refused."""
    app = _app_for(store, app_id, ident)
    _may_write(app, ident)
    parsed = parse_record(changes, whole=False)
    merged = {**app["promotion"], **parsed}
    merged = {k: v for k, v in parse_record(merged).items() if v is not None}
    store.set_promotion(app_id, merged)
    return view(store, app_id, ident)


def assign_officer(store, ident: dict | None, app_id: int, name: str | None) -> dict:
    """Assign the service officer (planner, admin): the name of a staff user (an unrevoked API token
    whose role is not ``applicant``), or None to unassign."""
    app = _app_for(store, app_id, ident)
    if ident is not None and ident["role"] not in WRITERS:
        raise PermissionDenied(f"role '{ident['role']}' may not assign the service officer", field="Authorization",
                               expected=" or ".join(WRITERS))
    if name is not None:
        name = clean_text(name, "service_officer", expected="a user's name")
        staff = {t["name"] for t in store.list_tokens() if not t["revoked"] and t["role"] != "applicant"}
        if name not in staff:
            raise InputError(f"'{name}' is not a staff user", field="service_officer",
                             expected="the name of a staff user's API token (standardland tokens list)")
    store.set_service_officer(app["id"], name)
    return view(store, app_id, ident)


def _date(v, field: str, *, required: bool = False) -> str | None:
    """A date of a log entry, read by the field spec's date checker (the forms of :mod:`standardland.dates`)."""
    if required and (v is None or (isinstance(v, str) and not v.strip())):
        raise InputError("missing", field=field, expected=DATE_FORMAT)
    out, problems = parse_dates([v], replace(SPECS["signed_on"], name=field))
    _raise_first(problems)
    return None if pd.isna(out[0]) else pd.Timestamp(out[0]).date().isoformat()


def add_entry(store, ident: dict | None, app_id: int, entry: dict, *, today: date | None = None) -> dict:
    """Append a service-log entry: ``entry_on`` (YYYY-MM-DD, not in the future), ``kind`` (visit,
    issue_raised, issue_resolved), ``text`` (1–2000 characters), optional ``follow_up_due`` (not
    before ``entry_on``) and ``answers`` (an earlier entry of the same application; required for
    ``issue_resolved``, which answers an open ``issue_raised``). Returns the entry."""
    today = today or date.today()
    app = _app_for(store, app_id, ident)
    _may_write(app, ident)
    extra = sorted(set(entry) - {"entry_on", "kind", "text", "follow_up_due", "answers"})
    if extra:
        raise InputError(f"unknown field(s) {', '.join(extra)}", field=extra[0],
                         expected="entry_on, kind, text, follow_up_due, answers")
    on = _date(entry.get("entry_on"), "entry_on", required=True)
    if on > today.isoformat():
        raise InputError(f"{on} is in the future", field="entry_on", expected=f"a date up to {today}")
    kind = entry.get("kind")
    if kind not in ENTRY_KINDS:
        raise InputError(f"{kind!r} is not a kind of entry", field="kind", expected=", ".join(ENTRY_KINDS))
    body = clean_text(entry.get("text"), "text", required=True, expected="what happened")
    if len(body) > MAX_TEXT:
        raise InputError(f"{len(body)} characters", field="text", expected=f"at most {MAX_TEXT} characters")
    due = _date(entry.get("follow_up_due"), "follow_up_due")
    if due is not None and due < on:
        raise InputError(f"{due} is before entry_on {on}", field="follow_up_due", expected=f"a date from {on}")
    answers = entry.get("answers")
    log = store.service_entries(app_id)
    if len(log) >= MAX_ENTRIES:
        raise ConflictError(f"the service log of application {app_id} holds {len(log)} entries", field="application_id",
                            expected=f"at most {MAX_ENTRIES} entries per application")
    if answers is not None:
        if isinstance(answers, bool) or not isinstance(answers, int):
            raise InputError(f"{answers!r}", field="answers", expected="the id of an entry of this application")
        target = next((e for e in log if e["id"] == answers), None)
        if target is None:
            raise InputError(f"no entry {answers} in the service log of application {app_id}", field="answers",
                             expected="the id of an entry of this application")
        if target["entry_on"] > on:
            raise InputError(f"entry {answers} is dated {target['entry_on']}, after {on}", field="answers",
                             expected="an entry dated on or before entry_on")
        if kind == "issue_resolved":
            if target["kind"] != "issue_raised":
                raise InputError(f"entry {answers} is a {target['kind']}, not an issue", field="answers",
                                 expected="the id of an issue_raised entry")
            if any(e["answers"] == answers and e["kind"] == "issue_resolved" for e in log):
                raise InputError(f"issue {answers} is already resolved", field="answers",
                                 expected="an open issue")
    elif kind == "issue_resolved":
        raise InputError("missing: which issue is resolved", field="answers",
                         expected="the id of an issue_raised entry")
    row = {"entry_on": on, "kind": kind, "text": body, "follow_up_due": due, "answers": answers,
           "author": ident["name"] if ident else "local", "role": ident["role"] if ident else "admin"}
    new_id = store.add_service_entry(app_id, row)
    return next(e for e in with_follow_up(store.service_entries(app_id), today) if e["id"] == new_id)


def with_follow_up(entries: list[dict], today: date) -> list[dict]:
    """``entries`` of one or more applications, each with ``follow_up``: None (no follow-up date) or
    ``{"due", "met_on", "status"}`` — met by the first later entry that answers it (status ``met``
    or ``met_late``), else ``due`` or ``overdue`` on ``today``."""
    from .deadlines import due_status

    first_answer: dict[int, str] = {}
    for e in entries:  # oldest first: the first answer wins
        if e["answers"] is not None and e["answers"] not in first_answer:
            first_answer[e["answers"]] = e["entry_on"]
    out = []
    for e in entries:
        fu = None
        if e["follow_up_due"]:
            met = first_answer.get(e["id"])
            fu = {"due": e["follow_up_due"], "met_on": met,
                  "status": due_status(parse_date(e["follow_up_due"], "follow_up_due"),
                                       parse_date(met, "follow_up_met", required=False), today)}
        out.append({**e, "follow_up": fu})
    return out
