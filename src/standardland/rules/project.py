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


def _share(v) -> bool:
    """An investment share: a finite number ≥ 0 (an integer too large for a float is not)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v) and v >= 0
    except OverflowError:
        return False


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
            if share is not None and not _share(share):
                shown = repr(share) if len(repr(share)) <= 40 else repr(share)[:37] + "…"
                raise InputError(shown, field=f"industries[{i}].share", expected="a finite number ≥ 0")
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
    out, phases = _validate_phases(cells, quantities, cat)
    return out, [p for phase in phases for p in phase]


def _validate_phases(cells, quantities, cat) -> tuple[dict[str, np.ndarray], tuple[list[Problem], ...]]:
    """:func:`validate_columns`, its problems kept apart by phase: the cells (in ``cells`` order), the
    quantities, the promotion record's cross-field rules, a missing decision date."""
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
    qty = check_quantities([fields[k] for k in quantities], list(quantities.values()))
    missing = [] if "decision_date" in cells else \
        [Problem(-1, "decision_date", "missing; the rule-set version is chosen by this date", DATE_FORMAT)]
    return out, (problems, qty, check_promotion(out), missing)


def unknown_fields(names, cat: Catalogue | None = None, *, table: bool = False) -> list[str]:
    """The names that are no project field of ``cat`` (``tables_only`` fields count only when
    ``table``), in the order given."""
    fields = project_fields(cat)
    return [k for k in names if k not in fields or (fields[k].tables_only and not table)]


def parse_project(doc: dict, cat: Catalogue | None = None) -> Project:
    """Validate a project document. Raises :class:`InputError` / :class:`UnitError` naming the field.

    Each cell is read the document's way (a JSON number or ``{"value", "unit"}``, text as
    strings), then every constraint is checked by :func:`validate_columns`, the same function
    the table parser uses. The batch of one of :func:`parse_projects`.

    Examples
    --------
    >>> p = parse_project({"decision_date": "2024/3/1", "industry_code": "39", "nuisance_class": 1,
    ...                    "land_area_m2": {"value": 150, "unit": "亩"}})
    >>> p.decision_date.isoformat(), p.industry.key2017, p.values["land_area_m2"]
    ('2024-03-01', '39', 100000.0)
    """
    got = parse_projects([doc], cat)[0]
    if isinstance(got, BaseException):
        raise got
    return got


def parse_projects(docs: list, cat: Catalogue | None = None) -> list[Project | Exception]:
    """Validate many project documents at once: one column-wise :func:`validate_columns` over all of
    them (its cost is nearly the same for 1 document and for 64).

    Each document gets what it would get alone: its :class:`Project`, or the error
    :func:`parse_project` raises for it, i.e. its first problem in the order it was written
    (unknown fields, then units, then its cells in its own field order, its quantities, the
    promotion record, a missing decision date). No document's answer depends on the others.

    Parameters
    ----------
    docs : list of dict
        Project documents (the API's ``project`` objects).
    cat : Catalogue, optional
        The indicator catalogue.

    Returns
    -------
    list
        Per document, a :class:`Project` or the exception for it (a
        :class:`~standardland.errors.StandardlandError` for anything wrong with the document).

    Examples
    --------
    >>> ok, bad = parse_projects([{"decision_date": "2024-03-01", "industry_code": "39"},
    ...                           {"decision_date": "2024-02-30", "industry_code": "39"}])
    >>> ok.decision_date.isoformat(), bad.field, bad.message
    ('2024-03-01', 'decision_date', "'2024-02-30': no such day")
    """
    cat = cat or catalogue()
    qty = quantity_fields(cat)
    out: list = [None] * len(docs)
    values: list[dict] = []
    rows: list[int] = []  # the documents that reach the column-wise validation
    for j, doc in enumerate(docs):
        try:
            if not isinstance(doc, dict):
                raise InputError(f"expected a JSON object, got {type(doc).__name__}", field="project")
            unknown = unknown_fields(doc, cat)
            if unknown:
                raise InputError(f"unknown field(s) {', '.join(sorted(unknown))}", field=unknown[0],
                                 expected="fields of the project schema (api/project.schema.json)")
            values.append({k: quantity(doc.get(k), f.unit, field=k) for k, f in qty.items()})
            rows.append(j)
        except Exception as exc:  # whatever a document raises is its own answer, never its neighbours'
            out[j] = exc
    if not rows:
        return out
    given = [docs[j] for j in rows]
    keys = dict.fromkeys(k for d in given for k in d if k not in qty and k != "industries")
    keys.setdefault("decision_date")
    cells = {k: [d.get(k) for d in given] for k in keys}  # a field a document lacks is a blank cell
    arrays = {k: np.array([np.nan if v[k] is None else v[k] for v in values], dtype="float64")
              for k in qty if any(v[k] is not None for v in values)}
    try:
        cols, phases = _validate_phases(cells, arrays, cat)
    except Exception as exc:
        if len(rows) == 1:
            out[rows[0]] = exc
            return out
        for j in rows:  # one document broke the column-wise reading: each alone, so only it fails
            out[j] = parse_projects([docs[j]], cat)[0]
        return out
    first = _first_problems(phases, given)
    days = np.asarray(cols["decision_date"], dtype="datetime64[D]")
    nuisance = cols.get("nuisance_class")
    for r, j in enumerate(rows):
        doc = given[r]
        if r in first:
            p = first[r]
            out[j] = InputError(p.message, field=p.field, expected=p.expected)
            continue
        try:
            industry = resolve_industry(doc)
        except Exception as exc:
            out[j] = exc
            continue
        out[j] = Project(name=doc.get("name"), decision_date=days[r].item(), industry=industry,
                         nuisance_class=None if nuisance is None or np.isnan(nuisance[r]) else int(nuisance[r]),
                         values=values[r], raw=doc)
    return out


def _first_problems(phases: tuple[list[Problem], ...], docs: list[dict]) -> dict[int, Problem]:
    """Per document (row) with a problem, the first one as its document alone would order them: by
    phase, and among its cells by the document's own field order (a decision date it lacks last)."""
    first: dict[int, tuple] = {}
    for phase, problems in enumerate(phases):
        for q in problems:
            for r in ([q.index] if q.index >= 0 else range(len(docs))):  # a column's problem is every row's
                pos = 0
                if phase == 0:
                    pos = next((k for k, name in enumerate(docs[r]) if name == q.field), len(docs[r]))
                key = (phase, pos)
                if r not in first or key < first[r][0]:
                    first[r] = (key, q)
    return {r: p for r, (_, p) in first.items()}

