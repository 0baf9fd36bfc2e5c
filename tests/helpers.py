"""Small builders for test data (real files are written with pyogrio in the tests)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import geopandas as gpd
import numpy as np
import shapely

X0, Y0 = 510_000.0, 4_140_000.0  # EPSG:4549 (CGCS2000 GK CM 120E), near 121.1°E 37.4°N


def code(i: int) -> str:
    """A well-formed 宗地代码 (19 characters) for any i (the 地籍子区 grows every 100,000)."""
    return f"370613001{i // 100_000 + 1:03d}GB{i % 100_000:05d}"


def square_parcels(n: int, *, side: float = 100.0, gap: float = 10.0, epsg: int = 4549, start: int = 1,
                   names: list[str] | None = None, **cols) -> gpd.GeoDataFrame:
    """``n`` side×side squares in a grid, in ``epsg`` (GK CM 120E by default)."""
    per_row = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = X0 + (i % per_row) * (side + gap)
    y = Y0 + (i // per_row) * (side + gap)
    geoms = shapely.box(x, y, x + side, y + side)
    data = {"code": [code(start + k) for k in range(n)],
            "name": names or [f"测试地块 {k + 1} 号" for k in range(n)],
            "status": ["published"] * n, "land_use_code": ["100101"] * n, "land_grade": [7] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=epsg)


# -- a headless Chromium page that may reach only this machine -------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class OfflinePage:
    """A page whose requests to other hosts are aborted and recorded (``outside``), with the dialogs it
    opened, its Content-Security-Policy refusals (console messages) and the first navigation's response."""

    page: Any
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    response: Any = None


def open_page(browser, base: str, path: str, *, lang: str = "zh-CN", headers: dict | None = None,
              ready: bool = True) -> OfflinePage:
    """Open ``base + path`` in a new context of ``browser`` (1400×900, locale ``lang``, extra request
    ``headers``); wait for the map's ``data-sl-ready`` flag when ``ready``. The one way every browser test
    opens a page; the caller (or the ``open_page`` fixture) closes ``result.page.context``."""
    ctx = browser.new_context(locale=lang, viewport={"width": 1400, "height": 900}, extra_http_headers=headers or {})
    page = ctx.new_page()
    out = OfflinePage(page)

    def route(r):
        if urlparse(r.request.url).hostname != "127.0.0.1":
            out.outside.append(r.request.url)
            return r.abort()
        return r.continue_()
    page.route("**/*", route)
    page.on("dialog", lambda d: (out.dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: "Content Security Policy" in m.text and out.refused.append(m.text))
    out.response = page.goto(base + path)
    if ready:
        page.wait_for_selector("html[data-sl-ready='1']", timeout=30_000)
    return out


def copy_seed(seed: Path, dest: Path) -> str:
    """Copy a session seed store (conftest's ``sqlite_seeds``) to ``dest``; its ``sqlite:///`` URL."""
    shutil.copyfile(seed, dest)
    return f"sqlite:///{dest}"
