"""Beyond pass/fail at scale: the overhead of land sizing and advice on a 1,000,000-row screen
(goal < 20 % of ``screen_frame``: evaluate + flat table), and a policy what-if over 1,000,000
projects (the two screenings and the comparison :func:`standardland.whatif.whatif` runs), on the
local engine and, with ``--dask``, on a LocalCluster (identical changes asserted).

The rows are :func:`bench_engine.make_pairs` (14 industries, two decision dates, two parks);
the rule sets are the shipped ones; the draft tightens the sample park's set (FAR ≥ 1.2,
investment intensity ≥ 330 万元/亩). Reading a million stored application documents is not
timed here (the what-if's store side is one query and one parse per document).

Run: ``PYTHONPATH=src python bench/bench_analysis.py [rows] [--dask]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])

from bench_engine import make_pairs  # noqa: E402


def best(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(n: int, dask: bool) -> None:
    from standardland import whatif
    from standardland.rules import checks
    from standardland.rules.advice import advise
    from standardland.rules.engine import columns_of, evaluate
    from standardland.rules.rulesets import load_rulesets, shipped_rulesets
    from standardland.rules.sizing import size

    docs = shipped_rulesets()
    rs = load_rulesets(docs)
    pairs = make_pairs(n)
    cols = columns_of(pairs)
    print(f"{n:,} rows")

    t_screen, _ = best(lambda: checks.screen_frame(pairs, rs))
    t_eval, ev = best(lambda: evaluate(cols, rs))

    def extra():
        s = size(ev, cols)
        a = advise(ev, cols, s)
        return s, a.relative_change()

    t_extra, (s, rel) = best(extra)
    print(f"  screen_frame (evaluate + flat)          {t_screen:8.2f} s")
    print(f"  evaluate                                {t_eval:8.2f} s")
    print(f"  sizing + advice (+ relative change)     {t_extra:8.2f} s  = {t_extra / t_screen:.1%} of the screen")
    print(f"    feasible {(~s.empty).mean():.1%}, failing rows passing within 10 %: "
          f"{((rel > 0) & (rel <= 0.1)).sum():,}")

    park = next(d for d in docs if d["id"] == "yantai-hitech-intl-2021")
    draft = {**park, "id": "yantai-hitech-intl-draft", "effective_from": "2099-01-01",
             "rules": [dict(r, min=1.2) if r["indicator"] == "far" else
                       dict(r, min=330) if r["indicator"] == "investment_intensity" else r for r in park["rules"]]}
    after = whatif.with_draft(rs, load_rulesets([draft])[0])

    def local():
        b = whatif._screen(pairs, rs, checkpoint="screening", only=None, engine="local")
        a = whatif._screen(pairs, after, checkpoint="screening", only=None, engine="local")
        return b, a, whatif.compare(b, a)

    t_wi, (b, a, cmp) = best(local, repeat=1)
    print(f"  what-if, local: two screenings + compare {t_wi:8.2f} s; changed {cmp['changed'].sum():,} "
          f"({', '.join(f'{k} {v:,}' for k, v in ((k, int(m.sum())) for k, m in cmp['moved'].items()))})")
    if dask:
        t0 = time.perf_counter()
        bd = whatif._screen(pairs, rs, checkpoint="screening", only=None, engine="dask")
        ad = whatif._screen(pairs, after, checkpoint="screening", only=None, engine="dask")
        cd = whatif.compare(bd, ad)
        t_d = time.perf_counter() - t0
        same = np.array_equal(cd["changed"], cmp["changed"]) and all(
            np.array_equal(cd["moved"][k], cmp["moved"][k]) for k in cmp["moved"])
        print(f"  what-if, Dask LocalCluster (2 workers)  {t_d:8.2f} s; identical changes: {same}")
        assert same


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 1_000_000, "--dask" in sys.argv)
