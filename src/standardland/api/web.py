"""The map pages (``/map``) and the static assets they use (``/static``), served by our own app."""

from __future__ import annotations

import json
import time
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from .. import maps, services
from ..errors import BadParameter, InputError
from ..resources import web
from ..store import ParcelQuery


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


class MapFactory:
    def __init__(self, settings):
        self.settings = settings
        self._cache: dict[str | None, tuple] = {}
        self.router = APIRouter(tags=["map"])
        r = self.router

        @r.get("/map", response_class=HTMLResponse, summary="The park map (zh by default; ?lang=en)")
        def map_page(request: Request, lang: str | None = Query(None, pattern="^(zh|en)"),
                     color: str | None = Query(None, description="a numeric property for a choropleth"),
                     park: str | None = None):
            return self._render(request, lang=lang, color=color, park=park)

        @r.post("/map", response_class=HTMLResponse, summary="Eligibility view for a project posted from the form")
        def map_eligibility(request: Request, project: str = Form(..., max_length=200_000),
                            lang: str | None = Query(None, pattern="^(zh|en)")):
            try:
                doc = json.loads(project)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno})", field="project",
                                 expected="a project as JSON (api/project.schema.json)") from exc
            except RecursionError as exc:  # 400, as the JSON API answers a 10,000-level document
                raise BadParameter("the document is nested too deeply", field="project",
                                   expected="a project as JSON (api/project.schema.json)") from exc
            store = request.app.state.store
            m = services.match_project(store, doc, top=200, lang=maps.language(lang, request.headers.get(
                "accept-language")))
            eligibility = eligibility_config(m)
            return self._render(request, lang=lang, eligibility=eligibility,
                                form_project=json.dumps(doc, ensure_ascii=False, indent=1))

    def _data(self, store, park: str | None):
        """(count, :class:`maps.MapData`, extent) for ``?park=``: loaded and serialised once per change
        of the store (its version counters, shared by every process) and per day (thresholds in force)."""
        stamp = (tuple(sorted(store.versions().items())), date.today())
        hit = self._cache.get(park)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        q = ParcelQuery(park=park)
        total = store.count_parcels(q)
        parcels = props = ext = None
        if total <= self.settings.map_embed_limit:
            parcels = store.parcels(q)
            props = maps.feature_properties(parcels, services.published_thresholds(store, parcels))
            if len(parcels):
                ext = tuple(float(x) for x in parcels.total_bounds)
        elif total:
            ext = store.parcel_extent()
        value = (total, maps.map_data(store.boundaries(), parcels, props), ext)
        if len(self._cache) >= 8:
            self._cache.pop(next(iter(self._cache)))
        self._cache[park] = (stamp, value)
        return value

    def mount_static(self, app) -> None:
        app.mount("/static", StaticFiles(directory=str(web("static"))), name="static")

    def _render(self, request: Request, *, lang, color=None, park=None, eligibility=None, form_project=None):
        t0 = time.perf_counter()
        lang = maps.language(lang, request.headers.get("accept-language"))
        store = request.app.state.store
        total, data, ext = self._data(store, park)
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
        params["lang"] = "en" if lang == "zh" else "zh"
        page = maps.render_map(
            lang=lang, data=data, bounds=((ext[1], ext[0]), (ext[3], ext[2])), colour=colour,
            eligibility=eligibility,
            form_project=form_project, form_action=f"/map?lang={lang}",
            other_language_url="/map?" + urlencode(params), basemap_url=self.settings.basemap_url,
            basemap_attribution=self.settings.basemap_attribution)
        return HTMLResponse(page, headers={"Server-Timing": f"render;dur={(time.perf_counter() - t0) * 1000:.1f}",
                                           "Content-Language": "zh-CN" if lang == "zh" else "en"})
