"""Routes beyond pass/fail under ``/api/v1``: ``POST /sizings`` (核定用地规模) and ``POST /whatifs``
(a draft rule set against the store; planners and admins). Each parses its body, calls one use
case (:mod:`standardland.analysis`, :mod:`standardland.whatif`) and renders."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .. import analysis
from .v1 import _in_project, _json

CONTEXT_FIELDS = ("parcel_code", "park", "region_class", "date", "checkpoint", "rulesets", "ruleset", "as_of")


class _in_sizing(_in_project):
    """Errors of the project's fields are ``project.<field>``; those of the context keep their name."""

    def __exit__(self, et, exc, tb):
        if getattr(exc, "field", None) in CONTEXT_FIELDS:
            return False
        return super().__exit__(et, exc, tb)


class SizingRequest(BaseModel):
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


class AnalysisFactory:
    """/sizings and /whatifs."""

    def __init__(self, settings):
        self.settings = settings
        self.router = APIRouter(tags=["analysis"])
        r = self.router

        @r.post("/sizings", summary="核定用地规模: the feasible land-area interval of a project")
        def sizing(request: Request, body: SizingRequest):
            with _in_sizing():
                return _json(analysis.size_project(
                    request.app.state.store, body.project, parcel=body.parcel_code, park=body.park,
                    region_class=body.region_class, on=body.date, checkpoint=body.checkpoint, lang=body.lang))
