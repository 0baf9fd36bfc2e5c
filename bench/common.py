"""Helpers for the benchmarks (figures and ratios are printed; nothing here is a timed test)."""

from __future__ import annotations

import os
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
PG_URL = os.environ.get("STANDARDLAND_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def timer(label: str, results: dict | None = None):
    t0 = time.perf_counter()
    yield
    dt = time.perf_counter() - t0
    if results is not None:
        results[label] = dt
    print(f"  {label:<58} {dt * 1000:10.1f} ms")


def synthetic_parcels(n: int, *, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` non-overlapping ~1–3 ha parcels around the sample park (EPSG:4549), realistic attributes."""
    from helpers import code

    rng = np.random.default_rng(seed)
    per_row = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    side = rng.uniform(100, 170, n)
    x = 400_000 + (i % per_row) * 180.0
    y = 4_100_000 + (i // per_row) * 180.0
    geoms = shapely.box(x, y, x + side, y + side * rng.uniform(0.8, 1.0, n))
    statuses = np.array(["published", "listed", "serviced", "transferred", "under_construction", "in_production"])
    return gpd.GeoDataFrame({
        "code": [code(k + 1) for k in range(n)],
        "name": [f"地块 {k + 1}" for k in range(n)],
        "park": "bench-park",
        "status": statuses[rng.integers(0, len(statuses), n)],
        "land_use_code": np.array(["100101", "100102", "100103"])[rng.integers(0, 3, n)],
        "land_grade": rng.integers(1, 16, n),
        "transfer_price_wan_yuan": np.round(rng.uniform(500, 5000, n), 2),
        "investment_intensity_min": np.where(rng.random(n) < 0.3, 300.0, np.nan),
    }, geometry=geoms, crs=4549)


def fresh_pg_url() -> str | None:
    from sqlalchemy import create_engine, text

    try:
        eng = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"sl_bench_{uuid.uuid4().hex[:8]}"
        with eng.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        eng.dispose()
        return PG_URL.rsplit("/", 1)[0] + "/" + name
    except Exception as exc:
        print(f"  (PostGIS unavailable: {type(exc).__name__}; skipped)")
        return None


def drop_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    eng.dispose()


def embedded_store_with(tmp: str, n: int, *, sample: bool) -> tuple[str, gpd.GeoDataFrame]:
    """A fresh embedded store in ``tmp`` with the reference data (and the sample park) plus ``n`` synthetic parcels."""
    from standardland.parcels import prepare_parcels
    from standardland.sample import load_reference_data
    from standardland.store import open_store

    url = f"sqlite:///{tmp}/bench.db"
    store = open_store(url)
    load_reference_data(store, with_sample=sample)
    gdf, _ = prepare_parcels(synthetic_parcels(n))
    store.import_parcels(gdf)
    store.close()
    return url, gdf


# -- processes with a bound: servers on 127.0.0.1, timed subprocesses ------------------------------

from server import free_port, wait_until_healthy  # noqa: E402  (tests/ is on the path above)


def _stop_group(proc, grace: float = 10.0) -> None:
    """End ``proc`` and whatever it started (its own session, so its process group), by id."""
    import signal
    import subprocess

    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


@contextmanager
def served(argv_for_port, *, log: Path, env: dict | None = None, start_timeout: float = 120.0):
    """Run ``argv_for_port(port)`` (an HTTP server on 127.0.0.1) and yield its base URL once ``/healthz``
    answers 200; the server (and its workers) are stopped on exit. Output goes to the file ``log``."""
    import subprocess

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv_for_port(port), stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})}, start_new_session=True)
        try:
            wait_until_healthy(proc, base, log, timeout=start_timeout)
            yield base
        finally:
            _stop_group(proc)


def _tree_rss_kb(pid: int) -> int:
    """Resident memory (kB) of ``pid`` and all its descendants, from /proc (0 where unreadable)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
    return total


def run_bounded(argv: list[str], *, timeout: float, env: dict | None = None, cwd=None) -> dict:
    """Run ``argv`` to completion or kill it (and its children) after ``timeout`` seconds.

    Returns ``seconds`` (wall), ``rc``, ``peak_rss_mb`` (the largest sum of resident memory over the
    process and its descendants, sampled from /proc every ~50 ms — so Dask workers count; wait4's
    ru_maxrss would not, and it inherits the parent's high-water mark across fork+exec), ``stdout`` and
    ``stderr`` (text)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=so, stderr=se, env={**os.environ, **(env or {})}, cwd=cwd,
                                start_new_session=True)
        deadline = time.monotonic() + timeout
        status = None
        peak = 0
        try:
            while True:
                peak = max(peak, _tree_rss_kb(proc.pid))
                pid, st = os.waitpid(proc.pid, os.WNOHANG)
                if pid:
                    status = st
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{argv[:4]} … still running after {timeout:.0f} s; stopped")
                time.sleep(0.05)
        finally:
            if status is None:
                _stop_group(proc)
        dt = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0)
        se.seek(0)
        return {"seconds": dt, "rc": proc.returncode, "peak_rss_mb": peak / 1024,
                "stdout": so.read().decode("utf-8", "replace"),
                "stderr": se.read().decode("utf-8", "replace")}


def print_table(rows: list[tuple], title: str = "summary") -> None:
    """A compact table of (bench, figure, value, ratio) rows."""
    head = ("bench", "figure", "value", "ratio")
    rows = [tuple("" if c is None else str(c) for c in r) for r in rows]
    w = [max(len(head[i]), *(len(r[i]) for r in rows)) if rows else len(head[i]) for i in range(4)]
    print(f"\n== {title} ==")
    print("  " + "  ".join(h.ljust(w[i]) for i, h in enumerate(head)))
    print("  " + "  ".join("-" * x for x in w))
    for r in rows:
        print("  " + "  ".join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(r)))
