"""The rule engine: vectorized verdicts over a DataFrame of (project, parcel) pairs.

One code path serves a single check and a million-row screening. Thresholds depend only on
a small *context* (decision date, industry, region class, zone tier, jurisdiction, park), so
they are resolved once per distinct context (:func:`standardland.rules.indicators.effective_thresholds`)
and gathered to rows with numpy; the parcel's own ``<id>_min/_max`` layer and every comparison
are plain array operations. No row loops.

Per indicator the status is one of ``pass``, ``fail``, ``warn``, ``missing``,
``not_applicable``; overall a row is ``fail`` if any indicator fails, ``incomplete`` if a
required value is missing, else ``pass``. A value equal to a threshold passes: comparisons
use unrounded values with a relative tolerance of 1e-9 to absorb binary floating point
(``7.000000000000001 % ≤ 7 %``), never rounding to display precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .. import codes as codelists
from .indicators import Catalogue, Context, Threshold, catalogue, effective_thresholds
from ..units import MU_M2

STATUSES = np.array(["pass", "fail", "warn", "missing", "not_applicable"], dtype=object)
PASS, FAIL, WARN, MISSING, NA = 0, 1, 2, 3, 4
VERDICTS = np.array(["pass", "fail", "incomplete"], dtype=object)
REL_TOL = 1e-9
PARCEL = "parcel"
KEY_COLUMNS = ("decision_date", "industry_2017", "industry_2002", "industry_error", "region_class", "zone_tier",
               "admin_code", "park")
LAND_USE_CHECK = "land_use_class"


def _factorize_rows(df: pd.DataFrame, cols) -> tuple[np.ndarray, np.ndarray]:
    """Row codes for the distinct combinations of ``cols`` and the index of each first occurrence."""
    if len(df) == 1:
        return np.zeros(1, dtype=np.intp), np.zeros(1, dtype=np.intp)
    codes, dims = [], []
    for c in cols:
        col = df[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            k = len(col.cat.categories)
            if k == 0:
                continue  # all missing: carries no information
            cc = col.cat.codes.to_numpy()
        else:
            cc, uniq = pd.factorize(col, use_na_sentinel=True)
            k = len(uniq)
        codes.append(cc + 1)  # -1 (missing) → 0
        dims.append(k + 1)
    if not codes:
        return np.zeros(len(df), dtype=np.intp), np.zeros(1 if len(df) else 0, dtype=np.intp)
    combined = np.ravel_multi_index(codes, dims)
    final, uniq = pd.factorize(combined)
    first = np.empty(len(uniq), dtype=np.intp)
    first[final[::-1]] = np.arange(len(final) - 1, -1, -1)
    return final.astype(np.intp, copy=False), first


def _val(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


def _context(row: dict) -> Context:
    d = row["decision_date"]
    if isinstance(d, (pd.Timestamp, np.datetime64)):
        d = pd.Timestamp(d).date()
    rc = _val(row.get("region_class"))
    return Context(
        decision_date=d if isinstance(d, date) else date.fromisoformat(str(d)[:10]),
        industry_2017=tuple(x for x in (_val(row.get("industry_2017")) or "").split("|") if x),
        industry_2002=tuple(x for x in (_val(row.get("industry_2002")) or "").split("|") if x),
        industry_error=_val(row.get("industry_error")) or None,
        region_class=int(rc) if rc is not None else None,
        zone_tier=_val(row.get("zone_tier")),
        admin_code=_val(row.get("admin_code")),
        park=_val(row.get("park")),
    )


@dataclass
class Evaluation:
    """Arrays of results for n rows × k indicators, with the context thresholds for explanations."""

    n: int
    checkpoint: str
    cat: Catalogue
    status: dict[str, np.ndarray]
    actual: dict[str, np.ndarray]
    req_min: dict[str, np.ndarray]
    req_max: dict[str, np.ndarray]
    adv_min: dict[str, np.ndarray]
    adv_max: dict[str, np.ndarray]
    min_by: dict[str, np.ndarray]
    max_by: dict[str, np.ndarray]
    labels: list[str]
    key_index: np.ndarray
    key_thresholds: list[dict[str, Threshold]]
    land_use_status: np.ndarray
    land_use_parcel_class: np.ndarray
    nuisance: np.ndarray
    land_use_code: pd.Series
    verdict: np.ndarray
    parcel_limits: dict = field(default_factory=dict)
    only: set[str] | None = None

    # -- flat table ------------------------------------------------------------------
    def flat(self) -> pd.DataFrame:
        """One row per pair: ``verdict`` and ``<id>_status/_actual/_required/_layer`` per indicator."""
        cols: dict[str, object] = {"verdict": pd.Categorical.from_codes(self.verdict, VERDICTS)}
        layer_cats = [""] + self.labels  # code -1 (no layer) → ""
        for ind in self.cat.indicators:
            i = ind.id
            cols[f"{i}_status"] = pd.Categorical.from_codes(self.status[i], STATUSES)
            cols[f"{i}_actual"] = self.actual[i]
            lo, hi = self.req_min[i], self.req_max[i]
            if ind.direction == "max":
                req = np.where(np.isnan(hi), self.adv_max[i], hi)
                by = self.max_by[i]
            else:
                req = np.where(np.isnan(lo), self.adv_min[i], lo)
                by = self.min_by[i]
                if not np.all(np.isnan(hi)):
                    cols[f"{i}_required_max"] = hi
            cols[f"{i}_required"] = req
            cols[f"{i}_layer"] = pd.Categorical.from_codes(by.astype(np.int32) + 1, categories=layer_cats)
        cols[f"{LAND_USE_CHECK}_status"] = pd.Categorical.from_codes(self.land_use_status, STATUSES)
        return pd.DataFrame(cols)

    # -- explanation -----------------------------------------------------------------
    def explain(self, row: int, lang: str = "zh") -> dict:
        """The per-indicator explanation of one row, as the CLI and the API print it."""
        ths = self.key_thresholds[self.key_index[row]]
        items = []
        for ind in self.cat.indicators:
            i = ind.id
            th = ths[i]
            lo, hi = _f(self.req_min[i][row]), _f(self.req_max[i][row])
            alo, ahi = _f(self.adv_min[i][row]), _f(self.adv_max[i][row])
            layers = [lv.to_dict() for lv in th.layers]
            plim = self.parcel_limits.get(i)
            if plim is not None:
                pmin, pmax = _f(plim[0][row]), _f(plim[1][row])
                if pmin is not None or pmax is not None:
                    layers.append({"layer": PARCEL, "ruleset": PARCEL, "version": "-", "min": pmin, "max": pmax,
                                   "severity": "binding", "verified": None,
                                   "source": "出让公告 parcel-specific value", "clause": None, "note": None})
            status = STATUSES[self.status[i][row]]
            by_min = self.labels[self.min_by[i][row]] if self.min_by[i][row] >= 0 else None
            by_max = self.labels[self.max_by[i][row]] if self.max_by[i][row] >= 0 else None
            if lo is not None and hi is not None:
                op, governing = "between", by_min
                act = _f(self.actual[i][row])
                if act is not None and act > hi:
                    governing = by_max
            elif lo is not None:
                op, governing = ">=", by_min
            elif hi is not None:
                op, governing = "<=", by_max
            elif alo is not None:
                op, governing = ">=", self._adv_label(th, "min")
            elif ahi is not None:
                op, governing = "<=", self._adv_label(th, "max")
            else:
                op, governing = None, None
            gov = next((lv for lv in layers if lv["ruleset"] == governing), None)
            reason = None
            if status == "missing":
                reason = th.unresolved or f"no value for {ind.id} (give it, or {ind.numerator} and " \
                                          f"{ind.denominator.replace('_mu', '_m2')})"
            elif status == "not_applicable":
                if self.checkpoint not in ind.checkpoints:
                    reason = "not checked at " + self.checkpoint
                elif self.only is not None and i not in self.only:
                    reason = "not among the indicators asked for"
                else:
                    reason = "no value on file in any layer"
            elif status == "warn":
                reason = "below the recommended (advisory) value" if ind.direction != "max" else \
                    "above the recommended (advisory) value"
            items.append({
                "id": i, "name": ind.name(lang), "status": status, "actual": _f(self.actual[i][row]),
                "required": {"min": lo, "max": hi, "advisory_min": alo, "advisory_max": ahi},
                "operator": op, "unit": ind.unit, "governing_layer": gov["layer"] if gov else None,
                "governing_ruleset": governing, "source": gov.get("source") if gov else None,
                "clause": gov.get("clause") if gov else None, "verified": gov.get("verified") if gov else None,
                "layers": layers, "reason": reason,
            })
        lu = STATUSES[self.land_use_status[row]]
        pc = self.land_use_parcel_class[row]
        items.append({
            "id": LAND_USE_CHECK, "name": "用地类别" if lang.startswith("zh") else "Land-use class",
            "status": lu, "actual": _f(self.nuisance[row]),
            "required": {"min": None, "max": None if np.isnan(pc) or pc <= 0 else float(pc),
                         "advisory_min": None, "advisory_max": None},
            "operator": "<=", "unit": "class", "governing_layer": PARCEL, "governing_ruleset": PARCEL,
            "source": "国土空间用地用海分类 (2023): 100101/100102/100103 一/二/三类工业用地",
            "clause": f"parcel land use {self.land_use_code.iloc[row]}", "verified": "V", "layers": [],
            "reason": _land_use_reason(lu, self.land_use_code.iloc[row], self.nuisance[row], pc),
        })
        return {"verdict": VERDICTS[self.verdict[row]], "checkpoint": self.checkpoint,
                "rulesets": sorted({lv["ruleset"] for it in items for lv in it["layers"]
                                    if lv["ruleset"] != PARCEL}),
                "indicators": items}

    def _adv_label(self, th: Threshold, which: str) -> str | None:
        lv = th.advisory_min_layer if which == "min" else th.advisory_max_layer
        return lv.ruleset if lv else None


def _land_use_reason(status, code, nuisance, pclass):
    if status == "fail" and (pclass is not None and not np.isnan(pclass) and pclass <= 0):
        return f"parcel land use {code} is not industrial land (1001xx)"
    if status == "fail":
        return f"a class-{int(nuisance)} project is inadmissible on class-{int(pclass)} industrial land ({code})"
    if status == "missing":
        return "parcel land-use code or the project's nuisance_class is missing"
    if status == "not_applicable":
        return f"parcel land use {code} does not name an industrial class"
    return None


def _f(v):
    if v is None:
        return None
    v = float(v)
    return None if np.isnan(v) else v


class _Lazy(dict):
    """indicator id → array, computed on first access (reporting arrays the verdict does not need)."""

    def __init__(self, makers: dict):
        super().__init__()
        self._makers = makers

    def __missing__(self, key):
        value = self._makers[key]()
        self[key] = value
        return value


def _gather_bool(karr: np.ndarray, kidx: np.ndarray):
    """Row values of a per-context flag; a plain bool when every context agrees."""
    if karr.all():
        return True
    if not karr.any():
        return False
    return karr[kidx]


def _uniform(karr: np.ndarray):
    """The single value of a per-context array when all contexts share it (NaN-aware), else None."""
    if len(karr) == 0:
        return np.nan
    v = karr[0]
    if np.isnan(v):
        return v if np.all(np.isnan(karr)) else None
    return v if np.all(karr == v) else None


def _combine(karr: np.ndarray, kidx: np.ndarray, parcel: np.ndarray | None, fn):
    """A maker for the row-level bound: the context's value gathered, tightened by the parcel's own."""
    def make(scalar_ok: bool = False):
        u = _uniform(karr)
        if u is not None and np.isnan(u):
            rows = None
        elif u is not None:
            rows = u if scalar_ok and parcel is None else np.full(len(kidx), u)
        else:
            rows = karr[kidx]
        if parcel is None:
            return rows if rows is not None else np.full(len(kidx), np.nan)
        return parcel.copy() if rows is None else fn(rows, parcel)
    return make


def _winner(kby: np.ndarray, karr: np.ndarray, kidx: np.ndarray, parcel: np.ndarray | None, beats):
    def make():
        rows = kby[kidx] if len(kby) else np.full(len(kidx), -1, dtype=np.int16)
        if parcel is None:
            return rows
        k = karr[kidx] if len(karr) else np.full(len(kidx), np.nan)
        wins = beats(parcel, k) | (np.isnan(k) & ~np.isnan(parcel))
        return np.where(wins, 0, rows).astype(np.int16)
    return make


class _Columns:
    """Numeric columns of the pairs frame as float64 arrays, converted once per evaluation."""

    def __init__(self, df: pd.DataFrame):
        self.df = df
        self.names = set(df.columns)
        self.cache: dict[str, np.ndarray] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def get(self, name: str, n: int) -> np.ndarray:
        if name not in self.cache:
            self.cache[name] = _col(self.df, name, n)
        return self.cache[name]


def _col(df: pd.DataFrame, name: str, n: int) -> np.ndarray:
    """A numeric column as float64 (a view when it already is one), NaN where missing or absent."""
    if name not in df.columns:
        return np.full(n, np.nan)
    col = df[name]
    if col.dtype == np.float64:
        return col.to_numpy()
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def evaluate(pairs: pd.DataFrame, rulesets: list, *, checkpoint: str = "screening",
             cat: Catalogue | None = None, only: set[str] | None = None) -> Evaluation:
    """Evaluate every (project, parcel) row of ``pairs`` against the rule sets (see module doc).

    ``only`` restricts the check to these indicator ids (the others are ``not_applicable``);
    the land-use class check counts as ``land_use_class``.
    """
    cat = cat or catalogue()
    if only is not None:
        unknown = set(only) - set(cat.ids) - {LAND_USE_CHECK}
        if unknown:
            from ..errors import InputError

            raise InputError(f"unknown indicator(s) {', '.join(sorted(unknown))}", field="indicators",
                             expected=", ".join(cat.ids + (LAND_USE_CHECK,)))
    n = len(pairs)
    for c in KEY_COLUMNS:
        if c not in pairs.columns:
            pairs = pairs.assign(**{c: None})
    kidx, first = _factorize_rows(pairs, KEY_COLUMNS)
    if len(first) == 1:
        key_rows = [{c: pairs[c].iloc[int(first[0])] for c in KEY_COLUMNS}]
    else:
        key_rows = pairs[list(KEY_COLUMNS)].iloc[first].to_dict("records")
    key_ths = [effective_thresholds(_context(r), rulesets, cat) for r in key_rows]

    # every rule set gets a fixed label slot, so layer columns have the same categories in every
    # partition of a distributed run
    labels: list[str] = [PARCEL] + sorted({rs.id for rs in rulesets})
    label_ix: dict[str, int] = {name: k for k, name in enumerate(labels)}

    def lab(lv) -> int:
        if lv is None:
            return -1
        if lv.ruleset not in label_ix:
            label_ix[lv.ruleset] = len(labels)
            labels.append(lv.ruleset)
        return label_ix[lv.ruleset]

    cols = _Columns(pairs)
    parcel_m2 = cols.get("parcel_area_m2", n)
    if "land_area_m2" in cols:  # the project's own land area, else the parcel's
        land_m2 = cols.get("land_area_m2", n)
        land_m2 = np.where(np.isnan(land_m2), parcel_m2, land_m2)
    else:
        land_m2 = parcel_m2
    base = {"land_area_m2": land_m2, "land_area_mu": land_m2 / MU_M2}

    status_d: dict[str, np.ndarray] = {}
    actual_d: dict[str, np.ndarray] = {}
    makers: dict[str, dict] = {k: {} for k in ("req_min", "req_max", "adv_min", "adv_max", "min_by", "max_by")}
    parcel_limits = {}
    any_fail = np.zeros(n, bool)
    any_missing = np.zeros(n, bool)
    K = len(key_ths)

    def tol(x):
        return REL_TOL * np.maximum(1.0, np.abs(x))

    for ind in cat.indicators:
        i = ind.id
        kmin = np.array([np.nan if t[i].min is None else t[i].min for t in key_ths], dtype="float64")
        kmax = np.array([np.nan if t[i].max is None else t[i].max for t in key_ths], dtype="float64")
        kamin = np.array([np.nan if t[i].advisory_min is None else t[i].advisory_min for t in key_ths], dtype="float64")
        kamax = np.array([np.nan if t[i].advisory_max is None else t[i].advisory_max for t in key_ths], dtype="float64")
        kminby = np.array([lab(t[i].min_layer) for t in key_ths], dtype=np.int16).reshape(K)
        kmaxby = np.array([lab(t[i].max_layer) for t in key_ths], dtype=np.int16).reshape(K)
        kunres = np.array([t[i].unresolved is not None for t in key_ths], dtype=bool).reshape(K)
        khas = ~(np.isnan(kmin) & np.isnan(kmax) & np.isnan(kamin) & np.isnan(kamax))
        pmin = cols.get(f"{i}_min", n) if f"{i}_min" in cols else None
        pmax = cols.get(f"{i}_max", n) if f"{i}_max" in cols else None
        if pmin is not None or pmax is not None:
            parcel_limits[i] = (pmin if pmin is not None else np.full(n, np.nan),
                                pmax if pmax is not None else np.full(n, np.nan))

        num = base[ind.numerator] if ind.numerator in base else cols.get(ind.numerator, n)
        den = base[ind.denominator] if ind.denominator in base else cols.get(ind.denominator, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            actual = num * ind.scale / den if ind.scale != 1 else num / den
        inf = np.isinf(actual)
        if inf.any():
            actual[inf] = np.nan  # a zero denominator is missing data, not infinity
        if i in cols:
            direct = cols.get(i, n)
            actual = np.where(np.isnan(direct), actual, direct)
        actual_d[i] = actual

        # lazily gathered reporting arrays (flat table, explanations); the verdict below does not need them
        makers["req_min"][i] = _combine(kmin, kidx, pmin, np.fmax)
        makers["req_max"][i] = _combine(kmax, kidx, pmax, np.fmin)
        makers["adv_min"][i] = _combine(kamin, kidx, None, None)
        makers["adv_max"][i] = _combine(kamax, kidx, None, None)
        makers["min_by"][i] = _winner(kminby, kmin, kidx, pmin, np.greater)
        makers["max_by"][i] = _winner(kmaxby, kmax, kidx, pmax, np.less)

        status = np.full(n, NA, dtype=np.int8)
        if checkpoint not in ind.checkpoints or (only is not None and i not in only):
            status_d[i] = status
            continue
        has_any = _gather_bool(khas | kunres, kidx)
        lo = _combine(kmin - tol(kmin), kidx, None if pmin is None else pmin - tol(pmin), np.fmax)(True)
        hi = _combine(kmax + tol(kmax), kidx, None if pmax is None else pmax + tol(pmax), np.fmin)(True)
        if pmin is not None:
            has_any = has_any | ~np.isnan(pmin)
        if pmax is not None:
            has_any = has_any | ~np.isnan(pmax)
        if not np.any(has_any):
            status_d[i] = status
            continue
        if has_any is True:
            status.fill(PASS)
        else:
            status[has_any] = PASS
        if not np.all(np.isnan(kamin)) or not np.all(np.isnan(kamax)):
            alo = _combine(kamin - tol(kamin), kidx, None, None)(True)
            ahi = _combine(kamax + tol(kamax), kidx, None, None)(True)
            warn = np.zeros(n, bool)
            if alo is not None:
                warn |= actual < alo
            if ahi is not None:
                warn |= actual > ahi
            status[warn] = WARN
        missing = np.isnan(actual)
        some_missing = bool(missing.any())
        if some_missing:
            status[missing if has_any is True else (missing & has_any)] = MISSING
        if kunres.any():
            status[kunres[kidx]] = MISSING
            some_missing = True
        fail = None
        if lo is not None:
            fail = actual < lo
        if hi is not None:
            fail = (actual > hi) if fail is None else (fail | (actual > hi))
        if fail is not None:
            status[fail] = FAIL  # last: a certain failure outranks every other status
            any_fail |= fail
        if some_missing:
            any_missing |= status == MISSING
        status_d[i] = status
    out = {"status": status_d, "actual": actual_d, **{k: _Lazy(v) for k, v in makers.items()}}

    # 用地类别: the project's nuisance class against the parcel's 一/二/三类工业用地
    lu = pairs["land_use_code"] if "land_use_code" in cols else pd.Series([None] * n)
    lu_cat = lu.astype("category")
    cats = list(lu_cat.cat.categories)
    cls_by_cat = np.array([codelists.parcel_class(c) for c in cats] + [np.nan], dtype="float64")
    pclass = cls_by_cat[lu_cat.cat.codes.to_numpy()]  # code -1 (missing) → last entry, NaN
    lu_missing = lu_cat.cat.codes.to_numpy() < 0
    nuis = cols.get("nuisance_class", n)
    if checkpoint == "screening" and (only is None or LAND_USE_CHECK in only):
        lu_status = np.select(
            [pclass == 0, lu_missing, np.isnan(pclass), np.isnan(nuis), nuis > pclass],
            [FAIL, MISSING, NA, MISSING, FAIL], PASS).astype(np.int8)
    else:
        lu_status = np.full(n, NA, dtype=np.int8)
    any_fail |= lu_status == FAIL
    any_missing |= lu_status == MISSING
    verdict = np.where(any_fail, 1, np.where(any_missing, 2, 0)).astype(np.int8)

    return Evaluation(n=n, checkpoint=checkpoint, cat=cat, labels=labels, key_index=kidx, key_thresholds=key_ths,
                      land_use_status=lu_status, land_use_parcel_class=pclass, nuisance=nuis,
                      land_use_code=lu.reset_index(drop=True), verdict=verdict, parcel_limits=parcel_limits,
                      only=set(only) if only is not None else None, **out)
