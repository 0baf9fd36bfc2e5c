"""HTTP throughput and latency of a real uvicorn on 127.0.0.1, driven by wrk (a C load generator), so the
figures are the server's and not a Python client's.

1. ``POST /api/v1/checks`` (sample store) at 1 and 32 connections: requests/s and p50/p99 (wrk --latency),
   each **as a ratio to a constant-JSON ceiling app** (ceiling_app.py: the same response bytes, no work)
   served the same way — same uvicorn, worker count and flags — and measured in the same run,
   interleaved with the check (ceiling, check, ceiling, check, …);
   Then the same at the highest connection count with **varied** checks (each request one of 60
   different projects — industries, decision dates, values — on one of 6 parcels, so batches mix
   contexts, verdicts and advice), as a ratio to the same ceiling: concurrent checks are evaluated
   together (``api/batching.py``), and this shows that nothing relies on identical requests;
2. ``GET /ogc/collections/parcels/items?bbox=`` over 100,000 parcels: map-viewport boxes at 1 connection.

Every wrk run has a fixed duration and the servers are stopped at the end: the bench ends by itself.
Traffic goes only to 127.0.0.1.

    python bench/bench_http.py [--duration 10] [--parcels 100000] [--connections 1,32] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import embedded_store_with, served

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
PARCEL = "370613004002GB10001"  # in the sample park

# wrk's done() hook: the same HdrHistogram that --latency prints, plus the error counts, as one JSON line
DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, '
    .. '"read": %d, "write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""

POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open({path}, "rb"))
wrk.body = f:read("*a")
f:close()
"""

BODIES_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {{}}
for line in io.lines({path}) do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end
"""

PATHS_LUA = """
local paths = {{ {paths} }}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""

_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(text: str) -> dict:
    """Requests/s and the --latency percentiles (ms) from wrk's report, plus the done() JSON line."""
    out: dict = {}
    m = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    if not m:
        raise RuntimeError(f"no Requests/sec in wrk's output:\n{text[-2000:]}")
    out["rps"] = float(m.group(1))
    dist = text.split("Latency Distribution", 1)
    if len(dist) != 2:
        raise RuntimeError("wrk printed no latency distribution (was --latency passed?)")
    for q, v, unit in re.findall(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", dist[1], re.M):
        out[f"p{q}_ms"] = float(v) * _UNIT[unit]
    m = re.search(r"^WRKJSON (\{.*\})\s*$", text, re.M)
    if m:
        j = json.loads(m.group(1))
        out["requests"] = j["requests"]
        out["socket_errors"] = j["connect"] + j["read"] + j["write"] + j["timeout"]
        out["non_2xx"] = j["status"]
    else:
        out["requests"] = None
        out["socket_errors"] = sum(map(int, re.findall(r"(?:connect|read|write|timeout) (\d+)",
                                                       "".join(re.findall(r"Socket errors:.*", text)))))
        m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
        out["non_2xx"] = int(m.group(1)) if m else 0
    return out


def run_wrk(url: str, script: Path, *, connections: int, duration: float, threads: int = 1,
            timeout_s: int = 30, log=None) -> dict:
    argv = [WRK, f"-t{max(1, min(threads, connections))}", f"-c{connections}", f"-d{duration:g}s",
            "--timeout", f"{timeout_s}s", "--latency", "-s", str(script), url]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + timeout_s + 30)
    if log is not None:
        log.write(f"$ {' '.join(argv)}\n{p.stdout}{p.stderr}\n")
    if p.returncode != 0:
        raise RuntimeError(f"wrk exited {p.returncode}: {p.stderr[-2000:]}")
    r = parse_wrk(p.stdout)
    if r["non_2xx"]:
        raise RuntimeError(f"{r['non_2xx']} non-2xx responses from {url}: the figures would be wrong")
    if r["socket_errors"]:
        print(f"  (warning: {r['socket_errors']} socket errors/timeouts in this wrk run)")
    return r


def _med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def compare(check_url: str, ceiling_url: str, script: Path, *, connections: int, duration: float,
            threads: int, repeat: int, log) -> tuple[dict, dict]:
    """The check and the ceiling at ``connections``, interleaved ``repeat`` times (both see the same
    background load); the medians of requests/s, p50 and p99."""
    kr, cr = [], []
    for _ in range(repeat):
        for url, runs in ((ceiling_url, cr), (check_url, kr)):
            runs.append(run_wrk(url + "/api/v1/checks", script, connections=connections, duration=duration,
                                threads=threads, log=log))
    keys = ("rps", "p50_ms", "p99_ms")
    return {k: _med(kr, k) for k in keys}, {k: _med(cr, k) for k in keys}


def varied_bodies(n: int = 60, seed: int = 11) -> list[dict]:
    """``n`` different check requests: industries, decision dates and values varied, on 6 parcels of the
    sample park (published and in production), zh and en."""
    import random

    rng = random.Random(seed)
    base = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))
    industries = ["39", "26", "36", "27", "13", "34", "35", "38", "40", "29", "3911", "17"]
    days = ["2024-03-01", "2021-06-01", "2019-05-01", "2025-01-15", "2023-07-01", "2016-09-30"]
    parcels = [PARCEL, "370613004002GB10002", "370613004002GB10003", "370613004002GB10005",
               "370613004001GB20001", "370613004001GB20010"]
    out = []
    for k in range(n):
        p = dict(base, industry_code=industries[k % len(industries)], decision_date=days[k % len(days)])
        for f in ("floor_area_m2", "annual_tax_wan_yuan", "annual_output_wan_yuan", "rd_expense_wan_yuan"):
            p[f] = round(base[f] * rng.uniform(0.4, 1.6))
        out.append({"project": p, "parcel_code": parcels[k % len(parcels)], "lang": "en" if k % 4 == 0 else "zh"})
    return out


def viewport_paths(extent, n: int = 200, seed: int = 5) -> list[str]:
    """Viewport-sized boxes (≈ 1.5 km × 1.5 km) at random over the parcels."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = rng.uniform(extent[0], max(extent[0], extent[2] - 0.017))
        y = rng.uniform(extent[1], max(extent[1], extent[3] - 0.014))
        out.append(f"/ogc/collections/parcels/items?bbox={x:.6f},{y:.6f},{x + 0.017:.6f},{y + 0.014:.6f}"
                   "&limit=1000")
    return out


def main(n_parcels: int = 100_000, duration: float = 10, connections=(1, 32), workers: int = 2,
         threads: int = 1, repeat: int = 1, access_log: bool = False, warmup: float = 5) -> dict:
    import httpx
    import numpy as np

    if not Path(WRK).exists():
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    flags = ["--access-log" if access_log else "--no-access-log"]
    print(f"\n== HTTP: wrk → uvicorn on 127.0.0.1, {workers} workers ({' '.join(flags)}), "
          f"{duration:g} s per wrk run, median of {repeat} interleaved run(s) ==")
    res: dict = {"table": []}
    table = res["table"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        url, gdf = embedded_store_with(str(tmp), n_parcels, sample=True)
        body = {"project": json.loads((ROOT / "api/examples/project.json").read_text("utf-8")),
                "parcel_code": PARCEL}
        (tmp / "check.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        post_lua = tmp / "post.lua"
        post_lua.write_text(POST_LUA.replace("{path}", json.dumps(str(tmp / "check.json"))) + DONE_LUA)

        def app_argv(port):  # `standardland serve`, as a user starts it
            return [sys.executable, "-m", "standardland.cli", "serve", "--host", "127.0.0.1",
                    "--port", str(port), "--db", url, "--workers", str(workers), *flags]

        def ceiling_argv(port):  # the same uvicorn.run arguments (ceiling_app.main)
            return [sys.executable, str(BENCH / "ceiling_app.py"), "--host", "127.0.0.1",
                    "--port", str(port), "--workers", str(workers), *flags]

        with open(tmp / "wrk.log", "w") as wlog, served(app_argv, log=tmp / "app.log") as base:
            r = httpx.post(base + "/api/v1/checks", json=body, timeout=60)
            r.raise_for_status()
            (tmp / "response.json").write_bytes(r.content)
            with served(ceiling_argv, log=tmp / "ceiling.log",
                        env={"SL_CEILING_BODY": str(tmp / "response.json")}) as ceil:
                c = httpx.post(ceil + "/api/v1/checks", json=body, timeout=60)
                assert c.status_code == 200 and c.content == r.content, "the ceiling must send the same bytes"
                print(f"  response body {len(r.content):,} bytes (check and ceiling byte-identical)")
                for u in (ceil, base):  # warm every worker's caches
                    run_wrk(u + "/api/v1/checks", post_lua, connections=4, duration=warmup, threads=threads,
                            log=wlog)
                for conns in connections:
                    f, g = compare(base, ceil, post_lua, connections=conns, duration=duration,
                                   threads=threads, repeat=repeat, log=wlog)
                    share = f["rps"] / g["rps"]
                    print(f"  POST /api/v1/checks, {conns:>2} conn: check {f['rps']:8,.0f} req/s, "
                          f"p50 {f['p50_ms']:7.2f} ms, p99 {f['p99_ms']:7.2f} ms | "
                          f"ceiling {g['rps']:8,.0f} req/s, p50 {g['p50_ms']:6.2f} ms, "
                          f"p99 {g['p99_ms']:6.2f} ms | check = {share:6.1%} of it")
                    res[f"check_c{conns}"], res[f"ceiling_c{conns}"] = f, g
                    res[f"check_share_c{conns}"] = share
                    table.append(("http", f"check, {conns} conn: req/s (ceiling)",
                                  f"{f['rps']:,.0f} ({g['rps']:,.0f})", f"{share:.1%} of ceiling"))
                    table.append(("http", f"check, {conns} conn: p50 / p99 ms",
                                  f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f}",
                                  f"p99/p50 {f['p99_ms'] / f['p50_ms']:.1f}×; ceiling "
                                  f"{g['p50_ms']:.2f} / {g['p99_ms']:.2f}"))
                # varied checks at the highest connection count, against the ceiling just measured there
                hi = max(connections)
                varied = varied_bodies()
                statuses = {httpx.post(base + "/api/v1/checks", json=b, timeout=60).status_code for b in varied}
                assert statuses == {200}, f"every varied check must be answered: {statuses}"
                (tmp / "varied.jsonl").write_text("\n".join(json.dumps(b, ensure_ascii=False) for b in varied)
                                                  + "\n", encoding="utf-8")
                varied_lua = tmp / "varied.lua"
                varied_lua.write_text(BODIES_LUA.replace("{path}", json.dumps(str(tmp / "varied.jsonl")))
                                      .replace("{{}}", "{}") + DONE_LUA)
                runs = [run_wrk(base + "/api/v1/checks", varied_lua, connections=hi, duration=duration,
                                threads=threads, log=wlog) for _ in range(repeat)]
                v = {k: _med(runs, k) for k in ("rps", "p50_ms", "p99_ms")}
                vshare = v["rps"] / res[f"ceiling_c{hi}"]["rps"]
                print(f"  POST /api/v1/checks, {hi:>2} conn, {len(varied)} varied checks: {v['rps']:8,.0f} req/s, "
                      f"p50 {v['p50_ms']:7.2f} ms, p99 {v['p99_ms']:7.2f} ms | check = {vshare:6.1%} of the ceiling")
                res["varied"], res["varied_share"] = v, vshare
                table.append(("http", f"varied checks, {hi} conn: req/s",
                              f"{v['rps']:,.0f}", f"{vshare:.1%} of ceiling; p99/p50 {v['p99_ms'] / v['p50_ms']:.1f}×"))
            # the map's viewport query, one connection (the ceiling is not running any more)
            boxes = viewport_paths(tuple(gdf.total_bounds))
            bbox_lua = tmp / "bbox.lua"
            bbox_lua.write_text(PATHS_LUA.format(paths=", ".join(json.dumps(b) for b in boxes)) + DONE_LUA)
            counts = [httpx.get(base + b, timeout=60).json()["numberReturned"] for b in boxes[:20]]
            b = run_wrk(base + boxes[0], bbox_lua, connections=1, duration=duration, threads=1, log=wlog)
            print(f"  items?bbox over {n_parcels:,} parcels, 1 conn: p50 {b['p50_ms']:.1f} ms, "
                  f"p99 {b['p99_ms']:.1f} ms, {b['rps']:,.0f} req/s, ~{int(np.median(counts))} features each")
            res["bbox"] = b
            table.append(("http", f"items?bbox, {n_parcels:,} parcels: p50 / p99 ms",
                          f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f}", "goal p50 < 100 ms"))
    hi = max(connections)
    if f"check_share_c{hi}" in res:
        k, share = res[f"check_c{hi}"], res[f"check_share_c{hi}"]
        print(f"  goals at {hi} conn: ≥ 20 % of the ceiling {'met' if share >= 0.2 else 'MISSED'} "
              f"({share:.1%}); p99 ≤ 4× p50 {'met' if k['p99_ms'] <= 4 * k['p50_ms'] else 'MISSED'} "
              f"({k['p99_ms'] / k['p50_ms']:.1f}×); bbox p50 < 100 ms "
              f"{'met' if res['bbox']['p50_ms'] < 100 else 'MISSED'}")
    return res


def cli(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--parcels", type=int, default=100_000,
                    help="synthetic parcels in the store (default 100,000)")
    ap.add_argument("--connections", default="1,32",
                    help="comma-separated wrk connection counts (default 1,32)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers for both apps (default 2)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: the cores serve)")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved runs per figure; the median is shown")
    ap.add_argument("--access-log", action="store_true", help="serve both apps with the access log on")
    a = ap.parse_args(argv)
    return main(a.parcels, a.duration, tuple(int(c) for c in a.connections.split(",")), a.workers, a.threads,
                a.repeat, a.access_log)


if __name__ == "__main__":
    from common import print_table

    print_table(cli()["table"], "HTTP")
