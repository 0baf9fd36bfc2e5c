"""Promotion routes (issue 13 §3–4): an application's promotion record, service officer and
service log, and a park's annual scorecard (年度成绩单) with the records behind each figure.

Thin: each route parses, calls one function of :mod:`standardland.workflow.promotion` or
:mod:`standardland.workflow.reports`, and renders. Writes need a token; who may write is decided
there (planner, admin, or the application's assigned service officer)."""

from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..rules.fields import PROMOTION
from ..workflow import promotion, reports
from .auth import ROLES, optional, require

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ServiceEntry(BaseModel):
    """One service-log entry; the dates are ``YYYY-MM-DD`` (checked by the field spec's date rule)."""

    model_config = ConfigDict(extra="forbid")
    entry_on: str = Field(..., max_length=40, description="the day of the visit or event, YYYY-MM-DD")
    kind: str = Field(..., max_length=40, description="visit, issue_raised or issue_resolved")
    text: str = Field(..., max_length=2000, description="what happened (1–2000 characters)")
    follow_up_due: Optional[str] = Field(None, max_length=40, description="follow up by this day, YYYY-MM-DD")
    answers: Optional[int] = Field(None, description="the entry this one answers (an issue_resolved names "
                                                     "its issue_raised)")


class Officer(BaseModel):
    """The service officer to assign: a staff user's name, or null to unassign."""

    model_config = ConfigDict(extra="forbid")
    name: Optional[str] = Field(..., max_length=200)


_PROMO_DOC = ("Fields of the promotion record (any subset; null clears one): "
              + "; ".join(f"{f.name} ({f.label_zh}, {f.expected})" for f in PROMOTION))


def _json(doc, status: int = 200) -> Response:
    import json

    return Response(json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8"), status_code=status,
                    media_type="application/json")


class PromotionFactory:
    """The promotion record, service log and scorecard routes under ``/api/v1``."""

    def __init__(self, settings):
        """Build the router (``settings`` is accepted like every factory's; nothing here depends on it)."""
        self.router = APIRouter(tags=["promotion"])
        r = self.router
        anyone = Depends(require(*ROLES))

        @r.get("/applications/{app_id}/promotion",
               summary="The promotion record, service officer and service log of an application")
        def show(request: Request, app_id: int, ident=anyone):
            return _json(promotion.view(request.app.state.store, app_id, ident))

        @r.patch("/applications/{app_id}/promotion",
                 summary="Change the promotion record (planner, admin, the assigned service officer)",
                 description=_PROMO_DOC)
        def patch(request: Request, app_id: int,
                  body: dict[str, Any] = Body(..., examples=[{"signed_on": "2021-05-28",
                                                              "investor_origin": "foreign",
                                                              "investor_country": "韩国"}]),
                  ident=anyone):
            return _json(promotion.update(request.app.state.store, ident, app_id, body))

        @r.put("/applications/{app_id}/service-officer",
               summary="Assign the service officer, a staff user (planner, admin)")
        def officer(request: Request, app_id: int, body: Officer, ident=anyone):
            return _json(promotion.assign_officer(request.app.state.store, ident, app_id, body.name))

        @r.get("/applications/{app_id}/service-log", summary="The service log of an application")
        def log(request: Request, app_id: int, ident=anyone):
            return _json(promotion.view(request.app.state.store, app_id, ident)["service_log"])

        @r.post("/applications/{app_id}/service-log", status_code=201,
                summary="Add a service-log entry (planner, admin, the assigned service officer)")
        def add(request: Request, app_id: int, body: ServiceEntry, ident=anyone):
            entry = promotion.add_entry(request.app.state.store, ident, app_id, body.model_dump(exclude_none=True))
            return _json(entry, 201)

        @r.get("/parks/{park}/scorecard", response_class=Response,
               responses={200: {"content": {"application/json": {}, "text/html": {}, "application/pdf": {},
                                            XLSX: {}}}},
               summary="The annual scorecard (年度成绩单) of a park: json, html, pdf or xlsx")
        def scorecard(request: Request, park: str, year: int = Query(..., ge=1900, le=2199),
                      format: str = Query("json", pattern="^(json|html|pdf|xlsx)$"),
                      lang: str = Query("zh", pattern="^(zh|en)$")):
            from .. import render
            from ..tables import xlsx_bytes

            card = reports.park_scorecard(request.app.state.store, park, year)
            if format == "json":
                for f in card["figures"]:
                    f["href"] = reports.records_href(park, year, f["id"])
                for c in card["output_by_chain"]:
                    c["href"] = reports.records_href(park, year, f"output_by_chain:{c['chain']}")
                for k, v in card["mu_classes"].items():
                    v["href"] = reports.records_href(park, year, f"mu_class:{k}")
                return _json(card)
            name = f"scorecard-{year}.{format}"
            if format == "xlsx":
                return Response(xlsx_bytes(reports.scorecard_frame(card, lang), sheet_name=str(year)),
                                media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
            page = reports.scorecard_html(card, lang)
            if format == "html":
                return Response(page.encode("utf-8"), media_type="text/html; charset=utf-8")
            return Response(render.output(page, "pdf"), media_type="application/pdf",
                            headers={"Content-Disposition": f'inline; filename="{name}"'})

        @r.get("/parks/{park}/scorecard/records", summary="The records behind one figure of the scorecard",
               description="Parcels, or applications: rows of applications the caller may not see (all, "
                           "without a token) omit the project, applicant and investor names.")
        def records(request: Request, park: str, year: int = Query(..., ge=1900, le=2199),
                    figure: str = Query(..., max_length=200), ident=Depends(optional)):
            return _json(reports.scorecard_records(request.app.state.store, park, year, figure, ident))
