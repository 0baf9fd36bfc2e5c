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
