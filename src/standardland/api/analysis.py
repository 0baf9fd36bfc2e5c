"""Routes beyond pass/fail under ``/api/v1``: ``POST /sizings`` (核定用地规模) and ``POST /whatifs``
(a draft rule set against the store; planners and admins). Each parses its body, calls one use
case (:mod:`standardland.analysis`, :mod:`standardland.whatif`) and renders."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .. import analysis, whatif
from ..errors import InputError
from .auth import require
from .v1 import _dep, _in_project, _json

PLANNERS = ("planner", "admin")

CONTEXT_FIELDS = ("parcel_code", "park", "region_class", "date", "checkpoint", "rulesets", "ruleset", "as_of")


class _in_sizing(_in_project):
    """Errors of the project's fields are ``project.<field>``; those of the context keep their name."""

    def __exit__(self, et, exc, tb):
        if getattr(exc, "field", None) in CONTEXT_FIELDS:
            return False
        return super().__exit__(et, exc, tb)


class SizingRequest(BaseModel):
    """A project and its context (a stored parcel, or a park with a region class) to size land for."""

    model_config = ConfigDict(extra="forbid")
    project: dict[str, Any] = Field(..., description="A project (api/project.schema.json)")
    parcel_code: str | None = Field(None, min_length=19, max_length=28, description="A stored parcel")
    park: str | None = Field(None, max_length=100, description="A park code (instead of a parcel)")
    region_class: int | None = Field(None, ge=1, le=15, description="土地等别 (with park)")
    date: dt.date | None = Field(None, description="Decision date (default: the project's)")
    checkpoint: Literal["screening", "acceptance", "production_review"] = "screening"
    lang: Literal["zh", "en"] = "zh"

    @model_validator(mode="after")
    def _one_context(self):
        if (self.parcel_code is None) == (self.park is None):
            raise ValueError("give exactly one of parcel_code or park")
        return self


class WhatifRequest(BaseModel):
    """A draft rule set (a document, or a stored id not yet in force) to evaluate against the store."""

    model_config = ConfigDict(extra="forbid")
    ruleset: dict[str, Any] | None = Field(None, description="The draft rule set (a rule-set document)")
    ruleset_id: str | None = Field(None, max_length=200, description="Or: a stored rule set not yet in force")
    as_of: dt.date | None = Field(None, description="Judge everything as decided on this date")
    limit: int = Field(1000, ge=1, le=10_000, description="At most this many change entries per population")


class AnalysisFactory:
    """/sizings and /whatifs."""

    def __init__(self, settings):
        """Build the router over the app's ``settings``."""
        self.settings = settings
        self.router = APIRouter(tags=["analysis"])
        r = self.router

        @r.post("/sizings", summary="核定用地规模: the feasible land-area interval of a project")
        def sizing(request: Request, body: SizingRequest):
            with _in_sizing():
                return _json(analysis.size_project(
                    request.app.state.store, body.project, parcel=body.parcel_code, park=body.park,
                    region_class=body.region_class, on=body.date, checkpoint=body.checkpoint, lang=body.lang))

        @r.post("/whatifs", status_code=201,
                summary="Policy what-if: a draft rule set against the store, stored under an id (planners, admins)")
        def whatifs(request: Request, body: WhatifRequest, ident=_dep(require(*PLANNERS))):
            if (body.ruleset is None) == (body.ruleset_id is None):
                raise InputError("give exactly one of ruleset or ruleset_id", field="ruleset",
                                 expected="a draft rule-set document, or the id of a stored draft")
            if body.ruleset_id is not None and body.ruleset_id.lower().endswith(".json"):
                raise InputError("a stored id, not a file name", field="ruleset_id", expected="a rule-set id")
            report = whatif.run(request.app.state.store,
                                body.ruleset if body.ruleset is not None else body.ruleset_id,
                                as_of=body.as_of, limit=body.limit, created_by=ident["name"])
            resp = _json(report)
            resp.status_code = 201
            resp.headers["Location"] = f"{request.url.path}/{report['id']}"
            return resp

        @r.get("/whatifs/{report_id}", summary="A stored what-if report (planners, admins; /map?whatif=ID colours it)")
        def whatif_report(request: Request, report_id: int = Path(..., ge=1, le=2**31 - 1),
                          _=_dep(require(*PLANNERS))):
            return _json(whatif.stored(request.app.state.store, report_id))
