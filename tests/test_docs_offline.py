"""The API docs (/docs, /redoc) work with no internet, / leads to the map, and serve logs each request.

A real uvicorn (``standardland serve``) and a real headless Chromium that aborts and records every
request to a host other than 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest

from server import running_server

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
VENDOR = ROOT / "web" / "static" / "vendor"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, access-log path, db URL) of ``standardland serve`` with its default options."""
    tmp = tmp_path_factory.mktemp("docs")
    log, url = tmp / "serve.log", f"sqlite:///{tmp / 'docs.db'}"
    with running_server(url, log=log) as base:
        yield base, log, url


def test_vendored_assets_are_the_recorded_npm_files():
    rows = re.findall(r"^\| ([\w-]+) \| ([\d.]+) \| [^|]+ \| ([\w./-]+) \| ([0-9a-f]{64}) \|$",
                      (VENDOR / "VERSIONS.md").read_text(encoding="utf-8"), flags=re.M)
    files = {f: (pkg, ver, sha) for pkg, ver, f, sha in rows}
    assert {"swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "redoc/redoc.standalone.js",
            "leaflet/leaflet.js"} <= set(files), files
    for f, (pkg, ver, sha) in files.items():
        digest = hashlib.sha256((VENDOR / f).read_bytes()).hexdigest()
        assert digest == sha, f"{f} is not {pkg} {ver} as recorded"
    for licence in ("swagger-ui/LICENSE", "swagger-ui/NOTICE", "redoc/LICENSE"):
        assert (VENDOR / licence).is_file(), licence


def test_docs_pages_load_only_our_own_assets(served):
    base = served[0]
    for path, title in (("/docs", "standardland 标准地 API · Swagger UI"),
                        ("/redoc", "standardland 标准地 API · ReDoc")):
        r = httpx.get(base + path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        html = r.text
        assert f"<title>{title}</title>" in html
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "img-src 'self' data:" in csp and "unsafe-eval" not in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]  # inline scripts only by hash
        urls = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert urls and all(u.startswith("/static/vendor/") for u in urls), (path, urls)
        assert "http://" not in html and "https://" not in html, path
        for u in urls:
            assert httpx.get(base + u).status_code == 200, u
    # no validator badge (an image from validator.swagger.io)
    assert '"validatorUrl": null' in httpx.get(base + "/docs").text
    # the pages are not operations of the API
    paths = httpx.get(base + "/openapi.json").json()["paths"]
    assert not {"/", "/docs", "/redoc"} & set(paths)


def test_front_door_redirects_to_the_map_keeping_the_language(served):
    base = served[0]
    r = httpx.get(base + "/")
    assert r.status_code == 307 and r.headers["location"] == "/map"
    r = httpx.get(base + "/?lang=en")
    assert r.status_code == 307 and r.headers["location"] == "/map?lang=en"
    r = httpx.get(base + "/?lang=en", follow_redirects=True)
    assert r.status_code == 200 and str(r.url) == base + "/map?lang=en"
    assert r.headers["content-language"] == "en"
    r = httpx.get(base + "/", follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-language"] == "zh-CN"
    for enc in ("gzip", "identity"):  # the page's language follows Accept-Language: caches must keep them apart
        r = httpx.get(base + "/map", headers={"Accept-Language": "en", "Accept-Encoding": enc})
        assert r.headers["content-language"] == "en"
        assert {"accept-language", "accept-encoding"} <= {v.strip().lower() for v in r.headers["vary"].split(",")}


def test_swagger_ui_renders_the_operations_offline(open_page, served):
    base = served[0]
    opened = open_page(base, "/docs", ready=False)
    page, outside, refused = opened.page, opened.outside, opened.refused
    checks = page.locator(".opblock-post .opblock-summary-path[data-path='/api/v1/checks']")
    checks.wait_for(timeout=30_000)
    assert checks.is_visible()
    assert page.locator(".opblock").count() > 20  # every operation, not just one
    assert page.title() == "standardland 标准地 API · Swagger UI"
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("standardland")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))
    checks.click()  # an operation opens with its request body schema
    page.locator(".opblock-post.is-open .opblock-section-request-body").wait_for(timeout=10_000)
    # "Try it out" reaches this server under the page's policy
    page.locator(".opblock-get .opblock-summary-path[data-path='/healthz']").click()
    health = page.locator(".opblock-get.is-open")
    health.locator(".try-out__btn").click()
    health.locator(".execute").click()
    live = health.locator(".live-responses-table tbody .response-col_status")
    live.wait_for(timeout=10_000)
    assert live.inner_text().strip() == "200"
    assert '"status": "ok"' in health.locator(".live-responses-table .microlight").first.inner_text()
    assert outside == [] and refused == [], (outside, refused)


def test_redoc_renders_offline(open_page, served):
    base = served[0]
    opened = open_page(base, "/redoc", ready=False)
    page, outside, refused = opened.page, opened.outside, opened.refused
    page.locator(".api-info h1").wait_for(timeout=30_000)
    assert page.locator(".api-info h1").inner_text().startswith("standardland")
    assert page.locator("[data-section-id^='operation/']").count() > 20
    checks = page.locator("[data-section-id='operation/check_api_v1_checks_post']")
    assert "POST" in checks.inner_text() and "/api/v1/checks" in checks.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "redoc-offline.png"))
    assert outside == [], outside
    # ReDoc 2.x's sidebar credit is an <img> from cdn.redoc.ly: the page's policy refuses it before it
    # leaves the machine (and ReDoc hides it); nothing else is refused.
    assert all("https://cdn.redoc.ly/redoc/logo-mini.svg" in m for m in refused), refused


def test_serve_logs_one_line_per_request(served):
    base, log = served[:2]
    # more log than a pipe holds (64 KiB ≈ 800 lines): a server whose output nobody reads must not block
    with httpx.Client(base_url=base, timeout=10) as c:
        for i in range(1200):
            assert c.get(f"/healthz?probe=log-{i}").status_code == 200
        assert c.get("/api/v1/parcels/no-such-parcel").status_code == 404
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    probes = [ln for ln in lines if "/healthz?probe=log-" in ln]
    assert len(probes) == 1200, lines[-10:]
    for i in (0, 1199):
        hits = [ln for ln in probes if f'"GET /healthz?probe=log-{i} HTTP/1.1" 200' in ln]
        assert len(hits) == 1, hits
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} 127\.0\.0\.1:\d+ ", hits[0]), hits[0]
    assert any('"GET /api/v1/parcels/no-such-parcel HTTP/1.1" 404' in ln for ln in lines), lines[-10:]


def test_no_access_log_turns_it_off(served, tmp_path):
    log = tmp_path / "serve.log"
    with running_server(served[2], args=("--no-access-log",), log=log) as base:  # the same, initialised store
        assert httpx.get(base + "/healthz?probe=quiet").status_code == 200
        assert httpx.get(base + "/map").status_code == 200
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "probe=quiet" not in text and "GET /map" not in text, text[-2000:]
