"""``/api/v1/parks``: parks (园区) as data. Anyone may read; planners and admins write.

Each route parses its input, calls :mod:`standardland.parks` (the one home of park validation)
and renders. A boundary is a GeoJSON Polygon/MultiPolygon in CRS84 unless ``crs`` names another
accepted CRS (an EPSG code of :mod:`standardland.crs`, or ``gcj02``).
"""

from __future__ import annotations

from typing import Any

import shapely
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import parks as parkmod, values
from ..errors import InputError, NotFoundError
from .auth import require

WRITERS = ("planner", "admin")


class ParkIn(BaseModel):
    """A park as written by ``POST /parks`` and ``PUT /parks/{code}``."""

    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(None, max_length=64, description="e.g. yantai-hitech-intl (PUT: the path's code)")
    name: str = Field(..., max_length=200, description="e.g. 烟台高新区 国际招商产业园")
    name_en: str | None = Field(None, max_length=200)
    county_code: str | None = Field(None, description="the 6-digit 区县 code of the jurisdiction")
    zone_tier: str | None = Field(None, max_length=32,
                                  description="a tier of a loaded provincial rule set, e.g. national")
    admitted_industries: list[str] = Field(default_factory=list, max_length=500,
                                           description="GB/T 4754-2017 codes or official names (准入)")
    negative_industries: list[str] = Field(default_factory=list, max_length=500,
                                           description="GB/T 4754-2017 codes or official names (负面清单)")
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon")
    crs: str = Field("OGC:CRS84", max_length=40, description="CRS of the boundary: EPSG:4490, 4326, "
                                                            "4491–4554, 3857 or gcj02")


def _geometry(g: dict | None):
    if g is None:
        return None
    try:
        return shapely.geometry.shape(g)
    except Exception as exc:
        raise InputError(f"not a GeoJSON geometry ({exc})", field="boundary",
                         expected="a GeoJSON Polygon or MultiPolygon") from exc


def _json(doc) -> Response:
    import json

    return Response(json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8"),
                    media_type="application/json")


class ParksFactory:
    """GET /parks, GET /parks/{code}, POST /parks, PUT /parks/{code}, DELETE /parks/{code}."""

    def __init__(self, settings):
        """Build the router over the app's ``settings``."""
        self.settings = settings
        self.router = APIRouter(tags=["parks"])
        r = self.router
        writer = Depends(require(*WRITERS))

        def _one(store, code: str) -> dict:
            recs = parkmod.park_records(store.parks(), store, codes=[code], geometry=True)
            if not recs:
                raise NotFoundError(f"no park with code '{code}'", field="code")
            return recs[0]

        def _write(request: Request, body: ParkIn, code: str) -> dict:
            store = request.app.state.store
            doc = body.model_dump(exclude={"boundary", "crs"})
            doc["code"] = code
            doc["geometry"] = _geometry(body.boundary)
            parkmod.put_park(store, parkmod.park_record(doc, rulesets=store.rulesets(), crs=body.crs))
            return _one(store, code)

        @r.get("/parks", summary="List parks (code, name, jurisdiction, zone tier, industry lists, parcels)")
        def list_parks(request: Request, boundary: bool = Query(False, description="include boundaries "
                                                                                   "(GeoJSON, CRS84)")):
            store = request.app.state.store
            return _json(parkmod.park_records(store.parks(), store, geometry=boundary))

        @r.get("/parks/{code}", summary="One park with its boundary (GeoJSON, CRS84)")
        def get_park(request: Request, code: str):
            return _json(_one(request.app.state.store, code))

        @r.post("/parks", status_code=201, summary="Create or replace a park (planner, admin)")
        def post_park(request: Request, body: ParkIn, _=writer):
            if not body.code:
                raise InputError("the park needs a code", field="code",
                                 expected="1–64 letters, digits, '-' or '_'")
            doc = _write(request, body, body.code)
            return Response(_json(doc).body, status_code=201, media_type="application/json",
                            headers={"Location": f"{request.url.path.rstrip('/')}/{body.code}"})

        @r.put("/parks/{code}", summary="Create or replace the park at this code (planner, admin)")
        def put_park(request: Request, code: str, body: ParkIn, _=writer):
            return _json(_write(request, body, values.same_code(body.code, code)))

        @r.delete("/parks/{code}", summary="Delete a park (planner, admin); refused while parcels belong to it")
        def delete_park(request: Request, code: str, _=writer):
            parkmod.delete_park(request.app.state.store, code)
            return _json({"deleted": code})
