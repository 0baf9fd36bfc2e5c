"""Import 100,000 parcels from a GeoPackage into each backend (goal: < 3 s embedded).

Every import runs the checks of ``validate`` plus the overlap check against the stored parcels
(a bounding-box query, then an STRtree); the upsert step re-imports the same 100,000 into a store
that holds them, so the check meets 100,000 stored candidates (none of them an overlap: same codes).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pyogrio

from common import drop_pg, fresh_pg_url, synthetic_parcels, timer


def main(n: int = 100_000) -> dict:
    from standardland import services
    from standardland.store import open_store

    print(f"\n== import {n:,} parcels from a GeoPackage ==")
    res: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "parcels.gpkg"
        pyogrio.write_dataframe(synthetic_parcels(n), src, layer="parcels")
        with timer("read + validate + CRS + GK areas (no write)", res):
            services.read_and_prepare(src)
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with timer("SQLite file: full import (read → validate → write)", res):
            services.import_file(store, src)
        assert store.count_parcels() == n
        with timer("SQLite file: upsert the same parcels (overlap check against all stored)", res):
            services.import_file(store, src, mode="upsert")
        with timer("SQLite file: read all parcels back", res):
            store.parcels()
        store.close()
        url = fresh_pg_url()
        if url:
            pg = open_store(url)
            with timer("PostGIS: full import (COPY)", res):
                services.import_file(pg, src)
            assert pg.count_parcels() == n
            with timer("PostGIS: upsert the same parcels (overlap check against all stored)", res):
                services.import_file(pg, src, mode="upsert")
            with timer("PostGIS: read all parcels back", res):
                pg.parcels()
            pg.close()
            drop_pg(url)
    goal = res["SQLite file: full import (read → validate → write)"]
    print(f"  embedded import: {n / goal:,.0f} parcels/s; goal < 3 s: {'met' if goal < 3 else 'MISSED'}")
    return res


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
