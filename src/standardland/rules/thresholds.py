"""Effective thresholds: the one home of threshold layering (DOMAIN §4).

Thresholds come in layers: the rule sets (national, province, city, park), the parcel's own
values published in its 出让公告 (attributes ``<id>_min`` / ``<id>_max``) and the commitments of
an agreement (投资建设协议 承诺指标, layer ``agreement``). The **effective** threshold is the
strictest: the max of the minimums, the min of the maximums, ranges intersected; on a tie the
earlier layer keeps it. Every layer's value is kept with its provenance and the winner is
named. Rule-set versions are chosen by the project's ``decision_date``, never by today's date.
Advisory values (the 2023 national *recommended* investment intensity) never fail a project;
falling short of them is a ``warn``.

Everything that compares thresholds calls this module: the engine (per context, then
:func:`tighten_rows` for the per-row layers), the published thresholds of the map and OGC
API, and the workflow's inspections.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping

import numpy as np

from .catalogue import Catalogue, catalogue

LAYERS = ("national", "province", "city", "park", "parcel", "agreement")
RULESET_LAYERS = LAYERS[:4]
ROW_LAYERS = ("parcel", "agreement")  # layers that vary per row, not per context
LAYER_RANK = {name: i for i, name in enumerate(LAYERS)}
ROW_LAYER_SOURCE = {"parcel": "出让公告 parcel-specific value", "agreement": "投资建设协议 commitment"}
SIDES = ("min", "max")
_NONE = np.array([None], dtype=object)  # appended as the category of code −1 (missing)


@dataclass
class LayerValue:
    """One layer's value for one indicator, with its provenance.

    Attributes
    ----------
    layer : str
        One of :data:`LAYERS`.
    ruleset, version : str
        The rule set and its version (``parcel``/``agreement`` and ``-`` for a per-row layer).
    min, max : float or None
        The bounds in the indicator's canonical unit.
    severity : str
        ``binding`` or ``advisory`` (an advisory value only warns).
    verified, source, clause, note : str or None
        Provenance: verification grade, document, clause, and why a value is absent.

    Examples
    --------
    >>> LayerValue("national", "national-2023", "2023", 1.0, None, "binding", "V", "自然资发〔2023〕").to_dict()["min"]
    1.0
    """

    layer: str
    ruleset: str
    version: str
    min: float | None
    max: float | None
    severity: str
    verified: str | None
    source: str | None
    clause: str | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        """The value as the JSON contract prints it."""
        return dict(self.__dict__)


@dataclass
class Threshold:
    """The effective threshold of one indicator in one context, with every layer's value.

    ``min``/``max`` are the binding bounds and ``*_layer`` the layer that set each;
    ``advisory_min``/``advisory_max`` the strictest advisory values; ``layers`` every layer
    consulted, in order, including those without a value (with a ``note``).

    Examples
    --------
    >>> th = Threshold("far")
    >>> tighten(th, LayerValue("park", "p", "1", 3.2, 3.0, "binding", None, None))
    >>> th.conflict
    True
    """

    indicator: str
    min: float | None = None
    min_layer: LayerValue | None = None
    max: float | None = None
    max_layer: LayerValue | None = None
    advisory_min: float | None = None
    advisory_min_layer: LayerValue | None = None
    advisory_max: float | None = None
    advisory_max_layer: LayerValue | None = None
    layers: list[LayerValue] = field(default_factory=list)
    unresolved: str | None = None  # why the threshold could not be determined (industry unknown ...)
    out_of_scope: str | None = None  # why a rule set's industry-keyed value does not apply (its scope)

    @property
    def conflict(self) -> bool:
        """True when the binding minimum exceeds the binding maximum (no value can pass)."""
        return self.min is not None and self.max is not None and self.min > self.max


@dataclass(frozen=True)
class Context:
    """What a threshold depends on: when, what industry, where.

    Hashable, so distinct contexts are factorized and their thresholds computed once.

    Examples
    --------
    >>> from datetime import date
    >>> Context(date(2024, 6, 1), industry_2017=("39",), region_class=4).park is None
    True
    """

    decision_date: date
    industry_2017: tuple[str, ...] = ()
    industry_2002: tuple[str, ...] = ()
    industry_error: str | None = None
    region_class: int | None = None
    zone_tier: str | None = None
    admin_code: str | None = None  # 6-digit county code of the parcel
    park: str | None = None

    @classmethod
    def for_parcel(
        cls,
        parcel: Mapping,
        decision_date: date,
        *,
        parks=None,
        industry=None,
        no_industry: str = "no industry given: industry-keyed values are not shown",
    ) -> "Context":
        """The context of a parcel (a mapping with ``code``, ``park``, ``region_class``) on a date.

        ``parks`` (code, zone_tier) gives the park's zone tier; ``industry`` is a resolved
        :class:`standardland.industry.Industry` or None (then ``no_industry`` is the reason
        industry-keyed values are unresolved).

        Examples
        --------
        >>> from datetime import date
        >>> c = Context.for_parcel({"code": "370613004002GB10001", "park": None, "region_class": 4.0},
        ...                        date(2024, 1, 1))
        >>> (c.admin_code, c.region_class)
        ('370613', 4)
        """
        rc = parcel.get("region_class")
        rc = None if rc is None or _isnan(rc) else int(rc)
        park = parcel.get("park")
        park = None if park is None or _isnan(park) else park
        return cls(
            decision_date=decision_date,
            industry_2017=tuple(industry.div2017) if industry else (),
            industry_2002=tuple(industry.div2002) if industry else (),
            industry_error=industry.error if industry else no_industry,
            region_class=rc,
            zone_tier=zone_tiers(parks).get(park) if park else None,
            admin_code=admin_code(parcel.get("code")),
            park=park,
        )


def _isnan(v) -> bool:
    try:
        return v != v  # NaN, pd.NA-safe enough for scalars
    except (TypeError, ValueError):
        return True


def admin_code(parcel_code) -> str | None:
    """The 6-digit county code of a 宗地代码 / 不动产单元号 (its first six characters).

    Examples
    --------
    >>> admin_code("370613004002GB10001"), admin_code(None)
    ('370613', None)
    """
    return str(parcel_code)[:6] if isinstance(parcel_code, str) and parcel_code else None


def zone_tiers(parks) -> dict:
    """park code → zone tier, from the store's parks table (a frame with ``code``, ``zone_tier``).

    Examples
    --------
    >>> import pandas as pd
    >>> zone_tiers(pd.DataFrame({"code": ["p1", "p2"], "zone_tier": ["A", None]}))
    {'p1': 'A', 'p2': None}
    """
    if parks is None or not len(parks):
        return {}
    return {c: (None if t is None or _isnan(t) else t) for c, t in zip(parks["code"], parks["zone_tier"], strict=True)}


def tighten(th: Threshold, lv: LayerValue) -> None:
    """Tighten ``th`` by one layer's value: a higher minimum or a lower maximum wins (a tie does not).

    Examples
    --------
    >>> th = Threshold("far")
    >>> tighten(th, LayerValue("national", "n", "1", 0.8, None, "binding", "V", None))
    >>> tighten(th, LayerValue("park", "p", "1", 1.0, 3.0, "binding", None, None))
    >>> (th.min, th.min_layer.ruleset, th.max)
    (1.0, 'p', 3.0)
    """
    adv = lv.severity == "advisory"
    if lv.min is not None:
        if adv:
            if th.advisory_min is None or lv.min > th.advisory_min:
                th.advisory_min, th.advisory_min_layer = lv.min, lv
        elif th.min is None or lv.min > th.min:
            th.min, th.min_layer = lv.min, lv
    if lv.max is not None:
        if adv:
            if th.advisory_max is None or lv.max < th.advisory_max:
                th.advisory_max, th.advisory_max_layer = lv.max, lv
        elif th.max is None or lv.max < th.max:
            th.max, th.max_layer = lv.max, lv


def tighten_rows(value, by, own: np.ndarray, label, side: str):
    """Row-wise :func:`tighten` of one side by a per-row layer: ``(value, by)`` after ``own``.

    ``value`` and ``by`` are the bound and its winner so far (arrays or scalars that broadcast);
    ``own`` the per-row layer's values (NaN where it has none) and ``label`` its name or code.
    With ``by=None`` only the value is tightened (``by`` stays None): the engine's decision path.

    Examples
    --------
    >>> v, by = tighten_rows(np.array([1.0, 1.0, np.nan]), np.array(["n", "n", None], dtype=object),
    ...                      np.array([1.2, 1.0, 0.5]), "parcel", "min")
    >>> v.tolist(), by.tolist()
    ([1.2, 1.0, 0.5], ['parcel', 'n', 'parcel'])
    """
    if by is None:  # the same rule without the winner: NaN-aware max of minimums, min of maximums
        return (np.fmax if side == "min" else np.fmin)(value, own), None
    better = np.greater if side == "min" else np.less
    with np.errstate(invalid="ignore"):
        wins = ~np.isnan(own) & (np.isnan(value) | better(own, value))
    return np.where(wins, own, value), np.where(wins, label, by)


def applicable_rulesets(rulesets: list, ctx: Context) -> list:
    """Rule sets in force on ``ctx.decision_date`` whose scope covers the parcel; latest per series.

    Parameters
    ----------
    rulesets : list of RuleSet
        Candidate rule sets (all versions of every series).
    ctx : Context
        The decision date, industry and place.

    Returns
    -------
    list of RuleSet
        At most one version per series, ordered national → province → city → park.

    Examples
    --------
    >>> from datetime import date
    >>> from standardland.rules.rulesets import load_rulesets, shipped_rulesets
    >>> rs = load_rulesets(shipped_rulesets())
    >>> [r.id for r in applicable_rulesets(rs, Context(date(2010, 1, 1)))]
    ['national-2008']
    """
    best: dict[str, Any] = {}
    for rs in rulesets:
        if not rs.in_force(ctx.decision_date) or not rs.covers(ctx):
            continue
        cur = best.get(rs.series)
        if cur is None or rs.effective_from > cur.effective_from:
            best[rs.series] = rs
    return sorted(best.values(), key=lambda r: (LAYER_RANK[r.layer], r.id))


_MEMO: dict = {}
_MEMO_MAX = 20_000


def effective_thresholds(
    ctx: Context, rulesets: list, cat: Catalogue | None = None, only: Iterable[str] | None = None
) -> dict[str, Threshold]:
    """Effective thresholds per indicator for one context (rule-set layers only).

    ``only`` limits the work to these indicator ids (the others get an empty threshold).
    The answer is shared between calls with the same context and rule-set objects: treat it as
    read-only (:func:`with_layers` returns a tightened copy).

    Parameters
    ----------
    ctx : Context
        The decision date, industry and place.
    rulesets : list of RuleSet
        Candidate rule sets; :func:`applicable_rulesets` chooses among them.
    cat : Catalogue, optional
        The indicator catalogue (the shipped one by default).
    only : iterable of str, optional
        Indicator ids to compute.

    Returns
    -------
    dict of str to Threshold
        One threshold per catalogue indicator.

    Examples
    --------
    >>> from datetime import date
    >>> from standardland.rules.rulesets import load_rulesets, shipped_rulesets
    >>> ctx = Context(date(2024, 6, 1), industry_2017=("39",), industry_2002=("36", "39", "40"),
    ...               region_class=4, admin_code="370613")
    >>> far = effective_thresholds(ctx, load_rulesets(shipped_rulesets()))["far"]
    >>> far.min, far.min_layer.ruleset
    (1.0, 'national-2023')
    """
    cat = cat or catalogue()
    key = (ctx, tuple(map(id, rulesets)), id(cat), None if only is None else frozenset(only))
    hit = _MEMO.get(key)
    if hit is not None:
        return hit[1]
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    out = _effective_thresholds(ctx, rulesets, cat, only)
    _MEMO[key] = ((tuple(rulesets), cat), out)  # holding the objects keeps their ids from being reused
    return out


def _effective_thresholds(ctx: Context, rulesets: list, cat: Catalogue, only) -> dict[str, Threshold]:
    chosen = applicable_rulesets(rulesets, ctx)
    out = {ind.id: Threshold(ind.id) for ind in cat.indicators}
    wanted = set(only) if only is not None else None
    for rs in chosen:
        for ind_id, th in out.items():
            if wanted is not None and ind_id not in wanted:
                continue
            rules = rs.rules_by_indicator.get(ind_id)
            if not rules:
                continue
            value, why, kind = rs.value_for(ind_id, rules, ctx)
            if why:
                if kind == "out_of_scope":
                    th.out_of_scope = th.out_of_scope or why
                else:
                    th.unresolved = th.unresolved or why
                th.layers.append(
                    LayerValue(rs.layer, rs.id, rs.version, None, None, "binding", None, rs.source, note=why)
                )
                continue
            if value is None:
                th.layers.append(
                    LayerValue(
                        rs.layer,
                        rs.id,
                        rs.version,
                        None,
                        None,
                        "binding",
                        None,
                        rs.source,
                        note="no value on file",
                    )
                )
                continue
            th.layers.append(value)
            tighten(th, value)
    return out


# -- the per-row layers: the parcel's own values and an agreement's commitments --------------


def limit_column(ind_id: str, side: str, layer: str = "parcel") -> str:
    """The engine column of a per-row layer's bound: ``far_min`` (parcel), ``agreement:far_min``.

    Examples
    --------
    >>> limit_column("far", "min"), limit_column("far", "min", "agreement")
    ('far_min', 'agreement:far_min')
    """
    return f"{ind_id}_{side}" if layer == "parcel" else f"{layer}:{ind_id}_{side}"


def own_limits(attrs: Mapping | None, cat: Catalogue | None = None, *, where: str = "attrs") -> dict:
    """``{indicator: (min, max)}`` from attributes ``<id>_min`` / ``<id>_max`` (validated).

    A value that is not a finite number is an :class:`~standardland.errors.InputError` naming
    ``where.<key>``; absent and empty values are no value.

    Examples
    --------
    >>> own_limits({"far_min": 1.2, "green_ratio_max": "", "name": "x"})
    {'far': (1.2, None)}
    """
    cat = cat or catalogue()
    out: dict[str, tuple[float | None, float | None]] = {}
    if not attrs:
        return out
    for ind in cat.indicators:
        pair = []
        for side in SIDES:
            v = attrs.get(f"{ind.id}_{side}")
            pair.append(_limit(v, f"{where}.{ind.id}_{side}"))
        if pair[0] is not None or pair[1] is not None:
            out[ind.id] = (pair[0], pair[1])
    return out


def _limit(v, fieldname: str) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v)):
        return None
    try:
        if isinstance(v, bool):
            raise ValueError
        f = float(v)
        if not math.isfinite(f):
            raise ValueError
    except (TypeError, ValueError) as exc:
        from ..errors import InputError

        raise InputError(
            f"{v!r} is not a number",
            field=fieldname,
            expected="a finite number in the indicator's canonical unit",
        ) from exc
    return f


def commitment_limits(commitments: Mapping | None, cat: Catalogue | None = None) -> dict:
    """An agreement's commitments ``{indicator: value}`` as limits ``{"<id>_min" | "<id>_max": value}``.

    A commitment binds on the indicator's own direction (a maximum for ``max`` indicators);
    ids that are not in the catalogue are left out.

    Examples
    --------
    >>> commitment_limits({"investment_intensity": 300, "green_ratio": 15, "unknown": 1})
    {'investment_intensity_min': 300, 'green_ratio_max': 15}
    """
    cat = cat or catalogue()
    out = {}
    for ind_id, v in (commitments or {}).items():
        if ind_id in cat.ids:
            out[f"{ind_id}_{'max' if cat.get(ind_id).direction == 'max' else 'min'}"] = v
    return out


def row_layer_value(layer: str, lo: float | None, hi: float | None) -> LayerValue:
    """The :class:`LayerValue` of a per-row layer (parcel or agreement), with its provenance.

    Examples
    --------
    >>> row_layer_value("agreement", 300.0, None).source
    '投资建设协议 commitment'
    """
    return LayerValue(layer, layer, "-", lo, hi, "binding", None, ROW_LAYER_SOURCE[layer])


def with_layers(
    ths: dict[str, Threshold], layers: Mapping[str, Mapping | None], cat: Catalogue | None = None
) -> dict[str, Threshold]:
    """A copy of ``ths`` tightened by per-row layers, e.g. ``{"parcel": attrs, "agreement": limits}``.

    Parameters
    ----------
    ths : dict of str to Threshold
        Rule-set thresholds (from :func:`effective_thresholds`); left unchanged.
    layers : mapping of str to mapping
        Per layer (``parcel``, ``agreement``) its ``<id>_min``/``<id>_max`` values.
    cat : Catalogue, optional
        The indicator catalogue.

    Returns
    -------
    dict of str to Threshold
        The tightened copy; each per-row value is appended to the indicator's ``layers``.

    Examples
    --------
    >>> ths = {ind.id: Threshold(ind.id) for ind in catalogue().indicators}
    >>> far = with_layers(ths, {"parcel": {"far_min": 1.2}})["far"]
    >>> far.min, far.min_layer.layer, ths["far"].min
    (1.2, 'parcel', None)
    """
    out = copy.deepcopy(ths)
    for layer in ROW_LAYERS:
        for ind_id, (lo, hi) in own_limits(layers.get(layer), cat, where=layer).items():
            lv = row_layer_value(layer, lo, hi)
            out[ind_id].layers.append(lv)
            tighten(out[ind_id], lv)
    return out


def limit_columns(
    attrs: Iterable[Mapping | None], cat: Catalogue | None = None, layer: str = "parcel"
) -> dict:
    """Per-row layer columns ``{limit_column: float array}`` from a sequence of attribute dicts.

    Columns with no value in any row are left out; rows without a value hold NaN.

    Examples
    --------
    >>> cols = limit_columns([{"far_min": 1.2}, None], layer="parcel")
    >>> list(cols), cols["far_min"].tolist()
    (['far_min'], [1.2, nan])
    """
    cat = cat or catalogue()
    limits = [own_limits(a, cat, where=layer) for a in attrs]
    out = {}
    for ind in cat.indicators:
        for k, side in enumerate(SIDES):
            vals = np.array(
                [np.nan if (x := lim.get(ind.id)) is None or x[k] is None else x[k] for lim in limits],
                dtype="float64",
            )
            if len(vals) and not np.all(np.isnan(vals)):
                out[limit_column(ind.id, side, layer)] = vals
    return out


def parcel_columns(parcels, parks=None, cat: Catalogue | None = None) -> dict[str, np.ndarray]:
    """The engine columns of parcels: context, area, land use and their own ``<id>_min/_max`` layer.

    The context columns are region class, zone tier (from ``parks``), county code and park.

    Parameters
    ----------
    parcels : pandas.DataFrame
        Parcels with ``code``, ``park``, ``area_m2``, ``land_use_code``, ``region_class`` and
        optionally ``attrs``.
    parks : pandas.DataFrame, optional
        The parks table (``code``, ``zone_tier``).
    cat : Catalogue, optional
        The indicator catalogue.

    Returns
    -------
    dict of str to numpy.ndarray
        One array per engine column, in parcel order.

    Examples
    --------
    >>> import pandas as pd
    >>> parcels = pd.DataFrame({"code": ["370613004002GB10001"], "park": ["p1"], "area_m2": [10_000.0],
    ...                         "land_use_code": ["100101"], "region_class": [4.0],
    ...                         "attrs": [{"far_min": 1.2}]})
    >>> cols = parcel_columns(parcels, pd.DataFrame({"code": ["p1"], "zone_tier": ["A"]}))
    >>> cols["admin_code"][0], cols["zone_tier"][0], float(cols["far_min"][0])
    ('370613', 'A', 1.2)
    """
    import pandas as pd

    codes = parcels["code"].to_numpy(dtype=object)
    tiers = zone_tiers(parks)
    pcodes, parks_u = pd.factorize(parcels["park"].to_numpy(dtype=object))  # per distinct park, then gathered
    parks_u = np.asarray(parks_u, dtype=object)
    out = {
        "parcel_code": codes,
        "parcel_area_m2": parcels["area_m2"].to_numpy(dtype="float64"),
        "land_use_code": parcels["land_use_code"].to_numpy(dtype=object),
        "region_class": parcels["region_class"].to_numpy(dtype="float64", na_value=np.nan),
        "zone_tier": np.array([tiers.get(p) for p in parks_u] + [None], dtype=object)[pcodes],
        "admin_code": pd.Series(codes, dtype=object).str.slice(0, 6).to_numpy(dtype=object),
        "park": np.concatenate([parks_u, _NONE])[pcodes],
    }
    attrs = parcels["attrs"] if "attrs" in parcels.columns else [{}] * len(parcels)
    out.update(limit_columns(attrs, cat))
    return out
