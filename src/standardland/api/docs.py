"""The API documentation pages (``/docs``, ``/redoc``) and the front door (``/``), all offline.

Swagger UI and ReDoc are the vendored copies under ``/static/vendor/`` (``web/vendor.sh``,
``web/static/vendor/VERSIONS.md``); no page here loads anything from another host. The pages are
fixed text: every value in them is a constant of this module, none comes from a request or the store.

``/`` redirects (307) to ``/map`` with its query string kept, so ``/?lang=en`` opens the English
map: the address ``standardland serve`` prints is the one a planner opens, and the map is what a
planner wants; the docs and the OGC landing page are one link away in the printed banner.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse

TITLE = "standardland 标准地 API"
VENDOR = "/static/vendor"
SWAGGER_JS = f"{VENDOR}/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{VENDOR}/swagger-ui/swagger-ui.css"
FAVICON = f"{VENDOR}/swagger-ui/favicon-32x32.png"
REDOC_JS = f"{VENDOR}/redoc/redoc.standalone.js"
# Swagger UI's default validator badge is an <img> from validator.swagger.io: off.
SWAGGER_PARAMETERS = {"validatorUrl": None}


def content_security_policy(html: str) -> str:
    """A policy that lets a page load only from its own server (plus its own inline scripts, by hash).

    The browser then refuses what a vendored bundle would fetch from elsewhere on its own, such as
    ReDoc's "API docs by Redocly" logo (an <img> from cdn.redoc.ly that ReDoc hides when it fails).
    """
    hashes = ["'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
              for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S)]
    return "; ".join([
        "default-src 'self'", " ".join(["script-src 'self'", *hashes]), "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:", "font-src 'self' data:", "worker-src 'self' blob:", "connect-src 'self'",
        "base-uri 'none'", "form-action 'self'", "frame-ancestors 'self'"])


def _fixed_page(response: HTMLResponse) -> tuple[str, dict[str, str]]:
    html = response.body.decode()
    return html, {"Content-Security-Policy": content_security_policy(html), "Cache-Control": "no-cache"}


class DocsFactory:
    """``/docs`` (Swagger UI), ``/redoc`` (ReDoc) and ``/`` (→ ``/map``); none is in the OpenAPI document."""

    def __init__(self, openapi_url: str = "/openapi.json"):
        """Build the router: the contract as Swagger UI and ReDoc pages, from vendored assets (offline)."""
        self.router = APIRouter(include_in_schema=False)
        r = self.router
        swagger = _fixed_page(get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{TITLE} · Swagger UI", swagger_js_url=SWAGGER_JS,
            swagger_css_url=SWAGGER_CSS, swagger_favicon_url=FAVICON,
            swagger_ui_parameters=SWAGGER_PARAMETERS))
        redoc = _fixed_page(get_redoc_html(
            openapi_url=openapi_url, title=f"{TITLE} · ReDoc", redoc_js_url=REDOC_JS,
            redoc_favicon_url=FAVICON, with_google_fonts=False))

        @r.get("/docs", response_class=HTMLResponse)
        def swagger_ui():
            return HTMLResponse(swagger[0], headers=swagger[1])

        @r.get("/redoc", response_class=HTMLResponse)
        def redoc_page():
            return HTMLResponse(redoc[0], headers=redoc[1])

        @r.get("/")
        def front_door(request: Request):
            query = request.url.query
            return RedirectResponse("/map" + (f"?{query}" if query else ""), status_code=307)
