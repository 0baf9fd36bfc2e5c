"""Printable HTML documents (zh by default, en available): a check result, an agreement's terms,
an inspection report. Jinja2 with autoescaping: every value from the data is escaped."""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..errors import InputError, NotFoundError
from ..resources import web
from ..rules.explain import required_text
from ..units import display

L = {
    "check": ("准入评审结果", "Eligibility check"), "agreement": ("投资建设协议条款", "Agreement terms"),
    "inspection": ("验收 / 复核报告", "Inspection report"), "application": ("申请", "Application"),
    "parcel": ("地块", "Parcel"), "project": ("项目", "Project"), "state": ("状态", "State"),
    "verdict": ("结论", "Verdict"), "indicator": ("指标", "Indicator"), "status": ("结果", "Status"),
    "actual": ("实际值", "Actual"), "required": ("要求", "Required"), "unit": ("单位", "Unit"),
    "governing": ("依据", "Governing rule set"), "decision_date": ("决策日期", "Decision date"),
    "terms": ("条款", "Terms"), "value": ("值", "Value"), "commitments": ("承诺指标", "Commitments"),
    "deadlines": ("期限", "Deadlines"), "penalties": ("违约金", "Penalties"), "reason": ("事由", "Reason"),
    "basis": ("计算", "Basis"), "amount": ("金额（万元）", "Amount (10k CNY)"), "none": ("无", "none"),
    "kind": ("类型", "Kind"), "date": ("日期", "Date"), "total": ("合计（万元）", "Total (10k CNY)"),
    "rulesets": ("适用规则集", "Rule sets frozen at signing"),
    "notes": ("提示", "Notes"),
}


def _t(key: str, lang: str) -> str:
    return L[key][0 if lang == "zh" else 1]


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(web("templates"))), autoescape=select_autoescape(["html"]))


def _indicator_rows(indicators, lang="zh"):
    rows = []
    for it in indicators:
        req = required_text(it["required"], it["operator"], None, lang)  # the unit has its own column
        rows.append([{"text": it["name"]}, {"text": it["status"], "cls": it["status"]}, {"text": display(it["actual"])},
                     {"text": req}, {"text": it["unit"]}, {"text": it.get("governing_ruleset") or ""}])
    return rows


def render(kind: str, app: dict, lang: str = "zh", inspection_id: int | None = None) -> str:
    if kind not in ("check", "agreement", "inspection"):
        raise NotFoundError(f"no document '{kind}'", field="kind", expected="check, agreement or inspection")
    header = [(_t("application", lang), app["id"]), (_t("parcel", lang), app["parcel_code"]),
              (_t("project", lang), app["project"].get("name") or ""), (_t("state", lang), app["state"]),
              (_t("decision_date", lang), app["project"].get("decision_date"))]
    cols = [_t(k, lang) for k in ("indicator", "status", "actual", "required", "unit", "governing")]
    sections = []
    notes: list[dict] = []
    if kind == "check":
        v = app.get("verdict")
        if not v:
            raise InputError("the application has not been submitted, so it has no verdict", field="kind")
        header.append((_t("verdict", lang), v["verdict"]))
        notes = v.get("notes") or []
        sections.append({"title": _t("check", lang), "columns": cols, "rows": _indicator_rows(v["indicators"], lang)})
    elif kind == "agreement":
        ag = app.get("agreement")
        if not ag:
            raise InputError("no agreement has been signed", field="kind")
        terms = [[{"text": k}, {"text": str(v)}] for k, v in ag["penalty_terms"].items()]
        dl = [[{"text": k}, {"text": ag[k]}] for k in ("agreed_start", "agreed_completion", "review_due")]
        com = [[{"text": k}, {"text": display(v)}] for k, v in ag["commitments"].items()]
        sections += [{"title": _t("deadlines", lang), "columns": [_t("kind", lang), _t("date", lang)], "rows": dl},
                     {"title": _t("commitments", lang), "columns": [_t("indicator", lang), _t("value", lang)],
                      "rows": com, "empty": _t("none", lang)},
                     {"title": _t("terms", lang), "columns": [_t("terms", lang), _t("value", lang)], "rows": terms,
                      "empty": _t("none", lang)},
                     {"title": _t("rulesets", lang), "columns": ["id", "version"],
                      "rows": [[{"text": r["id"]}, {"text": str(r.get("version"))}] for r in ag["rulesets"]]}]
    else:
        insp = app.get("inspections") or []
        if inspection_id is not None:
            insp = [i for i in insp if i["id"] == inspection_id]
        if not insp:
            raise InputError("no inspection on file", field="inspection_id")
        i = insp[-1]
        header += [(_t("kind", lang), i["kind"]), (_t("date", lang), i["inspected_on"]),
                   (_t("verdict", lang), i["result"])]
        notes = i["verdict"].get("notes") or []
        sections.append({"title": _t("inspection", lang), "columns": cols,
                         "rows": _indicator_rows(i["verdict"]["indicators"], lang)})
        pen = i.get("penalties") or {"lines": [], "total_wan_yuan": 0}
        rows = [[{"text": x["reason"]}, {"text": x["basis"]}, {"text": display(x["amount_wan_yuan"])}]
                for x in pen["lines"]]
        rows.append([{"text": _t("total", lang)}, {"text": pen.get("combine", "")},
                     {"text": display(pen["total_wan_yuan"])}])
        sections.append({"title": _t("penalties", lang), "columns": [_t("reason", lang), _t("basis", lang),
                                                                     _t("amount", lang)], "rows": rows})
    return _env().get_template("document.html").render(
        lang=lang, title=_t(kind, lang), header=header, sections=sections, notes_title=_t("notes", lang),
        notes=[{"kind": str(n.get("kind") or ""), "message": str(n.get("message") or "")} for n in notes],
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"))
