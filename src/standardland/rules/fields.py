"""The project fields, declared once: name, kind, canonical unit, constraint and zh/en label.

Both project parsers derive from this table — :func:`standardland.rules.project.parse_project`
(a JSON document) and :func:`standardland.rules.checks.parse_project_table` (CSV/xlsx rows) —
and so does ``api/project.schema.json`` (:func:`project_schema`; regenerate it with
``python -m standardland.rules.fields > api/project.schema.json``, a test fails when it drifts).

The two media differ only in how a cell is *read* (a document carries JSON numbers or
``{"value", "unit"}``; a table carries text or Excel cells in the canonical unit); every
constraint below is checked by the same column-wise function (:func:`validate_columns`).

Constraints of the quantities (decided per field, see ``SIGNED`` and ``POSITIVE``):

- ``land_area_m2`` is **positive** (every per-亩 indicator divides by it);
- ``annual_tax_wan_yuan`` and ``tax_per_mu`` may be **negative**: net tax in a refund year can
  be below zero (DOMAIN.md §11); such a value simply fails a tax floor;
- every other quantity is **non-negative** (an area, an amount invested or produced, energy,
  emissions, a ratio); the shares of land (``building_coefficient``, ``office_land_share``,
  ``green_ratio``) are also at most 100 %;
- every quantity is finite (``inf`` is refused; a blank cell / ``null`` is *missing*, not zero).

Dates are read by :mod:`standardland.dates` (the one rule): ``YYYY-MM-DD``, ``YYYY/M/D`` or
``YYYY年M月D日`` (surrounding blanks ignored) or a date cell of a spreadsheet; ``10-05-2023`` is "not in
the format", ``2024-02-30`` is "no such day".
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import pandas as pd

from .. import industry as ind_mod
from ..dates import EXPECTED, FORMS, PATTERNS, read_date_cells
from ..labels import label
from ..units import QUANTITY_MAX
from ..values import shown
from .indicators import Catalogue, catalogue

#: quantities that may be negative (net tax in a refund year, DOMAIN.md §11)
SIGNED = frozenset({"annual_tax_wan_yuan", "tax_per_mu"})
#: quantities that must be strictly positive (the denominator of every per-亩 indicator)
POSITIVE = frozenset({"land_area_m2"})
#: shares of the land, which cannot exceed the whole
AT_MOST_100 = frozenset({"building_coefficient", "office_land_share", "green_ratio"})
#: decision dates outside these years are refused (the engine's calendar, and plausibility)
YEARS = (1900, 2199)
#: what a date field expects (the one rule for dates: :mod:`standardland.dates`)
DATE_FORMAT = EXPECTED


@dataclass(frozen=True)
class FieldSpec:
    """One project field.

    ``kind`` is one of ``quantity`` (a number in ``unit``), ``text``, ``code`` (text or an
    integer), ``choice`` (one of ``choices``), ``integer_choice``, ``date``, ``year`` or ``industries``
    (a list of industries with shares; in a table, a JSON text cell).
    ``constraint`` (quantities): ``positive``, ``non_negative`` or ``finite`` (any sign).
    """

    name: str
    kind: str
    label_zh: str
    label_en: str
    unit: str | None = None
    constraint: str | None = None
    upper: float | None = None
    choices: tuple = ()
    required: bool = False
    default: object = None
    tables_only: bool = False

    @property
    def expected(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.kind == "quantity":
            lo = {"positive": "> 0", "non_negative": "≥ 0", "finite": "a finite number"}[self.constraint]
            hi = f" and ≤ {self.upper:g}" if self.upper is not None else ""
            unit = "" if self.unit in (None, "-") else f" {self.unit}"
            if self.constraint == "finite":
                bound = f" from −{self.upper:g} to {self.upper:g}" if self.upper is not None else ""
                return f"a finite number{bound}{unit}"
            return f"{lo}{hi}{unit}"
        if self.kind == "date":
            return DATE_FORMAT
        if self.kind in ("choice", "integer_choice"):
            return ", ".join(str(c) for c in self.choices)
        if self.kind == "industries":
            return "a list of {industry_code, industry_code_edition?, industry_name?, share}"
        if self.kind == "code":
            return "a string or an integer"
        if self.kind == "year":
            return f"a year from {YEARS[0]} to {YEARS[1]}"
        return "a string"


def _label(name: str) -> tuple[str, str]:
    """A static field's (zh, en) label: ``field_<name>`` of ``web/i18n.json``."""
    return label(f"field_{name}", "zh"), label(f"field_{name}", "en")


_STATIC = (
    FieldSpec("name", "text", *_label("name")),
    FieldSpec("industry_code", "code", *_label("industry_code")),
    FieldSpec("industry_code_edition", "choice", *_label("industry_code_edition"),
              choices=ind_mod.EDITIONS, default="2017"),
    FieldSpec("industry_name", "text", *_label("industry_name")),
    FieldSpec("industries", "industries", *_label("industries")),
    FieldSpec("multi_industry_policy", "choice", *_label("multi_industry_policy"),
              choices=("dominant", "strictest"), default="dominant"),
    FieldSpec("nuisance_class", "integer_choice", *_label("nuisance_class"), choices=(1, 2, 3)),
    FieldSpec("decision_date", "date", *_label("decision_date"),
              required=True),
    FieldSpec("parcel_code", "text", *_label("parcel_code")),
    FieldSpec("id", "text", *_label("id"), tables_only=True),
)

# -- the promotion record (招商, issue 13 §3): investor, total investment, 500-强, promotion dates ----
# A project document or table may carry these; an application keeps them as its promotion record
# (:mod:`standardland.workflow.promotion`), which the annual scorecard reads
# (:func:`standardland.workflow.reports.scorecard`). Cross-field rules: :func:`check_promotion`.

#: the promotion stages in order; the date of each is the field ``<stage>_on``
PROMOTION_STAGES = ("intended", "signed", "registered", "started", "commissioned")
INVESTOR_ORIGINS = ("domestic", "foreign")
#: the 500-强 lists a top-500 flag names
TOP500_LISTS = ("fortune_global_500", "fortune_china_500", "china_enterprise_500", "china_private_500")

PROMOTION = (
    FieldSpec("investor_name", "text", "投资方", "Investor"),
    FieldSpec("investor_origin", "choice", "投资来源（内资/外资）", "Investor origin (domestic or foreign)",
              choices=INVESTOR_ORIGINS),
    FieldSpec("investor_country", "text", "外资来源国别", "Investor's country (foreign investment, e.g. 韩国)"),
    FieldSpec("total_investment_wan_yuan", "quantity", "总投资", "Total investment (not only fixed assets)",
              unit="万元", constraint="non_negative"),
    FieldSpec("top500_list", "choice", "500强榜单", "Top-500 list of the investor", choices=TOP500_LISTS),
    FieldSpec("top500_year", "year", "500强榜单年份", "Year of that top-500 list"),
    FieldSpec("intended_on", "date", "意向日期", "Date of intent (意向)"),
    FieldSpec("signed_on", "date", "签约日期", "Date signed"),
    FieldSpec("registered_on", "date", "注册日期", "Date registered"),
    FieldSpec("started_on", "date", "开工日期", "Construction started"),
    FieldSpec("commissioned_on", "date", "投产日期", "Commissioned (投产)"),
)
PROMOTION_FIELDS = tuple(f.name for f in PROMOTION)


def check_year(raw, spec: FieldSpec) -> tuple[np.ndarray, list[Problem]]:
    """A calendar year (an integer from :data:`YEARS`), from a number or its text; float64, NaN = missing."""
    c = _Cells(raw)
    num = c.numbers(~c.na)
    blank = c.blank_among(np.isnan(num) & ~c.na)
    with np.errstate(invalid="ignore"):
        ok = blank | ((num == np.floor(num)) & (num >= YEARS[0]) & (num <= YEARS[1]) & ~c.is_bool())
    num[~ok | blank] = np.nan
    return num, _refused(c, ~ok, spec, "is not a year")


def check_promotion(cols: dict[str, np.ndarray]) -> list[Problem]:
    """The cross-field rules of the promotion record, column-wise over the converted columns: a
    foreign investor names its country; a 500-强 list comes with its year and a year with its list;
    each promotion date is not before the date of an earlier stage."""
    out: list[Problem] = []

    def given(k: str) -> np.ndarray | None:
        return None if k not in cols else ~pd.isna(np.asarray(cols[k]))

    origin = cols.get("investor_origin")
    if origin is not None:
        country = given("investor_country")
        foreign = np.asarray(origin == "foreign", dtype=bool)
        missing = foreign & (~country if country is not None else True)
        out += [Problem(int(i), "investor_country", "missing for a foreign investor",
                        "the investor's country, e.g. 韩国") for i in np.flatnonzero(missing)]
    lst, yr = given("top500_list"), given("top500_year")
    if lst is not None or yr is not None:
        n = len(lst if lst is not None else yr)
        lst = lst if lst is not None else np.zeros(n, dtype=bool)
        yr = yr if yr is not None else np.zeros(n, dtype=bool)
        out += [Problem(int(i), "top500_year", "missing: a 500-强 list is named by its year", "a year, e.g. 2021")
                for i in np.flatnonzero(lst & ~yr)]
        out += [Problem(int(i), "top500_list", "missing: the year belongs to a 500-强 list",
                        ", ".join(TOP500_LISTS)) for i in np.flatnonzero(yr & ~lst)]
    seen: list[tuple[str, np.ndarray]] = []
    for stage in PROMOTION_STAGES:
        k = f"{stage}_on"
        if k not in cols:
            continue
        d = np.asarray(cols[k], dtype="datetime64[D]")
        for prev, pd_ in seen:
            with np.errstate(invalid="ignore"):
                early = ~np.isnat(d) & ~np.isnat(pd_) & (d < pd_)
            out += [Problem(int(i), k, f"{d[i]} is before {prev} {pd_[i]}", f"a date on or after {prev}")
                    for i in np.flatnonzero(early)]
        seen.append((k, d))
    return out


_DESCRIPTIONS = {
    "name": "项目名称 project name",
    "industry_code": "GB/T 4754 code: a 2017 division/group/class (2–4 digits), or a 2002 code with "
                     "industry_code_edition=2002",
    "industry_name": "official Chinese name from either edition (used when industry_code is absent)",
    "industries": "several industries with their investment shares (in a table: a JSON text cell)",
    "multi_industry_policy": "how several industries combine: the dominant one by investment share, or the "
                             "strictest value of each indicator",
    "nuisance_class": "一/二/三类工业: negligible, some, serious nuisance",
    "decision_date": f"the date the rule-set versions are chosen by ({FORMS})",
    "parcel_code": "screening tables only: the parcel to check against",
}




def _constraint(name: str) -> str:
    return "positive" if name in POSITIVE else "finite" if name in SIGNED else "non_negative"


def _fields(cat: Catalogue) -> dict[str, FieldSpec]:
    out = {f.name: f for f in _STATIC + PROMOTION}
    for k, v in cat.inputs.items():
        out[k] = FieldSpec(k, "quantity", v.get("name_zh", k), v.get("name_en", k), unit=v["unit"],
                           constraint=_constraint(k), upper=100.0 if k in AT_MOST_100 else QUANTITY_MAX)
    for ind in cat.indicators:
        out[ind.id] = FieldSpec(ind.id, "quantity", ind.name_zh, f"{ind.name_en} (given directly)",
                                unit=ind.unit, constraint=_constraint(ind.id),
                                upper=100.0 if ind.id in AT_MOST_100 else QUANTITY_MAX)
    return out


@cache
def _default_fields() -> dict[str, FieldSpec]:
    return _fields(catalogue())


def project_fields(cat: Catalogue | None = None) -> dict[str, FieldSpec]:
    """Every project field by name: the static ones, then the catalogue's inputs and indicators."""
    return _default_fields() if cat is None or cat is catalogue() else _fields(cat)


def quantity_fields(cat: Catalogue | None = None) -> dict[str, FieldSpec]:
    """The project fields that carry a unit (values converted to the canonical one), by name."""
    return {k: f for k, f in project_fields(cat).items() if f.kind == "quantity"}


# -- column-wise validation (shared by both parsers) ---------------------------------------------

@dataclass
class Problem:
    """A refused cell: 0-based ``index`` in the column (−1: the whole column)."""

    index: int
    field: str
    message: str
    expected: str | None = None


#: columns up to this length (a document is one row) are read with plain Python, longer ones with pandas
SMALL = 16


class _Cells:
    """A column of raw cells: which are missing, which are text, their stripped text (computed on
    demand: stripping is the costly part), which are blank, which are non-text values."""

    def __init__(self, raw):
        if isinstance(raw, np.ndarray) and raw.ndim == 1:
            a = raw.astype(object, copy=False)
        else:
            a = np.empty(len(raw), dtype=object)
            for i, v in enumerate(raw):  # a document's one cell (a list stays one cell)
                a[i] = v
        self.a = a
        n = len(a)
        self.na = pd.isna(a)
        self.kind = None
        if n <= SMALL:
            self.is_str = np.array([type(v) is str for v in a], dtype=bool)
        else:
            kind = self.kind = pd.api.types.infer_dtype(a, skipna=True)
            if kind == "string":
                self.is_str = ~self.na
            elif kind in ("empty", "floating", "integer", "boolean", "datetime", "date",
                          "mixed-integer-float"):
                self.is_str = np.zeros(n, dtype=bool)
            else:
                self.is_str = pd.Series(a).map(type).eq(str).to_numpy()
        self.value = ~self.is_str & ~self.na  # a non-text cell: a number, a date, a bool, a list …

    @cached_property
    def txt(self) -> np.ndarray:
        """Stripped text of the text cells, "" elsewhere."""
        return self._strip(np.ones(len(self.a), dtype=bool))

    def _strip(self, where: np.ndarray) -> np.ndarray:
        out = np.full(len(self.a), "", dtype=object)
        idx = np.flatnonzero(where & self.is_str)
        if len(idx) <= SMALL:
            out[idx] = [self.a[i].strip() for i in idx]
        elif len(idx):
            out[idx] = pd.Series(self.a[idx], dtype=object).str.strip().to_numpy(dtype=object)
        return out

    @cached_property
    def blank(self) -> np.ndarray:
        """Missing, or text that is empty once stripped."""
        return self.na | (self.is_str & (self.txt == ""))

    def blank_among(self, candidates: np.ndarray) -> np.ndarray:
        """:attr:`blank`, stripping only the ``candidates`` (the other text cells are known not blank)."""
        return self.na | (candidates & self.is_str & (self._strip(candidates) == ""))

    def is_bool(self) -> np.ndarray:
        if len(self.a) <= SMALL:
            return np.array([type(v) is bool for v in self.a], dtype=bool)
        if not self.value.any() or self.kind in ("floating", "integer", "mixed-integer-float"):
            return np.zeros(len(self.a), dtype=bool)  # numbers only: no bool among them
        return self.value & pd.Series(self.a).astype(str).isin(["True", "False"]).to_numpy()

    def numbers(self, where: np.ndarray) -> np.ndarray:
        """float64 of the cells in ``where`` that read as numbers (text or values), NaN elsewhere."""
        if not where.any():
            return np.full(len(self.a), np.nan)
        out = pd.to_numeric(np.where(where, self.a, None), errors="coerce")
        return np.array(out, dtype="float64")

    def lengths(self) -> np.ndarray:
        if len(self.a) <= SMALL:
            return np.array([len(t) for t in self.txt], dtype=np.int64)
        return pd.Series(self.txt, dtype=object).str.len().to_numpy(dtype=np.int64)


def _refused(cells: _Cells, bad: np.ndarray, spec: FieldSpec, what: str) -> list[Problem]:
    if not bad.any():
        return []
    return [Problem(int(i), spec.name, f"{shown(cells.a[i])} {what}".strip(), spec.expected)
            for i in np.flatnonzero(bad)]


def check_quantity(spec: FieldSpec, values: np.ndarray) -> list[Problem]:
    """The constraints of one quantity column (float64, NaN = missing)."""
    out: list[Problem] = []
    v = values
    with np.errstate(invalid="ignore"):
        bad_inf = np.isinf(v)
        if spec.constraint == "positive":
            bad_sign = v <= 0
            what = "is not positive"
        elif spec.constraint == "non_negative":
            bad_sign = v < 0
            what = "is negative"
        else:
            bad_sign = np.zeros(len(v), dtype=bool)
            what = ""
        size = np.abs(v) if spec.constraint == "finite" else v
        bad_hi = (size > spec.upper) if spec.upper is not None else np.zeros(len(v), dtype=bool)
    if not (bad_inf.any() or bad_sign.any() or bad_hi.any()):
        return out
    for i in np.flatnonzero(bad_inf):
        out.append(Problem(int(i), spec.name, "infinite value", spec.expected))
    for i in np.flatnonzero(bad_sign & ~bad_inf):
        out.append(Problem(int(i), spec.name, f"{v[i]:g} {what}", spec.expected))
    for i in np.flatnonzero(bad_hi & ~bad_inf):
        what = f"is beyond ±{spec.upper:g}" if spec.constraint == "finite" else f"is above {spec.upper:g}"
        out.append(Problem(int(i), spec.name, f"{v[i]:g} {what}", spec.expected))
    return out


def check_quantities(specs: list[FieldSpec], columns: list[np.ndarray]) -> list[Problem]:
    """:func:`check_quantity` for several columns; short columns (a document) are first screened
    together in one array operation, and only a column with a bad value is looked at in detail."""
    if not specs:
        return []
    if len(columns[0]) <= SMALL:
        m = np.vstack(columns)
        lo = np.array([0.0 if s.constraint != "finite" else -np.inf for s in specs])[:, None]
        strict = np.array([s.constraint == "positive" for s in specs])[:, None]
        hi = np.array([np.inf if s.upper is None else s.upper for s in specs])[:, None]
        with np.errstate(invalid="ignore"):
            signed = np.array([s.constraint == "finite" for s in specs])[:, None]
            bad = np.isinf(m) | (m < lo) | (strict & (m == 0)) | (np.where(signed, np.abs(m), m) > hi)
        rows = np.flatnonzero(bad.any(axis=1))
        return [p for r in rows for p in check_quantity(specs[r], columns[r])]
    return [p for s, col in zip(specs, columns, strict=True) for p in check_quantity(s, col)]


def parse_dates(raw, spec: FieldSpec) -> tuple[np.ndarray, list[Problem]]:
    """Dates in the forms :mod:`standardland.dates` accepts (each tried in turn, vectorized) or spreadsheet
    date cells → ``datetime64[ns]`` (NaT where blank or refused), and the refused cells' problems."""
    r = read_date_cells(raw)
    out = r.days.copy()
    problems = [Problem(int(i), spec.name, f"{shown(r.cells[i])} is not a date", DATE_FORMAT)
                for i in np.flatnonzero(r.refused & ~r.text)]
    problems += [Problem(int(i), spec.name, f"'{r.cells[i]}' is not in the format {FORMS}", DATE_FORMAT)
                 for i in np.flatnonzero(r.refused & r.text)]
    problems += [Problem(int(i), spec.name, f"'{r.stripped[i]}': no such day", f"a calendar date as {FORMS}")
                 for i in np.flatnonzero(r.no_such_day)]
    years = out.astype("datetime64[Y]").astype(np.int64) + 1970
    far = ~np.isnat(out) & ((years < YEARS[0]) | (years > YEARS[1]))
    problems += [Problem(int(i), spec.name, f"year {int(years[i])} is out of range",
                         f"a year from {YEARS[0]} to {YEARS[1]}") for i in np.flatnonzero(far)]
    out[far] = np.datetime64("NaT")
    if spec.required:
        problems += [Problem(int(i), spec.name, "missing; the rule-set version is chosen by this date",
                             DATE_FORMAT) for i in np.flatnonzero(r.blank)]
    return out.astype("datetime64[ns]"), problems


def check_choice(raw, spec: FieldSpec) -> tuple[np.ndarray, list[Problem]]:
    """A text choice (``2017``/``2002``, ``dominant``/``strictest``); integer cells are read as text."""
    c = _Cells(raw)
    num = c.numbers(c.value)
    as_int = c.value & ~c.is_bool() & ~np.isnan(num) & (num == np.floor(num))
    txt = np.where(c.is_str, c.txt, None)
    if as_int.any():
        txt[as_int] = [str(int(x)) for x in num[as_int]]  # only integer cells (a spreadsheet's 2017)
    txt[c.blank] = None
    ok = c.blank.copy()
    for choice in spec.choices:  # a handful of choices: one vectorized comparison each
        ok |= txt == str(choice)
    return txt, _refused(c, ~ok, spec, "is not one of them")


def check_integer_choice(raw, spec: FieldSpec) -> tuple[np.ndarray, list[Problem]]:
    """An integer choice (nuisance class 1/2/3) from a number or its text; booleans are refused."""
    c = _Cells(raw)
    num = c.numbers(~c.na)
    blank = c.blank_among(np.isnan(num) & ~c.na)
    listed = np.zeros(len(num), dtype=bool)
    for choice in spec.choices:  # a handful of choices: one comparison each (np.isin costs more)
        listed |= num == float(choice)
    ok = blank | (listed & ~c.is_bool())
    num[~ok | blank] = np.nan
    return num, _refused(c, ~ok, spec, "is not one of them")


def check_text(raw, spec: FieldSpec) -> tuple[np.ndarray, list[Problem]]:
    """Text (``code``: an integer too, as a spreadsheet stores 39). Blank text is missing."""
    c = _Cells(raw)
    bad = c.value.copy()
    if spec.kind == "code" and bad.any():
        num = c.numbers(c.value)
        bad &= ~(~np.isnan(num) & (num == np.floor(num)) & ~c.is_bool())
    vals = c.a.copy()
    vals[c.na | (c.is_str & (c.a == ""))] = None  # empty text is missing; other text is kept as given
    return vals, _refused(c, bad, spec, "")


def read_numbers(raw, spec: FieldSpec) -> tuple[np.ndarray, list[Problem]]:
    """A table's quantity column (text or spreadsheet numbers, in the canonical unit) → float64.

    Blank cells are missing (NaN); text that is not a number and booleans are refused. The
    constraints are checked afterwards by :func:`check_quantity`, as for a document."""
    c = _Cells(raw)
    num = c.numbers(~c.na)
    failed = np.isnan(num) & ~c.na
    bad = (failed & ~c.blank_among(failed)) | c.is_bool()
    num[bad] = np.nan
    return num, _refused(c, bad, spec, f"is not a number in {spec.unit}")


CHECKERS = {"choice": check_choice, "integer_choice": check_integer_choice, "text": check_text,
            "code": check_text, "date": parse_dates, "year": check_year}


# -- the JSON schema -----------------------------------------------------------------------------

_QTY_SCHEMA = {"oneOf": [{"type": "number"},
                         {"type": "object", "required": ["value", "unit"], "additionalProperties": False,
                          "properties": {"value": {"type": "number"}, "unit": {"type": "string"}}},
                         {"type": "null"}]}


def _schema_of(f: FieldSpec) -> dict:
    if f.kind == "quantity":
        lo = {"positive": {"exclusiveMinimum": 0}, "non_negative": {"minimum": 0},
              "finite": {"minimum": -f.upper} if f.upper is not None else {}}[f.constraint]
        hi = {"maximum": f.upper} if f.upper is not None else {}
        num = {"type": "number", **lo, **hi}
        obj = {**_QTY_SCHEMA["oneOf"][1], "properties": {"value": num, "unit": {"type": "string"}}}
        sch = {"oneOf": [num, obj, {"type": "null"}]}
        desc = f"{f.label_zh} — {f.label_en}; canonical unit {f.unit}"
        if f.name in SIGNED:
            desc += "; may be negative (net tax in a refund year)"
        return {**sch, "description": desc, "x-unit": f.unit, "x-label-zh": f.label_zh,
                "x-label-en": f.label_en}
    if f.kind == "text":
        sch: dict = {"type": ["string", "null"]}
    elif f.kind == "code":
        sch = {"type": ["string", "integer", "null"]}
    elif f.kind == "choice":
        sch = {"enum": [*f.choices, None]}
    elif f.kind == "integer_choice":
        sch = {"enum": [*f.choices, None]}
    elif f.kind == "date":
        sch = {"type": "string", "pattern": r"^\s*(?:" + "|".join(PATTERNS.values()) + r")\s*$"}
    elif f.kind == "year":
        sch = {"type": ["integer", "null"], "minimum": YEARS[0], "maximum": YEARS[1]}
    else:  # industries
        sch = {"type": "array", "items": {"type": "object", "additionalProperties": False, "properties": {
            "industry_code": {"type": ["string", "integer"]},
            "industry_code_edition": {"enum": list(ind_mod.EDITIONS)},
            "industry_name": {"type": "string"}, "share": {"type": "number", "minimum": 0}}}}
    if f.default is not None:
        sch["default"] = f.default
    sch["description"] = _DESCRIPTIONS.get(f.name, f"{f.label_zh} — {f.label_en}")
    sch["x-label-zh"], sch["x-label-en"] = f.label_zh, f.label_en
    return sch


def project_schema(cat: Catalogue | None = None) -> dict:
    """``api/project.schema.json``, derived from the field table."""
    fields = [f for f in project_fields(cat).values() if not f.tables_only]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "standardland/project.schema.json",
        "title": "standardland project",
        "description": "A candidate project for check / match / screen. Every quantity is a number in its "
                       "canonical unit or {value, unit}. Unknown fields are refused. Generated from "
                       "standardland.rules.fields (python -m standardland.rules.fields).",
        "type": "object",
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
        "properties": {f.name: _schema_of(f) for f in fields},
    }


def render_schema() -> str:
    """The project JSON Schema as written to ``api/project.schema.json`` (checked for drift)."""
    return json.dumps(project_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":  # python -m standardland.rules.fields > api/project.schema.json
    sys.stdout.write(render_schema())
