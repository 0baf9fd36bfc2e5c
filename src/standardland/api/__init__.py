"""The HTTP service: ``create_app(settings)`` builds a FastAPI app over one store.

- ``/ogc``     OGC API – Features (QGIS, GDAL's OAPIF driver and OWSLib read it with no plugin)
- ``/api/v1``  the JSON API (checks, matches, screenings, parcels, rule sets)
- ``/openapi.json`` the contract (also committed as ``api/openapi.json``)
- ``/docs``, ``/redoc`` the contract as pages (vendored Swagger UI and ReDoc); ``/`` → ``/map``
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from .. import __version__
from . import contract, jobs
from .analysis import AnalysisFactory
from .chains import ChainsFactory
from .docs import DocsFactory
from .limits import BodyLimitMiddleware
from .ogc import OGCFeaturesFactory
from .parks import ParksFactory
from .problems import install as install_problems
from .promotion import PromotionFactory
from .reference import ReferenceFactory
from .settings import Settings
from .v1 import ChecksFactory, ParcelsFactory, RulesetsFactory
from .web import MapFactory
from .workflow import WorkflowFactory


def create_app(settings: Settings | None = None, *, store=None) -> FastAPI:
    """The FastAPI application over ``settings`` (or the environment's): every router, the offline
    docs and map, RFC 9457 errors; ``store`` replaces the one ``settings.db`` would open."""
    from ..sample import load_reference_data
    from ..store import open_store

    settings = settings or Settings()
    app = FastAPI(title="standardland", version=__version__, lifespan=jobs.lifespan,
                  description="标准地 planner: parcels (OGC API – Features), control indicators, checks, "
                              "matching and screening. Errors are RFC 9457 problem details.",
                  docs_url=None, redoc_url=None)  # served offline by DocsFactory
    if store is None:
        store = open_store(settings.db)
        load_reference_data(store, with_sample=False)  # rule sets and boundaries, if missing
    app.state.store = store
    app.state.settings = settings
    install_problems(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)  # map page 2.4 MB → 0.5 MB in ~70 ms
    contract.install(app)
    app.add_middleware(BodyLimitMiddleware, json_limit=settings.max_body_bytes,
                       upload_limit=settings.max_upload_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"])
    # the JSON API's routers, each included in the app itself: FastAPI walks every nested router on every
    # request to match it, so there is no /api/v1 router between (the checks, the busiest, come first)
    for factory in (ChecksFactory, ParcelsFactory, RulesetsFactory, ParksFactory, WorkflowFactory,
                    PromotionFactory, ReferenceFactory, AnalysisFactory, ChainsFactory):
        app.include_router(factory(settings).router, prefix="/api/v1")
    app.include_router(OGCFeaturesFactory(settings).router)
    maps = MapFactory(settings)
    app.include_router(maps.router)
    maps.mount_static(app)
    app.include_router(DocsFactory(app.openapi_url).router)

    @app.get("/healthz", tags=["service"], summary="Liveness and store backend",
             responses=contract.responses(200, contract.Health))
    def health():
        return {"status": "ok", "backend": store.backend, "version": __version__}

    return app


__all__ = ["create_app", "Settings"]
