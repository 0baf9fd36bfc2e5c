"""The map at 1,000, 10,000 and 100,000 parcels: HTML size, server render time, and time until the
map is interactive in headless Chromium (goal at 100,000: < 2 s and an initial HTML < 1 MB)."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

from common import embedded_store_with

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main(sizes=(1_000, 10_000, 100_000)) -> dict:
    from playwright.sync_api import sync_playwright

    from server import running_server

    print("\n== map page: size, render time, time to interactive (headless Chromium) ==")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                url, _ = embedded_store_with(tmp, n, sample=False)
                with running_server(url) as base:
                    httpx.get(base + "/map", timeout=300)  # warm caches
                    t0 = time.perf_counter()
                    r = httpx.get(base + "/map", timeout=300)
                    fetch = time.perf_counter() - t0
                    render_ms = float(r.headers["server-timing"].split("dur=")[1])
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    t0 = time.perf_counter()
                    page.goto(base + "/map", timeout=300_000)
                    page.wait_for_selector("html[data-sl-ready='1']", timeout=300_000)
                    tti = time.perf_counter() - t0
                    page.close()
                mode = "embedded, " + ("canvas" if n > 2000 else "svg") if n <= 10_000 else "bbox-loaded from /ogc"
                print(f"  {n:>7,} parcels ({mode}): HTML {len(r.content) / 1e6:6.2f} MB, server render "
                      f"{render_ms:7.1f} ms, fetch {fetch * 1000:7.1f} ms, interactive in Chromium {tti:6.2f} s")
                out[n] = {"html_mb": len(r.content) / 1e6, "render_ms": render_ms, "tti_s": tti}
        browser.close()
    big = out.get(100_000)
    if big:
        print(f"  goal at 100,000: < 2 s {'met' if big['tti_s'] < 2 else 'MISSED'}, "
              f"HTML < 1 MB {'met' if big['html_mb'] < 1 else 'MISSED'}")
    return out


if __name__ == "__main__":
    main()
