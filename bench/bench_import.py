"""Import 100,000 parcels from a GeoPackage into each backend (goal: < 3 s embedded).

Every import runs the checks of ``validate`` plus the overlap check against the stored parcels
(a bounding-box query of their footprints — code, area, geometry — then an STRtree); the upsert
step re-imports the same 100,000 into a store that holds them, so the check meets 100,000 stored
candidates (none of them an overlap: same codes).

Each figure is wall time and the process's CPU time (all threads): on a shared machine the wall
time stretches with the load, the CPU time much less. ``--steps`` also times the stages of one
import separately (read, validate, checks against the store, write) to show where the time goes.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pyogrio

from common import drop_pg, fresh_pg_url, synthetic_parcels


@contextmanager
def timed(label: str, results: dict):
    """Wall and CPU time of the block, printed and kept as ``results[label] = (wall, cpu)``."""
    w, c = time.perf_counter(), time.process_time()
    yield
    results[label] = (time.perf_counter() - w, time.process_time() - c)
    print(f"  {label:<66} {results[label][0] * 1000:9.1f} ms wall {results[label][1] * 1000:9.1f} ms cpu")


def stages(store, src, res: dict, name: str, mode: str) -> None:
    """One import, stage by stage (the same calls :func:`standardland.services.import_file` makes)."""
    from standardland import io as sio, services

    read = {}
    with timed(f"{name} {mode}: read the GeoPackage", res):
        read["r"] = sio.read_parcels_file(src)
    with timed(f"{name} {mode}: validate, CRS → 4490, GK areas, parks", res):
        gdf, rep = services.read_and_prepare(src, read=read["r"], store=store)
    with timed(f"{name} {mode}: overlaps (file + stored), park boundaries", res):
        found = services.store_checks(store, gdf, rep.source_crs)
    assert not found["overlaps"]
    with timed(f"{name} {mode}: write", res):
        store.import_parcels(gdf, mode=mode)


def main(n: int = 100_000, *, steps: bool = False) -> dict:
    from standardland import services
    from standardland.store import open_store

    print(f"\n== import {n:,} parcels from a GeoPackage (load average {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} CPUs) ==")
    res: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "parcels.gpkg"
        pyogrio.write_dataframe(synthetic_parcels(n), src, layer="parcels")
        with timed("read + validate + CRS + GK areas (no write)", res):
            services.read_and_prepare(src)
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with timed("SQLite file: full import (read → validate → write)", res):
            services.import_file(store, src)
        assert store.count_parcels() == n
        with timed("SQLite file: upsert the same parcels (overlap check against all stored)", res):
            services.import_file(store, src, mode="upsert")
        if steps:
            stages(store, src, res, "SQLite", "upsert")
        with timed("SQLite file: read all parcels back", res):
            store.parcels()
        store.close()
        url = fresh_pg_url()
        if url:
            pg = open_store(url)
            with timed("PostGIS: full import (COPY)", res):
                services.import_file(pg, src)
            assert pg.count_parcels() == n
            with timed("PostGIS: upsert the same parcels (overlap check against all stored)", res):
                services.import_file(pg, src, mode="upsert")
            if steps:
                stages(pg, src, res, "PostGIS", "upsert")
            with timed("PostGIS: read all parcels back", res):
                pg.parcels()
            pg.close()
            drop_pg(url)
    wall, cpu = res["SQLite file: full import (read → validate → write)"]
    print(f"  embedded import: {n / wall:,.0f} parcels/s wall; goal < 3 s: {'met' if wall < 3 else 'MISSED'} "
          f"(wall {wall:.2f} s, cpu {cpu:.2f} s)")
    return {k: w for k, (w, _) in res.items()}


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 100_000, steps="--steps" in sys.argv)
