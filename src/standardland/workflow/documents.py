"""Meeting-ready documents (zh by default, en available): the verdict of a candidate project on a
parcel, and a workflow application's check, agreement and inspection documents.

Every value is localised for the reader (statuses, states, indicator and layer names, terms,
dates as 2024年3月1日), every requirement shows its source document in people's words (title and
文号, :func:`standardland.rules.rulesets.provenance`) and its clause, the verdict's notes are
listed, and each document ends with a signature block (经办人 / 审核人 / 负责人, 日期, 盖章).
One fixed template (``web/templates/document.html``, autoescaped) renders them all; the data are
template variables only. :mod:`standardland.render` prints the same HTML to PDF.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import shapely

from .. import labels
from ..dates import parse_date
from ..errors import InputError, NotFoundError
from ..render import html as render_html
from ..rules.catalogue import catalogue
from ..rules.explain import required_text
from ..rules.rulesets import document_text
from ..units import display, m2_to_ha, m2_to_mu

KINDS = ("check", "agreement", "inspection")
#: the sketch's drawing box in CSS pixels
MAP_SIZE = 220


def label(key: str, lang: str, default: str | None = None) -> str:
    """A label from ``web/i18n.json`` (:func:`standardland.labels.label`); ``default`` (or the key) if absent."""
    return labels.label(key, lang, default=default if default is not None else key)


def long_date(value, lang: str) -> str:
    """``2024-03-01`` (any form :func:`standardland.dates.parse_date` reads) → ``2024年3月1日`` (zh) or
    ``1 March 2024`` (en); blank stays blank."""
    d = parse_date(value, "date", required=False)
    if d is None:
        return ""
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _indicator_name(ind_id: str, lang: str) -> str:
    cat = catalogue()
    return cat.get(ind_id).name(lang) if ind_id in cat.ids else ind_id


def _area_text(area_m2: float | None) -> str:
    if area_m2 is None:
        return "—"
    return f"{display(area_m2)} m² = {display(m2_to_mu(area_m2))} 亩 = {display(m2_to_ha(area_m2), 4)} 公顷"


def _document(layer: dict, lang: str) -> str:
    text = document_text(layer.get("title") or layer.get("ruleset"), layer.get("document_number"))
    return text + (label("doc_unverified", lang) if layer.get("verified") == "U" else "")


def _layer_text(lv: dict, ind_unit: str, lang: str) -> str:
    """One layer's value in a line: ``国家：《…》国土资发〔2008〕24号 ≥ 1（Table 2, …）``."""
    lo, hi = lv.get("min"), lv.get("max")
    op = "between" if lo is not None and hi is not None else (">=" if lo is not None else "<=")
    req = {"min": lo, "max": hi, "advisory_min": None, "advisory_max": None}
    if lo is not None or hi is not None:
        value = required_text(req, op, ind_unit, lang)
    else:
        value = label("legend_no_value", lang) if lv.get("note") == "no value on file" else (lv.get("note") or "—")
    said = [x for x in (lv.get("source"), lv.get("clause")) if x and lv["layer"] not in ("parcel", "agreement")
            and x not in (lv.get("title"), lv.get("document_number"))]
    where = ("（" + "；".join(said) + "）" if lang == "zh" else " (" + "; ".join(said) + ")") if said else ""
    sep = "：" if lang == "zh" else ": "
    return f"{label('layer_' + lv['layer'], lang, lv['layer'])}{sep}{_document(lv, lang)} {value}{where}"


def indicator_rows(indicators: list[dict], lang: str) -> list[dict]:
    """The requirement table: one row per indicator with its status, actual, required text, unit,
    source document, clause, the reason for a non-pass and every layer's value."""
    rows = []
    for it in indicators:
        gov = {"title": it.get("title"), "document_number": it.get("document_number"),
               "ruleset": it.get("governing_ruleset"), "verified": it.get("verified")}
        rows.append({
            "id": it["id"], "name": it["name"], "status": it["status"],
            "status_text": label(it["status"], lang), "actual": display(it["actual"]),
            "required": required_text(it["required"], it["operator"], None, lang),  # the unit has its column
            "unit": "" if it["unit"] in ("-", None) else ("类" if it["unit"] == "class" and lang == "zh"
                                                          else it["unit"]),
            "document": _document(gov, lang) if it.get("governing_ruleset") else "—",
            "source": it.get("source") or "", "clause": it.get("clause") or "", "reason": it.get("reason") or "",
            "layers": [_layer_text(lv, it["unit"], lang) for lv in it.get("layers") or []],
        })
    return rows


def _notes(notes) -> list[dict]:
    return [{"kind": str(n.get("kind") or ""), "message": str(n.get("message") or "")} for n in notes or []]


def parcel_sketch(geometry) -> dict | None:
    """A small map of the parcel as SVG path data (no tiles, no network): its rings scaled into a
    ``MAP_SIZE`` box, north up, with the aspect kept (longitudes shrunk by cos(latitude))."""
    if geometry is None or shapely.is_empty(geometry):
        return None
    minx, miny, maxx, maxy = geometry.bounds
    kx = float(np.cos(np.radians((miny + maxy) / 2)))
    w, h = max((maxx - minx) * kx, 1e-12), max(maxy - miny, 1e-12)
    pad = 10
    s = (MAP_SIZE - 2 * pad) / max(w, h)
    parts = []
    polys = getattr(geometry, "geoms", [geometry])
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            px = pad + (xy[:, 0] - minx) * kx * s
            py = pad + (maxy - xy[:, 1]) * s
            parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in zip(px, py, strict=True)) + " Z")
    c = geometry.centroid
    return {"path": " ".join(parts), "width": round(w * s + 2 * pad, 1), "height": round(h * s + 2 * pad, 1),
            "centroid": f"{c.y:.5f}°N, {c.x:.5f}°E"}


def _page(lang: str) -> tuple[str, str, str]:
    """The page-number line split around the counters, for the print stylesheet."""
    text = label("doc_page", lang)
    before, _, rest = text.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    return before, middle, after


def _sign(lang: str) -> dict:
    return {k: label(f"doc_sign_{k}", lang) for k in ("handler", "reviewer", "head", "date", "seal", "opinion")} | {
        "title": label("doc_sign", lang)}


def _render(lang: str, title: str, header: list, *, parcel: dict | None = None, sketch: dict | None = None,
            notes=(), sections=(), requirements=None, verdict: str | None = None) -> str:
    cols = {k: label(f"doc_{k}", lang) for k in ("status", "unit", "document", "clause", "explanation")}
    cols |= {"indicator": label("indicator", lang), "actual": label("actual", lang),
             "required": label("required", lang)}
    return render_html(
        "document.html", lang=lang, title=title, header=header, parcel=parcel, sketch=sketch,
        map_title=label("doc_map", lang), notes_title=label("doc_notes", lang), notes=_notes(notes),
        note_kinds={n["kind"]: label("note_" + n["kind"], lang, n["kind"]) for n in _notes(notes)},
        requirements_title=label("doc_requirements", lang), requirements=requirements, columns=cols,
        layers_title=label("doc_layers", lang), sections=list(sections), verdict=verdict,
        verdict_text=label(verdict, lang) if verdict else None, verdict_label=label("verdict", lang),
        colon="：" if lang == "zh" else ": ", sign=_sign(lang), page=_page(lang),
        generated_label=label("doc_generated", lang), generated=long_date(datetime.now().date(), lang))


def _parcel_block(parcel: dict, lang: str) -> list:
    return [(label("doc_parcel_name", lang), parcel.get("name") or "—"), (label("code", lang), parcel.get("code")),
            (label("area", lang), _area_text(parcel.get("area_m2")))]


def check_document(v: dict, *, lang: str = "zh", geometry=None) -> str:
    """The meeting-ready HTML of a candidate project's check (the ``/checks`` JSON, ``check --json``).

    Parameters
    ----------
    v : dict
        The explained verdict (:func:`standardland.services.check_project`).
    lang : {"zh", "en"}
    geometry : shapely geometry, optional
        The parcel's geometry (EPSG:4490) for the sketch map.
    """
    lang = "zh" if lang == "zh" else "en"
    parcel = v.get("parcel") or {"code": v.get("parcel_code")}
    header = [(label("doc_project", lang), v.get("project") or "—"),
              (label("doc_industry", lang), (v.get("industry") or {}).get("label") or "—"),
              *_parcel_block(parcel, lang),
              (label("doc_checkpoint", lang), label("checkpoint_" + v.get("checkpoint", "screening"), lang)),
              (label("doc_decision_date", lang), long_date(v.get("decision_date"), lang))]
    return _render(lang, label("doc_check_title", lang), header, parcel=parcel, sketch=parcel_sketch(geometry),
                   notes=v.get("notes"), requirements=indicator_rows(v["indicators"], lang),
                   verdict=v["verdict"], sections=advice_sections(v.get("advice"), lang))


def advice_sections(adv: dict | None, lang: str) -> list[dict]:
    """The "整改建议 / Advice" section of a failing or incomplete check: one row per lever (the smallest
    change that passes that indicator, :mod:`standardland.rules.advice`), the land's, the smallest
    overall change and the land-sizing interval; none for a pass."""
    if not adv:
        return []
    rows = [[_indicator_name(lv["indicator"], lang), lv["text"]] for lv in adv.get("levers", [])]
    if adv.get("land") and adv["land"].get("text"):
        rows.append([label("advice_sizing", lang), adv["land"]["text"]])
    if adv.get("within") is not None:
        rows.append(["", label("advice_within", lang).replace("{pct}", f"{adv['within'] * 100:.1f}%")])
    if adv.get("sizing"):
        rows.append([label("advice_sizing", lang), adv["sizing"]["text"]])
    if not rows:
        return []
    return [{"title": label("advice_title", lang), "columns": [label("indicator", lang), label("advice_title", lang)],
             "rows": rows}]


def _app_header(app: dict, lang: str) -> list:
    verdict = app.get("verdict") or {}
    parcel = verdict.get("parcel") or {"code": app["parcel_code"]}
    return [(label("doc_application", lang), app["id"]), (label("doc_project", lang),
                                                            app["project"].get("name") or "—"),
            *_parcel_block(parcel, lang), (label("doc_state", lang), label("state_" + app["state"], lang)),
            (label("doc_decision_date", lang), long_date(app["project"].get("decision_date"), lang))]


def _term_value(k: str, v, lang: str) -> str:
    if isinstance(v, bool):
        return label("doc_yes" if v else "doc_no", lang)
    if k == "combine":
        return label("term_" + str(v), lang, str(v))
    return display(v) if isinstance(v, (int, float)) else ("—" if v is None else str(v))


def _penalty_rows(pen: dict | None, lang: str) -> list[list[str]]:
    pen = pen or {"lines": [], "total_wan_yuan": 0}
    rows = []
    for x in pen.get("lines") or []:
        reason = x["reason"]
        if reason.endswith("_shortfall") and reason != "tax_shortfall":
            text = label("penalty_shortfall", lang).replace("{name}", _indicator_name(reason[:-10], lang))
        else:
            text = label("penalty_" + reason, lang, reason)
        basis = x["basis"].replace(" days", " 天") if lang == "zh" else x["basis"]
        rows.append([text, basis, display(x["amount_wan_yuan"])])
    combine = label("term_" + str(pen.get("combine") or "sum"), lang, str(pen.get("combine") or ""))
    rows.append([label("doc_total", lang), combine, display(pen.get("total_wan_yuan"))])
    return rows


def render(kind: str, app: dict, lang: str = "zh", inspection_id: int | None = None) -> str:
    """A workflow application's document: ``check`` (the stored verdict), ``agreement`` (its
    deadlines, commitments, penalty terms and frozen rule sets) or ``inspection`` (every
    inspection with its verdict and penalties, or the one ``inspection_id`` names)."""
    if kind not in KINDS:
        raise NotFoundError(f"no document '{kind}'", field="kind", expected="check, agreement or inspection")
    lang = "zh" if lang == "zh" else "en"
    header = _app_header(app, lang)
    v = app.get("verdict") or {}
    parcel = v.get("parcel")
    if kind == "check":
        if not v:
            raise InputError("the application has not been submitted, so it has no verdict", field="kind")
        return _render(lang, label("doc_check_title", lang), header, parcel=parcel, notes=v.get("notes"),
                       requirements=indicator_rows(v["indicators"], lang), verdict=v["verdict"])
    if kind == "agreement":
        ag = app.get("agreement")
        if not ag:
            raise InputError("no agreement has been signed", field="kind")
        two = [label("doc_kind", lang), label("doc_date", lang)]
        dl = [[label("term_" + k, lang), long_date(ag[k], lang)] for k in ("agreed_start", "agreed_completion",
                                                                           "review_due")]
        com = [[_indicator_name(k, lang), display(val), catalogue().get(k).unit if k in catalogue().ids else ""]
               for k, val in ag["commitments"].items()]
        terms = [[label("term_" + k, lang, k), _term_value(k, val, lang)] for k, val in ag["penalty_terms"].items()]
        rs = [[document_text(r.get("title") or r["id"], r.get("document_number")), str(r.get("version") or ""),
               r["id"]] for r in ag["rulesets"]]
        sections = [
            {"title": label("doc_deadlines", lang), "columns": two, "rows": dl},
            {"title": label("doc_commitments", lang), "rows": com, "empty": label("doc_none", lang),
             "columns": [label("indicator", lang), label("doc_value", lang), label("doc_unit", lang)]},
            {"title": label("doc_terms", lang), "columns": [label("doc_terms", lang), label("doc_value", lang)],
             "rows": terms, "empty": label("doc_none", lang)},
            {"title": label("doc_rulesets", lang), "rows": rs,
             "columns": [label("doc_document", lang), label("doc_version", lang), "id"]}]
        return _render(lang, label("doc_agreement_title", lang), header, parcel=parcel, sections=sections)
    insp = app.get("inspections") or []
    if inspection_id is not None:
        insp = [i for i in insp if i["id"] == inspection_id]
    if not insp:
        raise InputError("no inspection on file", field="inspection_id")
    sections, notes = [], []
    for n, i in enumerate(insp, 1):
        head = (f"{n}. {label('inspection_' + i['kind'], lang, i['kind'])} · {long_date(i['inspected_on'], lang)} · "
                f"{label('state_' + i['result'], lang, i['result'])}")
        sections.append({"title": head, "requirements": indicator_rows(i["verdict"]["indicators"], lang),
                         "verdict": i["verdict"]["verdict"], "verdict_text": label(i["verdict"]["verdict"], lang)})
        sections.append({"title": f"{head} — {label('doc_penalties', lang)}", "rows": _penalty_rows(
            i.get("penalties"), lang), "columns": [label("doc_reason", lang), label("doc_basis", lang),
                                                   label("doc_amount", lang)]})
        notes += i["verdict"].get("notes") or []
    return _render(lang, label("doc_inspection_title", lang), header, parcel=parcel, notes=notes,
                   sections=sections)
