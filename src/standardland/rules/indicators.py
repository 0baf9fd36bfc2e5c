"""The indicator catalogue and effective thresholds.

控制指标 (control indicators) are defined as data in ``geodata/indicators/catalogue.json``.
Thresholds come in layers (national, province, city, park, parcel); the **effective**
threshold is the strictest: the max of the minimums, the min of the maximums, ranges
intersected. Every layer's value is kept with its provenance, and the winner is named.
Rule-set versions are chosen by the project's ``decision_date``, never by today's date.
Advisory values (the 2023 national *recommended* investment intensity) never fail a
project; falling short of them is a ``warn``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from ..resources import geodata

LAYERS = ("national", "province", "city", "park", "parcel")
LAYER_RANK = {name: i for i, name in enumerate(LAYERS)}
CHECKPOINTS = ("screening", "acceptance", "production_review")


@dataclass(frozen=True)
class Indicator:
    id: str
    name_zh: str
    name_en: str
    unit: str
    direction: str  # min | max | range
    numerator: str
    denominator: str
    scale: float
    checkpoints: tuple[str, ...]

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en


@dataclass(frozen=True)
class Catalogue:
    indicators: tuple[Indicator, ...]
    inputs: dict  # input id -> {"unit", "name_zh", "name_en"}

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def get(self, ind_id: str) -> Indicator:
        for i in self.indicators:
            if i.id == ind_id:
                return i
        raise KeyError(ind_id)


def parse_catalogue(doc: dict) -> Catalogue:
    from ..errors import RuleSetError
    from ..units import parse_unit

    inputs = {}
    for i, inp in enumerate(doc.get("inputs", [])):
        parse_unit(inp["unit"], field=f"inputs[{i}].unit")
        inputs[inp["id"]] = inp
    inds = []
    for i, d in enumerate(doc.get("indicators", [])):
        where = f"indicators[{i}]"
        for k in ("id", "name_zh", "name_en", "unit", "direction", "numerator", "denominator"):
            if k not in d:
                raise RuleSetError(f"missing '{k}'", field=f"{where}.{k}")
        if d["direction"] not in ("min", "max", "range"):
            raise RuleSetError(f"direction '{d['direction']}'", field=f"{where}.direction", expected="min, max or range")
        parse_unit(d["unit"], field=f"{where}.unit")
        for k in ("numerator", "denominator"):
            if d[k] not in inputs and d[k] != "land_area_mu":
                raise RuleSetError(f"'{d[k]}' is not a declared input", field=f"{where}.{k}",
                                   expected="an id under 'inputs' (or land_area_mu)")
        cps = tuple(d.get("checkpoints", CHECKPOINTS))
        bad = [c for c in cps if c not in CHECKPOINTS]
        if bad:
            raise RuleSetError(f"unknown checkpoint(s) {bad}", field=f"{where}.checkpoints", expected=str(CHECKPOINTS))
        inds.append(Indicator(d["id"], d["name_zh"], d["name_en"], d["unit"], d["direction"], d["numerator"],
                              d["denominator"], float(d.get("scale", 1)), cps))
    return Catalogue(tuple(inds), inputs)


@cache
def catalogue() -> Catalogue:
    """The shipped catalogue (``geodata/indicators/catalogue.json``)."""
    return parse_catalogue(json.loads(geodata("indicators", "catalogue.json").read_text(encoding="utf-8")))


# -- thresholds ----------------------------------------------------------------------------

@dataclass
class LayerValue:
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
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Threshold:
    """The effective threshold of one indicator in one context, with every layer's value."""

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

    @property
    def conflict(self) -> bool:
        return self.min is not None and self.max is not None and self.min > self.max


@dataclass(frozen=True)
class Context:
    """What a threshold depends on: when, what industry, where."""

    decision_date: date
    industry_2017: tuple[str, ...] = ()
    industry_2002: tuple[str, ...] = ()
    industry_error: str | None = None
    region_class: int | None = None
    zone_tier: str | None = None
    admin_code: str | None = None  # 6-digit county code of the parcel
    park: str | None = None


def applicable_rulesets(rulesets: list, ctx: Context) -> list:
    """Rule sets in force on ``ctx.decision_date`` whose scope covers the parcel; latest per series."""
    best: dict[str, object] = {}
    for rs in rulesets:
        if not rs.in_force(ctx.decision_date) or not rs.covers(ctx):
            continue
        cur = best.get(rs.series)
        if cur is None or rs.effective_from > cur.effective_from:
            best[rs.series] = rs
    return sorted(best.values(), key=lambda r: (LAYER_RANK[r.layer], r.id))


def effective_thresholds(ctx: Context, rulesets: list, cat: Catalogue | None = None) -> dict[str, Threshold]:
    """Effective thresholds per indicator for one context (without the parcel's own layer)."""
    cat = cat or catalogue()
    chosen = applicable_rulesets(rulesets, ctx)
    out = {ind.id: Threshold(ind.id) for ind in cat.indicators}
    for rs in chosen:
        for ind_id, th in out.items():
            rules = rs.rules_by_indicator.get(ind_id)
            if not rules:
                continue
            value, why = rs.value_for(ind_id, rules, ctx)
            if why:
                th.unresolved = th.unresolved or why
                th.layers.append(LayerValue(rs.layer, rs.id, rs.version, None, None, "binding", None, rs.source,
                                            note=why))
                continue
            if value is None:
                th.layers.append(LayerValue(rs.layer, rs.id, rs.version, None, None, "binding", None, rs.source,
                                            note="no value on file"))
                continue
            th.layers.append(value)
            _tighten(th, value)
    return out


def _tighten(th: Threshold, lv: LayerValue) -> None:
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


def parcel_layer(attrs: dict, cat: Catalogue | None = None) -> dict[str, LayerValue]:
    """The parcel's own thresholds from attributes ``<indicator>_min`` / ``<indicator>_max``."""
    cat = cat or catalogue()
    out = {}
    for ind in cat.indicators:
        lo, hi = attrs.get(f"{ind.id}_min"), attrs.get(f"{ind.id}_max")
        if lo is None and hi is None:
            continue
        out[ind.id] = LayerValue("parcel", "parcel", "-", lo, hi, "binding", None,
                                 "出让公告 parcel-specific value")
    return out


def with_parcel_layer(ths: dict[str, Threshold], attrs: dict, cat: Catalogue | None = None) -> dict[str, Threshold]:
    import copy

    out = copy.deepcopy(ths)
    for ind_id, lv in parcel_layer(attrs, cat).items():
        out[ind_id].layers.append(lv)
        _tighten(out[ind_id], lv)
    return out
