"""HTTP load from a second process against a real uvicorn on 127.0.0.1.

1. single checks (`POST /api/v1/checks`) from 32 concurrent clients: p50 / p99 and throughput
   (goal p50 < 10 ms, p99 < 50 ms);
2. `GET /ogc/collections/parcels/items?bbox=` over 100,000 parcels: map-viewport boxes (goal < 100 ms).
"""

from __future__ import annotations

import json
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import embedded_store_with

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main(n_parcels: int = 100_000, n_requests: int = 2_000, concurrency: int = 32, workers: int = 2) -> dict:
    import httpx
    import numpy as np

    from server import running_server
    print("\n== HTTP: uvicorn on 127.0.0.1, load from a second process ==")
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        url, gdf = embedded_store_with(tmp, n_parcels, sample=True)
        extent = tuple(gdf.total_bounds)
        body = {"project": json.loads((ROOT / "api/examples/project.json").read_text("utf-8")),
                "parcel_code": "370613004002GB10001"}
        with running_server(url, workers=workers) as base:
            print(f"  uvicorn with {workers} worker process(es) on this 2-core machine")
            body_file = Path(tmp) / "check.json"
            body_file.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
            gen = subprocess.run([sys.executable, str(Path(__file__).parent / "loadgen.py"), base, str(n_requests),
                                  str(concurrency), str(body_file)], capture_output=True, text=True, timeout=600)
            if gen.returncode != 0:
                raise RuntimeError(gen.stderr[-2000:])
            load = json.loads(gen.stdout)
            lat, wall = load["latencies"], load["wall"]
            assert load["errors"] == 0, f"{load['errors']} failed requests"
            p50, p99 = _pct(lat, 0.50) * 1000, _pct(lat, 0.99) * 1000
            print(f"  checks, {concurrency} concurrent clients, {n_requests} requests: p50 {p50:.1f} ms, "
                  f"p99 {p99:.1f} ms, {n_requests / wall:.0f} req/s")
            # one client at a time: the service time without queueing
            single = []
            with httpx.Client(base_url=base) as c:
                for _ in range(200):
                    t0 = time.perf_counter()
                    c.post("/api/v1/checks", json=body)
                    single.append(time.perf_counter() - t0)
            print(f"  checks, 1 client: p50 {_pct(single, .5) * 1000:.1f} ms, p99 {_pct(single, .99) * 1000:.1f} ms")
            res.update(check_p50=p50, check_p99=p99, check_rps=n_requests / wall,
                       single_p50=_pct(single, .5) * 1000)
            # viewport-sized boxes (≈ 1.5 km × 1.5 km) at random over the 100,000 parcels
            rng = np.random.default_rng(5)
            times, counts = [], []
            with httpx.Client(base_url=base, timeout=30) as c:
                for _ in range(50):
                    x = rng.uniform(extent[0], extent[2] - 0.017)
                    y = rng.uniform(extent[1], extent[3] - 0.014)
                    t0 = time.perf_counter()
                    r = c.get("/ogc/collections/parcels/items",
                              params={"bbox": f"{x},{y},{x + 0.017},{y + 0.014}", "limit": 1000})
                    times.append(time.perf_counter() - t0)
                    counts.append(r.json()["numberReturned"])
            print(f"  items?bbox over {n_parcels:,} parcels: median {statistics.median(times) * 1000:.1f} ms, "
                  f"p95 {_pct(times, .95) * 1000:.1f} ms, ~{int(np.median(counts))} features per response")
            res.update(bbox_median=statistics.median(times) * 1000)
    print(f"  goals: check p50 < 10 ms {'met' if res['check_p50'] < 10 else 'MISSED'}, "
          f"p99 < 50 ms {'met' if res['check_p99'] < 50 else 'MISSED'}; "
          f"bbox < 100 ms {'met' if res['bbox_median'] < 100 else 'MISSED'}")
    return res


if __name__ == "__main__":
    main()
