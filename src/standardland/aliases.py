"""Header and value aliases (别名): the Chinese names real files use for our fields, as data.

``geodata/aliases/columns.csv`` maps a header (宗地代码, 出让价款(万元), 用地面积(亩) …) to a
canonical field, with the unit its values are in; ``geodata/aliases/values.csv`` maps a cell
value (已出让 …) to a canonical value. Both are read here and nowhere else; the provenance of
every row is in the file.

Rules:

- a header that names a unit converts its values to the field's canonical unit through
  :mod:`standardland.units` (``用地面积(亩)`` → ``land_area_m2`` × 666.67); a header of a
  known name with a unit in brackets (``面积(公顷)``) does too;
- a header with no unit for a quantity (a bare ``面积``) is refused as ambiguous, naming the
  headers that would be accepted: nothing is guessed;
- two headers naming the same field are refused;
- the scope says where an alias applies: ``parcel`` (parcel files), ``project`` (screening
  tables) or ``both``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from . import units
from .errors import DataValidationError, RowProblem
from .resources import geodata

SCOPES = ("parcel", "project")
#: canonical units of the parcel fields that are quantities (project fields: rules/fields.py)
PARCEL_UNITS = {"transfer_price_wan_yuan": "万元", "declared_area_m2": "m²"}
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")"})
_WITH_UNIT = re.compile(r"^(.+)\(([^()]+)\)$")


@dataclass(frozen=True)
class Alias:
    """One accepted header: the canonical field it names, the unit its values are in, its scope."""

    canonical: str
    alias: str
    unit: str | None  # the unit of the values under this header; None: none named
    scope: str  # parcel, project or both
    source: str


def normalise(header) -> str:
    """A header as aliases are matched: brackets half-width, blanks removed, lower case."""
    return re.sub(r"\s+", "", str(header).translate(_BRACKETS)).lower()


@cache
def column_aliases() -> tuple[Alias, ...]:
    """Every row of ``geodata/aliases/columns.csv``."""
    with open(geodata("aliases", "columns.csv"), encoding="utf-8") as fh:
        return tuple(Alias(r["canonical"], r["alias"], r["unit"] or None, r["scope"], r["source"])
                     for r in csv.DictReader(fh))


@cache
def value_aliases(field: str) -> dict[str, str]:
    """Cell value → canonical value for ``field`` (``geodata/aliases/values.csv``)."""
    with open(geodata("aliases", "values.csv"), encoding="utf-8") as fh:
        return {r["alias"]: r["canonical"] for r in csv.DictReader(fh) if r["field"] == field}


def _in_scope(a: Alias, scope: str) -> bool:
    return a.scope in (scope, "both")


def canonical_units(scope: str) -> dict[str, str]:
    """The canonical unit of every quantity field of ``scope``."""
    if scope == "parcel":
        return dict(PARCEL_UNITS)
    from .rules.fields import quantity_fields

    return {k: f.unit for k, f in quantity_fields().items()}


def accepted(field: str, scope: str) -> str:
    """``field`` and its aliases, for an error message: 'code (or 宗地代码, 宗地编号, …)'."""
    names = [a.alias for a in column_aliases() if a.canonical == field and _in_scope(a, scope)
             and (a.unit is not None or field not in canonical_units(scope))]
    return field + (f" (or {', '.join(names)})" if names else "")


def _quantity_headers(field: str, scope: str) -> str:
    return ", ".join(a.alias for a in column_aliases()
                     if a.canonical == field and _in_scope(a, scope) and a.unit is not None)


def resolve_headers(columns, scope: str) -> tuple[dict[str, tuple[str, str | None]], list[RowProblem]]:
    """Map each aliased header to ``(canonical field, unit of its values)``; canonical names map to themselves.

    Returns the mapping (only headers that change or carry a unit) and the problems (ambiguous
    unit-less quantities, two headers for one field). Headers that match nothing are left out.
    """
    table = {}
    for a in column_aliases():
        if _in_scope(a, scope):
            table.setdefault(normalise(a.alias), a)
    qty = canonical_units(scope)
    out: dict[str, tuple[str, str | None]] = {}
    problems: list[RowProblem] = []
    for col in columns:
        if not isinstance(col, str):
            continue
        key = normalise(col)
        a = table.get(key)
        unit = a.unit if a else None
        if a is None and (m := _WITH_UNIT.match(key)) and (base := table.get(m.group(1))) is not None \
                and base.canonical in qty:
            try:
                dim, _ = units.parse_unit(m.group(2))
                same = dim == units.parse_unit(qty[base.canonical])[0]
            except units.UnitError:
                same = False
            if same:
                a, unit = base, m.group(2)
        if a is None:
            continue
        if a.canonical in qty and unit is None and qty[a.canonical] not in ("-", ""):  # a pure ratio (容积率) has none
            problems.append(RowProblem(0, col, f"the header names no unit, so '{col}' is ambiguous; expected "
                                               f"a header with its unit: {_quantity_headers(a.canonical, scope)}"))
            continue
        out[col] = (a.canonical, unit)
    seen: dict[str, str] = {}
    for col in columns:
        target = out[col][0] if col in out else col
        if target in seen:
            problems.append(RowProblem(0, col, f"'{seen[target]}' and '{col}' both name {target}; expected one "
                                               "column per field"))
        else:
            seen[target] = col
    return out, problems


def apply_column_aliases(df: pd.DataFrame, scope: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename aliased headers to canonical fields, converting values of unit-naming headers and, in
    project tables, cells written in words that ``values.csv`` names (工业类别 一类 → 1).

    Returns the frame and ``{header: canonical}`` of what was renamed (for the summary).
    Raises :class:`DataValidationError` for ambiguous or doubled headers (nothing guessed).
    A cell that is not a number is left as it is, so validation reports it with its row.
    """
    mapping, problems = resolve_headers(list(df.columns), scope)
    if problems:
        raise DataValidationError(problems=problems)
    if not mapping:
        return df, {}
    qty = canonical_units(scope)
    df = df.copy()
    for col, (field, unit) in mapping.items():
        if unit is None or field not in qty:
            continue
        factor = units.convert(1.0, unit, qty[field], field=col)
        if factor == 1.0:
            continue
        raw = df[col]
        num = pd.to_numeric(raw.astype("string").str.strip(), errors="coerce")  # 'True', 'x' → NaN
        ok = np.isfinite(num.to_numpy(dtype="float64", na_value=np.nan))
        df[col] = raw.astype(object).where(~ok, num * factor)
    if scope == "project":  # cells written in words (工业类别 一类 → 1), as the parcels' statuses are
        for col, (field, _) in mapping.items():
            table = value_aliases(field)
            if table and not pd.api.types.is_numeric_dtype(df[col]):
                mapped = df[col].astype("string").str.strip().map(table)
                if mapped.notna().any():
                    df[col] = df[col].astype(object).where(mapped.isna(), mapped.astype(object))
    renamed = {col: field for col, (field, _) in mapping.items() if col != field}
    return df.rename(columns=renamed), renamed


def map_values(values: pd.Series, field: str, labels: dict[str, tuple[str, str]] | None = None) -> pd.Series:
    """Canonical values for ``field``: the UI's zh/en labels (``labels``: value → (zh, en)) and the
    value aliases of ``geodata/aliases/values.csv`` become their canonical value (vectorized)."""
    table = dict(value_aliases(field))
    for value, (zh, en) in (labels or {}).items():
        table[zh] = value
        table[en] = value
    if not len(values):
        return values
    mapped = values.map(table)  # a hash join, not one pass per alias
    return mapped.where(mapped.notna(), values)
