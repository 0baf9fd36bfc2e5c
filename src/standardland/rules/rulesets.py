"""Rule sets: versioned layers of thresholds, stored as readable files in ``geodata/rulesets``
and in the store. This module parses and validates them (a bad file is a
:class:`RuleSetError` naming the field) and loads official tables from CSV or Excel.

A rule set's ``scope`` says where it applies (``admin_prefix``: a county-code prefix, ``park``)
and, as data, which industries it governs: ``edition`` + ``divisions`` (GB/T 4754 two-digit
divisions and ranges, e.g. national-2008: ``{"edition": "2002", "divisions": "13-37,39-43"}``),
with a ``title`` that becomes the reason and a ``verified`` flag. A resolved industry outside
the divisions makes that set's *industry-keyed* values ``not_applicable`` with the reason
(国土资发〔2008〕24号 covers manufacturing, 2002 divisions 13–43; 仓储业 is 2002-58), not
``missing``; its other values (building coefficient, office share …) still apply. A park may
widen or narrow its own scope the same way.

Provenance in people's words: a rule set may carry ``title`` (the document as people cite it,
e.g. 《工业项目建设用地控制指标》) and ``document_number`` (文号, e.g. 国土资发〔2008〕24号; ``null``
when unknown or unverified, which the title then says). A set without a title is shown by its id.
:func:`provenance` answers both for a rule-set id (or the per-row layers ``parcel`` = 出让公告 and
``agreement`` = 投资建设协议) as the explanation layers print them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import cast

import pandas as pd

from ..dates import parse_date
from ..errors import RuleSetError
from .catalogue import Catalogue, catalogue
from .thresholds import RULESET_LAYERS, Context, LayerValue
from ..resources import geodata
from ..units import parse_unit

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
SCOPE_KEYS = ("admin_prefix", "park", "edition", "divisions", "title", "verified")
_DIVISIONS = re.compile(r"^\d{2}(-\d{2})?(,\d{2}(-\d{2})?)*$")


def parse_divisions(spec, fieldname: str = "scope.divisions") -> frozenset[str]:
    """Two-digit GB/T 4754 divisions from ``"13-37,39-43"`` (ranges inclusive).

    Examples
    --------
    >>> sorted(parse_divisions("13-15,39"))
    ['13', '14', '15', '39']
    """
    text = str(spec).replace(" ", "").replace("–", "-")
    if not _DIVISIONS.match(text):
        raise RuleSetError(f"{spec!r} is not a list of divisions", field=fieldname,
                           expected="two-digit divisions and ranges, e.g. '13-37,39-43'")
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if hi and int(hi) < int(lo):
            raise RuleSetError(f"range {part!r} runs backwards", field=fieldname, expected="low-high")
        out.update(f"{k:02d}" for k in range(int(lo), int(hi or lo) + 1))
    return frozenset(out)


class Reason(str):
    """Why a rule set cannot give a value: its English text (what the str is, as before) and a ``code``
    with ``params``, so :meth:`text` words it in any language from ``web/i18n.json``
    (``ruleset_reason_<code>``).

    Examples
    --------
    >>> r = Reason.of("no_land_grade")
    >>> r.code, r.text("en") == r
    ('no_land_grade', True)
    >>> r.text("zh")
    '地块没有土地等别，无法确定其所在地区类别（1–7）'
    """

    code: str
    params: dict

    def __new__(cls, text: str, code: str = "", params: dict | None = None):
        """A reason worded ``text`` (English), under ``code`` with ``params``."""
        obj = super().__new__(cls, text)
        obj.code, obj.params = code, dict(params or {})
        return obj

    @classmethod
    def of(cls, code: str, **params) -> Reason:
        """The reason ``code`` with its ``params``, its English text from the labels."""
        from ..labels import label

        return cls(label(f"ruleset_reason_{code}", "en", **params), code, params)

    def text(self, lang: str = "zh") -> str:
        """The reason in ``lang``."""
        from ..labels import label

        return label(f"ruleset_reason_{self.code}", lang, **self.params) if self.code else str(self)

    def __reduce__(self):
        """Pickled with its code and parameters (Dask workers get the same reasons)."""
        return (Reason, (str(self), self.code, self.params))


class _ScopeReason(Reason):
    """A scope that leaves the project's industry out: the set's title (or what it covers) and the
    project's divisions, each worded in the language."""

    def __new__(cls, title, ruleset: str, edition: str, divisions: str, named: list):
        """The reason of ``ruleset``'s scope for the project's ``named`` (name or None, code) divisions."""
        params = {"title": title, "ruleset": ruleset, "edition": edition, "divisions": divisions, "named": named}
        return super().__new__(cls, _scope_text(params, "en"), "scope", params)

    def text(self, lang: str = "zh") -> str:
        """The reason in ``lang``."""
        return _scope_text(self.params, lang)

    def __reduce__(self):
        """Pickled by its parts."""
        p = self.params
        return (_ScopeReason, (p["title"], p["ruleset"], p["edition"], p["divisions"], p["named"]))


def _scope_text(p: dict, lang: str) -> str:
    from ..labels import label

    title = p["title"] or label("ruleset_reason_scope_covers", lang, ruleset=p["ruleset"], edition=p["edition"],
                                divisions=p["divisions"])
    named = [label("ruleset_reason_scope_named", lang, name=n, code=c) if n else
             label("ruleset_reason_scope_code", lang, code=c) for n, c in p["named"]]
    return label("ruleset_reason_scope", lang, title=title,
                 named=label("list_separator", lang).join(named))


def reason_text(why: str | None, lang: str = "zh") -> str | None:
    """A threshold's reason (:class:`Reason` or plain text) in ``lang``."""
    return why.text(lang) if isinstance(why, Reason) else why


def _division_name(edition: str, code: str) -> str | None:
    from .. import codes

    try:
        hit = (codes.industries_2002() if edition == "2002" else codes.industries_2017()).get(code)
        return hit[0] if hit else None
    except Exception:  # a code list that cannot be read names nothing; the code still says it
        return None


@dataclass
class Rule:
    """One rule of a rule set: a ``min`` and/or ``max`` of an indicator, optionally for one industry,
    region class or zone tier, with its severity, verification mark and source clause."""

    indicator: str
    min: float | None = None
    max: float | None = None
    industry: str | None = None
    region_class: int | None = None
    zone_tier: str | None = None
    severity: str = "binding"
    verified: str | None = None
    source: str | None = None
    clause: str | None = None


@dataclass
class RuleSet:
    """A parsed rule set (:func:`parse_ruleset`): its layer, version, dates in force, scope and rules;
    ``payload`` is the document as stored."""

    id: str
    layer: str
    version: str
    series: str
    effective_from: date
    effective_to: date | None
    industry_edition: str | None
    scope: dict
    source: str | None
    rules: list[Rule]
    payload: dict = field(repr=False, default_factory=dict)
    rules_by_indicator: dict = field(repr=False, default_factory=dict)
    title: str | None = None
    document_number: str | None = None

    def __post_init__(self):
        # the industries this set governs (scope.edition + scope.divisions); None: every industry
        """Index the rules by indicator and note what each indicator's value depends on."""
        self.industry_scope = parse_divisions(self.scope["divisions"]) if self.scope.get("divisions") else None
        by: dict[str, list[Rule]] = {}
        for r in self.rules:
            by.setdefault(r.indicator, []).append(r)
        self.rules_by_indicator = by
        # what each indicator's value depends on, so equal contexts share one answer
        self._keyed = {i: (any(r.industry for r in rs), any(r.region_class is not None for r in rs),
                           any(r.zone_tier for r in rs)) for i, rs in by.items()}
        self._memo: dict = {}

    def in_force(self, d: date) -> bool:
        """Whether the set is in force on ``d`` (both ends of its effective range included)."""
        return self.effective_from <= d and (self.effective_to is None or d <= self.effective_to)

    def covers(self, ctx: Context) -> bool:
        """Whether the set's scope (``admin_prefix``, ``park``) covers the context's parcel."""
        pref = self.scope.get("admin_prefix")
        if pref and not (ctx.admin_code or "").startswith(str(pref)):
            return False
        park = self.scope.get("park")
        if park and ctx.park != park:
            return False
        return True

    def outside_scope(self, ctx: Context) -> str | None:
        """Why the project's industry is outside this set's scope (None when inside, or unknown).

        Membership is decided per context (the engine resolves each distinct context once)."""
        if self.industry_scope is None:
            return None
        edition = str(self.scope.get("edition"))
        codes = ctx.industry_2017 if edition == "2017" else ctx.industry_2002
        if not codes or any(c[:2] in self.industry_scope for c in codes):
            return None
        title = self.scope.get("title")
        named = [(n, f"{edition}-{c[:2]}") for c in codes for n in (_division_name(edition, c[:2]),)]
        return _ScopeReason(title, self.id, edition, str(self.scope["divisions"]), named)

    def value_for(self, ind_id: str, rules: list[Rule], ctx: Context) -> tuple[LayerValue | None, str | None,
                                                                             str | None]:
        """This set's value for an indicator in a context: (value or None, reason it is undeterminable,
        kind of that reason: ``"unresolved"`` or ``"out_of_scope"``)."""
        by_ind, by_region, by_zone = self._keyed[ind_id]
        key = (ind_id, (ctx.industry_error, ctx.industry_2017, ctx.industry_2002) if by_ind else None,
               ctx.region_class if by_region else None, ctx.zone_tier if by_zone else None)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._value_for(ind_id, rules, ctx)
        return hit

    def _value_for(self, ind_id: str, rules: list[Rule], ctx: Context):
        industry_keyed = any(r.industry for r in rules)
        codes = ()
        if industry_keyed:
            codes = ctx.industry_2017 if self.industry_edition == "2017" else ctx.industry_2002
            if ctx.industry_error:
                return None, Reason.of("industry_unknown", error=ctx.industry_error), "unresolved"
            if not codes:
                return None, Reason.of("no_counterpart", edition=self.industry_edition, ruleset=self.id), \
                    "unresolved"
            outside = self.outside_scope(ctx)
            if outside:
                return None, outside, "out_of_scope"
        matching = [r for r in rules
                    if (r.industry is None or any(c.startswith(r.industry) or r.industry.startswith(c)
                                                  for c in codes))
                    and (r.zone_tier is None or r.zone_tier == ctx.zone_tier)]
        if any(r.region_class is not None for r in matching):
            if ctx.region_class is None:
                return None, Reason.of("no_land_grade"), "unresolved"
            matching = [r for r in matching if r.region_class is None or r.region_class == ctx.region_class]
        if not matching:
            return None, None, None
        lo = [r for r in matching if r.min is not None]
        hi = [r for r in matching if r.max is not None]
        rmin = max(lo, key=lambda r: r.min) if lo else None
        rmax = min(hi, key=lambda r: r.max) if hi else None
        main = rmin or rmax
        sev = "advisory" if all(r.severity == "advisory" for r in matching) else "binding"
        clause = "; ".join(dict.fromkeys(r.clause for r in (rmin, rmax) if r is not None and r.clause)) or None
        return LayerValue(self.layer, self.id, self.version, rmin.min if rmin else None,
                          rmax.max if rmax else None, sev, main.verified, main.source or self.source,
                          clause), None, None

    def to_dict(self) -> dict:
        """The rule-set document as stored (``payload``)."""
        return self.payload


def parse_ruleset(doc: dict, cat: Catalogue | None = None) -> RuleSet:
    """Validate and normalise a rule-set document (values converted to canonical units)."""
    cat = cat or catalogue()
    if not isinstance(doc, dict):
        raise RuleSetError("a rule set must be a JSON object", field="$")
    rid = doc.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise RuleSetError(f"id {rid!r} is invalid", field="id", expected="lowercase letters, digits, '-', '.', '_'")
    layer = doc.get("layer")
    if layer not in RULESET_LAYERS:
        raise RuleSetError(f"layer {layer!r} is unknown", field="layer", expected="national, province, city or park")
    eff_from = cast(date, parse_date(doc.get("effective_from"), "effective_from", error=RuleSetError))
    eff_to = parse_date(doc.get("effective_to"), "effective_to", required=False, error=RuleSetError)
    if eff_to and eff_to < eff_from:
        raise RuleSetError("ends before it starts", field="effective_to", expected=f"a date ≥ {eff_from}")
    edition = doc.get("industry_edition")
    if edition is not None and str(edition) not in ("2002", "2017"):
        raise RuleSetError(f"'{edition}' is unknown", field="industry_edition", expected="2002, 2017 or null")
    scope = doc.get("scope") or {}
    bad = set(scope) - set(SCOPE_KEYS)
    if bad:
        raise RuleSetError(f"unknown scope key(s) {sorted(bad)}", field="scope", expected=str(SCOPE_KEYS))
    if scope.get("divisions") is not None or scope.get("edition") is not None:
        if str(scope.get("edition")) not in ("2002", "2017"):
            raise RuleSetError(f"edition {scope.get('edition')!r}", field="scope.edition",
                               expected="2002 or 2017 (the GB/T 4754 edition of scope.divisions)")
        if not scope.get("divisions"):
            raise RuleSetError("missing", field="scope.divisions", expected="e.g. '13-37,39-43'")
        parse_divisions(scope["divisions"])
    for k in ("title", "verified"):
        if scope.get(k) is not None and not isinstance(scope[k], str):
            raise RuleSetError(f"{scope[k]!r}", field=f"scope.{k}", expected="a string")
    if layer == "province" and not scope.get("admin_prefix"):
        raise RuleSetError("a province rule set needs scope.admin_prefix (e.g. '37')", field="scope")
    if layer == "park" and not scope.get("park"):
        raise RuleSetError("a park rule set needs scope.park", field="scope")
    rules = []
    for i, r in enumerate(doc.get("rules") or []):
        rules.append(_parse_rule(r, f"rules[{i}]", cat, edition))
    if not rules:
        raise RuleSetError("a rule set needs at least one rule", field="rules")
    words = {}
    for k in ("title", "document_number"):
        v = doc.get(k)
        if v is not None and (not isinstance(v, str) or not v.strip() or len(v) > 300):
            raise RuleSetError(f"{v!r} is not a document {k.replace('_', ' ')}", field=k,
                               expected="a non-empty string of at most 300 characters, or null")
        words[k] = v.strip() if isinstance(v, str) else None
    payload = dict(doc, effective_from=eff_from.isoformat())  # dates kept in ISO form, whatever form was given
    if eff_to:
        payload["effective_to"] = eff_to.isoformat()
    rs = RuleSet(rid, layer, str(doc.get("version") or eff_from.year), str(doc.get("series") or rid), eff_from,
                 eff_to, str(edition) if edition else None, scope, doc.get("source"), rules, payload,
                 title=words["title"], document_number=words["document_number"])
    _PROVENANCE[rid] = (rs.title or rid, rs.document_number)
    return rs


#: the per-row layers' documents: the parcel's own values come from its transfer announcement,
#: an agreement's commitments from the investment agreement
ROW_LAYER_DOCUMENTS = {"parcel": ("出让公告", None), "agreement": ("投资建设协议", None)}
#: rule-set id → (title, document number), from the rule sets parsed in this process (the latest wins)
_PROVENANCE: dict[str, tuple[str, str | None]] = {}


def provenance(ruleset_id: str | None) -> dict:
    """The document behind a rule-set id (or a per-row layer) in people's words.

    Returns ``{"title", "document_number"}``; a rule set without a title (or one not parsed in
    this process) falls back to its id, so nothing is ever shown blank.

    Examples
    --------
    >>> _ = load_rulesets(shipped_rulesets())
    >>> provenance("national-2008")
    {'title': '《工业项目建设用地控制指标》', 'document_number': '国土资发〔2008〕24号'}
    >>> provenance("parcel")["title"]
    '出让公告'
    """
    if ruleset_id is None:
        return {"title": None, "document_number": None}
    title, number = ROW_LAYER_DOCUMENTS.get(ruleset_id) or _PROVENANCE.get(ruleset_id) or (ruleset_id, None)
    return {"title": title, "document_number": number}


def document_text(title: str | None, number: str | None) -> str:
    """One line naming a document: ``《工业项目建设用地控制指标》国土资发〔2008〕24号``."""
    return "".join(x for x in (title, number) if x) or "—"


def _parse_rule(r: dict, where: str, cat: Catalogue, edition) -> Rule:
    if not isinstance(r, dict):
        raise RuleSetError("a rule must be an object", field=where)
    ind_id = r.get("indicator")
    if ind_id not in cat.ids:
        raise RuleSetError(f"indicator {ind_id!r} is not in the catalogue", field=f"{where}.indicator",
                           expected=", ".join(cat.ids))
    ind = cat.get(ind_id)
    unit = r.get("unit") or ind.unit
    dim_r, f_r = parse_unit(unit, field=f"{where}.unit")
    dim_c, f_c = parse_unit(ind.unit)
    if dim_r != dim_c:
        raise RuleSetError(f"unit '{unit}' does not fit {ind_id} ({ind.unit})", field=f"{where}.unit",
                           expected=f"a unit like {ind.unit}")
    vals = {}
    for k in ("min", "max"):
        v = r.get(k)
        if v is None or v == "" or (isinstance(v, float) and pd.isna(v)):
            vals[k] = None
            continue
        try:
            vals[k] = float(v) * f_r / f_c
        except (TypeError, ValueError) as exc:
            raise RuleSetError(f"{v!r} is not a number", field=f"{where}.{k}") from exc
    if vals["min"] is None and vals["max"] is None:
        raise RuleSetError("a rule needs a min or a max", field=where)
    if vals["min"] is not None and vals["max"] is not None and vals["min"] > vals["max"]:
        raise RuleSetError("min is greater than max", field=where)
    industry = r.get("industry")
    if industry is not None and industry != "":
        industry = str(industry).strip()
        if industry.endswith(".0"):
            industry = industry[:-2]
        if not industry.isdigit():
            raise RuleSetError(f"industry {industry!r} must be a numeric code", field=f"{where}.industry")
        if edition is None:
            raise RuleSetError("an industry-keyed rule needs the rule set's industry_edition",
                               field="industry_edition", expected="2002 or 2017")
    else:
        industry = None
    rc = r.get("region_class")
    if rc is not None and rc != "" and not (isinstance(rc, float) and pd.isna(rc)):
        try:
            rc = int(float(rc))
            assert 1 <= rc <= 7
        except (TypeError, ValueError, AssertionError) as exc:
            raise RuleSetError(f"{r.get('region_class')!r}", field=f"{where}.region_class",
                               expected="an integer 1–7") from exc
    else:
        rc = None
    sev = r.get("severity") or "binding"
    if sev not in ("binding", "advisory"):
        raise RuleSetError(f"severity {sev!r}", field=f"{where}.severity", expected="binding or advisory")
    zt = r.get("zone_tier") or None

    def _s(k):
        v = r.get(k)
        return None if v is None or (isinstance(v, float) and pd.isna(v)) or v == "" else str(v)

    return Rule(ind_id, vals["min"], vals["max"], industry, rc, zt, sev, _s("verified"), _s("source"), _s("clause"))


@cache
def _shipped_docs() -> tuple[str, ...]:
    return tuple(p.read_text(encoding="utf-8") for p in sorted(geodata("rulesets").glob("*.json")))


def shipped_rulesets() -> list[dict]:
    """The rule-set documents shipped in ``geodata/rulesets``."""
    return [json.loads(t) for t in _shipped_docs()]


def load_rulesets(docs: list[dict]) -> list[RuleSet]:
    """Each document parsed by :func:`parse_ruleset`; the first invalid one raises
    :class:`RuleSetError`."""
    return [parse_ruleset(d) for d in docs]


# -- official tables from CSV / Excel --------------------------------------------------------
TABLE_COLUMNS = ("indicator", "industry", "region_class", "zone_tier", "min", "max", "unit", "severity",
                 "verified", "source", "clause")


def read_rule_table(path: str | Path) -> list[dict]:
    """Rules in long form, one per row: indicator, industry, region_class, min/max, unit, … ."""
    from ..io import detect_encoding  # the one home of text decoding (UTF-8 with/without BOM, GB18030/GBK)

    path = Path(path)
    if path.suffix.lower() == ".csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=detect_encoding(path))
    elif path.suffix.lower() == ".xlsx":
        df = pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
    else:
        raise RuleSetError(f"unsupported rule table '{path.suffix}'", field="file", expected=".csv or .xlsx")
    if "indicator" not in df.columns:
        raise RuleSetError("column 'indicator' is missing", field="file",
                           expected="columns " + ", ".join(TABLE_COLUMNS))
    return [{k: (v if v != "" else None) for k, v in row.items() if k in TABLE_COLUMNS}
            for row in df.to_dict("records")]


def merge_rules(doc: dict, new_rules: list[dict]) -> dict:
    """Put ``new_rules`` into a rule-set document: same (indicator, industry, region_class, zone_tier) replaced."""

    def key(r):
        rc = r.get("region_class")
        return (r.get("indicator"), str(r.get("industry") or ""), str(int(float(rc))) if rc not in (None, "") else "",
                r.get("zone_tier") or "")

    incoming = {key(r): r for r in new_rules}
    kept = [r for r in doc.get("rules", []) if key(r) not in incoming]
    out = dict(doc)
    out["rules"] = kept + list(incoming.values())
    return out
