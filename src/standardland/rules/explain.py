"""Presentation of an :class:`~standardland.rules.engine.Evaluation`: the flat table of a
screening, the explanation of one row (CLI ``check``, API ``/checks``, matching, documents)
and the one rendering of a requirement as text (``≥ 240 万元/亩``, ``1.2–3``, advisory values).

Nothing here decides a status; it reads the engine's arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..labels import label
from .engine import LAND_USE_CHECK, STATUSES, VERDICTS, Evaluation, tightened
from .rulesets import provenance, reason_text
from .thresholds import ROW_LAYERS, Threshold, row_layer_value

NO_REQUIREMENT = "—"


def _num(v: float) -> str:
    s = f"{v:,.2f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def required_text(required: dict, operator: str | None, unit: str | None = None, lang: str = "zh") -> str:
    """The requirement of one indicator as people read it; the single rendering used everywhere.

    Parameters
    ----------
    required : dict
        ``{"min", "max", "advisory_min", "advisory_max"}`` as in an explanation item.
    operator : {">=", "<=", "between", None}
    unit : str, optional
        Appended unless dimensionless (``-``).
    lang : {"zh", "en"}

    Examples
    --------
    >>> required_text({"min": 240.0, "max": None, "advisory_min": None, "advisory_max": None}, ">=",
    ...               "万元/亩")
    '≥ 240 万元/亩'
    >>> required_text({"min": 1.2, "max": 3.0, "advisory_min": None, "advisory_max": None}, "between", "-")
    '1.2–3'
    >>> required_text({"min": None, "max": None, "advisory_min": 293.333333, "advisory_max": None}, ">=",
    ...               "万元/亩", "en")
    '≥ 293.33 万元/亩 (recommended)'
    """
    lang = "zh" if (lang or "zh").startswith("zh") else "en"
    suffix = f" {unit}" if unit and unit != "-" else ""
    r = required
    if operator == "between" and r.get("min") is not None and r.get("max") is not None:
        return f"{_num(r['min'])}–{_num(r['max'])}{suffix}"
    if operator in (">=", "<="):
        side = "min" if operator == ">=" else "max"
        sign = "≥" if operator == ">=" else "≤"
        if r.get(side) is not None:
            return f"{sign} {_num(r[side])}{suffix}"
        if r.get(f"advisory_{side}") is not None:
            return f"{sign} {_num(r[f'advisory_{side}'])}{suffix}{label('advisory_suffix', lang)}"
    return NO_REQUIREMENT


def required_texts(lo, hi) -> np.ndarray:
    """:func:`required_text` of many (min, max) pairs without unit, ``None`` where both are missing;
    each distinct pair is rendered once (the published thresholds of a map page, OGC items).

    Examples
    --------
    >>> required_texts([240.0, None, 1.2, None], [None, 7.0, 3.0, None]).tolist()
    ['≥ 240', '≤ 7', '1.2–3', None]
    """
    lo = np.asarray(pd.to_numeric(pd.Series(lo, dtype=object), errors="coerce"), dtype="float64")
    hi = np.asarray(pd.to_numeric(pd.Series(hi, dtype=object), errors="coerce"), dtype="float64")
    out = np.full(len(lo), None, dtype=object)
    have = ~(np.isnan(lo) & np.isnan(hi))
    if not have.any():
        return out
    # distinct pairs by their bits, every NaN made the one canonical NaN first: np.unique on floats
    # would keep each (x, NaN) pair apart, as NaN != NaN
    canon = np.column_stack([np.where(np.isnan(v), np.nan, v) for v in (lo[have], hi[have])])
    uniq, inv = np.unique(np.ascontiguousarray(canon).view(np.int64), axis=0, return_inverse=True)
    texts = []
    for a, b in uniq.view(np.float64):
        req = {"min": None if np.isnan(a) else float(a), "max": None if np.isnan(b) else float(b),
               "advisory_min": None, "advisory_max": None}
        op = "between" if req["min"] is not None and req["max"] is not None else (
            ">=" if req["min"] is not None else "<=")
        texts.append(required_text(req, op, None))
    out[have] = np.asarray(texts, dtype=object)[np.asarray(inv).reshape(-1)]
    return out


def _f(v):
    if v is None:
        return None
    v = float(v)
    return None if v != v else v  # NaN (no ufunc call on a scalar)


# -- the flat table ---------------------------------------------------------------------------


def flat(ev: Evaluation, rulesets=None) -> pd.DataFrame:
    """One row per pair: ``verdict`` and ``<id>_status/_actual/_required/_layer`` per indicator
    (``_required_max`` too where a range applies). Columns are the engine's arrays, not copies.

    With ``rulesets`` (the candidates given to the engine) the columns are fixed by them and the
    catalogue, not by the rows: ``<id>_required_max`` is there when a binding rule of one of them, or
    a per-row layer column, gives that indicator a maximum; so every part of a screening read in
    pieces has the same columns. Without them, it is there when some row has such a maximum."""
    maxed = None if rulesets is None else {r.indicator for rs in rulesets for r in rs.rules
                                           if r.max is not None and r.severity != "advisory"}
    statuses = pd.CategoricalDtype(STATUSES)
    layers = pd.CategoricalDtype([""] + ev.labels)  # code −1 (no layer) → ""

    def coded(codes, dtype):
        return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)

    cols: dict[str, object] = {"verdict": coded(ev.verdict, pd.CategoricalDtype(VERDICTS))}
    for ind in ev.cat.indicators:
        i = ind.id
        cols[f"{i}_status"] = coded(ev.status[i], statuses)
        cols[f"{i}_actual"] = ev.actual[i]
        b = ev.bounds[i]
        lo, hi = ev.required(i)
        by_lo, by_hi = ev.winners(i)
        if ind.direction == "max":
            req, by, side = hi, by_hi, 1
        else:
            req, by, side = lo, by_lo, 0
            ranged = (not np.isnan(b.max).all()) if maxed is None else i in maxed  # see the docstring
            if ranged or any(s == "max" for _, s in b.own):
                cols[f"{i}_required_max"] = np.ascontiguousarray(hi)
        if not np.isnan(b.advisory_max if side else b.advisory_min).all():
            adv = ev.advisory(i)[side]
            req = np.where(np.isnan(req), adv, req)  # an advisory value shows where no binding one applies
        cols[f"{i}_required"] = np.ascontiguousarray(req)
        cols[f"{i}_layer"] = coded(by + np.int16(1), layers)
    cols[f"{LAND_USE_CHECK}_status"] = coded(ev.land_use.status, statuses)
    return pd.DataFrame(cols, copy=False)  # no block consolidation: every column stays its own array


# -- the explanation of one row -----------------------------------------------------------------


def _adv_label(th: Threshold, which: str) -> str | None:
    lv = th.advisory_min_layer if which == "min" else th.advisory_max_layer
    return lv.ruleset if lv else None


def _row_layers(ev: Evaluation, ind_id: str, row: int) -> list[dict]:
    out = []
    own = ev.bounds[ind_id].own
    for layer in ROW_LAYERS:
        lo, hi = own.get((layer, "min")), own.get((layer, "max"))
        lo = _f(lo[row]) if lo is not None else None
        hi = _f(hi[row]) if hi is not None else None
        if lo is not None or hi is not None:
            out.append(_worded(row_layer_value(layer, lo, hi).to_dict()))
    return out


def _worded(layer: dict) -> dict:
    """A layer's dict with its document in people's words (``title``, ``document_number``)."""
    layer.update(provenance(layer["ruleset"]))
    return layer


def _reason(ev: Evaluation, ind, th: Threshold, status: str, lang: str) -> tuple[str | None, str | None]:
    """(``reason_code``, reason in ``lang``) of a ``missing``, ``not_applicable`` or ``warn`` status.

    A rule set's own reason (an unresolved industry, a scope that leaves the project out) is its
    text as the rule set words it, under the codes ``unresolved`` and ``out_of_scope``."""
    if status == "missing":
        if th.unresolved:
            return "unresolved", reason_text(th.unresolved, lang)
        return "missing_value", label("reason_missing_value", lang, name=ind.name(lang), id=ind.id,
                                      numerator=ind.numerator, denominator=ind.denominator.replace("_mu", "_m2"))
    if status == "not_applicable":
        if ev.checkpoint not in ind.checkpoints:
            checkpoint = label(f"checkpoint_{ev.checkpoint}", lang, default=ev.checkpoint)
            return "not_at_checkpoint", label("reason_not_at_checkpoint", lang, checkpoint=checkpoint)
        if ev.only is not None and ind.id not in ev.only:
            return "not_asked", label("reason_not_asked", lang)
        if th.out_of_scope:
            return "out_of_scope", reason_text(th.out_of_scope, lang)
        return "no_value_on_file", label("reason_no_value_on_file", lang)
    if status == "warn":
        code = "below_advisory" if ind.direction != "max" else "above_advisory"
        return code, label(f"reason_{code}", lang)
    return None, None


#: per-context pieces of an explanation, keyed by the identity of the context's threshold dict (which
#: :func:`~standardland.rules.thresholds.effective_thresholds` shares while the rule sets are the same
#: objects, i.e. per rule-set version); the dict itself is held so its id is not reused
_PIECES: dict[tuple[int, str], tuple[dict, tuple]] = {}
_PIECES_MAX = 4096
_MEMO_MAX = 4096


def _context_pieces(ths: dict, cat, lang: str) -> tuple:
    """(name and layer dicts per indicator, scope notes, rule sets, text memo) of one context, built once.

    Shared between explanations: treat as read-only (:func:`explain` copies the lists it returns)."""
    key = (id(ths), lang)
    hit = _PIECES.get(key)
    if hit is not None and hit[0] is ths:
        return hit[1]
    if len(_PIECES) >= _PIECES_MAX:
        _PIECES.clear()
    per = {ind.id: (ind.name(lang), tuple(_worded(lv.to_dict()) for lv in ths[ind.id].layers))
           for ind in cat.indicators}
    notes = tuple({"kind": "scope", "message": m}
                  for m in sorted({reason_text(th.out_of_scope, lang) for th in ths.values() if th.out_of_scope}))
    rulesets = frozenset(lv["ruleset"] for _, lvs in per.values() for lv in lvs if lv["layer"] not in ROW_LAYERS)
    out = (per, notes, rulesets, {})  # the last: texts of this context by their inputs, filled as met
    _PIECES[key] = (ths, out)
    return out


def _row_values(ev: Evaluation, rows: np.ndarray) -> dict:
    """Per indicator, what an explanation reads of ``rows`` as Python lists (statuses as names, values
    with None for NaN, winning layers as names).

    Computed for every indicator at once, as (rows × indicators) arrays: the binding bounds and their
    winners are the context's, tightened by the per-row layers by
    :func:`~standardland.rules.engine.tightened`, as for :meth:`~standardland.rules.engine.Evaluation.required`
    and :meth:`~standardland.rules.engine.Evaluation.winners` (a test holds them equal)."""
    inds = [ind.id for ind in ev.cat.indicators]
    bs = [ev.bounds[i] for i in inds]
    kr = ev.key_index[rows]

    def per_context(attr):  # (rows × indicators)
        return np.stack([getattr(b, attr) for b in bs], axis=1)[kr]

    missing = np.full(len(rows), np.nan)
    own = {}  # (layer, side) → (rows × indicators), NaN where an indicator has no such layer
    for key in {k for b in bs for k in b.own}:
        own[key] = np.stack([missing if (o := b.own.get(key)) is None else o[rows] for b in bs], axis=1)
    lo, by_lo = tightened(per_context("min"), per_context("min_by"), own, ev.labels, "min")
    hi, by_hi = tightened(per_context("max"), per_context("max_by"), own, ev.labels, "max")
    floats = [np.stack([ev.actual[i] for i in inds], axis=1)[rows], lo, hi,
              per_context("advisory_min"), per_context("advisory_max")]
    floats = [[[None if v != v else v for v in r] for r in f.T.tolist()] for f in floats]  # NaN → None
    status = STATUSES[np.stack([ev.status[i] for i in inds], axis=1)[rows]].T.tolist()
    names = np.array([None, *ev.labels], dtype=object)  # winner code −1 → None
    wins = [names[np.asarray(w, dtype=np.intp) + 1].T.tolist() for w in (by_lo, by_hi)]
    return {i: (status[k], *(f[k] for f in floats), wins[0][k], wins[1][k], bool(bs[k].own))
            for k, i in enumerate(inds)}


def explain(ev: Evaluation, row: int, lang: str = "zh") -> dict:
    """The per-indicator explanation of one row (:func:`explain_rows` of one)."""
    return explain_rows(ev, [row], lang)[0]


def explain_rows(ev: Evaluation, rows, lang: str | list[str] = "zh") -> list[dict]:
    """The per-indicator explanation of each of ``rows``, as the CLI, the API and documents print it.

    Each is ``{"verdict", "checkpoint", "rulesets", "indicators": [...], "notes": [...]}``; each
    indicator has its status, actual value, ``required`` bounds, ``operator``, ``required_text``
    (in ``lang``), the governing layer with provenance (``title`` and ``document_number`` of its
    document, the rule-set id only as ``governing_ruleset``), every layer's value (each with its
    ``title`` and ``document_number``) and the reason for a
    ``missing``, ``not_applicable`` or ``warn``: ``reason`` in ``lang`` (from ``web/i18n.json``) and a
    stable ``reason_code`` (``missing_value``, ``no_value_on_file``, ``below_advisory`` …). ``notes`` carries verdict-level notes (a rule set
    whose scope leaves the project's industry out).

    ``lang`` is one language for all, or one per row. The evaluation's arrays are read for all the
    rows at once (:func:`_row_values`), and a context's texts (requirement, reason) once per distinct
    value: explaining the rows of a batch costs little more per row than building its dictionaries.
    """
    rows = np.asarray(rows, dtype=np.intp).reshape(-1)
    langs = [lang] * len(rows) if isinstance(lang, str) else list(lang)
    values = _row_values(ev, rows)
    return [_explain_one(ev, int(row), k, values, langs[k]) for k, row in enumerate(rows)]


def _explain_one(ev: Evaluation, row: int, k: int, values: dict, lang: str) -> dict:
    """One row's explanation; ``k`` is its position in ``values``."""
    ths = ev.key_thresholds[ev.key_index[row]]
    per, ctx_notes, ctx_rulesets, memo = _context_pieces(ths, ev.cat, lang)
    items = []
    for ind in ev.cat.indicators:
        i = ind.id
        name, ctx_layers = per[i]
        st, act, lo, hi, alo, ahi, by_min, by_max, own = values[i]
        act, lo, hi, alo, ahi = act[k], lo[k], hi[k], alo[k], ahi[k]
        status = st[k]
        layers = [dict(lv) for lv in ctx_layers]
        if own:
            layers += _row_layers(ev, i, row)
        if lo is not None and hi is not None:
            op, governing = "between", by_min[k]
            if act is not None and act > hi:
                governing = by_max[k]
        elif lo is not None:
            op, governing = ">=", by_min[k]
        elif hi is not None:
            op, governing = "<=", by_max[k]
        elif alo is not None:
            op, governing = ">=", _adv_label(ths[i], "min")
        elif ahi is not None:
            op, governing = "<=", _adv_label(ths[i], "max")
        else:
            op, governing = None, None
        gov = next((lv for lv in layers if lv["ruleset"] == governing), None)
        required = {"min": lo, "max": hi, "advisory_min": alo, "advisory_max": ahi}
        if len(memo) > _MEMO_MAX:  # thresholds of many parcels' own: kept bounded
            memo.clear()
        key = (i, status, ev.checkpoint, ev.only is None or i in ev.only)
        reason = memo.get(key)
        if reason is None:
            reason = memo[key] = _reason(ev, ind, ths[i], status, lang)
        key = (i, op, lo, hi, alo, ahi)
        text = memo.get(key)
        if text is None:
            text = memo[key] = required_text(required, op, ind.unit, lang)
        items.append(
            {
                "id": i,
                "name": name,
                "status": status,
                "actual": act,
                "required": required,
                "operator": op,
                "required_text": text,
                "unit": ind.unit,
                "governing_layer": gov["layer"] if gov else None,
                "governing_ruleset": governing,
                **provenance(governing),
                "source": gov.get("source") if gov else None,
                "clause": gov.get("clause") if gov else None,
                "verified": gov.get("verified") if gov else None,
                "layers": layers,
                "reason": reason[1],
                "reason_code": reason[0],
            }
        )
    lu = ev.land_use
    lus = STATUSES[lu.status[row]]
    pc = lu.parcel_class[row]
    code = lu.code(row)
    lu_required = {
        "min": None,
        "max": None if np.isnan(pc) or pc <= 0 else float(pc),
        "advisory_min": None,
        "advisory_max": None,
    }
    items.append(
        {
            "id": LAND_USE_CHECK,
            "name": label("land_use_check", lang),
            "status": lus,
            "actual": _f(lu.nuisance[row]),
            "required": lu_required,
            "operator": "<=",
            "required_text": required_text(lu_required, "<=", None, lang),
            "unit": "class",
            "governing_layer": "parcel",
            "governing_ruleset": "parcel",
            **provenance("parcel"),
            "source": "国土空间用地用海分类 (2023): 100101/100102/100103 一/二/三类工业用地",
            "clause": f"parcel land use {code}",
            "verified": "V",
            "layers": [],
            **_land_use_reason(lus, code, lu.nuisance[row], pc, lang),
        }
    )
    notes = [dict(n) for n in ctx_notes]
    if all(it["status"] == "not_applicable" for it in items):
        notes.append({"kind": "nothing_judged", "message": label("message_nothing_judged", lang)})
    return {
        "verdict": VERDICTS[ev.verdict[row]],
        "checkpoint": ev.checkpoint,
        "rulesets": sorted(ctx_rulesets),
        "indicators": items,
        "notes": notes,
    }


def _land_use_reason(status, code, nuisance, pclass, lang: str) -> dict:
    """``reason_code`` and ``reason`` (in ``lang``) of the land-use check's status."""
    if status == "fail" and (pclass is not None and not np.isnan(pclass) and pclass <= 0):
        rc, fmt = "land_use_not_industrial", {"code": code}
    elif status == "fail":
        rc, fmt = "land_use_inadmissible", {"nuisance": int(nuisance), "pclass": int(pclass), "code": code}
    elif status == "missing":
        rc, fmt = "land_use_missing", {}
    elif status == "not_applicable":
        rc, fmt = "land_use_unclassed", {"code": code}
    else:
        return {"reason": None, "reason_code": None}
    return {"reason": label(f"reason_{rc}", lang, **fmt), "reason_code": rc}
