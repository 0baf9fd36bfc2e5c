"""The JSON API under ``/api/v1``: checks, matches, screenings, parcels, rule sets.

Routers are small factory classes that own an ``APIRouter`` (after developmentseed's tipg and
titiler); each route parses its input, calls one function of :mod:`standardland.services`, and
renders. The store is reached only through ``app.state.store``.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import orjson
import pandas as pd
import shapely
from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from .. import io as sio
from .. import analysis, dates, services
from ..errors import BadParameter, InputError, NotFoundError, TooLarge
from ..parcels import prepare_parcels
from ..store import ParcelQuery
from .auth import require
from .batching import Coalescer
from . import contract as c
from . import jobs

WRITERS = ("planner", "admin")
ANY_ROLE = ("viewer", "applicant", "planner", "reviewer", "admin")
UPLOAD_SUFFIXES = {".gpkg", ".geojson", ".json", ".zip"}
TABLE_SUFFIXES = {".csv", ".xlsx"}
#: JSON screenings up to this many rows run in a worker thread; larger ones in the helper process
INLINE_ROWS = 1_000


class CheckRequest(BaseModel):
    """A project and the stored parcel to check it on."""

    model_config = ConfigDict(extra="forbid")
    project: dict[str, Any] = Field(..., description="A project (api/project.schema.json)")
    parcel_code: str = Field(..., min_length=19, max_length=28)
    checkpoint: Literal["screening", "acceptance", "production_review"] = "screening"
    lang: Literal["zh", "en"] = "zh"


class MatchRequest(BaseModel):
    """A project to rank the available parcels for, with the matching options."""

    model_config = ConfigDict(extra="forbid")
    project: dict[str, Any]
    limit: int = Field(10, ge=1, le=100)
    within: dict[str, Any] | None = Field(None, description="GeoJSON Polygon/MultiPolygon in CRS84")
    within_advice: str | float | None = Field(
        None, description='Only parcels that pass with at most this change, e.g. "10%" or 0.1 (match --within-advice)')
    lang: Literal["zh", "en"] = "zh"

    @field_validator("within_advice", mode="before")
    @classmethod
    def _share(cls, v):
        """Read as ``match --within-advice`` reads it (:func:`standardland.analysis.parse_share`)."""
        if v is None:
            return None
        try:
            return analysis.parse_share(v, "within_advice")
        except InputError as exc:
            raise ValueError(f"{exc.message}; expected {exc.expected}") from None


class ScreeningRequest(BaseModel):
    """A screening table sent as JSON rows (one project per row, with its parcel code)."""

    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, Any]] = Field(..., description="one project per row, project-schema fields (+ parcel_code)")
    ruleset_ids: list[str] | None = None
    indicators: list[str] | None = None
    checkpoint: Literal["screening", "acceptance", "production_review"] = "screening"


class ParcelFeature(BaseModel):
    """One parcel as a GeoJSON Feature, its geometry in CRS84 (longitude, latitude), as GeoJSON has it."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: dict[str, Any]
    id: str | None = None


_GEOJSON_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection")


def _geojson_geometry(g: dict, field: str):
    try:
        geom = shapely.geometry.shape(g)
    except Exception:  # shapely's message names its internals; say what is wrong in our words
        kind = g.get("type") if isinstance(g, dict) else None
        what = f"geometry type '{kind}' is unknown" if kind not in _GEOJSON_TYPES else \
            f"the {kind}'s coordinates are malformed"
        raise InputError(f"not a GeoJSON geometry: {what}", field=field,
                         expected="a GeoJSON Polygon or MultiPolygon in CRS84") from None
    return geom


class _in_project:
    """Report a domain error inside the request's ``project`` as ``project.<field>``."""

    def __enter__(self):
        return self

    def __exit__(self, et, exc, tb):
        from ..errors import StandardlandError

        if isinstance(exc, StandardlandError) and exc.field == "code":  # the stored parcel's: the body's parcel_code
            exc.field = "parcel_code"
        elif isinstance(exc, StandardlandError) and exc.field not in ("parcel_code", "checkpoint", "within",
                                                                      "rulesets"):
            exc.field_prefix = "project"
        return False


class ChecksFactory:
    """/checks, /matches, /screenings and /parcels/{code}/indicators."""

    def __init__(self, settings):
        """Build the router over the app\'s ``settings``."""
        self.settings = settings
        #: concurrent checks coalesced into one engine run: a local store's on the event loop (CPU-bound,
        #: no thread hop), PostgreSQL's in a worker thread
        self.checks = Coalescer(services.check_projects, limit=settings.check_batch_max)
        self.router = APIRouter(tags=["checks"])
        r = self.router

        @r.post("/checks", summary="Check one project against one parcel",
                responses=c.responses(200, c.CheckResult, 404))
        async def check(request: Request, body: CheckRequest):
            store = request.app.state.store
            args = services.CheckArgs(body.project, body.parcel_code, body.checkpoint, body.lang)
            with _in_project():  # checks that arrive together are evaluated together (:mod:`.batching`)
                got = await self.checks.submit(store, args, in_thread=store.backend != "sqlite")
            resp = _json(got.result)
            resp.headers["Server-Timing"] = f'check;dur={got.ms:.2f};desc="batch of {got.size}"'
            return resp

        @r.post("/checks/document", summary="The meeting-ready document of a check (HTML or PDF)",
                response_class=Response, responses={200: {"content": {"text/html": {}, "application/pdf": {}}}})
        def check_document(request: Request, body: CheckRequest,
                           format: Literal["html", "pdf"] = Query("html", description="html or pdf")):
            with _in_project():
                doc = services.check_document(request.app.state.store, body.project, body.parcel_code,
                                              checkpoint=body.checkpoint, lang=body.lang, fmt=format)
            media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
            name = f"check-{body.parcel_code}.{format}"
            return Response(doc, media_type=media, headers={"Content-Disposition": f'inline; filename="{name}"'})

        @r.post("/matches", summary="Rank the available parcels for a project",
                responses=c.responses(200, c.MatchResult))
        def match(request: Request, body: MatchRequest):
            within = None
            if body.within is not None:
                within = _geojson_geometry(body.within, "within")
                if within.geom_type not in ("Polygon", "MultiPolygon") or not within.is_valid:
                    raise InputError("the area of interest must be a valid polygon", field="within",
                                     expected="a GeoJSON Polygon or MultiPolygon in CRS84")
            with _in_project():
                return _json(services.match_project(request.app.state.store, body.project, top=body.limit,
                                                    within=within, lang=body.lang, within_advice=body.within_advice))

        @r.post("/screenings", summary="Screen many projects (JSON rows)",
                responses=c.responses(200, c.ScreeningResult, 401, 403, 404, 503))
        async def screen_json(request: Request, body: ScreeningRequest, _=_dep(require(*ANY_ROLE))):
            self._row_limit(len(body.rows))
            args = (body.rows, body.ruleset_ids, body.indicators, body.checkpoint)
            if len(body.rows) <= INLINE_ROWS:  # small: here, in a worker thread, without the trip
                return _bytes(await run_in_threadpool(jobs.screen_rows, request.app.state.store, *args))
            return _bytes(await jobs.run(jobs.screen_rows, request.app.state.store.url, *args))

        @r.post("/screenings/upload", summary="Screen many projects (an uploaded CSV or xlsx)",
                responses=c.responses(200, c.ScreeningResult, 401, 403, 404, 413, 422, 503))
        async def screen_upload(request: Request, file: UploadFile = File(...),
                                checkpoint: Literal["screening", "acceptance", "production_review"] = Form("screening"),
                                _=_dep(require(*ANY_ROLE))):
            suffix = Path(file.filename or "").suffix.lower()
            if suffix not in TABLE_SUFFIXES:
                raise InputError(f"unsupported file type '{suffix}'", field="file", expected=".csv or .xlsx")
            limits = sio.ReadLimits(max_rows=self.settings.screening_max_rows,
                                    max_unzipped_bytes=self.settings.max_decompressed_bytes)
            name = _upload_name(file.filename, suffix)
            return _bytes(await _with_upload(file, suffix, self.settings.max_upload_bytes, jobs.screen_file,
                                             request.app.state.store.url, name, limits, checkpoint))

        @r.get("/parcels/{code}/indicators", summary="Effective thresholds with provenance",
               responses=c.responses(200, c.ParcelThresholds, 404))
        def indicators(request: Request, code: str,
                       date_: str | None = Query(None, alias="date", description=f"the decision date, {dates.FORMS} "
                                                                               "(default: today)"),
                       industry_code: str | None = None, industry_code_edition: Literal["2017", "2002"] = "2017"):
            ind = {"industry_code": industry_code, "industry_code_edition": industry_code_edition} \
                if industry_code else None
            on = dates.parse_date(date_, "date", required=False, error=BadParameter) or date.today()
            return services.parcel_thresholds(request.app.state.store, code, on=on, industry=ind)

    def _row_limit(self, n: int) -> None:
        if n > self.settings.screening_max_rows:
            raise TooLarge(f"{n} rows exceed the limit of {self.settings.screening_max_rows} rows per screening "
                           "request", field="rows",
                           expected=f"at most {self.settings.screening_max_rows} rows (use the CLI for more)")


class ParcelsFactory:
    """Parcel registry: list/show for everyone (public fields), writes for planners."""

    def __init__(self, settings):
        """Build the router over the app\'s ``settings``."""
        self.settings = settings
        self.router = APIRouter(prefix="/parcels", tags=["parcels"])
        r = self.router

        @r.get("", summary="List parcels (the CLI `parcels list --json` contract)",
               responses=c.responses(200, list[c.Parcel], 401))
        def list_parcels(request: Request, status: str | None = None, park: str | None = None,
                         limit: int = Query(1000, ge=1, le=settings.max_list_limit),
                         offset: int = Query(0, ge=0, le=settings.max_offset)):
            from .auth import optional

            from ..parcels import status_filter

            gdf = request.app.state.store.parcels(ParcelQuery(status=status_filter(status), park=park,
                                                              limit=limit, offset=offset))
            return _public(services.parcel_records(gdf), optional(request))

        @r.get("/{code}", summary="One parcel", responses=c.responses(200, c.Parcel, 401, 404))
        def show(request: Request, code: str):
            from .auth import optional

            return _public(services.parcel_records(request.app.state.store.parcel(code)), optional(request))[0]

        @r.post("", status_code=201, summary="Create a parcel from a GeoJSON Feature (CRS84)",
                responses=c.responses(201, c.Parcel, 401, 403))
        def create(request: Request, feature: ParcelFeature, allow: list[Literal["overlap", "outside-park"]] = Query(
                       [], description="Create anyway: an overlap beyond the sliver tolerance, a parcel outside "
                                       "its park"), _=_dep(require(*WRITERS))):
            gdf = self._prepare(feature)
            # the checks an import runs; a code already stored is left to the insert's own refusal (it
            # names the duplicate code), not reported as the parcel overlapping itself
            services.checked_write(request.app.state.store, gdf, allow, replacing=True)
            request.app.state.store.import_parcels(gdf, mode="insert")
            return services.parcel_records(request.app.state.store.parcel(gdf["code"].iloc[0]))[0]

        @r.put("/{code}", summary="Replace a parcel (GeoJSON Feature, CRS84)",
               responses=c.responses(200, c.Parcel, 401, 403, 404))
        def replace(request: Request, code: str, feature: ParcelFeature,
                    allow: list[Literal["overlap", "outside-park"]] = Query(
                        [], description="Replace anyway: an overlap beyond the sliver tolerance, a parcel "
                                        "outside its park"), _=_dep(require(*WRITERS))):
            if feature.properties.get("code", code) != code:
                raise InputError("the body's code differs from the path's", field="properties.code",
                                 expected=code)
            request.app.state.store.parcel(code)  # 404 when absent
            gdf = self._prepare(feature, code=code)
            services.checked_write(request.app.state.store, gdf, allow, replacing=True)  # as an upsert
            request.app.state.store.import_parcels(gdf, mode="upsert")
            return services.parcel_records(request.app.state.store.parcel(code))[0]

        @r.patch("/{code}", summary="Update attributes of a parcel")
        def patch(request: Request, code: str, attrs: dict[str, Any], _=_dep(require(*WRITERS))):
            if "code" in attrs or "geometry" in attrs:
                raise InputError("code and geometry cannot be patched", field="code" if "code" in attrs
                                 else "geometry", expected="PUT for a new geometry")
            request.app.state.store.update_parcel_attributes(pd.DataFrame([{"code": code, **attrs}]))
            return services.parcel_records(request.app.state.store.parcel(code))[0]

        @r.delete("/{code}", status_code=204, summary="Delete a parcel", responses=c.responses(401, 403, 404))
        def delete(request: Request, code: str, _=_dep(require(*WRITERS))):
            if request.app.state.store.delete_parcels([code]) == 0:
                raise NotFoundError(f"no parcel with code '{code}'", field="code")
            return Response(status_code=204)

        @r.post("/import", summary="Atomic import of a GeoPackage, GeoJSON or zipped Shapefile",
                responses=c.responses(200, c.ImportResult, 401, 403, 413, 422, 503))
        async def import_file(request: Request, file: UploadFile = File(...),
                              mode: Literal["insert", "upsert"] = Form("insert"),
                              crs: str | None = Form(None), fix: bool = Form(False),
                              allow: list[Literal["overlap", "outside-park"]] = Query(
                                  [], description="Import anyway: overlaps beyond the sliver tolerance, parcels "
                                                  "outside their park (recorded in the result)"),
                              _=_dep(require(*WRITERS))):
            suffix = Path(file.filename or "").suffix.lower()
            if suffix not in UPLOAD_SUFFIXES:
                raise InputError(f"unsupported file type '{suffix}'", field="file",
                                 expected="a .gpkg, .geojson or .zip (zipped Shapefile)")
            limits = sio.ReadLimits(max_rows=self.settings.import_max_rows,
                                    max_unzipped_bytes=self.settings.max_decompressed_bytes)
            name = _upload_name(file.filename, suffix)
            return await _with_upload(file, suffix, self.settings.max_upload_bytes, jobs.import_file,
                                      request.app.state.store.url, name, limits, crs, fix, mode, tuple(allow))

    @staticmethod
    def _prepare(feature: ParcelFeature, code: str | None = None):
        props = dict(feature.properties)
        if code:
            props["code"] = code
        geom = _geojson_geometry(feature.geometry, "geometry")
        gdf = gpd.GeoDataFrame([props], geometry=[geom], crs="OGC:CRS84")
        out, _ = prepare_parcels(gdf)
        return out


class RulesetsFactory:
    """The ``/rulesets`` router: list, show and load rule sets (writes: planner or admin)."""

    def __init__(self, settings):
        """Build the router over the app\'s ``settings``."""
        self.router = APIRouter(prefix="/rulesets", tags=["rule sets"])
        r = self.router

        @r.get("", summary="List rule sets", responses=c.responses(200, list[c.RulesetSummary]))
        def list_(request: Request):
            return [{k: d.get(k) for k in ("id", "layer", "version", "series", "effective_from", "effective_to",
                                           "industry_edition", "scope", "illustrative", "source")}
                    | {"rules": len(d.get("rules", []))} for d in request.app.state.store.rulesets()]

        @r.get("/{ruleset_id}", summary="One rule set, with every rule",
               responses=c.responses(200, c.Ruleset, 404))
        def show(request: Request, ruleset_id: str):
            for d in request.app.state.store.rulesets():
                if d["id"] == ruleset_id:
                    return d
            raise NotFoundError(f"no rule set '{ruleset_id}'", field="ruleset_id")

        @r.post("", status_code=201, summary="Upload a rule set (a new version or a new layer)",
                responses=c.responses(201, c.RulesetSummary, 401, 403))
        def upload(request: Request, doc: dict[str, Any], _=_dep(require(*WRITERS))):
            from ..rules.rulesets import parse_ruleset

            rs = parse_ruleset(doc)  # validated completely before anything is written
            request.app.state.store.put_ruleset(doc)
            return {"id": rs.id, "layer": rs.layer, "rules": len(rs.rules)}


_ORJSON = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _json(doc: dict) -> Response:
    """orjson (UTF-8, no ``\\uXXXX``) instead of FastAPI's recursive encoder: verdicts are nested and large.

    Keys are written as they are (the option that turns non-text keys into text costs +70 % on a
    verdict); a document orjson refuses that way is written again with that option (a non-text key
    then succeeds; anything else fails again)."""
    try:
        body = orjson.dumps(doc, default=str, option=orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError:
        body = orjson.dumps(doc, default=str, option=_ORJSON)
    return Response(body, media_type="application/json")


def _dep(fn):
    from fastapi import Depends

    return Depends(fn)


def _public(records: list[dict], ident) -> list[dict]:
    if ident:
        return records
    return [{k: v for k, v in r.items() if k != "transfer_price_wan_yuan"} for r in records]


def _bytes(body: bytes) -> Response:
    return Response(body, media_type="application/json")


_NAME_UNSAFE = re.compile(r"[^\w.\- ()\[\]\u4e00-\u9fff]+")


def _upload_name(filename: str | None, suffix: str) -> str:
    """How errors call an upload: the client's own base name, tamed (never our temporary path)."""
    base = _NAME_UNSAFE.sub("_", Path((filename or "").replace("\\", "/")).name)[:80].strip()
    return base or f"upload{suffix}"


async def _with_upload(file: UploadFile, suffix: str, limit: int, job, url: str, *args):
    """Spool ``file`` to a temporary file of our own naming (refusing it past ``limit`` bytes), then run
    ``job(url, path, *args)`` in the helper process (:mod:`.jobs`): the event loop keeps answering."""
    with tempfile.TemporaryDirectory() as tmp:  # our own name: never a path from the request
        path = Path(tmp) / f"upload{suffix}"
        size = 0
        with open(path, "wb") as out:
            while chunk := await file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"the file exceeds {limit:,} bytes", field="file",
                                   expected=f"at most {limit:,} bytes")
                out.write(chunk)
        return await jobs.run(job, url, str(path), *args)
