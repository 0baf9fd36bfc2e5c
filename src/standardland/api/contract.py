"""The HTTP contract's shapes: response models of the JSON operations and the problem body.

Routes declare their 2xx body with ``responses=responses(200, Model, 401, ...)`` (documentation
only: the routes keep rendering with plain ``json.dumps``, so large verdicts stay fast), and
:func:`finish_openapi` completes the document once for every operation: each error status it can
answer with, as ``application/problem+json`` of :class:`ProblemDetails` (FastAPI's
``HTTPValidationError`` is not what the service sends, so it is removed).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PROBLEM = "application/problem+json"
GEOJSON = "application/geo+json"


class _Open(BaseModel):
    """A JSON object that may carry more members than those listed."""

    model_config = ConfigDict(extra="allow")


class FieldProblem(_Open):
    """One problem with one field: where, what was wrong and what is expected."""

    field: str = Field(..., description="the field, parameter or header that was wrong (dotted path)")
    message: str | None = Field(None, description="what was wrong")
    expected: str | None = Field(None, description="what is expected")
    row: int | None = Field(None, description="1-based row of the file or batch, for row problems")


class ProblemDetails(_Open):
    """RFC 9457 problem details, as every error leaves the service."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = Field(None, description="the first problems (at most the configured "
                                                                "number)")
    counts: dict[str, int] | None = Field(None, description="when more problems were found than are listed: "
                                                            "how many, by field")


class Link(_Open):
    """A hypermedia link (OGC API – Features)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class Health(BaseModel):
    """Liveness: the service answers and names its store backend and version."""

    status: Literal["ok"]
    backend: str
    version: str


class Landing(_Open):
    """The OGC API landing page: title, description and links."""

    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    """The OGC API conformance classes this service implements."""

    conformsTo: list[str]


class Collection(_Open):
    """One feature collection (OGC API – Features): id, title, extent, CRS list and links."""

    id: str
    title: str
    description: str
    itemType: str
    crs: list[str]
    storageCrs: str
    extent: dict[str, Any]
    links: list[Link]


class Collections(_Open):
    """The feature collections this service offers."""

    links: list[Link]
    collections: list[Collection]


class Feature(_Open):
    """One GeoJSON feature: a parcel with its geometry (CRS84 unless ``crs`` says otherwise)."""

    type: Literal["Feature"]
    id: str | int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]
    links: list[Link] | None = None


class FeatureCollection(_Open):
    """A page of GeoJSON features with OGC paging links and counts."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    numberReturned: int
    numberMatched: int | None = None
    timeStamp: str
    links: list[Link]


class Parcel(_Open):
    """A parcel's record (the ``parcels list --json`` contract); prices only for token holders."""

    code: str
    name: str | None
    park: str | None
    status: str
    land_use_code: str | None
    land_grade: int | None
    region_class: int | None
    transfer_price_wan_yuan: float | None = Field(None, description="token holders only")
    area_m2: float
    area_mu: float
    area_ha: float
    attrs: dict[str, Any]


class CheckResult(_Open):
    """One project against one parcel: the verdict and each indicator's result with provenance."""

    verdict: str


class Exclusion(BaseModel):
    """Parcels a match left out for one reason, before any indicator was judged."""

    code: str = Field(description="status, outside_aoi, area_below, area_above, not_industrial, class_too_low, "
                                  "negative or not_admitted")
    count: int
    params: dict[str, Any] = Field(description="the reason's parameters, e.g. {\"park\": …} or {\"ratio\": \"0.5\"}")
    message: str = Field(description="the reason in English words (the key of `excluded`)")


class MatchResult(_Open):
    """The available parcels ranked for a project."""

    results: list[dict[str, Any]]
    excluded: dict[str, int] = Field(description="reason (English words) → parcels left out for it")
    exclusions: list[Exclusion] = Field(description="the same reasons as stable codes with their parameters")


class ParcelThresholds(_Open):
    """The effective thresholds of a parcel on a date, each with the rule set that set it."""

    indicators: list[dict[str, Any]]


class ScreeningResult(BaseModel):
    """The verdicts of a screening: one flat record per (project, parcel) row."""

    rows: int
    columns: list[str]
    results: list[dict[str, Any]]


class ImportResult(_Open):
    """What an import wrote: counts of inserted and updated parcels."""

    file: str
    mode: str


class RulesetSummary(_Open):
    """A rule set in the store: id, layer, version and validity dates."""

    id: str
    layer: str
    rules: int


class Ruleset(_Open):
    """A rule set document: its layer, validity, scope and rules with sources."""

    id: str
    layer: str
    rules: list[dict[str, Any]]


class Application(_Open):
    """An application (申请) with its state and version (the ETag)."""

    id: int
    parcel_code: str
    state: str
    version: int


class AuditTrail(_Open):
    """An application's hash-chained audit log and whether the chain verifies."""

    rows: list[dict[str, Any]]


class WorkflowDescription(_Open):
    """The workflow state machine: states, transitions with roles, and its Mermaid diagram."""

    states: list[str]


#: 2xx bodies of routes that do not (yet) declare them with ``responses=``: the workflow routes
#: (api/workflow.py) and the parcel PATCH
UNDECLARED_BODIES = {
    ("patch", "/api/v1/parcels/{code}"): Parcel,
    ("get", "/api/v1/workflow"): WorkflowDescription,
    ("post", "/api/v1/applications"): Application,
    ("get", "/api/v1/applications"): list[Application],
    ("get", "/api/v1/applications/{app_id}"): Application,
    ("post", "/api/v1/applications/{app_id}/transitions/{action}"): Application,
    ("get", "/api/v1/applications/{app_id}/audit"): AuditTrail,
    ("get", "/api/v1/deadlines"): list[dict[str, Any]],
    ("get", "/api/v1/parks/{park}/dashboard"): dict[str, Any],
}


def responses(*spec) -> dict:
    """OpenAPI ``responses`` for a route: ``responses(200, Model, 401, 403, 413)``.

    A status followed by a model (or ``(model, media_type)``) is a success body; a status alone is
    a problem. Statuses every operation can answer with are added by :func:`finish_openapi`.
    """
    out: dict = {}
    items = list(spec)
    i = 0
    while i < len(items):
        status = items[i]
        nxt = items[i + 1] if i + 1 < len(items) else None
        if nxt is not None and not isinstance(nxt, int):
            model, media = nxt if isinstance(nxt, tuple) else (nxt, "application/json")
            out[status] = {"model": model} if media == "application/json" else \
                {"description": "Successful Response", "content": {media: {"schema": _ref(model)}}}
            i += 2
        else:
            out[status] = {"model": ProblemDetails, "description": _status_text(status)}
            i += 1
    return out


_EXTRA_MODELS = (Feature, FeatureCollection, Link)


def _schema(tp, schemas: dict) -> dict:
    """The JSON schema of a model or a typing form (``list[Model]``), its models put in ``schemas``."""
    from pydantic import TypeAdapter

    js = TypeAdapter(tp).json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in js.pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    if isinstance(tp, type) and issubclass(tp, BaseModel):  # a model: by reference, as FastAPI does
        schemas.setdefault(tp.__name__, js)
        return _ref(tp)
    return js


def _ref(model) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _status_text(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def finish_openapi(doc: dict) -> dict:
    """Complete the generated document: every error status of every operation as a problem body.

    - every operation: 400 (a malformed or NUL-carrying parameter or header, a body that cannot be
      parsed) and 500 (an unexpected error, logged);
    - with a path parameter: 404; with a request body: 413 and 422; with a bearer scheme (or a token
      that may be presented): 401 and, where roles are checked, 403;
    - FastAPI's ``HTTPValidationError`` is replaced by :class:`ProblemDetails`.
    """
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for model in (ProblemDetails, FieldProblem, *_EXTRA_MODELS):
        js = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for sub_name, sub in js.pop("$defs", {}).items():
            schemas.setdefault(sub_name, sub)
        schemas[model.__name__] = js
    problem = {PROBLEM: {"schema": _ref(ProblemDetails)}}
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            if method not in ("get", "put", "post", "patch", "delete", "head", "options"):
                continue
            resp = op.setdefault("responses", {})
            params = op.get("parameters", [])
            statuses = {"400", "500"}
            if any(p.get("in") == "path" for p in params):
                statuses.add("404")
            if "requestBody" in op:
                statuses |= {"413", "422"}
            if op.get("security"):
                statuses |= {"401", "403"}
            if path.startswith(("/api/v1/parcels", "/ogc/collections/{collection_id}/items")):
                statuses.add("401")  # a token that is presented must be valid, even where it is optional
            if method != "get" and path.startswith("/api/v1/applications"):
                statuses |= {"409", "412"}
            if path.startswith("/api/v1/applications") or "/dashboard" in path:
                statuses |= {"404", "409"}
            if path.startswith(("/api/v1/checks", "/api/v1/sizings", "/api/v1/whatifs")):
                statuses |= {"404", "409"}  # a named parcel, park or rule set unknown; no rule set in force
            for st in list(resp):  # the problems FastAPI or a route declared
                if st.startswith(("4", "5")):
                    statuses.add(st)
            for st in statuses:
                r = resp.setdefault(st, {"description": _status_text(int(st))})
                r["content"] = problem
            if path == "/map":  # a bad project keeps the map: the page, with each problem next to its field
                resp["422"] = {"description": "The map page with each problem next to the form field it names "
                                              "(or a problem body for a bad query parameter)",
                               "content": {**problem, "text/html": {"schema": {"type": "string"}}}}
            declared = UNDECLARED_BODIES.get((method, path))
            for st, r in resp.items():
                if st.startswith("2"):
                    for media, body in (r.get("content") or {}).items():
                        if body.get("schema") not in (None, {}):
                            continue
                        if media.endswith("json"):
                            body["schema"] = _schema(declared, schemas) if declared is not None else \
                                {"type": ["object", "array"]}
                        else:  # a file (xlsx) or a page
                            body["schema"] = {"type": "string", "format": "binary"}
    return doc


def install(app) -> None:
    """Make ``app.openapi()`` return the finished document (built once, then cached by FastAPI)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            finish_openapi(generate())
        return app.openapi_schema

    app.openapi = openapi
