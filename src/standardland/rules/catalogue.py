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
    """One control indicator: its formula, canonical unit, direction and checkpoints.

    The value is ``numerator ÷ denominator × scale`` over the project's inputs; ``direction``
    says which bound applies (``min``, ``max`` or both for ``range``).

    Examples
    --------
    >>> ind = catalogue().get("investment_intensity")
    >>> ind.unit, ind.direction, ind.denominator
    ('万元/亩', 'min', 'land_area_mu')
    """

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
        """The indicator's name in ``lang`` (Chinese unless ``lang`` is English).

        Examples
        --------
        >>> catalogue().get("investment_intensity").name("en")
        'Investment intensity'
        """
        return self.name_zh if lang.startswith("zh") else self.name_en


@dataclass(frozen=True)
class Catalogue:
    """The indicators in catalogue order, and the declared project inputs they are computed from.

    Examples
    --------
    >>> cat = catalogue()
    >>> cat.ids[:2]
    ('investment_intensity', 'far')
    >>> cat.inputs["land_area_m2"]["unit"]
    'm²'
    """

    indicators: tuple[Indicator, ...]
    inputs: dict  # input id -> {"unit", "name_zh", "name_en"}

    @property
    def ids(self) -> tuple[str, ...]:
        """Indicator ids in catalogue order."""
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
        """The indicator with id ``ind_id``; ``KeyError`` if there is none.

        Examples
        --------
        >>> catalogue().get("green_ratio").unit
        '%'
        """
        for i in self.indicators:
            if i.id == ind_id:
                return i
        raise KeyError(ind_id)


def parse_catalogue(doc: dict) -> Catalogue:
    """Validate and build a catalogue from its JSON document.

    Parameters
    ----------
    doc : dict
        ``{"inputs": [{"id", "unit", …}], "indicators": [{"id", "name_zh", "name_en", "unit",
        "direction", "numerator", "denominator", "scale"?, "checkpoints"?}]}``.

    Returns
    -------
    Catalogue
        The indicators in document order; ``checkpoints`` defaults to all three.

    Raises
    ------
    RuleSetError
        For a missing key, an unknown direction, input or checkpoint (naming the field).
    UnitError
        For an unknown unit.

    Examples
    --------
    >>> doc = {"inputs": [{"id": "floor_area_m2", "unit": "m²"}],
    ...        "indicators": [{"id": "floor_per_mu", "name_zh": "亩均建筑面积", "name_en": "Floor per mu",
    ...                        "unit": "m²", "direction": "min", "numerator": "floor_area_m2",
    ...                        "denominator": "land_area_mu"}]}
    >>> parse_catalogue(doc).get("floor_per_mu").checkpoints
    ('screening', 'acceptance', 'production_review')
    >>> doc["indicators"][0]["direction"] = "up"
    >>> parse_catalogue(doc)
    Traceback (most recent call last):
    ...
    standardland.errors.RuleSetError: indicators[0].direction: direction 'up' (expected min, max or range)
    """
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
    """The shipped catalogue (``geodata/indicators/catalogue.json``), parsed once.

    Examples
    --------
    >>> len(catalogue().indicators)
    10
    """
    return parse_catalogue(json.loads(geodata("indicators", "catalogue.json").read_text(encoding="utf-8")))
