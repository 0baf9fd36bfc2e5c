"""The indicator catalogue: 控制指标 (control indicators) as data.

Each indicator (``geodata/indicators/catalogue.json``) names its formula (numerator ÷
denominator × scale), canonical unit, direction (``min``, ``max`` or ``range``) and the
checkpoints at which it is judged: 准入 screening, 验收 acceptance, 达产复核 production review.
Thresholds and their layers live in :mod:`standardland.rules.thresholds`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from ..resources import geodata

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

    def at(self, checkpoint: str) -> frozenset[str]:
        """Ids of the indicators judged at ``checkpoint`` (the ``only=`` of an inspection).

        Examples
        --------
        >>> "tax_per_mu" in catalogue().at("production_review")
        True
        >>> "far" in catalogue().at("production_review")
        False
        """
        return frozenset(i.id for i in self.indicators if checkpoint in i.checkpoints)

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
            raise RuleSetError(
                f"direction '{d['direction']}'", field=f"{where}.direction", expected="min, max or range"
            )
        parse_unit(d["unit"], field=f"{where}.unit")
        for k in ("numerator", "denominator"):
            if d[k] not in inputs and d[k] != "land_area_mu":
                raise RuleSetError(
                    f"'{d[k]}' is not a declared input",
                    field=f"{where}.{k}",
                    expected="an id under 'inputs' (or land_area_mu)",
                )
        cps = tuple(d.get("checkpoints", CHECKPOINTS))
        bad = [c for c in cps if c not in CHECKPOINTS]
        if bad:
            raise RuleSetError(
                f"unknown checkpoint(s) {bad}", field=f"{where}.checkpoints", expected=str(CHECKPOINTS)
            )
        inds.append(
            Indicator(
                d["id"],
                d["name_zh"],
                d["name_en"],
                d["unit"],
                d["direction"],
                d["numerator"],
                d["denominator"],
                float(d.get("scale", 1)),
                cps,
            )
        )
    return Catalogue(tuple(inds), inputs)


@cache
def catalogue() -> Catalogue:
    """The shipped catalogue (``geodata/indicators/catalogue.json``)."""
    return parse_catalogue(json.loads(geodata("indicators", "catalogue.json").read_text(encoding="utf-8")))
