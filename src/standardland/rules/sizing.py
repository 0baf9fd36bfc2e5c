"""Land sizing (核定用地规模): the feasible land-area interval of a project in a context.

The national standard's first purpose is to fix how much land a project is entitled to. Every
control indicator whose *denominator is the land area* (read from the catalogue's formulas,
never from a hand list) bounds the area once the project's numerator is known:

- a **minimum** ``L`` bounds the area above: ``numerator × scale ÷ area ≥ L`` ⇔ ``area ≤
  numerator × scale ÷ L`` (investment ÷ intensity floor, floor area ÷ FAR floor …);
- a **maximum** ``U`` bounds it below: ``area ≥ numerator × scale ÷ U`` (office land ÷ 7 %,
  green area ÷ 20 % …); a maximum of 0 with a positive numerator admits no area at all;
- a range does both.

An indicator the project gives directly (``investment_intensity`` as a value) does not move with
the area and bounds nothing.

The thresholds are the engine's row-level bounds after every layer
(:meth:`standardland.rules.engine.Evaluation.required`), so the winning layer of each end is
the engine's. An empty interval (``min_area > max_area``) is an answer too: the conflicting
pair is named. An area exactly at an end passes (the engine's comparison tolerates 1e-9
relative). Advisory (recommended) values never bound the area. Vectorized over rows: the same
function serves one project and a million.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..units import convert, m2_to_ha, m2_to_mu
from .catalogue import Catalogue, Indicator
from .engine import REL_TOL, Columns, Evaluation, _float
from .explain import required_text
from .thresholds import ROW_LAYER_SOURCE, ROW_LAYERS

#: the catalogue inputs that are the land area (the engine's ``land_area`` gives both)
LAND_DENOMINATORS = ("land_area_m2", "land_area_mu")
#: rows per block of :func:`size` (its scratch arrays stay in the CPU cache)
CHUNK = 1 << 15


def land_indicators(cat: Catalogue) -> tuple[Indicator, ...]:
    """The indicators whose formula divides by the land area (from the catalogue's formulas).

    Examples
    --------
    >>> from standardland.rules.catalogue import catalogue
    >>> [i.id for i in land_indicators(catalogue())][:3]
    ['investment_intensity', 'far', 'building_coefficient']
    """
    return tuple(i for i in cat.indicators if i.denominator in LAND_DENOMINATORS)


def _per_m2(denominator: str) -> float:
    """How many denominator units one m² is (1 for m², 0.0015 for 亩)."""
    return convert(1.0, "m²", "亩") if denominator == "land_area_mu" else 1.0


@dataclass
class _Bound:
    """What one indicator needs to bound the area: its numerator (unscaled), scale, per-row bounds,
    m² → denominator factor, the rows giving it directly, which sides bound, and whether a minimum
    ≤ 0 must be set aside."""

    num: np.ndarray | None
    scale: float
    lo: np.ndarray
    hi: np.ndarray
    per: float
    given: np.ndarray | None
    has_min: bool
    has_max: bool
    check_min: bool

    def fill(self, side: str, out: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """This indicator's own bound on the area at ``rows``, written into ``out`` (NaN: none):
        ``numerator × scale ÷ (minimum × per)`` caps it, ``… ÷ maximum`` floors it (+inf: a maximum
        of 0 with a positive numerator admits no area)."""
        assert self.num is not None
        num, lo, hi = self.num[rows], self.lo[rows], self.hi[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            a = np.multiply(num, self.scale, out=out) if self.scale != 1 else num
            bound = lo if side == "min" else hi
            np.divide(a, bound * self.per if self.per != 1 else bound, out=out)
            if side == "min":
                if self.check_min:
                    out[lo <= 0] = np.nan  # a minimum ≤ 0 does not bound the area
            else:
                bad = np.flatnonzero(hi <= 0)  # NaN rows are NaN already
                if len(bad):  # a negative maximum bounds nothing; 0 ÷ 0 is no bound
                    out[bad[~((hi[bad] == 0) & (num[bad] > 0))]] = np.nan
            if self.given is not None:
                out[self.given[rows]] = np.nan
        return out


@dataclass
class Sizing:
    """The feasible land area of ``n`` rows and what binds each end.

    ``min_m2`` is 0 where nothing bounds below, ``max_m2`` is ``inf`` where nothing bounds above.
    ``min_by`` / ``max_by`` are indices into :attr:`indicators` (−1: none); :attr:`upper` and
    :attr:`lower` give each indicator's own bound per row (NaN where it gives none), built on
    first read. Built with one running min/max over the indicators in two scratch arrays (no
    k × n stacks, no allocation per indicator)."""

    ev: Evaluation
    indicators: tuple[Indicator, ...]
    min_m2: np.ndarray
    max_m2: np.ndarray
    min_by: np.ndarray
    max_by: np.ndarray
    _specs: list  # per indicator: its _Bound

    def _own_bounds(self, side: str) -> list[np.ndarray]:
        key = "_upper" if side == "min" else "_lower"
        if getattr(self, key, None) is None:
            nothing = np.full(self.ev.n, np.nan)
            setattr(self, key, [b.fill(side, np.empty(self.ev.n))
                                if b.num is not None and (b.has_min if side == "min" else b.has_max) else nothing
                                for b in self._specs])
        return getattr(self, key)

    @property
    def upper(self) -> list[np.ndarray]:
        """Per indicator, the area ≤ … its minimum allows (NaN: no bound)."""
        return self._own_bounds("min")

    @property
    def lower(self) -> list[np.ndarray]:
        """Per indicator, the area ≥ … its maximum requires (NaN: no bound; +inf: none will do)."""
        return self._own_bounds("max")

    def unsized(self, j: int) -> np.ndarray:
        """Rows where indicator ``j`` has a threshold but its numerator is missing (so it bounds nothing)."""
        b = self._specs[j]
        if b.num is None:
            out = ~(np.isnan(b.lo) & np.isnan(b.hi))
        else:
            out = np.isnan(b.num) & ~(np.isnan(b.lo) & np.isnan(b.hi))
        return out if b.given is None else out & ~b.given

    @property
    def empty(self) -> np.ndarray:
        """Rows where no area satisfies every bound."""
        return self.min_m2 > self.max_m2 * (1 + REL_TOL)

    def contains(self, area_m2) -> np.ndarray:
        """Whether ``area_m2`` lies in the interval (the ends included, with the engine's tolerance)."""
        a = np.asarray(area_m2, dtype="float64")
        return (a >= self.min_m2 * (1 - REL_TOL)) & (a <= self.max_m2 * (1 + REL_TOL)) & ~self.empty


def _own(ev: Evaluation, ind_id: str, side: str) -> bool:
    return any(s == side for _, s in ev.bounds[ind_id].own)


def bound_sides(ev: Evaluation, ind_id: str) -> tuple[bool, bool]:
    """Whether any row has a minimum / a maximum of this indicator (from the per-context arrays and
    the per-row layers, without touching the rows)."""
    b = ev.bounds[ind_id]
    return (not np.isnan(b.min).all() or _own(ev, ind_id, "min"),
            not np.isnan(b.max).all() or _own(ev, ind_id, "max"))


def size(ev: Evaluation, cols: Columns) -> Sizing:
    """The feasible land-area interval of every row of an evaluation.

    Parameters
    ----------
    ev : Evaluation
        The engine's evaluation of ``cols`` (its row-level thresholds are used).
    cols : mapping of column name → ndarray
        The same engine columns (the project's numerators are read from them).

    Returns
    -------
    Sizing
        Only indicators judged at the evaluation's checkpoint (and in its ``only``) bound the area.

    Examples
    --------
    >>> import numpy as np
    >>> from standardland.rules.engine import evaluate
    >>> from standardland.rules.rulesets import load_rulesets, shipped_rulesets
    >>> cols = {"decision_date": np.array(["2020-06-01"], dtype="datetime64[D]"),
    ...         "industry_2002": np.array(["13"], dtype=object), "admin_code": np.array(["330106"], dtype=object),
    ...         "floor_area_m2": np.array([10_000.0])}
    >>> s = size(evaluate(cols, load_rulesets(shipped_rulesets())), cols)
    >>> float(s.max_m2[0]), s.indicators[s.max_by[0]].id     # FAR ≥ 1.0: at most 10,000 m²
    (10000.0, 'far')
    """
    n = ev.n
    inds = tuple(
        i
        for i in land_indicators(ev.cat)
        if ev.checkpoint in i.checkpoints and (ev.only is None or i.id in ev.only)
    )
    specs = []
    max_m2, min_m2 = np.full(n, np.inf), np.zeros(n)
    max_by, min_by = np.full(n, -1, np.int16), np.full(n, -1, np.int16)
    for ind in inds:
        has_min, has_max = bound_sides(ev, ind.id)
        num = _float(cols, ind.numerator, n)
        lo, hi = ev.required(ind.id)
        direct = _float(cols, ind.id, n)  # a value given directly does not move with the area
        given = None if direct is None else ~np.isnan(direct)
        if given is not None and not given.any():
            given = None
        b = ev.bounds[ind.id].min
        check_min = bool(has_min and (not (b[~np.isnan(b)] > 0).all() or _own(ev, ind.id, "min")))
        spec = _Bound(num, ind.scale, lo, hi, _per_m2(ind.denominator), given, has_min, has_max, check_min)
        specs.append(spec)
    # row blocks that fit in the cache: the scratch arrays stay there, the rows are read once per side
    buf, tighter = np.empty(min(n, CHUNK)), np.empty(min(n, CHUNK), dtype=bool)
    for start in range(0, n, CHUNK):
        rows = slice(start, min(start + CHUNK, n))
        k = rows.stop - rows.start
        b, t = buf[:k], tighter[:k]
        hi_m2, hi_by, lo_m2, lo_by = max_m2[rows], max_by[rows], min_m2[rows], min_by[rows]  # views
        for j, spec in enumerate(specs):
            if spec.num is None:
                continue
            with np.errstate(invalid="ignore"):
                if spec.has_min:  # area ≤ numerator ÷ minimum; NaN compares False; the first of equals keeps it
                    np.less(spec.fill("min", b, rows), hi_m2, out=t)
                    np.copyto(hi_m2, b, where=t)
                    np.copyto(hi_by, np.int16(j), where=t)
                if spec.has_max:  # area ≥ numerator ÷ maximum
                    np.greater(spec.fill("max", b, rows), lo_m2, out=t)
                    np.copyto(lo_m2, b, where=t)
                    np.copyto(lo_by, np.int16(j), where=t)
    return Sizing(ev, inds, min_m2, max_m2, min_by, max_by, specs)


# -- presentation of one row ---------------------------------------------------------------------


def area_dict(m2: float | None) -> dict | None:
    """An area in m², 亩 and 公顷 (None when unbounded)."""
    if m2 is None or not np.isfinite(m2):
        return None
    return {"m2": float(m2), "mu": float(m2_to_mu(m2)), "ha": float(m2_to_ha(m2))}


def _source(ev: Evaluation, ind_id: str, row: int, side: str) -> dict:
    lo_by, hi_by = ev.governing(ind_id, row)
    label = lo_by if side == "min" else hi_by
    if label in ROW_LAYERS:
        return {"ruleset": label, "layer": label, "source": ROW_LAYER_SOURCE[label], "clause": None}
    th = ev.key_thresholds[ev.key_index[row]][ind_id]
    lv = th.min_layer if side == "min" else th.max_layer
    return {
        "ruleset": label,
        "layer": lv.layer if lv else None,
        "source": lv.source if lv else None,
        "clause": lv.clause if lv else None,
    }


def _binding(s: Sizing, cols: Columns, row: int, j: int, side: str, lang: str) -> dict | None:
    if j < 0:
        return None
    ind = s.indicators[j]
    lo, hi = (float(a[row]) for a in s.ev.required(ind.id))
    value = lo if side == "min" else hi
    req = {"min": None, "max": None, "advisory_min": None, "advisory_max": None, side: value}
    num = _float(cols, ind.numerator, s.ev.n)
    return {
        "indicator": ind.id,
        "name": ind.name(lang),
        "threshold": value,
        "required_text": required_text(req, ">=" if side == "min" else "<=", ind.unit, lang),
        "numerator": ind.numerator,
        "numerator_value": float(num[row]),
        **_source(s.ev, ind.id, row, side),
    }


def sizing_row(s: Sizing, cols: Columns, row: int = 0, *, lang: str = "zh") -> dict:
    """The JSON of one row's sizing: the interval in m²/亩/公顷, the binding indicator of each end
    with its source, every indicator's own bound, and the conflict of an empty interval."""
    top = _binding(s, cols, row, int(s.max_by[row]), "min", lang)  # a minimum caps the area
    bottom = _binding(s, cols, row, int(s.min_by[row]), "max", lang)  # a maximum floors it
    empty = bool(s.empty[row])
    bounds = []
    for j, ind in enumerate(s.indicators):
        for side, arr in (("max_area", s.upper), ("min_area", s.lower)):
            v = arr[j][row]
            if not np.isnan(v):
                bounds.append({"indicator": ind.id, "bound": side, "area": area_dict(v) if np.isfinite(v) else None,
                               "infeasible": bool(np.isinf(v))})
    conflict = None
    if empty:
        conflict = {
            "pair": [top["indicator"], bottom["indicator"]],
            "message": (
                f"no area satisfies both {top['indicator']} {top['required_text']} "
                f"(area ≤ {m2_to_mu(s.max_m2[row]):,.2f} 亩) and {bottom['indicator']} {bottom['required_text']} "
                f"(area ≥ {m2_to_mu(s.min_m2[row]):,.2f} 亩)"
                if np.isfinite(s.min_m2[row])
                else f"{bottom['indicator']} {bottom['required_text']} admits no area with "
                f"{bottom['numerator']} = {bottom['numerator_value']:g}"
            ),
        }
    return {
        "feasible": not empty,
        "min_area": area_dict(s.min_m2[row]),
        "max_area": area_dict(s.max_m2[row]),
        "max_by": top,
        "min_by": bottom,
        "conflict": conflict,
        "bounds": bounds,
        "unsized": [ind.id for j, ind in enumerate(s.indicators) if s.unsized(j)[row]],
    }
