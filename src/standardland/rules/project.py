"""Project input: the schema a planner or approval system sends for a check or a match.

Every quantity is a plain number in its canonical unit or ``{"value", "unit"}``. Unknown
fields are refused (a typo must not silently drop a commitment). The fields, their units and
constraints are declared once in :mod:`standardland.rules.fields` (which also generates
``api/project.schema.json``); this module reads a document and the table parser
(:func:`standardland.rules.checks.parse_project_table`) reads rows, both through
:func:`validate_columns`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from .. import industry as ind_mod
from ..errors import InputError
from .fields import (CHECKERS, DATE_FORMAT, Problem, check_integer_choice, check_promotion, check_quantities,
                     project_fields, quantity_fields)
from .indicators import Catalogue, catalogue
from ..units import quantity

#: the fields an industry is resolved from (their specs are in :mod:`standardland.rules.fields`)
INDUSTRY_FIELDS = ("industry_code", "industry_code_edition", "industry_name", "industries",
                   "multi_industry_policy")


@dataclass
class Project:
    """A validated project: its decision date, resolved industry, nuisance class and quantities
    (canonical units; ``None`` when not given), and the document it was read from (``raw``)."""

    name: str | None
    decision_date: date
    industry: ind_mod.Industry
    nuisance_class: int | None
    values: dict[str, float | None] = field(default_factory=dict)  # inputs and direct indicator values
    raw: dict = field(default_factory=dict, repr=False)


def schema_fields(cat: Catalogue | None = None) -> dict[str, str]:
    """Quantity fields and their canonical units: raw inputs and indicator ids."""
    return {k: f.unit for k, f in quantity_fields(cat).items()}


def parse_nuisance(v, fieldname: str = "nuisance_class") -> int | None:
    """The nuisance class (1, 2 or 3; ``None`` when blank) from a number or its text.
    Raises :class:`InputError` on ``fieldname`` for anything else."""
    spec = replace(project_fields()["nuisance_class"], name=fieldname)
    out, problems = check_integer_choice([v], spec)
    _raise_first(problems)
    return None if np.isnan(out[0]) else int(out[0])


def _raise_first(problems: list[Problem]) -> None:
    if problems:
        p = problems[0]
        raise InputError(p.message, field=p.field, expected=p.expected)


def resolve_industry(doc: dict) -> ind_mod.Industry:
    """The project's industry from its industry fields (one industry, or ``industries`` + policy)."""
    inds = doc.get("industries")
    policy = doc.get("multi_industry_policy") or "dominant"
    if inds:
        if not isinstance(inds, list):
            raise InputError("must be a list of {industry_code, industry_code_edition?, share}",
                             field="industries")
        parts = []
        for i, item in enumerate(inds):
            if not isinstance(item, dict):
                raise InputError("must be an object", field=f"industries[{i}]")
            extra = set(item) - {"industry_code", "industry_code_edition", "industry_name", "share"}
            if extra:
                raise InputError(f"unknown field(s) {', '.join(sorted(extra))}", field=f"industries[{i}]",
                                 expected="industry_code, industry_code_edition, industry_name, share")
            share = item.get("share")
            if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float))
                                      or not math.isfinite(share) or share < 0):
                raise InputError(f"{share!r}", field=f"industries[{i}].share", expected="a number ≥ 0")
            parts.append((ind_mod.resolve(item.get("industry_code"),
                                          edition=item.get("industry_code_edition"),
                                          name=item.get("industry_name")), share))
        return ind_mod.combine(parts, policy)
    return ind_mod.resolve(doc.get("industry_code"), edition=doc.get("industry_code_edition"),
                           name=doc.get("industry_name"))


def validate_columns(cells: dict[str, object], quantities: dict[str, np.ndarray],
                     cat: Catalogue | None = None) -> tuple[dict[str, np.ndarray], list[Problem]]:
    """The constraints of every field, column-wise; both parsers call this after reading their cells.

    ``cells``: raw non-quantity columns present in the input; ``quantities``: float64 columns
    already read in the canonical unit (NaN = missing). Returns the converted columns and the
    problems (0-based indices)."""
    fields = project_fields(cat)
    out: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    for k, raw in cells.items():
        spec = fields[k]
        if spec.kind in CHECKERS:
            out[k], probs = CHECKERS[spec.kind](raw, spec)
            problems += probs
        else:
            out[k] = np.asarray(raw, dtype=object)
    out.update(quantities)
    problems += check_quantities([fields[k] for k in quantities], list(quantities.values()))
    problems += check_promotion(out)
    if "decision_date" not in cells:
        problems.append(Problem(-1, "decision_date", "missing; the rule-set version is chosen by this date",
                                DATE_FORMAT))
    return out, problems


def unknown_fields(names, cat: Catalogue | None = None, *, table: bool = False) -> list[str]:
    """The names that are no project field of ``cat`` (``tables_only`` fields count only when
    ``table``), in the order given."""
    fields = project_fields(cat)
    return [k for k in names if k not in fields or (fields[k].tables_only and not table)]


def parse_project(doc: dict, cat: Catalogue | None = None) -> Project:
    """Validate a project document. Raises :class:`InputError` / :class:`UnitError` naming the field.

    Each cell is read the document's way (a JSON number or ``{"value", "unit"}``, text as
    strings), then every constraint is checked by :func:`validate_columns`, the same function
    the table parser uses.
    """
    cat = cat or catalogue()
    if not isinstance(doc, dict):
        raise InputError(f"expected a JSON object, got {type(doc).__name__}", field="project")
    unknown = unknown_fields(doc, cat)
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(sorted(unknown))}", field=unknown[0],
                         expected="fields of the project schema (api/project.schema.json)")
    qty = quantity_fields(cat)
    values = {k: quantity(doc.get(k), f.unit, field=k) for k, f in qty.items()}
    arrays = {k: np.array([np.nan if v is None else v], dtype="float64") for k, v in values.items()
              if v is not None}
    cells = {k: [v] for k, v in doc.items() if k not in qty and k != "industries"}
    cells.setdefault("decision_date", [None])
    cols, problems = validate_columns(cells, arrays, cat)
    _raise_first(problems)
    return Project(name=doc.get("name"), decision_date=pd.Timestamp(cols["decision_date"][0]).date(),
                   industry=resolve_industry(doc),
                   nuisance_class=None if "nuisance_class" not in cols or np.isnan(cols["nuisance_class"][0])
                   else int(cols["nuisance_class"][0]),
                   values=values, raw=doc)
