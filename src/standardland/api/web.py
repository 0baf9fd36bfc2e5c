"""The map pages (``/map``) and the static assets they use (``/static``), served by our own app."""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import time
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from .. import analysis, chains as chainmod, maps, services
from ..errors import BadParameter, DataValidationError, InputError, StandardlandError
from ..resources import web
from ..store import ParcelQuery
from . import contract as c


#: what the page reads of each indicator result (the rest of an explanation stays in the JSON API)
_INDICATOR_KEYS = ("id", "name", "status", "actual", "required", "operator", "unit", "governing_ruleset",
                   "reason", "required_text")


def eligibility_config(m: dict) -> dict:
    """The page's view of a match: every candidate's verdict, and for the ranked ones the indicator
    results with their reasons (and the verdict's notes, when the engine gives any)."""
    explanations = {}
    for r_ in m["results"]:
        explanations[r_["parcel_code"]] = {
            "verdict": r_["verdict"], "notes": list(r_.get("notes") or []),
            "indicators": [{k: it[k] for k in _INDICATOR_KEYS if k in it} for it in r_["indicators"]]}
    return {"verdicts": m.get("verdicts", {}), "explanations": explanations,
            "matches": [{"parcel_code": r_["parcel_code"], "verdict": r_["verdict"],
                         "name": r_["name"] if isinstance(r_.get("name"), str) else None}
                        for r_ in m["results"][:10]]}


def whatif_config(request: Request, report_id: int) -> dict:
    """The page's view of stored what-if ``report_id`` (:func:`standardland.whatif.map_changes`), for
    planners and admins only (the bearer token of the request)."""
    from .. import whatif
    from .analysis import PLANNERS
    from .auth import require

    require(*PLANNERS)(request)
    report = whatif.stored(request.app.state.store, report_id)
    return {"id": report_id, "draft": report.get("draft"), "changes": whatif.map_changes(report),
            "colours": dict(maps.WHATIF_COLOURS)}


_PROJECT_EXPECTED = "a project as JSON (api/project.schema.json)"


def read_project_text(text: str) -> dict:
    """The project document of the form's JSON text; a clear :class:`InputError` on field ``project``."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno})", field="project",
                         expected=_PROJECT_EXPECTED) from exc
    except RecursionError as exc:
        raise InputError("the document is nested too deeply", field="project", expected=_PROJECT_EXPECTED) from exc
    if not isinstance(doc, dict):
        raise InputError(f"a JSON {type(doc).__name__}, not an object", field="project",
                         expected=_PROJECT_EXPECTED)
    return doc


def decode_project_param(param: str) -> str:
    """The JSON text carried by a shareable check URL (``/map?project=<base64url of UTF-8 JSON>``).

    Raises
    ------
    InputError
        ``project`` longer than :data:`maps.PROJECT_PARAM_LIMIT` characters, not base64url or not UTF-8.
    """
    expected = f"base64url of a project's UTF-8 JSON, at most {maps.PROJECT_PARAM_LIMIT} characters"
    if len(param) > maps.PROJECT_PARAM_LIMIT:
        raise InputError(f"{len(param)} characters is too long", field="project", expected=expected)
    body = param.strip()
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if base64.urlsafe_b64encode(raw).rstrip(b"=") != body.rstrip("=").encode("ascii"):
            raise ValueError("not canonical base64url")
        return raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise InputError("not base64url-encoded UTF-8 text", field="project", expected=expected) from exc


def form_errors(exc: StandardlandError) -> list[dict]:
    """A domain error as the ``errors`` of its problem+json (``field``, ``message``, ``expected``),
    for the form to show each next to its field."""
    if isinstance(exc, DataValidationError):
        return [{"field": p.field, "message": p.message, "expected": None} for p in exc.problems]
    return [{"field": exc.field or "project", "message": exc.message, "expected": exc.expected}]


def ruleset_titles(rulesets: list[dict], lang: str) -> dict:
    """Each rule set in people's words, by id: its ``title`` (else its name in ``lang``) and its
    ``document_number`` when the rule-set data carries one; the page shows them, the id second."""
    out = {}
    for d in rulesets:
        title = d.get("title") or d.get("name_zh" if lang == "zh" else "name_en") or d.get("name_zh")
        number = d.get("document_number")
        if title or number:
            out[d["id"]] = {"title": title, "document_number": number}
    return out


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` header takes gzip (``gzip`` or ``*`` listed without ``q=0``)."""
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.", "0.0", "0.00", "0.000"))
    return False


class MapFactory:
    """The map page's router (``/map`` GET and POST) and the static assets it serves, with the
    parcels serialised once per change of the store and per day, and each plain GET's page (HTML and
    gzip) kept until then."""

    def __init__(self, settings):
        """Build the router over the app\'s ``settings``."""
        self.settings = settings
        self._cache: dict[str | None, tuple] = {}
        #: finished pages (UTF-8 and gzip bytes) of plain GETs, by store stamp, language and query
        self._pages: dict[tuple, tuple[bytes, bytes]] = {}
        self.router = APIRouter(tags=["map"])
        r = self.router

        @r.get("/map", response_class=HTMLResponse, summary="The park map (zh by default; ?lang=en)",
               responses=c.responses(401, 403, 404))  # ?whatif=ID: planners and admins, a stored report
        def map_page(request: Request, lang: str | None = Query(None, pattern="^(zh|en)"),
                     color: str | None = Query(None, description="a numeric property for a choropleth"),
                     park: str | None = None,
                     layer: str | None = Query(None, pattern="^chains$", description="chains: show the "
                                               "industry-chain layer at first"),
                     project: str | None = Query(None, description="a check to show: base64url of the project's "
                                                 "UTF-8 JSON (the form's shareable URL); refused inline when "
                                                 f"longer than {maps.PROJECT_PARAM_LIMIT} characters or invalid"),
                     whatif: int | None = Query(None, ge=1, le=2**31 - 1,
                                                description="colour the parcels a stored what-if report changes "
                                                            "(planners, admins: a bearer token)")):
            if whatif is not None:
                return self._render(request, lang=lang, color=color, park=park,
                                    whatif=whatif_config(request, whatif))
            if project is None:
                return self._render(request, lang=lang, color=color, park=park)
            try:
                text = decode_project_param(project)
            except InputError as exc:
                return self._render(request, lang=lang, color=color, park=park, form_errors=form_errors(exc),
                                    status=422)
            return self._check(request, text, lang=lang, color=color, park=park)

        @r.post("/map", response_class=HTMLResponse, summary="Eligibility view for a project posted from the form")
        def map_eligibility(request: Request, project: str = Form(..., max_length=200_000),
                            lang: str | None = Query(None, pattern="^(zh|en)")):
            return self._check(request, project, lang=lang)

    def _check(self, request: Request, text: str, *, lang, color=None, park=None):
        """The eligibility view of the project in ``text``; a bad project keeps the map and shows each
        problem next to its field in the form (status 422)."""
        try:
            doc = read_project_text(text)
            lg = maps.language(lang, request.headers.get("accept-language"))
            m = services.match_project(request.app.state.store, doc, top=200, lang=lg)
            view = analysis.parcel_view(request.app.state.store, doc, lang=lg,
                                        advise_codes=[r_["parcel_code"] for r_ in m["results"]])
        except StandardlandError as exc:
            if isinstance(exc, InputError) and exc.field in ("color", "park"):
                raise
            return self._render(request, lang=lang, color=color, park=park, form_project=text,
                                form_errors=form_errors(exc), status=422)
        eligibility = eligibility_config(m)
        for code, a in view["advice"].items():  # the advice lines under each explained check
            if code in eligibility["explanations"]:
                eligibility["explanations"][code]["advice"] = a
        return self._render(request, lang=lang, color=color, park=park, eligibility=eligibility,
                            form_project=json.dumps(doc, ensure_ascii=False, indent=1), sizing=view["sizing"])

    def _data(self, store, park: str | None):
        """(count, :class:`maps.MapData`, extent) for ``?park=``: loaded and serialised once per change
        of the store (its version counters, shared by every process) and per day (thresholds in force)."""
        stamp = self._stamp(store)
        hit = self._cache.get(park)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        q = ParcelQuery(park=park)
        total = store.count_parcels(q)
        parcels = props = ext = None
        if total <= self.settings.map_embed_limit:
            parcels = store.parcels(q)
            # the numbers; each requirement's text is rendered once per profile (maps.parcels_payload)
            props = maps.feature_properties(parcels, services.published_thresholds(store, parcels))
            if len(parcels):
                ext = tuple(float(x) for x in parcels.total_bounds)
        elif total:
            ext = store.parcel_extent()
        value = (total, maps.map_data(store.boundaries(), parcels, props), ext, store.rulesets())
        if len(self._cache) >= 8:
            self._cache.pop(next(iter(self._cache)))
        self._cache[park] = (stamp, value)
        return value

    @staticmethod
    def _stamp(store) -> tuple:
        """What a page's data depends on: the store's version counters and the day (thresholds in force)."""
        return (tuple(sorted(store.versions().items())), date.today())

    def mount_static(self, app) -> None:
        """Serve ``web/static`` (vendored Leaflet, the page scripts and styles) at ``/static``."""
        app.mount("/static", StaticFiles(directory=str(web("static"))), name="static")

    def _render(self, request: Request, *, lang, color=None, park=None, eligibility=None, form_project=None,
                form_errors=None, status: int = 200, sizing=None, whatif=None):
        t0 = time.perf_counter()
        lang = maps.language(lang, request.headers.get("accept-language"))
        store = request.app.state.store
        # a plain GET (no check, form errors, sizing or what-if) is the same page until the store or
        # the day changes: kept once rendered and compressed, keyed by everything it is made of
        key = None
        if eligibility is None and form_errors is None and sizing is None and whatif is None \
                and form_project is None and status == 200:
            key = (self._stamp(store), lang, tuple(sorted(request.query_params.multi_items())))
            hit = self._pages.get(key)
            if hit is not None:
                return self._response(request, lang, status, hit, {"render": t0})
        total, data, ext, rulesets = self._data(store, park)
        props = data.props
        colour = None
        if color:
            if props is None:
                raise BadParameter("a choropleth needs the parcels embedded; filter with ?park=", field="color",
                                   expected=f"at most {self.settings.map_embed_limit} parcels")
            try:
                colour = maps.colour_config(props, color, lang)
            except InputError as exc:  # a query parameter: 400, as ?weights= is
                raise BadParameter(exc.message, field="color", expected=exc.expected) from None
        if ext is None:
            boundaries = store.boundaries()
            ext = tuple(boundaries.total_bounds) if len(boundaries) else (73.5, 18.0, 135.0, 53.5)
        if form_project is None:
            from ..resources import geodata  # noqa: F401  (example lives in the package)
            from pathlib import Path

            form_project = (Path(maps.__file__).parent / "examples" / "project.json").read_text(encoding="utf-8")
        params = {k: v for k, v in request.query_params.items() if k != "lang"}
        if form_project is not None and "project" not in params and (eligibility or form_errors):
            # a posted project follows the language switch as its shareable form
            params["project"] = base64.urlsafe_b64encode(form_project.encode("utf-8")).decode("ascii").rstrip("=")
        params["lang"] = "en" if lang == "zh" else "zh"
        page = maps.render_map(
            lang=lang, data=data, bounds=((ext[1], ext[0]), (ext[3], ext[2])), colour=colour,
            eligibility=eligibility, sizing=sizing, whatif=whatif,
            form_project=form_project, form_action=f"/map?lang={lang}", form_errors=form_errors,
            ruleset_titles=ruleset_titles(rulesets, lang),
            other_language_url="/map?" + urlencode(params), basemap_url=self.settings.basemap_url,
            basemap_attribution=self.settings.basemap_attribution,
            chains=chainmod.map_layer(store, lang, show=request.query_params.get("layer") == "chains"))
        body = page.encode("utf-8")
        if key is None:
            return self._response(request, lang, status, (body, b""), {"render": t0})
        t1 = time.perf_counter()
        # compressed here once (level 5, as the GZip middleware would on every request), not per request
        pair = (body, gzip.compress(body, compresslevel=5, mtime=0))
        try:
            while len(self._pages) >= 6:  # the oldest first; another thread may be evicting too
                self._pages.pop(next(iter(self._pages)), None)
        except (StopIteration, RuntimeError):
            pass
        self._pages[key] = pair
        return self._response(request, lang, status, pair, {"render": t0, "gzip": t1})

    @staticmethod
    def _response(request: Request, lang: str, status: int, pair: tuple[bytes, bytes], marks: dict) -> Response:
        """The page, gzip-encoded when the client accepts it and it was compressed; ``Server-Timing``
        gives each step's milliseconds (``render`` until the HTML was made, ``gzip`` its compression)."""
        now = time.perf_counter()
        steps = list(marks.items())
        timing = ", ".join(f"{name};dur={((steps[i + 1][1] if i + 1 < len(steps) else now) - start) * 1000:.1f}"
                           for i, (name, start) in enumerate(steps))
        # the language follows Accept-Language unless ?lang= names it: a shared cache must keep them apart
        headers = {"Server-Timing": timing, "Content-Language": "zh-CN" if lang == "zh" else "en",
                   "Vary": "Accept-Language"}
        body, packed = pair
        if packed and accepts_gzip(request.headers.get("accept-encoding", "")):
            headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding, Accept-Language"})
            return Response(packed, status_code=status, media_type="text/html; charset=utf-8", headers=headers)
        return HTMLResponse(body, status_code=status, headers=headers)
