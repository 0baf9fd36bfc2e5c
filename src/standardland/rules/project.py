"""Project input: the schema a planner or approval system sends for a check or a match.

Every quantity is a plain number in its canonical unit or ``{"value", "unit"}``. Unknown
fields are refused (a typo must not silently drop a commitment). See ``api/project.schema.json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from .. import industry as ind_mod
from ..errors import InputError
from .indicators import Catalogue, catalogue
from ..units import quantity

TEXT_FIELDS = ("name", "industry_code", "industry_code_edition", "industry_name", "multi_industry_policy")
OTHER_FIELDS = ("decision_date", "nuisance_class", "industries", "parcel_code")


@dataclass
class Project:
    name: str | None
    decision_date: date
    industry: ind_mod.Industry
    nuisance_class: int | None
    values: dict[str, float | None] = field(default_factory=dict)  # inputs and direct indicator values
    raw: dict = field(default_factory=dict, repr=False)


def schema_fields(cat: Catalogue | None = None) -> dict[str, str]:
    """Quantity fields and their canonical units: raw inputs and indicator ids."""
    cat = cat or catalogue()
    out = {k: v["unit"] for k, v in cat.inputs.items()}
    out.update({i.id: i.unit for i in cat.indicators})
    return out


def parse_decision_date(v, fieldname: str = "decision_date") -> date:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
        raise InputError("missing; the rule-set version is chosen by this date", field=fieldname,
                         expected="YYYY-MM-DD")
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v).strip()[:10])
    except ValueError as exc:
        raise InputError(f"'{v}' is not a date", field=fieldname, expected="YYYY-MM-DD") from exc


def parse_nuisance(v, fieldname: str = "nuisance_class") -> int | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
        return None
    try:
        f = float(v)
        if isinstance(v, bool) or not f.is_integer() or f not in (1.0, 2.0, 3.0):
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise InputError(f"{v!r}", field=fieldname,
                         expected="1, 2 or 3 (一/二/三类工业: negligible, some, serious nuisance)") from exc
    return int(f)


def resolve_industry(doc: dict) -> ind_mod.Industry:
    inds = doc.get("industries")
    policy = doc.get("multi_industry_policy") or "dominant"
    if inds:
        if not isinstance(inds, list):
            raise InputError("must be a list of {industry_code, industry_code_edition?, share}", field="industries")
        parts = []
        for i, item in enumerate(inds):
            if not isinstance(item, dict):
                raise InputError("must be an object", field=f"industries[{i}]")
            share = item.get("share")
            if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float))):
                raise InputError(f"{share!r}", field=f"industries[{i}].share", expected="a number")
            parts.append((ind_mod.resolve(item.get("industry_code"), edition=item.get("industry_code_edition"),
                                          name=item.get("industry_name")), share))
        return ind_mod.combine(parts, policy)
    return ind_mod.resolve(doc.get("industry_code"), edition=doc.get("industry_code_edition"),
                           name=doc.get("industry_name"))


def parse_project(doc: dict, cat: Catalogue | None = None) -> Project:
    """Validate a project document. Raises :class:`InputError` / :class:`UnitError` naming the field."""
    cat = cat or catalogue()
    if not isinstance(doc, dict):
        raise InputError(f"expected a JSON object, got {type(doc).__name__}", field="project")
    qty = schema_fields(cat)
    unknown = [k for k in doc if k not in qty and k not in TEXT_FIELDS and k not in OTHER_FIELDS]
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(sorted(unknown))}", field=unknown[0],
                         expected="fields of the project schema (api/project.schema.json)")
    for k in TEXT_FIELDS:
        v = doc.get(k)
        if v is not None and not isinstance(v, (str, int)):
            raise InputError(f"{v!r}", field=k, expected="a string")
    values = {k: quantity(doc.get(k), unit, field=k) for k, unit in qty.items()}
    for k in ("land_area_m2",):
        if values.get(k) is not None and values[k] <= 0:
            raise InputError(f"{values[k]} is not a positive area", field=k, expected="> 0 m²")
    return Project(name=doc.get("name"), decision_date=parse_decision_date(doc.get("decision_date")),
                   industry=resolve_industry(doc), nuisance_class=parse_nuisance(doc.get("nuisance_class")),
                   values=values, raw=doc)
