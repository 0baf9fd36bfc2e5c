"""Run every benchmark and print figures and ratios (not timed tests: nothing here fails a build), then a
compact table. Each bench runs on its own; one that fails is reported and the others still run.

    python bench/run_all.py                      # full sizes (HTTP: 10 s wrk runs; screen: 200,000 and 1,000,000 rows)
    python bench/run_all.py --quick              # small sizes, to check the harness end to end
    python bench/run_all.py --only http,screen   # a subset: import, engine, matching, http, screen, map
"""

from __future__ import annotations

import argparse
import time
import traceback

from common import print_table

BENCHES = ("import", "engine", "matching", "http", "screen", "map")


def _flat(name: str, res, prefix: str = "") -> list[tuple]:
    """Rows for a bench that returns a plain dict of figures (those without a ``table`` of their own)."""
    rows = []
    if isinstance(res, dict):
        for k, v in res.items():
            rows += _flat(name, v, f"{prefix}{k}" if not prefix else f"{prefix}.{k}")
    elif isinstance(res, bool):
        rows.append((name, prefix, "yes" if res else "no", ""))
    elif isinstance(res, (int, float)):
        rows.append((name, prefix, f"{res:,.4g}" if abs(res) < 1e4 else f"{res:,.0f}", ""))
    elif res is not None:
        rows.append((name, prefix, str(res)[:40], ""))
    return rows


def _call(fn, *args, **kwargs):
    """Call a bench's ``main`` with sizes; if its signature changed, with its defaults (said so)."""
    try:
        return fn(*args, **kwargs)
    except TypeError as exc:
        if "argument" not in str(exc):
            raise
        print(f"  ({fn.__module__}.main{args or ''} refused the sizes: {exc}; running its defaults)")
        return fn()


def run(only=BENCHES, quick: bool = False, rows: int | None = None, duration: float | None = None,
        parcels: int | None = None) -> list[tuple]:
    table: list[tuple] = []
    for name in only:
        t0 = time.perf_counter()
        try:
            if name == "import":
                import bench_import
                res = _call(bench_import.main, 10_000 if quick else 100_000)
            elif name == "engine":
                import bench_engine
                res = _call(bench_engine.main, 100_000 if quick else 1_000_000)
            elif name == "matching":
                import bench_matching
                res = _call(bench_matching.main, 20_000 if quick else 100_000)
            elif name == "http":
                import bench_http
                res = bench_http.main(n_parcels=parcels or (20_000 if quick else 100_000),
                                      duration=duration or (3 if quick else 10))
            elif name == "screen":
                import bench_screen
                sizes = (rows,) if rows else (50_000,) if quick else (200_000, 1_000_000)
                res = {"table": [r for n in sizes for r in bench_screen.main(rows=n)["table"]]}
            elif name == "map":
                import bench_map
                res = _call(bench_map.main, (1_000,) if quick else (1_000, 10_000, 100_000))
            else:
                raise ValueError(f"unknown bench {name!r}; one of {', '.join(BENCHES)}")
        except Exception as exc:  # one broken bench must not hide the others' figures
            traceback.print_exc()
            first = str(exc).splitlines()[0][:60] if str(exc) else ""
            table.append((name, "FAILED", type(exc).__name__, first))
            continue
        if isinstance(res, dict) and "table" in res:
            table += res["table"]
        else:
            table += _flat(name, res)
        table.append((name, "(bench wall time, s)", f"{time.perf_counter() - t0:.1f}", ""))
    return table


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes: check the harness, not the speed")
    ap.add_argument("--only", default=",".join(BENCHES),
                    help=f"comma-separated subset of {','.join(BENCHES)}")
    ap.add_argument("--rows", type=int, help="screen rows (default 200,000 and 1,000,000; --quick 50,000)")
    ap.add_argument("--duration", type=float, help="seconds per wrk run (default 10; --quick 3)")
    ap.add_argument("--parcels", type=int,
                    help="parcels behind the HTTP bench (default 100,000; --quick 20,000)")
    a = ap.parse_args()
    names = [n.strip() for n in a.only.split(",") if n.strip()]
    print_table(run(names, a.quick, a.rows, a.duration, a.parcels),
                "summary" + (" (--quick: small sizes, harness check only)" if a.quick else ""))
