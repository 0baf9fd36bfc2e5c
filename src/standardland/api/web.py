"""The map pages (``/map``) and the static assets they use (``/static``), served by our own app."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from .. import maps, services
from ..errors import BadParameter, InputError
from ..resources import web
from ..store import ParcelQuery


class MapFactory:
    def __init__(self, settings):
        self.settings = settings
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
            store = request.app.state.store
            m = services.match_project(store, doc, top=200, lang=maps.language(lang, request.headers.get(
                "accept-language")))
            eligibility = {"verdicts": m["verdicts"] if "verdicts" in m else {},
                           "explanations": {r_["parcel_code"]: {"verdict": r_["verdict"],
                                                                "indicators": r_["indicators"]}
                                            for r_ in m["results"]},
                           "matches": [{"parcel_code": r_["parcel_code"], "name": r_["name"], "verdict": r_["verdict"]}
                                       for r_ in m["results"][:10]]}
            return self._render(request, lang=lang, eligibility=eligibility,
                                form_project=json.dumps(doc, ensure_ascii=False, indent=1))

    def mount_static(self, app) -> None:
        app.mount("/static", StaticFiles(directory=str(web("static"))), name="static")

    def _render(self, request: Request, *, lang, color=None, park=None, eligibility=None, form_project=None):
        t0 = time.perf_counter()
        lang = maps.language(lang, request.headers.get("accept-language"))
        store = request.app.state.store
        q = ParcelQuery(park=park)
        total = store.count_parcels(q)
        boundaries = store.boundaries()
        parcels = props = None
        if total <= self.settings.map_embed_limit:
            parcels = store.parcels(q)
            props = maps.feature_properties(parcels, services.published_thresholds(store, parcels))
        colour = None
        if color:
            if props is None:
                raise BadParameter("a choropleth needs the parcels embedded; filter with ?park=", field="color",
                                   expected=f"at most {self.settings.map_embed_limit} parcels")
            try:
                colour = maps.colour_config(props, color, lang)
            except InputError as exc:  # a query parameter: 400, as ?weights= is
                raise BadParameter(exc.message, field="color", expected=exc.expected) from None
        ext = store.parcel_extent() if total else None
        if parcels is not None and len(parcels):
            b = parcels.total_bounds
            ext = (b[0], b[1], b[2], b[3])
        if ext is None:
            ext = tuple(boundaries.total_bounds) if len(boundaries) else (73.5, 18.0, 135.0, 53.5)
        if form_project is None:
            from ..resources import geodata  # noqa: F401  (example lives in the package)
            from pathlib import Path

            form_project = (Path(maps.__file__).parent / "examples" / "project.json").read_text(encoding="utf-8")
        params = {k: v for k, v in request.query_params.items() if k != "lang"}
        params["lang"] = "en" if lang == "zh" else "zh"
        page = maps.render_map(
            lang=lang, boundaries=boundaries, parcels=parcels, props=props,
            bounds=((ext[1], ext[0]), (ext[3], ext[2])), colour=colour, eligibility=eligibility,
            form_project=form_project, form_action=f"/map?lang={lang}",
            other_language_url="/map?" + urlencode(params), basemap_url=self.settings.basemap_url,
            basemap_attribution=self.settings.basemap_attribution)
        return HTMLResponse(page, headers={"Server-Timing": f"render;dur={(time.perf_counter() - t0) * 1000:.1f}",
                                           "Content-Language": "zh-CN" if lang == "zh" else "en"})
