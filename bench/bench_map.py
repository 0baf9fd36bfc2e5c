"""The map page at 1,000 / 10,000 (embedded) and 100,000 (bbox-loaded) parcels: bytes on the wire
(the page fetched with ``Accept-Encoding: gzip``, as a browser does), the uncompressed HTML, the server's
render time (its ``Server-Timing`` header: median of 3 warm pages, which a plain GET gets from the
page cache until the store or the day changes; the cold first page of a fresh server; and the median
first page after each of 3 changes of the store, made by another process — each cold figure with
its ``gzip`` step, the one compression of the cached page, beside it) and the time until the map is
interactive in headless Chromium (``html[data-sl-ready]``, median of 3). The load average is printed
with the figures: the machine is shared, and wall times stretch with it; so each cold page also gives
the server process's CPU time for it (``/proc``: render and gzip, HTTP included). A fresh server's
first page competes with its helper process, which imports the libraries at startup (``api/jobs``).

Goals at 10,000 embedded parcels: ≤ 1 MB on the wire, server render ≤ 0.5 s, interactive ≤ 1.5 s.

    PYTHONPATH=src python bench/bench_map.py [N ...]
"""

from __future__ import annotations

import gzip
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from common import embedded_store_with

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

GOALS = {"wire_mb": 1.0, "render_ms": 500.0, "cold_render_ms": 500.0, "changed_render_ms": 500.0, "tti_s": 1.5}


def _timing(headers, step: str = "render") -> float:
    """Milliseconds of ``step`` in a ``Server-Timing`` header (``render;dur=12.3, gzip;dur=4.5``)."""
    steps = dict(p.strip().split(";dur=") for p in headers["server-timing"].split(","))
    return float(steps.get(step, 0.0))


def _server_pid() -> int | None:
    """The pid of the ``standardland serve`` child of this process (Linux ``/proc``), or None."""
    import glob

    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and b"serve" in Path(stat).with_name("cmdline").read_bytes():
                return int(Path(stat).parent.name)
        except (OSError, ValueError, IndexError):
            continue
    return None


def _cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far (NaN without ``/proc``): unlike wall time, this
    hardly depends on what else the shared machine runs."""
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _after_changes(base: str, url: str, repeat: int = 3) -> tuple[float, float, float]:
    """Median render and gzip ms of the first page after each of ``repeat`` changes of the store (one
    parcel renamed by another process, as an import or an edit would): the server is warm, its data not."""
    import pandas as pd

    from standardland.store import ParcelQuery, open_store

    renders, zips, cpus = [], [], []
    pid = _server_pid()
    for k in range(repeat):
        store = open_store(url)
        try:
            code = store.parcels(ParcelQuery(limit=1))["code"].iloc[0]
            store.update_parcel_attributes(pd.DataFrame({"code": [code], "name": [f"bench rename {k}"]}))
        finally:
            store.close()
        c0 = _cpu_s(pid)
        h = httpx.get(base + "/map", headers={"Accept-Encoding": "gzip"}, timeout=300).headers
        cpus.append(_cpu_s(pid) - c0)
        renders.append(_timing(h))
        zips.append(_timing(h, "gzip"))
    return statistics.median(renders), statistics.median(zips), statistics.median(cpus) * 1000


def _measure(browser, base: str, url: str, repeat: int = 3) -> dict:
    # the first page after a change of the store reads and serialises the parcels (cold); later pages
    # reuse that until the store changes again (warm)
    pid = _server_pid()
    c0 = _cpu_s(pid)
    first = httpx.get(base + "/map", headers={"Accept-Encoding": "gzip"}, timeout=300).headers
    cold_cpu = (_cpu_s(pid) - c0) * 1000
    cold, cold_gzip = _timing(first), _timing(first, "gzip")
    renders, wires, ttis = [], [], []
    raw = b""
    for _ in range(repeat):
        with httpx.stream("GET", base + "/map", headers={"Accept-Encoding": "gzip"}, timeout=300) as r:
            wire = sum(len(chunk) for chunk in r.iter_raw())
            encoding = r.headers.get("content-encoding", "identity")
            renders.append(_timing(r.headers))
        wires.append(wire)
        raw = httpx.get(base + "/map", headers={"Accept-Encoding": "identity"}, timeout=300).content
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        t0 = time.perf_counter()
        page.goto(base + "/map", timeout=300_000)
        page.wait_for_selector("html[data-sl-ready='1']", timeout=300_000)
        ttis.append(time.perf_counter() - t0)
        page.close()
    changed, changed_gzip, changed_cpu = _after_changes(base, url)
    return {"wire_mb": statistics.median(wires) / 1e6, "changed_render_ms": changed, "changed_gzip_ms": changed_gzip,
            "changed_cpu_ms": changed_cpu, "cold_cpu_ms": cold_cpu, "encoding": encoding, "html_mb": len(raw) / 1e6,
            "gzip_offline_mb": len(gzip.compress(raw, 6)) / 1e6, "render_ms": statistics.median(renders),
            "cold_render_ms": cold, "cold_gzip_ms": cold_gzip,
            "tti_s": statistics.median(ttis)}


def main(sizes=(1_000, 10_000, 100_000)) -> dict:
    from playwright.sync_api import sync_playwright

    from server import running_server

    print("\n== map page: bytes on the wire, server render, time to interactive (headless Chromium, median of 3) ==")
    print(f"  load average at start: {os.getloadavg()[0]:.2f}")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                url, _ = embedded_store_with(tmp, n, sample=False)
                with running_server(url) as base:
                    res = _measure(browser, base, url)
            mode = "embedded, " + ("canvas" if n > 2000 else "svg") if n <= 10_000 else "bbox-loaded from /ogc"
            print(f"  {n:>7,} parcels ({mode}): wire {res['wire_mb']:6.3f} MB ({res['encoding']}), "
                  f"HTML {res['html_mb']:6.2f} MB (gzip -6 offline {res['gzip_offline_mb']:5.2f} MB), "
                  f"server render {res['render_ms']:7.1f} ms (cold {res['cold_render_ms']:7.1f} ms "
                  f"+ gzip {res['cold_gzip_ms']:5.1f} ms, server CPU {res['cold_cpu_ms']:5.0f} ms; after a store change "
                  f"{res['changed_render_ms']:6.1f} ms + gzip {res['changed_gzip_ms']:5.1f} ms, "
                  f"server CPU {res['changed_cpu_ms']:5.0f} ms), "
                  f"interactive in Chromium {res['tti_s']:5.2f} s")
            out[n] = res
        browser.close()
    at = out.get(10_000)
    if at:
        verdicts = ", ".join(f"{k} ≤ {GOALS[k]} {'met' if at[k] <= GOALS[k] else 'MISSED'}" for k in GOALS)
        print(f"  goals at 10,000 embedded: {verdicts} (load average at end: {os.getloadavg()[0]:.2f})")
    return out


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (1_000, 10_000, 100_000))
