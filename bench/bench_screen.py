"""``standardland screen`` of N generated project rows (default 1,000,000), through the public CLI in a
subprocess, as a ratio to a pyarrow baseline measured in the same run — ``pyarrow.csv.read_csv`` +
``pyarrow.csv.write_csv`` of the same CSV, also in a subprocess of the same interpreter — and
``--engine dask`` (the CLI's LocalCluster, 2 workers) against ``--engine local``, with a check that the
two output files are identical. Each figure is wall time and CPU time (user + system of the process and
the children it waited for — Dask's worker processes included — from ``getrusage``), so the ratio
can be read on a machine shared with other work too.

The CLI is called as a user calls it (``python -m standardland.cli screen IN --out OUT --db DB --json``),
so the bench keeps working while the screen internals change. Every subprocess has a time limit.

    python bench/bench_screen.py [--rows 200000 1000000] [--no-dask] [--timeout 3600]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
from pathlib import Path

import numpy as np

from common import run_bounded

PYARROW_BASELINE = """
import sys, pyarrow.csv as pc
pc.write_csv(pc.read_csv(sys.argv[1]), sys.argv[2])
"""
INDUSTRIES = ["13", "17", "18", "21", "26", "27", "29", "33", "34", "35", "36", "38", "39", "40", "43"]
DATES = ["2012-01-01", "2017-05-20", "2019-06-01", "2021-06-30", "2024-02-29", "2024-06-01"]


def make_project_csv(path: Path, n: int, seed: int = 7) -> None:
    """``n`` projects with every project-schema quantity (a few cells empty), written with pyarrow."""
    import pyarrow as pa
    import pyarrow.csv as pc

    rng = np.random.default_rng(seed)
    area = rng.uniform(5_000, 120_000, n)
    mu = area * 3 / 2000

    def money(lo, hi, blank=0.0):
        v = np.round(mu * rng.uniform(lo, hi, n), 2)
        return pa.array(v, mask=rng.random(n) < blank) if blank else pa.array(v)

    cols = {
        "id": pa.array(np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), 7))),
        "name": pa.array(np.char.add("项目", np.arange(1, n + 1).astype(str))),
        "industry_code": pa.array(rng.choice(INDUSTRIES, n)),
        "decision_date": pa.array(rng.choice(DATES, n)),
        "nuisance_class": pa.array(rng.integers(1, 4, n)),
        "land_area_m2": pa.array(np.round(area, 2)),
        "fixed_asset_investment_wan_yuan": money(150, 450),
        "floor_area_m2": pa.array(np.round(area * rng.uniform(0.5, 2.5, n), 2)),
        "building_footprint_m2": pa.array(np.round(area * rng.uniform(0.25, 0.6, n), 2)),
        "office_living_land_m2": pa.array(np.round(area * rng.uniform(0.02, 0.09, n), 2)),
        "green_area_m2": pa.array(np.round(area * rng.uniform(0.05, 0.25, n), 2)),
        "annual_tax_wan_yuan": money(5, 40, blank=0.05),
        "annual_output_wan_yuan": money(200, 600),
        "value_added_wan_yuan": money(50, 200),
        "energy_tce": money(10, 60, blank=0.05),
        "emissions_t": money(0.1, 1, blank=0.05),
        "rd_expense_wan_yuan": money(1, 10),
        "revenue_wan_yuan": money(200, 600),
    }
    pc.write_csv(pa.table(cols), path)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _bounded(argv: list[str], timeout: float) -> dict:
    """:func:`common.run_bounded` with the CPU seconds the run cost (``cpu``)."""
    c0 = _children_cpu()
    r = run_bounded(argv, timeout=timeout)
    r["cpu"] = _children_cpu() - c0
    return r


def _cli(*args: str, timeout: float) -> dict:
    r = _bounded([sys.executable, "-m", "standardland.cli", *args], timeout=timeout)
    if r["rc"] != 0:
        tail = (r["stderr"] or r["stdout"])[-2000:]
        raise RuntimeError(f"standardland {args[0]} exited {r['rc']}: {tail}")
    return r


def _screen(src: Path, out: Path, db: str, engine: str, timeout: float) -> dict:
    r = _cli("screen", str(src), "--out", str(out), "--db", db, "--engine", engine, "--json", timeout=timeout)
    try:
        r["summary"] = json.loads(r["stdout"])
    except ValueError:  # the CLI's --json output changed: count the rows written instead
        with open(out, "rb") as f:
            r["summary"] = {"rows": sum(1 for _ in f) - 1}
    return r


def _pyarrow(src: Path, out: Path, timeout: float) -> dict:
    r = _bounded([sys.executable, "-c", PYARROW_BASELINE, str(src), str(out)], timeout=timeout)
    if r["rc"] != 0:
        raise RuntimeError(f"pyarrow baseline failed: {r['stderr'][-2000:]}")
    return r


def _diff(a: Path, b: Path) -> str:
    import pandas as pd

    x, y = pd.read_csv(a, dtype=str, keep_default_na=False), pd.read_csv(b, dtype=str, keep_default_na=False)
    if list(x.columns) != list(y.columns) or len(x) != len(y):
        return f"shapes differ: {x.shape} {list(x.columns)[:5]}… vs {y.shape} {list(y.columns)[:5]}…"
    ne = x != y
    cols = ne.any()
    first = int(np.flatnonzero(ne.any(axis=1).to_numpy())[0]) if ne.to_numpy().any() else None
    return (f"{int(ne.to_numpy().sum()):,} cells differ in {list(cols[cols].index)[:6]}"
            + (f"; first at row {first}" if first is not None
               else "; same cells, different bytes (quoting/BOM?)"))


def main(rows: int = 1_000_000, dask: bool = True, timeout: float = 3600) -> dict:
    print(f"\n== screen: {rows:,} project rows through `standardland screen` (subprocess) ==")
    res: dict = {"table": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "projects.csv"
        make_project_csv(src, rows)
        small = tmp / "small.csv"
        make_project_csv(small, 10)
        print(f"  input: {src.stat().st_size / 1e6:,.1f} MB CSV, {rows:,} rows × 18 columns")
        db = f"sqlite:///{tmp / 'screen.db'}"
        _cli("init", "--db", db, timeout=600)

        base = _pyarrow(src, tmp / "pa.csv", timeout)
        base_fixed = _pyarrow(small, tmp / "pa_small.csv", timeout)
        fixed = _screen(small, tmp / "small_out.csv", db, "local", timeout)
        loc = _screen(src, tmp / "local.csv", db, "local", timeout)
        n_out = loc["summary"].get("rows")
        if n_out != rows:
            raise RuntimeError(f"screen wrote {n_out} rows for {rows}")
        ratio = loc["seconds"] / base["seconds"]
        cpu_ratio = loc["cpu"] / max(base["cpu"], 1e-3)
        # the same, net of each side's fixed cost (interpreter, imports, store): what grows with the rows
        net = (loc["seconds"] - fixed["seconds"]) / max(base["seconds"] - base_fixed["seconds"], 1e-3)
        print(f"  pyarrow read_csv + write_csv (subprocess)                  {base['seconds']:8.2f} s  "
              f"(CPU {base['cpu']:6.2f} s)  peak RSS {base['peak_rss_mb']:7,.0f} MB")
        print(f"  standardland screen --engine local                         {loc['seconds']:8.2f} s  "
              f"(CPU {loc['cpu']:6.2f} s)  peak RSS {loc['peak_rss_mb']:7,.0f} MB  = {ratio:.2f}× pyarrow "
              f"(CPU {cpu_ratio:.2f}×)")
        print(f"    net of fixed costs (a 10-row run: CLI {fixed['seconds']:.2f} s, pyarrow "
              f"{base_fixed['seconds']:.2f} s): {net:.2f}× pyarrow")
        print(f"    (output {(tmp / 'local.csv').stat().st_size / 1e6:,.1f} MB; "
              f"verdicts {loc['summary'].get('verdicts')})")
        res.update(pyarrow_s=base["seconds"], local_s=loc["seconds"], ratio_local_pyarrow=ratio,
                   ratio_net=net, fixed_s=fixed["seconds"], local_rss_mb=loc["peak_rss_mb"],
                   pyarrow_cpu_s=base["cpu"], local_cpu_s=loc["cpu"], ratio_cpu=cpu_ratio,
                   pyarrow_rss_mb=base["peak_rss_mb"])
        res["table"] += [("screen", f"pyarrow read+write, {rows:,} rows: s", f"{base['seconds']:.2f}",
                          f"1 (baseline; CPU {base['cpu']:.1f} s, {base['peak_rss_mb']:,.0f} MB)"),
                         ("screen", f"screen local, {rows:,} rows: s", f"{loc['seconds']:.2f}",
                          f"{ratio:.2f}× pyarrow (net {net:.2f}×; CPU {cpu_ratio:.2f}×; "
                          f"{loc['peak_rss_mb']:,.0f} MB)")]
        if dask:
            dk = _screen(src, tmp / "dask.csv", db, "dask", timeout)
            same = _sha256(tmp / "local.csv") == _sha256(tmp / "dask.csv")
            how = "byte-identical" if same else "DIFFERENT: " + _diff(tmp / "local.csv", tmp / "dask.csv")
            print(f"  standardland screen --engine dask (LocalCluster, 2 workers)  {dk['seconds']:8.2f} s  "
                  f"(CPU {dk['cpu']:6.2f} s)  peak RSS {dk['peak_rss_mb']:7,.0f} MB  = "
                  f"{dk['seconds'] / loc['seconds']:.2f}× local, {dk['seconds'] / base['seconds']:.2f}× pyarrow; "
                  f"outputs {how}")
            res.update(dask_s=dk["seconds"], ratio_dask_local=dk["seconds"] / loc["seconds"],
                       dask_identical=same, dask_rss_mb=dk["peak_rss_mb"], dask_cpu_s=dk["cpu"])
            res["table"] += [("screen", f"screen dask (2 workers), {rows:,} rows: s", f"{dk['seconds']:.2f}",
                              f"{dk['seconds'] / loc['seconds']:.2f}× local, "
                              f"{dk['seconds'] / base['seconds']:.2f}× pyarrow; {dk['peak_rss_mb']:,.0f} MB"),
                             ("screen", "dask output == local output", "yes" if same else "NO", how[:40])]
    print(f"  goal: ≤ 2.5× pyarrow {'met' if ratio <= 2.5 else 'MISSED'} ({ratio:.2f}×)"
          + (f"; dask identical {'yes' if res['dask_identical'] else 'NO'}" if dask else ""))
    print("  (peak RSS: resident memory of the process and its children (Dask workers, nannies), summed, "
          "sampled every 50 ms)")
    return res


def cli(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000],
                    help="project rows to screen, one run per size (default 1,000,000)")
    ap.add_argument("--no-dask", dest="dask", action="store_false", help="skip --engine dask")
    ap.add_argument("--timeout", type=float, default=3600,
                    help="seconds allowed per subprocess (default 3600)")
    a = ap.parse_args(argv)
    table: list = []
    runs = {}
    for n in a.rows:
        runs[n] = main(n, a.dask, a.timeout)
        table += runs[n]["table"]
    return {"runs": runs, "table": table}


if __name__ == "__main__":
    from common import print_table

    print_table(cli()["table"], "screen")
