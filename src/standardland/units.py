"""Units: the one home for every conversion (亩, 公顷, 万元, 万元/亩 ...).

Canonical units, used everywhere inside the product:

==============  ===============  ===========================================
dimension       canonical unit   also accepted
==============  ===============  ===========================================
area            m²               亩 (exactly 2000/3 m²), 公顷/ha, 万平方米, km²
money           万元             元, 亿元
intensity       万元/亩          万元/公顷, 元/m², 亿元/km² ...
percent         %                ratio (0–1)
ratio           (dimensionless)  -
energy          吨标煤 (tce)     万吨标煤
mass            吨 (t)           kg, 万吨
money/energy    万元/吨标煤
money/mass      万元/吨
count           人               person, jobs
count/area      人/亩
class           class (类)       -
==============  ===============  ===========================================

A quantity arrives either as a plain number *in its canonical unit* or as
``{"value": x, "unit": "万元/公顷"}``. An unknown unit, or a unit of the wrong
dimension, is a :class:`~standardland.errors.UnitError` naming the field.
Comparisons use unrounded values; :func:`display` rounds to 2 decimals for people.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import UnitError

#: 1 亩 in m², exactly (1 公顷 = 15 亩).
MU_M2: float = 2000 / 3

#: no quantity of a real project or parcel reaches this in its canonical unit (m², 万元, t, tce, a
#: threshold …): a larger one is a typo or an attack, refused before any arithmetic can overflow
QUANTITY_MAX: float = 1e12
HA_M2: float = 10_000.0
KM2_M2: float = 1_000_000.0

# base units: alias -> (dimension, factor to the dimension's canonical unit)
_BASE: dict[str, tuple[str, float]] = {}


def _reg(dim: str, factor: float, *aliases: str) -> None:
    for a in aliases:
        _BASE[a.lower()] = (dim, factor)


_reg("area", 1.0, "m2", "m²", "m^2", "sqm", "平方米", "㎡")
_reg("area", MU_M2, "亩", "mu")
_reg("area", HA_M2, "公顷", "ha", "hectare", "hectares", "hm2", "hm²")
_reg("area", KM2_M2, "km2", "km²", "km^2", "平方公里", "平方千米")
_reg("area", 1e4, "万平方米", "万m²", "万m2", "万㎡")
_reg("money", 1e-4, "元", "yuan", "cny", "rmb")
_reg("money", 1.0, "万元", "wan_yuan", "wanyuan", "10k_yuan", "10k yuan")
_reg("money", 1e4, "亿元", "yi_yuan", "100m_yuan")
_reg("energy", 1.0, "吨标煤", "tce", "t_ce", "吨标准煤")
_reg("energy", 1e4, "万吨标煤", "10k_tce")
_reg("mass", 1.0, "吨", "t", "tonne", "tonnes")
_reg("mass", 1e-3, "kg", "千克", "公斤")
_reg("mass", 1e4, "万吨", "10k_t")
_reg("percent", 1.0, "%", "percent", "pct", "百分比")
_reg("percent", 100.0, "ratio", "fraction", "share")
_reg("ratio", 1.0, "-", "", "1", "none", "dimensionless", "倍")
_reg("class", 1.0, "class", "类")
_reg("count", 1.0, "人", "person", "persons", "jobs", "count")

#: canonical unit per (compound) dimension
CANONICAL: dict[str, str] = {
    "area": "m²",
    "money": "万元",
    "money/area": "万元/亩",
    "percent": "%",
    "ratio": "-",
    "energy": "吨标煤",
    "mass": "吨",
    "money/energy": "万元/吨标煤",
    "money/mass": "万元/吨",
    "class": "class",
    "count": "人",
    "count/area": "人/亩",
}

# the canonical unit of a compound dimension is expressed in base units whose factor
# is not 1 (万元/亩 has 亩 below), so compound factors are normalised against it.
_COMPOUND_REF: dict[str, float] = {"money/area": 1.0 / MU_M2, "count/area": 1.0 / MU_M2}


def parse_unit(unit: str, *, field: str | None = None) -> tuple[str, float]:
    """Return ``(dimension, factor)`` so that ``value * factor`` is in the canonical unit.

    Parameters
    ----------
    unit : str
        A unit or compound unit (``"公顷"``, ``"万元/公顷"``, ``"元/m²"``); case, spaces and the
        full-width slash are ignored.
    field : str, optional
        The input field named in the error.

    Returns
    -------
    tuple of (str, float)
        The dimension (``"area"``, ``"money/area"`` …) and the factor to its canonical unit.

    Raises
    ------
    UnitError
        For an unknown unit or an unsupported compound dimension.

    Examples
    --------
    >>> parse_unit("公顷")
    ('area', 10000.0)
    >>> dim, factor = parse_unit("万元/公顷")
    >>> dim, round(factor, 6)
    ('money/area', 0.066667)
    """
    if not isinstance(unit, str):
        raise UnitError(f"unit must be a string, got {type(unit).__name__}", field=field)
    u = unit.strip().replace(" ", "").lower()
    u = u.replace("／", "/")
    if "/" in u:
        num, _, den = u.partition("/")
        if num not in _BASE or den not in _BASE:
            raise UnitError(f"unknown unit '{unit}'", field=field, expected=_accepted())
        (dn, fn), (dd, fd) = _BASE[num], _BASE[den]
        dim = f"{dn}/{dd}"
        if dim not in CANONICAL:
            raise UnitError(f"unit '{unit}' has an unsupported dimension {dim}", field=field,
                            expected=_accepted())
        return dim, (fn / fd) / _COMPOUND_REF.get(dim, 1.0)
    if u not in _BASE:
        raise UnitError(f"unknown unit '{unit}'", field=field, expected=_accepted())
    return _BASE[u]


def _accepted() -> str:
    return "one of " + ", ".join(sorted(set(CANONICAL.values()) | {"亩", "公顷", "万平方米", "km²", "元", "亿元",
                                                                    "万元/公顷", "元/m²", "ratio"}))


def convert(value: float, from_unit: str, to_unit: str, *, field: str | None = None) -> float:
    """Convert ``value`` between two units of the same dimension.

    Parameters
    ----------
    value : float
        The number in ``from_unit``.
    from_unit, to_unit : str
        Units as :func:`parse_unit` accepts them.
    field : str, optional
        The input field named in the error.

    Returns
    -------
    float
        ``value`` in ``to_unit``, unrounded.

    Raises
    ------
    UnitError
        When the units are unknown or of different dimensions.

    Examples
    --------
    >>> convert(1, "公顷", "亩")
    15.0
    >>> convert(480, "元/m²", "万元/亩")
    32.0
    """
    d1, f1 = parse_unit(from_unit, field=field)
    d2, f2 = parse_unit(to_unit, field=field)
    if d1 != d2:
        raise UnitError(f"cannot convert '{from_unit}' ({d1}) to '{to_unit}' ({d2})", field=field)
    return value * f1 / f2


def quantity(raw: Any, canonical_unit: str, *, field: str) -> float | None:
    """Parse a plain number (already in ``canonical_unit``) or ``{"value", "unit"}``.

    ``None`` and NaN stay missing (``None``; missing data is not zero). Booleans, strings and
    infinities are refused.

    Parameters
    ----------
    raw : Any
        A number in ``canonical_unit``, ``{"value": x, "unit": u}``, or ``None``.
    canonical_unit : str
        The field's canonical unit (see the module table).
    field : str
        The input field named in the error.

    Returns
    -------
    float or None
        The value in ``canonical_unit``; ``None`` when missing.

    Raises
    ------
    UnitError
        For a non-number, an infinite value, a malformed object or a unit of the wrong dimension.

    Examples
    --------
    >>> quantity({"value": 3600, "unit": "万元/公顷"}, "万元/亩", field="investment_intensity")
    240.0
    >>> quantity(None, "万元/亩", field="investment_intensity") is None
    True
    """
    if raw is None:
        return None
    if isinstance(raw, dict):
        extra = set(raw) - {"value", "unit"}
        if extra or "value" not in raw or "unit" not in raw:
            raise UnitError("a quantity object needs exactly the keys 'value' and 'unit'", field=field,
                            expected=f'{{"value": 1.0, "unit": "{canonical_unit}"}}')
        value = _number(raw["value"], field)
        if value is None:
            return None
        dim_in, f_in = parse_unit(raw["unit"], field=field)
        dim_out, f_out = parse_unit(canonical_unit, field=field)
        if dim_in != dim_out:
            raise UnitError(
                f"unit '{raw['unit']}' is {dim_in}, but this field is {dim_out}", field=field,
                expected=f"a {dim_out} unit such as '{canonical_unit}'")
        return value * f_in / f_out
    return _number(raw, field)


def _number(raw: Any, field: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, np.integer, np.floating)):
        raise UnitError(f"expected a number, got {type(raw).__name__} {raw!r}", field=field,
                        expected="a number in the canonical unit, or {value, unit}")
    try:
        v = float(raw)
    except OverflowError:  # an integer beyond any float (JSON allows 400 digits)
        raise UnitError(f"a number of {len(str(abs(int(raw))))} digits is too large", field=field,
                        expected=f"a finite number, at most {QUANTITY_MAX:g} in size") from None
    if math.isnan(v):
        return None
    if math.isinf(v):
        raise UnitError("infinite value", field=field, expected="a finite number")
    return v


# -- area helpers -------------------------------------------------------------------

def m2_to_mu(m2):
    """m² → 亩 (works on scalars and numpy arrays).

    Examples
    --------
    >>> m2_to_mu(2000)
    3.0
    """
    return m2 * 3 / 2000


def m2_to_ha(m2):
    """m² → 公顷 (works on scalars and numpy arrays).

    Examples
    --------
    >>> m2_to_ha(25_000)
    2.5
    """
    return m2 / HA_M2


def mu_to_m2(mu):
    """亩 → m² (works on scalars and numpy arrays).

    Examples
    --------
    >>> mu_to_m2(15)
    10000.0
    """
    return mu * 2000 / 3


def wan_per_ha_to_wan_per_mu(v):
    """万元/公顷 → 万元/亩 (÷ 15).

    Examples
    --------
    >>> wan_per_ha_to_wan_per_mu(3600)
    240.0
    """
    return v / 15


def wan_per_mu_to_wan_per_ha(v):
    """万元/亩 → 万元/公顷 (× 15).

    Examples
    --------
    >>> wan_per_mu_to_wan_per_ha(240)
    3600
    """
    return v * 15


def yuan_per_m2_to_wan_per_mu(v):
    """元/m² → 万元/亩 (× 2/30).

    Examples
    --------
    >>> yuan_per_m2_to_wan_per_mu(480)
    32.0
    """
    return v * 2 / 30


def display(value: float | None, digits: int = 2) -> str:
    """Round for people only; never compare displayed values.

    Parameters
    ----------
    value : float or None
        The unrounded value; ``None`` or NaN is shown as a dash.
    digits : int, default 2
        Decimals shown.

    Returns
    -------
    str
        The value with thousands separators, or ``"—"``.

    Examples
    --------
    >>> display(1234.5678)
    '1,234.57'
    >>> display(None)
    '—'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"
