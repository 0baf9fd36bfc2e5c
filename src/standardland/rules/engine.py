"""The rule engine: vectorized verdicts over numpy columns of (project, parcel) pairs.

One function, :func:`evaluate`, serves a single check (1-element arrays) and a
million-row screening (views of the screening frame's columns). Thresholds depend only on a
small *context* (decision date, industry, region class, zone tier, jurisdiction, park), so
the work runs in named steps:

1. :func:`contexts` — the distinct contexts, factorized once from the key columns' codes;
2. :func:`bounds` — per indicator, the context thresholds (:mod:`standardland.rules.thresholds`)
   as per-context arrays, tightened row-wise by the parcel's and an agreement's own layers;
3. :func:`actuals` — the project's value of each indicator (given directly, or derived);
4. :func:`status` — pass / fail / warn / missing / not_applicable, composed with ``np.where``;
5. :func:`land_use` — the project's nuisance class against the parcel's 一/二/三类工业用地.

Overall a row is ``fail`` if any indicator fails, ``incomplete`` if a required value is
missing, else ``pass``. A value equal to a threshold passes: comparisons use unrounded values
with a relative tolerance of 1e-9 to absorb binary floating point (``7.000000000000001 % ≤
7 %``), never rounding to display precision. No row loops; presentation (the flat table, the
explanation of one row, requirement text) lives in :mod:`standardland.rules.explain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from datetime import date
from typing import Any, Mapping, cast

import numpy as np
import pandas as pd

from .. import codes as codelists
from ..dates import parse_date
from ..units import MU_M2
from .catalogue import Catalogue, Indicator, catalogue
from .thresholds import (
    ROW_LAYERS,
    SIDES,
    Context,
    Threshold,
    effective_thresholds,
    limit_column,
    tighten_rows,
)

STATUSES = np.array(["pass", "fail", "warn", "missing", "not_applicable"], dtype=object)
PASS, FAIL, WARN, MISSING, NA = (np.int8(k) for k in range(5))
VERDICTS = np.array(["pass", "fail", "incomplete"], dtype=object)
_NONE = np.array([None], dtype=object)  # the category of code −1 (missing)
REL_TOL = 1e-9
KEY_COLUMNS = (
    "decision_date",
    "industry_2017",
    "industry_2002",
    "industry_error",
    "region_class",
    "zone_tier",
    "admin_code",
    "park",
)
LAND_USE_CHECK = "land_use_class"


@dataclass(frozen=True)
class Coded:
    """A categorical column: integer ``codes`` (−1 where missing) into ``categories``.

    Examples
    --------
    >>> Coded(np.array([0, -1, 1]), np.array(["a", "b"], dtype=object)).values().tolist()
    ['a', None, 'b']
    """

    codes: np.ndarray
    categories: np.ndarray

    def __len__(self) -> int:
        """The number of rows."""
        return len(self.codes)

    def values(self) -> np.ndarray:
        """The decoded values (None where missing)."""
        cats = np.concatenate([np.asarray(self.categories, dtype=object), _NONE])
        return cats[self.codes]


Columns = Mapping[str, "np.ndarray | Coded"]


def columns_of(df: pd.DataFrame) -> dict:
    """The engine's input from a DataFrame: views of its columns, categoricals as :class:`Coded`.

    Parameters
    ----------
    df : pandas.DataFrame
        The rows to evaluate.

    Returns
    -------
    dict
        Column name → numpy array (float, integer, datetime and bool columns as they are,
        others as object) or :class:`Coded`.

    Examples
    --------
    >>> import pandas as pd
    >>> cols = columns_of(pd.DataFrame({"park": pd.Categorical(["p1", None]), "far": [1.0, 2.0]}))
    >>> type(cols["park"]).__name__, cols["far"].dtype
    ('Coded', dtype('float64'))
    """
    out: dict = {}
    for c in df.columns:
        col = df[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            out[c] = Coded(col.cat.codes.to_numpy(), col.cat.categories.to_numpy(dtype=object))
        elif col.dtype == np.float64 or col.dtype.kind in "iuMb":
            out[c] = col.to_numpy()
        else:
            out[c] = col.to_numpy(dtype=object)
    return out


# -- step 1: contexts --------------------------------------------------------------------------


def _codes(col) -> tuple[np.ndarray, np.ndarray]:
    """(codes with −1 for missing, the distinct values) of one key column."""
    if isinstance(col, Coded):
        return col.codes, np.asarray(col.categories, dtype=object)
    if len(col) == 1:  # a single check: no hashing
        v = _clean(col[0])
        return (
            (np.full(1, -1, np.intp), np.array([], dtype=object))
            if v is None
            else (np.zeros(1, np.intp), np.array([v], dtype=object))
        )
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    uniq = np.asarray(uniq)
    if uniq.dtype.kind == "M":  # datetime64[ns] → object would give integers; days give datetime.date
        uniq = uniq.astype("datetime64[D]")
    return codes, uniq.astype(object)


def _clean(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return None
    if isinstance(v, np.datetime64) and np.isnat(v):
        return None
    return v


def _context(get) -> Context:
    rc = get("region_class")
    return Context(
        decision_date=cast(date, parse_date(get("decision_date"), "decision_date")),
        industry_2017=tuple(x for x in (get("industry_2017") or "").split("|") if x),
        industry_2002=tuple(x for x in (get("industry_2002") or "").split("|") if x),
        industry_error=get("industry_error") or None,
        region_class=int(rc) if rc is not None else None,
        zone_tier=get("zone_tier"),
        admin_code=get("admin_code"),
        park=get("park"),
    )


def _row_value(col, i: int):
    if isinstance(col, Coded):
        return _clean(col.categories[col.codes[i]]) if col.codes[i] >= 0 else None
    return _clean(col[i])


def contexts(cols: Columns, n: int) -> tuple[np.ndarray, list[Context]]:
    """Step 1: each row's context index and the distinct contexts, factorized once from the key codes.

    The contexts are decoded from the distinct combined codes, not from rows.

    Parameters
    ----------
    cols : Columns
        The engine's input; the key columns are :data:`KEY_COLUMNS` (absent ones are None).
    n : int
        The number of rows.

    Returns
    -------
    tuple of (numpy.ndarray, list of Context)
        Per row the index of its context, and the distinct contexts.

    Examples
    --------
    >>> kidx, ctxs = contexts({"decision_date": np.array(["2020-06-01", "2020-06-01", "2024-06-01"],
    ...                                                  dtype="datetime64[D]")}, 3)
    >>> kidx.tolist(), [c.decision_date.isoformat() for c in ctxs]
    ([0, 0, 1], ['2020-06-01', '2024-06-01'])
    """
    present = [c for c in KEY_COLUMNS if c in cols]
    if n <= 1:
        ctxs = [_context(lambda c: _row_value(cols[c], 0) if c in cols else None)] if n else []
        return np.zeros(n, dtype=np.intp), ctxs
    codes: list[np.ndarray] = []
    dims: list[int] = []
    values: dict[str, Any] = {}
    for c in present:
        cc, uniq = _codes(cols[c])
        if len(uniq) == 0 or (len(uniq) == 1 and cc.min() >= 0):
            values[c] = uniq[0] if len(uniq) else None  # one value (or none) everywhere
            continue
        codes.append(cc + 1)  # −1 (missing) → 0
        dims.append(len(uniq) + 1)
        values[c] = np.concatenate([_NONE, np.ravel(uniq)])  # code 0 → None
    if not codes:
        return np.zeros(n, dtype=np.intp), [_context(lambda c: _clean(values.get(c)))]
    combined = np.ravel_multi_index(codes, dims) if len(codes) > 1 else codes[0]
    kidx, uniq = pd.factorize(combined)
    parts = dict(
        zip(
            [c for c in present if isinstance(values[c], np.ndarray)],
            np.unravel_index(np.asarray(uniq), dims),
            strict=True,
        )
    )

    def getter(k):
        return lambda c: _clean(values[c][parts[c][k]]) if c in parts else _clean(values.get(c))

    return kidx.astype(np.intp, copy=False), [_context(getter(k)) for k in range(len(uniq))]


# -- step 2: bounds ---------------------------------------------------------------------------


def _rows(v, n: int, dtype="float64") -> np.ndarray:
    """``v`` as an array of ``n`` rows (a scalar repeated)."""
    return v if np.ndim(v) else np.full(n, v, dtype=dtype)


def _tol(x):
    return REL_TOL * np.maximum(1.0, np.abs(x))


def _uniform(karr: np.ndarray):
    """The scalar every context shares, else the per-context array itself."""
    if len(karr) == 0:
        return karr
    v = karr[0]
    if len(karr) == 1 or (np.isnan(v) and np.all(np.isnan(karr))) or np.all(karr == v):
        return v
    return karr


def _gather(karr: np.ndarray, kidx: np.ndarray):
    """Row values of a per-context array; the scalar itself when every context shares it."""
    if len(karr) == 1:
        return karr[0]
    if len(karr) == 0:  # no rows, no contexts
        return karr[kidx]
    v = karr[0]
    if (np.isnan(v) and np.all(np.isnan(karr))) or np.all(karr == v):
        return v
    return karr[kidx]


@dataclass
class Bounds:
    """One indicator's thresholds: per context (arrays of length K) and the per-row layers' columns.

    Built by :func:`bounds`; NaN where a context has no value, label codes −1 where no layer won.

    Examples
    --------
    >>> b = Bounds(*(np.array([v]) for v in (1.0, np.nan, np.nan, np.nan)),
    ...            np.array([0], np.int16), np.array([-1], np.int16), np.array([False]), np.array([True]))
    >>> STATUSES[status(b, np.array([0.9, 1.0]), np.array([0, 0]))].tolist()
    ['fail', 'pass']
    """

    min: np.ndarray
    max: np.ndarray
    advisory_min: np.ndarray
    advisory_max: np.ndarray
    min_by: np.ndarray  # label codes (−1: none)
    max_by: np.ndarray
    unresolved: np.ndarray  # bool per context: a layer could not be determined
    judged: np.ndarray  # bool per context: some value (or an unresolved one) exists
    own: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # (layer, side) → row values
    _prep: dict = field(default_factory=dict, repr=False, compare=False)  # per-context values, shared

    def with_own(self, own: dict[tuple[str, str], np.ndarray]) -> Bounds:
        """The same context bounds with other per-row layers (the prepared values are shared)."""
        return Bounds(self.min, self.max, self.advisory_min, self.advisory_max, self.min_by, self.max_by,
                      self.unresolved, self.judged, own, self._prep)

    def prepared(self) -> dict:
        """What :func:`status` needs of the context arrays, computed once per :class:`Bounds`: whether
        each side has a value somewhere, and the decision bounds with the tolerance applied (a scalar
        when every context shares it)."""
        p = self._prep
        if not p:
            for name, k, sign in (("min", self.min, -1.0), ("max", self.max, 1.0),
                                  ("advisory_min", self.advisory_min, -1.0),
                                  ("advisory_max", self.advisory_max, 1.0)):
                p["has_" + name] = not bool(np.all(np.isnan(k)))
                p["d_" + name] = _uniform(k + sign * _tol(k))
            p["unresolved_any"] = bool(self.unresolved.any())
            j = self.judged
            p["judged_all"] = bool(j.all())
            p["judged"] = bool(j[0]) if len(j) and (len(j) == 1 or j.all() or not j.any()) else None
        return p


def bounds(ind: Indicator, ths: list[dict[str, Threshold]], cols: Columns, label) -> Bounds:
    """Step 2: the context thresholds of one indicator as arrays, with the per-row layers' columns.

    Parameters
    ----------
    ind : Indicator
        The indicator.
    ths : list of dict of str to Threshold
        Per context, the rule-set thresholds (:func:`~standardland.rules.thresholds.effective_thresholds`).
    cols : Columns
        The engine's input (the per-row layers' ``<id>_min`` … columns are read from it).
    label : callable
        Maps a winning :class:`~standardland.rules.thresholds.LayerValue` (or None) to a label code.

    Returns
    -------
    Bounds

    Examples
    --------
    >>> from datetime import date
    >>> from standardland.rules.thresholds import Context, effective_thresholds
    >>> from standardland.rules.rulesets import load_rulesets, shipped_rulesets
    >>> ctx = Context(date(2020, 6, 1), industry_2002=("13",))
    >>> ths = [effective_thresholds(ctx, load_rulesets(shipped_rulesets()))]
    >>> b = bounds(catalogue().get("far"), ths, {"far_min": np.array([1.2])}, lambda lv: -1)
    >>> b.min.tolist(), list(b.own)
    ([1.0], [('parcel', 'min')])
    """
    i = ind.id

    def arr(get):
        return np.array([np.nan if (v := get(t[i])) is None else v for t in ths], dtype="float64")

    b = Bounds(
        arr(lambda t: t.min),
        arr(lambda t: t.max),
        arr(lambda t: t.advisory_min),
        arr(lambda t: t.advisory_max),
        np.array([label(t[i].min_layer) for t in ths], dtype=np.int16),
        np.array([label(t[i].max_layer) for t in ths], dtype=np.int16),
        np.array([t[i].unresolved is not None for t in ths], dtype=bool),
        np.zeros(0, bool),
    )
    b.judged = b.unresolved | ~(
        np.isnan(b.min) & np.isnan(b.max) & np.isnan(b.advisory_min) & np.isnan(b.advisory_max)
    )
    b.own = _own_layers(i, cols)
    return b


def _own_layers(ind_id: str, cols: Columns) -> dict[tuple[str, str], np.ndarray]:
    """The per-row layers' columns of one indicator present in ``cols``: (layer, side) → values."""
    own = {}
    for layer, side, name in _limit_columns(ind_id):
        col = cols.get(name)
        if col is not None:
            own[(layer, side)] = np.asarray(col, dtype="float64")
    return own


@cache
def _limit_columns(ind_id: str) -> tuple[tuple[str, str, str], ...]:
    """An indicator's per-row layer columns: (layer, side, column name) triples."""
    return tuple((layer, side, limit_column(ind_id, side, layer)) for layer in ROW_LAYERS for side in SIDES)


def _decision_bound(b: Bounds, side: str, kidx: np.ndarray):
    """The row-level bound of one side with the tolerance applied (min lowered, max raised), tightened
    by the per-row layers (:func:`~standardland.rules.thresholds.tighten_rows`)."""
    sign = -1.0 if side == "min" else 1.0
    d = b.prepared()["d_" + side]
    v = d[kidx] if np.ndim(d) else d
    for (_, s), own in b.own.items():
        if s == side:
            v = tighten_rows(v, None, own + sign * _tol(own), None, side)[0]
    return v


def tightened(value, by, own: Mapping[tuple[str, str], np.ndarray], labels, side: str):
    """One side's binding bound and its winner after the per-row layers (``own``: (layer, side) →
    values), each layer in :data:`~standardland.rules.thresholds.ROW_LAYERS` order by
    :func:`~standardland.rules.thresholds.tighten_rows`: the one order the engine's bounds and an
    explanation's (all indicators at once, as rows × indicators arrays) both follow.

    Examples
    --------
    >>> v, by = tightened(np.array([1.0, 1.0]), np.array([2, 2], np.int16),
    ...                   {("parcel", "min"): np.array([1.2, np.nan])}, ["parcel", "agreement", "n"], "min")
    >>> v.tolist(), by.tolist()
    ([1.2, 1.0], [0, 2])
    """
    for layer in ROW_LAYERS:
        o = own.get((layer, side))
        if o is not None:
            value, by = tighten_rows(value, by, o, np.int16(labels.index(layer)), side)
    return value, by


# -- step 3: actuals ----------------------------------------------------------------------------


def _float(cols: Columns, name: str, n: int) -> np.ndarray | None:
    col = cols.get(name)
    if col is None:
        return None
    if isinstance(col, Coded):
        col = col.values()
    col = np.asarray(col)
    if col.dtype == np.float64:
        return col
    if col.dtype.kind in "iub":
        return col.astype("float64")
    return pd.to_numeric(pd.Series(col, copy=False), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )


def land_area(cols: Columns, n: int) -> dict[str, np.ndarray]:
    """The land area the indicators divide by: the project's own, else the parcel's.

    Parameters
    ----------
    cols : Columns
        Reads ``land_area_m2`` (the project's) and ``parcel_area_m2``.
    n : int
        The number of rows.

    Returns
    -------
    dict of str to numpy.ndarray
        ``land_area_m2`` and ``land_area_mu`` per row (NaN where neither is known).

    Examples
    --------
    >>> land_area({"parcel_area_m2": np.array([10_000.0, 10_000.0]),
    ...            "land_area_m2": np.array([np.nan, 2_000.0])}, 2)["land_area_mu"].tolist()
    [15.0, 3.0]
    """
    parcel = _float(cols, "parcel_area_m2", n)
    own = _float(cols, "land_area_m2", n)
    if parcel is None:
        parcel = np.full(n, np.nan)
    m2 = parcel if own is None else np.where(np.isnan(own), parcel, own)
    return {"land_area_m2": m2, "land_area_mu": m2 / MU_M2}


def actuals(ind: Indicator, cols: Columns, base: dict, n: int, memo: dict | None = None) -> np.ndarray:
    """Step 3: the project's value of one indicator: given directly, else numerator × scale ÷ denominator.

    A zero denominator is missing data (NaN), not infinity.

    Parameters
    ----------
    ind : Indicator
        The indicator (its formula).
    cols : Columns
        The engine's input (inputs and direct indicator values).
    base : dict
        Derived inputs shared by all indicators (:func:`land_area`).
    n : int
        The number of rows.
    memo : dict, optional
        Float columns already read, shared between the indicators of one evaluation.

    Returns
    -------
    numpy.ndarray
        The value per row, float64, NaN where missing.

    Examples
    --------
    >>> ind = catalogue().get("investment_intensity")
    >>> base = land_area({"parcel_area_m2": np.array([20_000.0])}, 1)  # 30 亩
    >>> actuals(ind, {"fixed_asset_investment_wan_yuan": np.array([9000.0])}, base, 1).tolist()
    [300.0]
    """

    def floats(name):
        if memo is None:
            return _float(cols, name, n)
        if name not in memo:
            memo[name] = _float(cols, name, n)
        return memo[name]

    def get(name):
        v = base.get(name)
        if v is None:
            v = floats(name)
        return np.full(n, np.nan) if v is None else v

    num, den = get(ind.numerator), get(ind.denominator)
    if ind.scale != 1:
        num = num * ind.scale
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        derived = num / den
    zero = den == 0
    if zero.any():
        derived = np.where(zero, np.nan, derived)
    direct = floats(ind.id)
    return derived if direct is None else np.where(np.isnan(direct), derived, direct)


# -- step 4: status -----------------------------------------------------------------------------


def status(b: Bounds, actual: np.ndarray, kidx: np.ndarray) -> np.ndarray:
    """Step 4: per row, FAIL beats MISSING beats WARN beats PASS; NA where no layer has a value.

    Parameters
    ----------
    b : Bounds
        The indicator's bounds.
    actual : numpy.ndarray
        The project's value per row (NaN where missing).
    kidx : numpy.ndarray
        Per row, the index of its context.

    Returns
    -------
    numpy.ndarray
        int8 codes into :data:`STATUSES`. A value equal to a bound passes.

    Examples
    --------
    >>> b = Bounds(*(np.array([v]) for v in (np.nan, 7.0, np.nan, np.nan)),
    ...            np.array([-1], np.int16), np.array([0], np.int16), np.array([False]), np.array([True]))
    >>> STATUSES[status(b, np.array([7.000000000000001, 7.5, np.nan]), np.zeros(3, np.intp))].tolist()
    ['pass', 'fail', 'missing']
    """
    n = len(actual)
    p = b.prepared()
    fail = None
    if p["has_min"] or any(s == "min" for _, s in b.own):
        fail = actual < _decision_bound(b, "min", kidx)
    if p["has_max"] or any(s == "max" for _, s in b.own):
        over = actual > _decision_bound(b, "max", kidx)
        fail = over if fail is None else fail | over
    missing = np.isnan(actual)
    if p["unresolved_any"]:
        missing |= b.unresolved if len(b.unresolved) == 1 else b.unresolved[kidx]
    warn = None
    if p["has_advisory_min"]:
        d = p["d_advisory_min"]
        warn = actual < (d[kidx] if np.ndim(d) else d)
    if p["has_advisory_max"]:
        d = p["d_advisory_max"]
        above = actual > (d[kidx] if np.ndim(d) else d)
        warn = above if warn is None else warn | above
    st = np.where(warn, WARN, PASS) if warn is not None else PASS
    st = np.where(missing, MISSING, st)
    if fail is not None:
        st = np.where(fail, FAIL, st)
    if not p["judged_all"] or b.own:
        judged = p["judged"] if p["judged"] is not None else b.judged[kidx]
        for own in b.own.values():
            judged = judged | ~np.isnan(own)
        st = np.where(judged, st, NA)
    return st if np.ndim(st) else np.full(n, st, dtype=np.int8)


# -- step 5: land use ---------------------------------------------------------------------------


@dataclass
class LandUse:
    """用地类别: the project's nuisance class against the parcel's industrial class, per row.

    Built by :func:`land_use`.

    Examples
    --------
    >>> lu = land_use({"land_use_code": np.array(["100101", "100103"], dtype=object),
    ...                "nuisance_class": np.array([3.0, 3.0])}, 2, True)
    >>> STATUSES[lu.status].tolist(), lu.parcel_class.tolist(), lu.code(1)
    (['fail', 'pass'], [1.0, 3.0], '100103')
    """

    status: np.ndarray
    parcel_class: np.ndarray  # 1/2/3, 0 not industrial, NaN not a class
    nuisance: np.ndarray
    codes: np.ndarray  # the parcel's land-use code per row, as codes into ``categories`` (−1: none)
    categories: np.ndarray

    def code(self, row: int):
        """The parcel's land-use code of one row (None if it has none)."""
        k = self.codes[row]
        return self.categories[k] if k >= 0 else None


def land_use(cols: Columns, n: int, judged: bool) -> LandUse:
    """Step 5: a class-3 project on class-1 land is inadmissible; non-industrial land fails.

    Parameters
    ----------
    cols : Columns
        Reads ``land_use_code`` (the parcel's) and ``nuisance_class`` (the project's).
    n : int
        The number of rows.
    judged : bool
        False makes every row ``not_applicable`` (checkpoints after screening, ``only=``).

    Returns
    -------
    LandUse

    Examples
    --------
    >>> lu = land_use({"land_use_code": np.array(["100101"], dtype=object),
    ...                "nuisance_class": np.array([1.0])}, 1, True)
    >>> STATUSES[lu.status].tolist()
    ['pass']
    """
    col = cols.get("land_use_code")
    if col is None:
        col = Coded(np.full(n, -1, dtype=np.int8), np.array([], dtype=object))
    codes, cats = _codes(col)
    cls = np.array([codelists.parcel_class(c) for c in cats] + [np.nan], dtype="float64")
    pclass = cls[codes]  # code −1 (missing) → the last entry, NaN
    nuis = _float(cols, "nuisance_class", n)
    if nuis is None:
        nuis = np.full(n, np.nan)
    if judged:
        # not industrial (0) fails; no code or no nuisance class is missing; a code naming no class is n/a
        st = np.where(nuis > pclass, FAIL, PASS)
        if np.isnan(nuis).any():
            st = np.where(np.isnan(nuis), MISSING, st)
        st = np.where(np.isnan(pclass), np.where(codes < 0, MISSING, NA), st)
        st = np.where(pclass == 0, FAIL, st)
    else:
        st = np.full(n, NA, dtype=np.int8)
    return LandUse(st, pclass, nuis, codes, cats)


# -- the evaluation -----------------------------------------------------------------------------


@dataclass
class Evaluation:
    """Results for n rows × k indicators: status codes, actual values and the verdict.

    It also keeps what the presentation needs (contexts and their thresholds, per-indicator
    bounds); row-level bounds are computed on demand.

    Examples
    --------
    >>> from standardland.rules.rulesets import load_rulesets, shipped_rulesets
    >>> ev = evaluate({"decision_date": np.array(["2020-06-01"], dtype="datetime64[D]"),
    ...                "industry_2002": np.array(["13"], dtype=object),
    ...                "far": np.array([0.9])}, load_rulesets(shipped_rulesets()))
    >>> ev.verdict_of(0), ev.governing("far", 0)
    ('fail', ('national-2008', None))
    """

    n: int
    checkpoint: str
    cat: Catalogue
    status: dict[str, np.ndarray]  # indicator → int8 codes into STATUSES
    actual: dict[str, np.ndarray]
    verdict: np.ndarray  # int8 codes into VERDICTS
    land_use: LandUse
    key_index: np.ndarray
    contexts: list[Context]
    key_thresholds: list[dict[str, Threshold]]
    labels: list[str]
    bounds: dict[str, Bounds]
    only: set[str] | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    # -- row-level bounds, computed on demand (the verdict does not need them) --------------------
    def required(self, ind_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) per row: the binding bounds after every layer (NaN where none)."""
        return self._resolved(ind_id)[:2]

    def winners(self, ind_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(min_by, max_by) per row: label codes into :attr:`labels` of the winning layer (−1: none)."""
        return self._resolved(ind_id)[2:]

    def advisory(self, ind_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(advisory min, advisory max) per row."""
        key = ("adv", ind_id)
        if key not in self._cache:
            b = self.bounds[ind_id]
            self._cache[key] = tuple(
                _rows(_gather(a, self.key_index), self.n) for a in (b.advisory_min, b.advisory_max)
            )
        return self._cache[key]

    def _resolved(self, ind_id: str):
        if ind_id not in self._cache:
            b, kidx = self.bounds[ind_id], self.key_index
            out = []
            for side, kv, kby in (("min", b.min, b.min_by), ("max", b.max, b.max_by)):
                v, by = _gather(kv, kidx), kby[kidx] if len(kby) else np.full(self.n, -1, np.int16)
                v, by = tightened(v, by, b.own, self.labels, side)
                out.append((_rows(v, self.n), np.asarray(by, dtype=np.int16)))
            self._cache[ind_id] = (out[0][0], out[1][0], out[0][1], out[1][1])
        return self._cache[ind_id]

    # -- convenience ----------------------------------------------------------------------------
    def status_of(self, ind_id: str) -> np.ndarray:
        """Status names per row (``land_use_class`` included)."""
        return STATUSES[self.land_use.status if ind_id == LAND_USE_CHECK else self.status[ind_id]]

    def verdict_of(self, row: int) -> str:
        """The verdict name of one row: ``pass``, ``fail`` or ``incomplete``."""
        return VERDICTS[self.verdict[row]]

    def governing(self, ind_id: str, row: int) -> tuple[str | None, str | None]:
        """Names of the layers whose min and max govern ``row`` (rule-set id, ``parcel``, ``agreement``)."""
        lo, hi = self.winners(ind_id)
        return (None if lo[row] < 0 else self.labels[lo[row]], None if hi[row] < 0 else self.labels[hi[row]])

    def flat(self) -> pd.DataFrame:
        """The flat table (see :func:`standardland.rules.explain.flat`)."""
        from .explain import flat

        return flat(self)

    def explain(self, row: int, lang: str = "zh") -> dict:
        """The explanation of one row (see :func:`standardland.rules.explain.explain`)."""
        from .explain import explain

        return explain(self, row, lang)

    def explain_rows(self, rows, lang="zh") -> list[dict]:
        """The explanations of ``rows``, ``lang`` one or one per row
        (see :func:`standardland.rules.explain.explain_rows`)."""
        from .explain import explain_rows

        return explain_rows(self, rows, lang)


_CONTEXT_MEMO: dict = {}
_CONTEXT_MEMO_MAX = 256


def _context_bounds(ctxs: list[Context], rulesets: list, cat: Catalogue):
    """(thresholds per context, layer labels, per-indicator context :class:`Bounds` without per-row
    layers) for the distinct contexts: shared between evaluations with the same contexts and
    rule-set objects (a single check of a known context costs a dictionary lookup). Read-only."""
    key = (tuple(ctxs), tuple(map(id, rulesets)), id(cat))
    hit = _CONTEXT_MEMO.get(key)
    if hit is not None:
        return hit[1]
    ths = [effective_thresholds(c, rulesets, cat) for c in ctxs]
    # every rule set gets a fixed label slot, so layer columns have the same categories in every
    # partition of a distributed run
    labels: list[str] = list(ROW_LAYERS) + sorted({rs.id for rs in rulesets})
    label_ix = {name: k for k, name in enumerate(labels)}

    def label(lv) -> int:
        if lv is None:
            return -1
        if lv.ruleset not in label_ix:
            label_ix[lv.ruleset] = len(labels)
            labels.append(lv.ruleset)
        return label_ix[lv.ruleset]

    out = (ths, tuple(labels), {ind.id: bounds(ind, ths, {}, label) for ind in cat.indicators})
    for b in out[2].values():
        b.prepared()
    if len(_CONTEXT_MEMO) >= _CONTEXT_MEMO_MAX:
        _CONTEXT_MEMO.clear()
    _CONTEXT_MEMO[key] = ((tuple(rulesets), cat), out)  # holding the objects keeps their ids from being reused
    return out


def _judged_at(ind: Indicator, checkpoint: str, only) -> bool:
    return checkpoint in ind.checkpoints and (only is None or ind.id in only)


def evaluate(
    cols: Columns | pd.DataFrame,
    rulesets: list,
    *,
    checkpoint: str = "screening",
    cat: Catalogue | None = None,
    only: set[str] | None = None,
) -> Evaluation:
    """Evaluate every (project, parcel) row against the rule sets (see the module docstring).

    Parameters
    ----------
    cols : mapping of column name → ndarray or :class:`Coded`
        Equal-length columns: the context keys (:data:`KEY_COLUMNS`), ``parcel_area_m2``,
        ``land_area_m2``, ``land_use_code``, ``nuisance_class``, the project's inputs and
        direct indicator values, and the per-row layers (``<id>_min``, ``agreement:<id>_min`` …).
        A DataFrame is accepted and read through :func:`columns_of`.
    rulesets : list of RuleSet
        Candidate rule sets; each context chooses among them by date and scope.
    checkpoint : {"screening", "acceptance", "production_review"}
        Indicators not judged at this checkpoint are ``not_applicable``.
    cat : Catalogue, optional
        The indicator catalogue (the shipped one by default).
    only : set of indicator ids, optional
        Judge only these (the others are ``not_applicable``); the land-use check is ``land_use_class``.

    Returns
    -------
    Evaluation
        Status, actual values and the verdict per row.

    Raises
    ------
    InputError
        When ``only`` names an unknown indicator.

    Examples
    --------
    >>> from standardland.rules.rulesets import load_rulesets, shipped_rulesets
    >>> ev = evaluate({"decision_date": np.array(["2020-06-01"], dtype="datetime64[D]"),
    ...                "industry_2002": np.array(["13"], dtype=object),
    ...                "admin_code": np.array(["330106"], dtype=object),
    ...                "parcel_area_m2": np.array([10_000.0]), "far": np.array([1.0])},
    ...               load_rulesets(shipped_rulesets()))
    >>> ev.status_of("far")[0], float(ev.required("far")[0][0])
    ('pass', 1.0)
    """
    cat = cat or catalogue()
    if isinstance(cols, pd.DataFrame):
        cols = columns_of(cols)
    if only is not None:
        unknown = set(only) - set(cat.ids) - {LAND_USE_CHECK}
        if unknown:
            from ..errors import InputError

            raise InputError(
                f"unknown indicator(s) {', '.join(sorted(unknown))}",
                field="indicators",
                expected=", ".join(cat.ids + (LAND_USE_CHECK,)),
            )
    n = len(next(iter(cols.values()))) if cols else 0
    kidx, ctxs = contexts(cols, n)
    judged_ids = [ind.id for ind in cat.indicators if _judged_at(ind, checkpoint, only)]
    ths, labels, ctx_bounds = _context_bounds(ctxs, rulesets, cat)
    labels = list(labels)
    base = land_area(cols, n)
    st: dict[str, np.ndarray] = {}
    act: dict[str, np.ndarray] = {}
    bnd: dict[str, Bounds] = {}
    judged = set(judged_ids)
    fl: dict = {}  # float columns, read once for every indicator that uses them
    for ind in cat.indicators:
        bnd[ind.id] = b = ctx_bounds[ind.id].with_own(_own_layers(ind.id, cols))
        act[ind.id] = a = actuals(ind, cols, base, n, fl)
        st[ind.id] = status(b, a, kidx) if ind.id in judged else np.full(n, NA, dtype=np.int8)
    lu = land_use(cols, n, checkpoint == "screening" and (only is None or LAND_USE_CHECK in only))
    # one (checks × rows) table: a fail anywhere fails the row; a missing value, or nothing judged at
    # all, leaves it incomplete
    table = np.stack([st[i] for i in judged_ids] + [lu.status])
    any_fail = (table == FAIL).any(axis=0)
    incomplete = (table == MISSING).any(axis=0) | (table == NA).all(axis=0)
    verdict = np.where(any_fail, np.int8(1), np.where(incomplete, np.int8(2), np.int8(0)))
    return Evaluation(
        n=n,
        checkpoint=checkpoint,
        cat=cat,
        status=st,
        actual=act,
        verdict=verdict,
        land_use=lu,
        key_index=kidx,
        contexts=ctxs,
        key_thresholds=ths,
        labels=labels,
        bounds=bnd,
        only=set(only) if only is not None else None,
    )
