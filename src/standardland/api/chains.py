"""``/api/v1/chains``: industry chains (产业链) with their members and gaps (补链). Anyone may read;
planners and admins write.

Each route parses its input, calls :mod:`standardland.chains` (the one home of chain validation:
industry codes resolved by :mod:`standardland.industry`, the park and parcels checked against the
store) and renders. A refused chain leaves the store unchanged.
"""

from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import chains as chainmod, values
from ..errors import InputError
from .auth import identity, require

WRITERS = ("planner", "admin")


class SegmentIn(BaseModel):
    """A link of the chain, defined by GB/T 4754 codes or official names of any level."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(..., max_length=64, description="e.g. upstream")
    name: str = Field(..., max_length=200, description="e.g. 上游：原料药")
    name_en: str | None = Field(None, max_length=200)
    stage: Literal["upstream", "midstream", "downstream"] | None = None
    industry_codes: list[str] = Field(..., min_length=1, max_length=chainmod.MAX_CODES,
                                      description="e.g. [\"271\", \"2730\"] or official names")
    industry_code_edition: Literal["2017", "2011", "2002"] = "2017"


class MemberIn(BaseModel):
    """An enterprise of the chain: its segment, or an industry within one, and optionally its parcel."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., max_length=200)
    segment: str | None = Field(None, max_length=64)
    parcel_code: str | None = Field(None, max_length=64)
    industry_code: str | None = Field(None, max_length=64)
    industry_code_edition: Literal["2017", "2011", "2002"] | None = None


class ProximityIn(BaseModel):
    """The chain-proximity ranking bonus: ``weight · exp(−distance / scale_m)``."""

    model_config = ConfigDict(extra="forbid")
    weight: float = Field(chainmod.DEFAULT_WEIGHT, ge=0, le=1)
    scale_m: float = Field(chainmod.DEFAULT_SCALE_M, ge=10, le=100_000)


class ChainIn(BaseModel):
    """A chain as written by ``POST /chains`` and ``PUT /chains/{code}``."""

    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(None, max_length=64, description="e.g. biomedicine (PUT: the path's code)")
    name: str = Field(..., max_length=200, description="e.g. 生物医药产业链")
    name_en: str | None = Field(None, max_length=200)
    park: str | None = Field(None, max_length=64, description="the code of a stored park")
    leader: MemberIn = Field(..., description="the chain leader (链主)")
    segments: list[SegmentIn] = Field(..., min_length=1, max_length=chainmod.MAX_SEGMENTS)
    members: list[MemberIn] = Field(default_factory=list, max_length=chainmod.MAX_MEMBERS)
    illustrative: bool = False
    note: str | None = Field(None, max_length=2000)
    proximity: ProximityIn | None = None


def _json(doc, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8"), status_code=status,
                    media_type="application/json", headers=headers)


class ChainsFactory:
    """GET /chains, GET /chains/{code}, POST /chains, PUT /chains/{code}, DELETE /chains/{code}."""

    def __init__(self, settings):
        """Build the router over the app's ``settings``."""
        self.settings = settings
        self.router = APIRouter(tags=["chains"])
        r = self.router
        writer = Depends(require(*WRITERS))

        def _reveal(request: Request) -> bool:
            """Whether the caller may see applicants' names (the application register's rule)."""
            ident = identity(request)
            return ident is not None and ident["role"] != "applicant"

        def _write(request: Request, body: ChainIn, code: str) -> dict:
            store = request.app.state.store
            doc = body.model_dump(exclude_none=True)
            doc["code"] = code
            chainmod.put_chains(store, [chainmod.parse_chain(doc)])
            return chainmod.summaries(store, code, reveal=True)[0]

        @r.get("/chains", summary="List industry chains with their leader, members and gaps (补链)")
        def list_chains(request: Request):
            return _json(chainmod.summaries(request.app.state.store, reveal=_reveal(request)))

        @r.get("/chains/{code}", summary="One chain: segments with their members, gaps with the codes to recruit")
        def get_chain(request: Request, code: str):
            return _json(chainmod.summaries(request.app.state.store, code, reveal=_reveal(request))[0])

        @r.post("/chains", status_code=201, summary="Create or replace a chain (planner, admin)")
        def post_chain(request: Request, body: ChainIn, _=writer):
            if not body.code:
                raise InputError("the chain needs a code", field="code", expected="1–64 letters, digits, '-' or '_'")
            doc = _write(request, body, body.code)
            return _json(doc, 201, {"Location": f"{request.url.path.rstrip('/')}/{body.code}"})

        @r.put("/chains/{code}", summary="Create or replace the chain at this code (planner, admin)")
        def put_chain(request: Request, code: str, body: ChainIn, _=writer):
            return _json(_write(request, body, values.same_code(body.code, code)))

        @r.delete("/chains/{code}", summary="Delete a chain (planner, admin)")
        def delete_chain(request: Request, code: str, _=writer):
            chainmod.delete_chain(request.app.state.store, code)
            return _json({"deleted": code})
