"""Workflow routes: applications, transitions (ETag / If-Match, Idempotency-Key), the audit trail,
deadlines, the park dashboard, printable documents and the Excel register.

Each transition is its own operation, ``POST /applications/{app_id}/transitions/<action>``, made from
its row of :data:`standardland.workflow.machine.TRANSITIONS` with the row's body model
(:mod:`standardland.workflow.bodies`), so the OpenAPI document types every body."""

from __future__ import annotations

import inspect
from typing import Any, Optional

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from ..workflow import applications, documents, machine as workflow, reports
from .auth import ROLES, require
from .. import dates
from ..errors import BadParameter


class NewApplication(BaseModel):
    """A new application: the parcel applied for and the project (checked against the project fields)."""

    model_config = ConfigDict(extra="forbid")
    parcel_code: str = Field(..., min_length=19, max_length=28)
    project: dict[str, Any]


def _etag(app: dict) -> dict:
    return {"ETag": f'"{app["version"]}"'}


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    v = value.strip()
    if v.startswith("W/"):
        v = v[2:]
    v = v.strip('"')
    if not v.isdigit():
        raise BadParameter(f"If-Match '{value}' is not an application version", field="If-Match",
                           expected='the ETag of the application, e.g. "3"')
    return int(v)


def _json(doc) -> Response:
    import json

    return Response(json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8"), media_type="application/json")


def _transition_route(router: APIRouter, t, anyone) -> None:
    """``POST /applications/{app_id}/transitions/<action>`` for the row ``t``, its body typed by
    ``t.body`` (optional when the model has no required field)."""
    required = [k for k, f in t.body.model_fields.items() if f.is_required()]

    def act(request: Request, app_id: int, body=None, if_match: str | None = None,
            idempotency_key: str | None = None, ident=None):
        app = applications.transition(request.app.state.store, ident, app_id, t.action,
                                      body if body is not None else t.body(),
                                      if_match=_if_match(if_match), idempotency_key=idempotency_key)
        resp = _json(app)
        resp.headers.update(_etag(app))
        return resp

    P = inspect.Parameter
    act.__signature__ = inspect.Signature([
        P("request", P.POSITIONAL_OR_KEYWORD, annotation=Request),
        P("app_id", P.POSITIONAL_OR_KEYWORD, annotation=int),
        P("body", P.POSITIONAL_OR_KEYWORD, annotation=t.body if required else Optional[t.body],
          default=Body(...) if required else Body(None)),
        P("if_match", P.POSITIONAL_OR_KEYWORD, annotation=Optional[str],
          default=Header(None, alias="If-Match", description='the ETag of the application, e.g. "3"')),
        P("idempotency_key", P.POSITIONAL_OR_KEYWORD, annotation=Optional[str],
          default=Header(None, alias="Idempotency-Key", max_length=200,
                         description="a retry with the same key returns the first response")),
        P("ident", P.POSITIONAL_OR_KEYWORD, default=anyone)])
    act.__name__ = f"transition_{t.action}"
    doc = (f"From {', '.join(t.sources)} to {' or '.join(t.targets)}; roles: {', '.join(t.roles)}. "
           f"Guard: {t.description}." + (f" Parcel status afterwards: {t.parcel_status}." if t.parcel_status else "")
           + " The body is validated before anything else (422 naming the field path); then the role (403), "
             "If-Match (412) and the state (409).")
    router.add_api_route(f"/applications/{{app_id}}/transitions/{t.action}", act, methods=["POST"],
                         summary=f"Transition: {t.action}", description=doc, operation_id=f"transition_{t.action}")


class WorkflowFactory:
    """Owns an APIRouter with the workflow routes over the store behind ``app.state.store``."""

    def __init__(self, settings):
        """Register the routes (``settings``: the service's, for the same signature as every factory)."""
        self.router = APIRouter(tags=["workflow"])
        r = self.router
        anyone = Depends(require(*ROLES))

        @r.get("/workflow", summary="The state machine: states, transitions, roles, guards, a Mermaid diagram")
        def describe():
            return workflow.describe()

        @r.post("/applications", status_code=201, summary="Create a draft application (applicant, admin)")
        def create(request: Request, body: NewApplication, ident=anyone):
            app = applications.create(request.app.state.store, ident, body.parcel_code, body.project)
            resp = _json(app)
            resp.status_code = 201
            resp.headers.update(_etag(app))
            return resp

        @r.get("/applications", summary="The application register")
        def list_(request: Request, state: str | None = None, ident=anyone):
            return _json(reports.register(request.app.state.store, ident, state))

        @r.get("/applications.xlsx", summary="The application register as Excel",
               response_class=Response, responses={200: {"content": {
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
        def register(request: Request, lang: str = Query("zh", pattern="^(zh|en)$",
                                                         description="sheet name, headers, states: zh or en"),
                     ident=anyone):
            body = reports.register_workbook(request.app.state.store, ident, lang)
            return Response(body, headers={"Content-Disposition": 'attachment; filename="applications.xlsx"'},
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

        @r.get("/applications/{app_id}", summary="One application (ETag = its version)")
        def show(request: Request, app_id: int, ident=anyone):
            app = applications.view(request.app.state.store, app_id, ident)
            resp = _json(app)
            resp.headers.update(_etag(app))
            return resp

        for t in workflow.TRANSITIONS:  # one operation per row of the table, typed by the row's body model
            _transition_route(r, t, anyone)

        @r.post("/applications/{app_id}/transitions/{action}", include_in_schema=False)
        def unknown_action(request: Request, app_id: int, action: str, ident=anyone):
            # only reached for an action that is not a row of the table: 404 naming the actions
            return applications.transition(request.app.state.store, ident, app_id, action, {})

        @r.get("/applications/{app_id}/audit", summary="The audit trail and its hash-chain verification")
        def audit_(request: Request, app_id: int, ident=anyone):
            return _json(applications.audit_trail(request.app.state.store, app_id, ident))

        @r.get("/applications/{app_id}/documents/{kind}", response_class=HTMLResponse,
               responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
               summary="The document of an application: check, agreement or inspection (zh; ?lang=en; "
                       "?format=pdf)")
        def document(request: Request, app_id: int, kind: str, lang: str = Query("zh", pattern="^(zh|en)$"),
                     inspection_id: int | None = None,
                     format: str = Query("html", pattern="^(html|pdf)$", description="html or pdf"),
                     ident=anyone):
            from .. import render

            app = applications.view(request.app.state.store, app_id, ident)
            page = documents.render(kind, app, lang, inspection_id)
            if format == "html":
                return HTMLResponse(page)
            name = f"application-{app_id}-{kind}.pdf"
            return Response(render.output(page, "pdf"), media_type="application/pdf",
                            headers={"Content-Disposition": f'inline; filename="{name}"'})

        @r.get("/deadlines", summary="Agreed start, completion, review and rectification deadlines; idle land; "
                                     "service-log follow-ups")
        def deadlines(request: Request, overdue: bool = False,
                      today: str | None = Query(None, description=f"judge as of this day, {dates.FORMS} "
                                                                  "(default: today)"),
                      ident=anyone):
            day = dates.parse_date(today, "today", required=False, error=BadParameter)
            return _json(reports.deadline_list(request.app.state.store, today=day, overdue_only=overdue,
                                               ident=ident))

        @r.get("/parks/{park}/dashboard", summary="Counts, land offered and used, 亩均 figures, A–D classes")
        def dashboard(request: Request, park: str,
                      weights: str | None = Query(None, description='亩均 weights as JSON, e.g. '
                                                                   '{"tax_per_mu": 0.4, "output_per_mu": 0.6}')):
            w = None
            if weights is not None:
                import json

                try:
                    w = json.loads(weights)
                    ok = isinstance(w, dict) and w and all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < float("inf")
                        for v in w.values())
                except json.JSONDecodeError:
                    ok = False
                if not ok:
                    raise BadParameter(f"weights '{weights}' is not a JSON object of non-negative numbers",
                                       field="weights", expected='{"tax_per_mu": 0.6, ...}')
            return _json(reports.park_dashboard(request.app.state.store, park, weights=w))
