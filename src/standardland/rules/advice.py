"""Counterfactual advice: for a failing or incomplete check, the smallest change that passes.

Per failing indicator and per *lever* (an input of its formula), holding everything else: an
indicator ``numerator × scale ÷ denominator`` below its minimum ``L`` passes once the numerator
reaches ``L × denominator ÷ scale`` (or a denominator other than the land falls to
``numerator × scale ÷ L``); above its maximum ``U``, once the numerator falls to ``U ×
denominator ÷ scale`` (or such a denominator rises). An indicator given directly is its own
lever. The **land** moves every land-denominated indicator at once, so its lever is the
sizing interval (:mod:`standardland.rules.sizing`): the nearest area inside it.

Targets are exact (the threshold times the other inputs, unrounded): a value equal to the target
lands on the threshold and passes by the engine's own comparison (relative tolerance 1e-9).
Displayed figures round *outward* (a raise rounds up, a reduction down), so the printed target
passes too. Texts are in the units the user typed (``{"value", "unit"}`` in the project), else
the canonical unit (亩 for land).

Vectorized: :func:`advise` finds, for every row of an evaluation, each failing indicator and the
bound it must reach; :meth:`Advice.relative_change` gives, per row, the smallest relative change
that passes (what ``match --within-advice`` ranks by: a numerator moves the indicator in
proportion, so the change is ``|bound ÷ actual − 1|``); the lever arrays are built when first
read, and :func:`advice_row` renders one row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..units import convert
from .engine import FAIL, MISSING, REL_TOL, Columns, Evaluation, _float, land_area
from .fields import quantity_fields
from .sizing import LAND_DENOMINATORS, Sizing, area_dict, bound_sides, size

LAND = "land_area_m2"


@dataclass
class Lever:
    """One way to pass one indicator: change ``field`` from ``current`` to ``target`` in the rows
    where ``rows`` is true (the arrays are shared across levers, not masked copies)."""

    indicator: str
    field: str
    action: str  # raise | reduce | provide
    current: np.ndarray
    target: np.ndarray
    side: str  # the bound the target lands on: min | max
    rows: np.ndarray  # bool: where this lever applies


@dataclass
class Advice:
    """What every failing row must reach, its land sizing, and (on first read) its levers."""

    ev: Evaluation
    sizing: Sizing
    cols: Columns
    failing: dict[str, np.ndarray]  # indicator → rows where it fails or misses a value
    area_m2: np.ndarray  # the land area the indicators divide by
    direct: dict[str, np.ndarray]  # indicator → values given directly (NaN: derived)

    def _side(self, ind_id: str, rows: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray]:
        """(short of the minimum — else above the maximum —, the bound to reach) at ``rows`` of a
        failing indicator (a missing value is short when there is a minimum)."""
        act = self.ev.actual[ind_id][rows]
        lo, hi = (a[rows] for a in self.ev.required(ind_id))
        with np.errstate(invalid="ignore"):
            up = np.where(np.isnan(act), ~np.isnan(lo), act < lo)
        return up, np.where(up, lo, hi)

    def _full_sides(self) -> tuple[dict, dict]:
        if getattr(self, "_sides", None) is None:
            short, bound = {}, {}
            for ind_id, rows in self.failing.items():
                up, b = self._side(ind_id, slice(None))
                short[ind_id], bound[ind_id] = up & rows, np.where(up & rows, b, self.ev.required(ind_id)[1])
            self._sides = (short, bound)
        return self._sides

    @property
    def short(self) -> dict[str, np.ndarray]:
        """Indicator → rows short of the minimum (else above the maximum), built on first use."""
        return self._full_sides()[0]

    @property
    def bound(self) -> dict[str, np.ndarray]:
        """Indicator → the bound each failing row must reach, built on first use."""
        return self._full_sides()[1]

    @property
    def levers(self) -> list[Lever]:
        """Every lever (built on first use: a screen needs only :meth:`relative_change`)."""
        if getattr(self, "_levers", None) is None:
            self._levers = _levers(self)
        return self._levers

    def land_target(self) -> np.ndarray:
        """Per row, the nearest area inside the sizing interval (NaN when it is empty or the area
        already lies inside)."""
        s = self.sizing
        t = np.clip(self.area_m2, s.min_m2, s.max_m2)
        inside = s.contains(self.area_m2)
        return np.where(s.empty | inside | np.isnan(self.area_m2), np.nan, t)

    def land_fixes_all(self) -> np.ndarray:
        """Rows where moving the land into the sizing interval alone would pass: every failing
        indicator divides by the land, has its numerator and is not given directly, and the land
        use passes."""
        ev = self.ev
        ok = ~((ev.land_use.status == FAIL) | (ev.land_use.status == MISSING)) & ~self.sizing.empty
        land_ids = {i.id for i in self.sizing.indicators}
        for ind_id, rows in self.failing.items():
            if ind_id not in land_ids:
                ok &= ~rows
                continue
            ok &= ~(rows & (ev.status[ind_id] == MISSING))
            direct = self.direct.get(ind_id)
            if direct is not None:
                ok &= ~(rows & ~np.isnan(direct))
        return ok

    def relative_change_cached(self) -> np.ndarray:
        """:meth:`relative_change`, computed once."""
        if getattr(self, "_rel", None) is None:
            self._rel = self.relative_change()
        return self._rel

    def relative_change(self, *, land: bool = True) -> np.ndarray:
        """Per row, the smallest relative change that makes the row pass (0 for a passing row,
        ``inf`` when no single-lever change per indicator does: a land-use failure, a missing
        value, an empty interval). Each failing indicator takes its cheapest lever; the row needs
        the largest of these; changing the land alone is the other way, when only
        land-denominated indicators fail. Each indicator is computed on its failing rows only."""
        n = self.ev.n
        need = np.zeros(n)
        for ind_id, rows in self.failing.items():
            # a numerator (or a direct value) moves the indicator in proportion: |bound ÷ actual − 1|;
            # a denominator other than the land, inversely: |actual ÷ bound − 1|
            idx = np.flatnonzero(rows)
            act = self.ev.actual[ind_id][idx]
            lo, hi = self.ev.required(ind_id)
            has_min, has_max = bound_sides(self.ev, ind_id)
            with np.errstate(invalid="ignore", divide="ignore"):
                # the bound to reach: the minimum when short of it, else the maximum (a missing value
                # gives NaN, hence inf, whichever bound); one side only: that side
                bound = (np.where(act < lo[idx], lo[idx], hi[idx]) if has_min and has_max
                         else lo[idx] if has_min else hi[idx])
                rel = np.abs(bound / act - 1)
                if self.ev.cat.get(ind_id).denominator not in LAND_DENOMINATORS:
                    by_den = np.where(bound > 0, np.abs(act / bound - 1), np.inf)
                    if ind_id in self.direct:
                        by_den = np.where(np.isnan(self.direct[ind_id][idx]), by_den, np.inf)
                    rel = np.fmin(rel, by_den)
            rel[np.isnan(rel)] = np.inf
            need[idx] = np.maximum(need[idx], rel)
        lu = self.ev.land_use.status
        need[(lu == FAIL) | (lu == MISSING)] = np.inf
        # a row that does not pass and that no lever reaches (a threshold left unresolved by an unknown
        # industry or a missing land grade; nothing judged) is not "0 away" from passing
        need[(self.ev.verdict != 0) & (need == 0)] = np.inf
        if not land:  # the land is fixed (matching: each parcel's own area)
            return need
        idx = np.flatnonzero(self.land_fixes_all())
        s, a = self.sizing, self.area_m2[idx]
        lo, hi = s.min_m2[idx], s.max_m2[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            empty = lo > hi * (1 + REL_TOL)
            inside = (a >= lo * (1 - REL_TOL)) & (a <= hi * (1 + REL_TOL)) & ~empty
            t = np.clip(a, lo, hi)  # as land_target, on these rows
            land_rel = np.abs(t - a) / a
        land_rel[empty | inside | np.isnan(a) | np.isnan(land_rel)] = np.inf
        need[idx] = np.fmin(need[idx], land_rel)
        return need


def _den(ind, cols: Columns, base: dict, n: int) -> np.ndarray:
    if ind.denominator in LAND_DENOMINATORS:
        return base[ind.denominator]
    v = _float(cols, ind.denominator, n)
    return np.full(n, np.nan) if v is None else v


def advise(ev: Evaluation, cols: Columns, sizing: Sizing | None = None) -> Advice:
    """What each failing or incomplete indicator of every row must reach (see the module docstring).

    Parameters
    ----------
    ev : Evaluation
    cols : mapping of column name → ndarray
        The columns ``ev`` was evaluated from.
    sizing : Sizing, optional
        :func:`standardland.rules.sizing.size` of the same rows (computed when not given).

    Returns
    -------
    Advice
        Its :meth:`~Advice.relative_change` is vectorized; its levers are built when first read.
    """
    n = ev.n
    sizing = sizing if sizing is not None else size(ev, cols)
    failing: dict[str, np.ndarray] = {}
    directs: dict[str, np.ndarray] = {}
    for ind in ev.cat.indicators:
        st = ev.status[ind.id]
        fail, miss = st == FAIL, st == MISSING
        any_miss = miss.any()
        if not (any_miss or fail.any()):
            continue
        if any_miss:  # an unresolved threshold has no lever: the industry or the land grade must be fixed
            lo, hi = ev.required(ind.id)
            m = np.flatnonzero(miss)
            unresolved = ev.bounds[ind.id].unresolved
            stuck = unresolved[ev.key_index[m]] if len(unresolved) else np.zeros(len(m), dtype=bool)
            miss[m[(np.isnan(lo[m]) & np.isnan(hi[m])) | stuck]] = False
        rows = fail | miss
        if not rows.any():
            continue
        failing[ind.id] = rows
        direct = _float(cols, ind.id, n)
        if direct is not None and not np.isnan(direct).all():
            directs[ind.id] = direct
    return Advice(ev, sizing, cols, failing, land_area(cols, n)["land_area_m2"], directs)


def _levers(adv: Advice) -> list[Lever]:
    ev, cols, n = adv.ev, adv.cols, adv.ev.n
    base = land_area(cols, n)
    levers: list[Lever] = []
    for ind_id, rows in adv.failing.items():
        ind = ev.cat.get(ind_id)
        up = adv.short[ind_id]
        down = rows & ~up
        bound = adv.bound[ind_id]

        def add(field, action, side, mask, cur, tgt, ind=ind):
            if mask.any():
                levers.append(Lever(ind.id, field, action, cur, tgt, side, mask))

        direct = adv.direct.get(ind_id)
        if direct is not None:
            given = ~np.isnan(direct)
            add(ind.id, "raise", "min", up & given, direct, bound)
            add(ind.id, "reduce", "max", down & given, direct, bound)
            up, down = up & ~given, down & ~given
        num = _float(cols, ind.numerator, n)
        num = np.full(n, np.nan) if num is None else num
        den = _den(ind, cols, base, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            num_target = bound * den / ind.scale
        known_den = ~np.isnan(den)
        have = ~np.isnan(num) & known_den
        add(ind.numerator, "raise", "min", up & have, num, num_target)
        add(ind.numerator, "reduce", "max", down & have, num, num_target)
        give = np.isnan(num) & known_den
        add(ind.numerator, "provide", "min", up & give, num, num_target)
        add(ind.numerator, "provide", "max", down & give, num, num_target)
        if ind.denominator not in LAND_DENOMINATORS:
            with np.errstate(invalid="ignore", divide="ignore"):
                den_target = num * ind.scale / bound
            ok = have & (bound > 0)
            add(ind.denominator, "reduce", "min", up & ok, den, den_target)
            add(ind.denominator, "raise", "max", down & ok, den, den_target)
    return levers


# -- presentation of one row ---------------------------------------------------------------------

@cache
def texts(lang: str) -> dict[str, str]:
    """The advice texts in ``lang`` (``zh`` | ``en``): the ``advice_*`` keys of ``web/i18n.json``,
    without the prefix."""
    from ..labels import family

    return family("advice_", lang)


def _round(v: float, up: bool, digits: int = 2) -> float:
    """``v`` rounded outward to ``digits`` decimals (up for a raise, down for a reduction), absorbing
    the engine's tolerance so an exact target does not round a step further."""
    s = v * 10**digits
    slack = REL_TOL * max(1.0, abs(s))
    return (math.ceil(s - slack) if up else math.floor(s + slack)) / 10**digits


def _fmt(v: float) -> str:
    s = f"{v:,.2f}"
    return s.rstrip("0").rstrip(".")


def input_units(raw: dict | None) -> dict[str, str]:
    """The unit the user typed per quantity field (``{"value", "unit"}`` entries of the project)."""
    return {k: v["unit"] for k, v in (raw or {}).items() if isinstance(v, dict) and isinstance(v.get("unit"), str)}


def advice_row(adv: Advice, row: int = 0, *, units: dict[str, str] | None = None, lang: str = "zh") -> dict:
    """The ``advice`` JSON of one row: ``{"levers": [...], "land": {...} | None, "within": x, "sizing": {...}}``
    (``sizing``: the row's land-sizing interval, ``min_area`` / ``max_area`` in m², 亩 and 公顷, None
    where unbounded, and whether it is ``feasible``).

    Each lever names the indicator, the field, the action, ``by`` and ``to`` in the user's unit
    (exact and unrounded; ``unit``), the canonical values, the indicator's value before and at the
    target, and a text. ``within`` is the row's :meth:`Advice.relative_change` (None for inf)."""
    lang = "zh" if (lang or "zh").startswith("zh") else "en"
    units = units or {}
    specs = quantity_fields(adv.ev.cat)
    tx = texts(lang)
    out = []
    for lv in adv.levers:
        t = lv.target[row]
        if not lv.rows[row] or np.isnan(t):
            continue
        cur = lv.current[row]
        ind = adv.ev.cat.get(lv.indicator)
        canon = specs[lv.field].unit if lv.field in specs else ind.unit
        unit = units.get(lv.field, canon)
        to = convert(float(t), canon, unit) if unit != canon else float(t)
        spec = specs.get(lv.field)
        name = (spec.label_zh if lang == "zh" else spec.label_en) if spec else ind.name(lang)
        shown_unit = "" if unit == "-" else unit
        up = lv.action == "raise" or (lv.action == "provide" and lv.side == "min")
        if lv.action == "provide":
            key = "provide_min" if up else "provide_max"
            text = tx[key].format(name=name, to=_fmt(_round(to, up)), unit=shown_unit).strip()
            by = None
        else:
            now = convert(float(cur), canon, unit) if unit != canon else float(cur)
            by = abs(to - now)
            text = tx[lv.action].format(name=name, by=_fmt(_round(by, True)), unit=shown_unit,
                                        to=_fmt(_round(to, up))).replace("  ", " ")
        act = adv.ev.actual[ind.id][row]
        lo, hi = (a[row] for a in adv.ev.required(ind.id))
        at = lo if lv.side == "min" else hi
        effect = tx["effect"].format(ind=ind.name(lang), a="—" if np.isnan(act) else _fmt(act), b=_fmt(at))
        out.append({"indicator": ind.id, "field": lv.field, "action": lv.action, "unit": unit,
                    "by": by, "to": to, "canonical_unit": canon, "to_canonical": float(t),
                    "indicator_before": None if np.isnan(act) else float(act), "indicator_after": float(at),
                    "text": tx["with_effect"].format(text=text, effect=effect)})
    land = None
    t = adv.land_target()[row]
    if not np.isnan(t):
        unit = units.get(LAND, "亩")
        cur = adv.area_m2[row]
        reduce = t < cur
        to = convert(float(t), "m²", unit)
        j = adv.sizing.max_by[row] if reduce else adv.sizing.min_by[row]
        land = {"action": "reduce" if reduce else "raise", "unit": unit, "to": to,
                "by": abs(convert(float(cur), "m²", unit) - to), "area": area_dict(float(t)),
                "binding": adv.sizing.indicators[j].id if j >= 0 else None,
                "passes": bool(adv.land_fixes_all()[row]),
                "text": tx["land_max" if reduce else "land_min"].format(
                    to=_fmt(_round(to, not reduce)), unit=unit)}
    if land is None and adv.sizing.empty[row]:
        land = {"action": None, "feasible": False, "binding": None, "text": tx["no_land"]}
    rel = float(adv.relative_change_cached()[row])
    sz = adv.sizing
    interval = {"feasible": not bool(sz.empty[row]), "min_area": area_dict(float(sz.min_m2[row])),
                "max_area": area_dict(float(sz.max_m2[row]))}
    interval["text"] = sizing_text(interval, lang)
    return {"levers": out, "land": land, "within": None if not np.isfinite(rel) else rel, "sizing": interval}


def sizing_text(interval: dict, lang: str) -> str:
    """The land-sizing interval in words, in 亩, rounded *inward* (the minimum up, the maximum down) so
    every area shown lies inside it."""
    tx = texts(lang)
    if not interval["feasible"]:
        return tx["sizing_none"]
    lo, hi = interval["min_area"], interval["max_area"]
    return tx["sizing_interval"].format(min=_fmt(_round(lo["mu"], True)) if lo else "0",
                                        max=_fmt(_round(hi["mu"], False)) if hi else "+∞")
