"""Reports over the workflow store: the application register (and its Excel frame), deadlines and
idle land, and the park dashboard. Read-only; every list is filtered by
:func:`standardland.workflow.applications.visible_to`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from . import deadlines, machine as workflow
from .applications import visible_to
from .. import services
from ..dates import parse_date
from ..errors import InputError, NotFoundError
from ..rules.fields import PROMOTION_STAGES


def register(store, ident: dict | None, state: str | None = None) -> list[dict]:
    """The applications ``ident`` may see (all of them for ``None``: the local CLI)."""
    return [a for a in store.applications(state) if visible_to(a, ident)]


def deadline_list(store, *, today: date | None = None, overdue_only: bool = False,
                  ident: dict | None = None) -> list[dict]:
    """Deadlines of the applications ``ident`` may see: under a signed agreement, the agreed start,
    completion, production review and rectification dates and the idle-land stage; and the
    follow-ups of the service log (kind ``service_follow_up``, one per entry with a follow-up date,
    :func:`standardland.workflow.promotion.with_follow_up`). ``idle_land`` is None without an agreement."""
    from .promotion import with_follow_up

    today = today or date.today()
    apps = {a["id"]: a for a in register(store, ident)}
    ags = store.agreements()
    follow: dict[int, list[dict]] = {}
    for e in with_follow_up(store.service_entries(), today):
        if e["follow_up"] is not None:
            follow.setdefault(e["application_id"], []).append(
                {"kind": "service_follow_up", "due": e["follow_up"]["due"], "status": e["follow_up"]["status"],
                 "entry_id": e["id"], "entry_kind": e["kind"], "text": e["text"]})
    out = []
    for app_id in sorted(set(ags) | set(follow)):
        app = apps.get(app_id)
        if app is None or app["state"] in workflow.TERMINAL:
            continue
        items, idle = [], None
        ag = ags.get(app_id)
        if ag is not None:
            facts = app.get("facts") or {}
            start = parse_date(ag["agreed_start"], "agreed_start")
            actual_start = parse_date(facts.get("actual_start"), "actual_start", required=False)
            actual_done = parse_date(facts.get("actual_completion"), "actual_completion", required=False)
            idle = deadlines.idle_stage(start, actual_start, today)
            items = [
                {"kind": "start", "due": ag["agreed_start"], "status": deadlines.due_status(start, actual_start, today)},
                {"kind": "completion", "due": ag["agreed_completion"], "status": deadlines.due_status(
                    parse_date(ag["agreed_completion"], "agreed_completion"), actual_done, today)},
                {"kind": "production_review", "due": ag["review_due"], "status": deadlines.due_status(
                    parse_date(ag["review_due"], "review_due"),
                    today if app["state"] in ("review_passed", "closed") else None, today)},
            ]
            if app.get("rectify_due"):
                items.append({"kind": "rectification", "due": app["rectify_due"], "status": deadlines.due_status(
                    parse_date(app["rectify_due"], "rectify_due"), None, today)})
        items += follow.get(app_id, [])
        rec = {"application_id": app_id, "parcel_code": app["parcel_code"], "state": app["state"], "deadlines": items,
               "idle_land": idle}
        if not overdue_only or any(i["status"] == "overdue" for i in items):
            out.append(rec)
    return out


def register_frame(store, ident: dict | None = None) -> pd.DataFrame:
    """The application register (one row per application the caller may see) for an Excel export."""
    rows = []
    ags = store.agreements()
    for a in register(store, ident):
        ag = ags.get(a["id"], {})
        rows.append({"id": a["id"], "parcel_code": a["parcel_code"], "applicant": a["applicant"],
                     "project": a["project"].get("name"), "state": a["state"], "version": a["version"],
                     "verdict": (a["verdict"] or {}).get("verdict"), "exception_reason": a["exception_reason"],
                     "agreed_start": ag.get("agreed_start"), "agreed_completion": ag.get("agreed_completion"),
                     "review_due": ag.get("review_due"), "actual_start": a["facts"].get("actual_start"),
                     "actual_completion": a["facts"].get("actual_completion"), "rectify_due": a["rectify_due"],
                     "created_at": a["created_at"], "updated_at": a["updated_at"]})
    return pd.DataFrame(rows)


def register_workbook(store, ident: dict | None = None, lang: str = "zh") -> bytes:
    """The application register as people open it: an xlsx sheet named (登记簿 / Register) and headed in
    ``lang``, states and verdicts in words; the CLI's ``register X.xlsx`` and ``GET
    /api/v1/applications.xlsx`` both write these bytes."""
    from ..labels import label
    from ..tables import column_labels, xlsx_bytes

    frame = register_frame(store, ident)
    if len(frame):
        frame["state"] = frame["state"].map(lambda s: label(f"state_{s}", lang, default=s))
        frame["verdict"] = frame["verdict"].map(lambda v: label(v, lang, default=v), na_action="ignore")
    return xlsx_bytes(frame, sheet_name=label("sheet_register", lang), headers=column_labels(frame.columns, lang))


def park_dashboard(store, park: str, *, weights: dict | None = None) -> dict:
    """Counts by status, land offered and used (亩), 亩均 figures and the A–D class distribution."""
    from . import evaluation
    from ..store import ParcelQuery

    if park not in set(services.parks(store)["code"]):
        raise NotFoundError(f"no park '{park}'", field="park")
    gdf = store.parcels(ParcelQuery(park=park))
    by_status = gdf.groupby("status")["area_mu"].agg(["count", "sum"])
    offered = gdf[gdf["status"].isin(("serviced", "published", "listed"))]["area_mu"].sum()
    used = gdf[gdf["status"].isin(("transferred", "under_construction", "in_production"))]["area_mu"].sum()
    flat, scores = mu_classes(gdf, weights)
    codes = set(gdf["code"])  # once, not per application
    mean = {k: (None if flat[k].isna().all() else round(float(pd.to_numeric(flat[k]).mean()), 4))
            for k in flat.columns if k != "code"}
    return {"park": park, "parcels": int(len(gdf)),
            "by_status": {s: {"parcels": int(r["count"]), "area_mu": round(float(r["sum"]), 4)}
                          for s, r in by_status.iterrows()},
            "land_offered_mu": round(float(offered), 4), "land_used_mu": round(float(used), 4),
            "mu_average": mean, "weights": weights or evaluation.DEFAULT_WEIGHTS,
            "classes": {c: int((scores["class"] == c).sum()) for c in ("A", "B", "C", "D")},
            "scores": scores.to_dict("records"),
            "applications": {s: n for s, n in pd.Series([a["state"] for a in store.applications()
                                                          if a["parcel_code"] in codes]).value_counts()
                             .items()}}


# -- the annual scorecard (年度成绩单, issue 13 §4) ------------------------------------------------

#: a project counts as "over 10亿" from this total investment (10 亿元 in 万元)
BILLION_WAN_YUAN = 100_000.0
#: parcel statuses that have been offered as standard land (offered, or since transferred and built on)
OFFERED_STATUSES = ("published", "listed", "transferred", "under_construction", "in_production")
#: the figures of the card, in order; each names the kind of record behind it
FIGURES = (("parcels_offered", "parcels"), ("offered_area_mu", "parcels"), ("offered_area_km2", "parcels"),
           ("signed", "applications"), ("foreign", "applications"), ("foreign_share", "applications"),
           ("top500", "applications"), ("over_1bn", "applications"),
           ("registered_started_rate", "applications"), ("started_commissioned_rate", "applications"))
PROMOTION_DATES = tuple(f"{s}_on" for s in PROMOTION_STAGES)
#: states in which an application may have had a production review (others are not asked for inspections)
REVIEWED = ("review_passed", "review_rectifying", "review_breach", "closed", "recovered")
#: columns of an application's record shown only to callers who may see the application
PRIVATE_COLUMNS = ("project", "applicant", "investor_name")


def mu_classes(gdf: pd.DataFrame, weights: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 亩均 evaluation of a park's in-production parcels: their indicator values (from ``attrs``)
    and :func:`standardland.workflow.evaluation.evaluate`'s scores and A–D classes."""
    from . import evaluation

    prod = gdf[gdf["status"] == "in_production"]
    flat = pd.DataFrame({"code": prod["code"].to_numpy()})
    for k in (weights or evaluation.DEFAULT_WEIGHTS):
        flat[k] = [a.get(k) for a in prod["attrs"]]
    return flat, evaluation.evaluate(flat, weights)


def _division_label(ind) -> str | None:
    from ..codes import industries_2017

    if not ind.div2017:
        return None
    names = industries_2017()
    return "、".join(f"{d} {names.get(d, ('',))[0]}".strip() for d in ind.div2017)


def promotion_frame(store, park: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The park's parcels and the promotion records of the applications on them, as two frames.

    Parcels: ``code``, ``area_m2``, ``area_mu``, ``status``, ``offered_on`` (the parcel attribute,
    a date), ``attrs``. Projects (one row per application): ``id``, ``parcel_code``, ``project``,
    ``applicant``, ``state``, ``division`` (the GB/T 4754-2017 division of the project's industry),
    the promotion fields (dates as ``datetime64``; ``started_on`` falls back to the workflow's
    recorded ``actual_start``), and ``output_wan_yuan`` with ``output_source``: the latest
    production review's measured annual output, else the parcel's ``output_per_mu`` × its 亩."""
    from ..rules.project import resolve_industry
    from ..store import ParcelQuery

    if park not in set(services.parks(store)["code"]):
        raise NotFoundError(f"no park '{park}'", field="park")
    gdf = store.parcels(ParcelQuery(park=park))
    parcels = pd.DataFrame({"code": gdf["code"].to_numpy(), "area_m2": gdf["area_m2"].to_numpy(float),
                            "area_mu": gdf["area_mu"].to_numpy(float), "status": gdf["status"].to_numpy(),
                            "offered_on": pd.to_datetime(pd.Series([a.get("offered_on") for a in gdf["attrs"]],
                                                                   dtype=object), errors="coerce").to_numpy(),
                            "attrs": gdf["attrs"].to_numpy()})
    by_code = parcels.set_index("code")
    rows = []
    for a in store.applications():
        if a["parcel_code"] not in by_code.index:
            continue
        promo = a["promotion"]
        try:
            division = _division_label(resolve_industry(a["project"]))
        except InputError:  # a draft's industry may not resolve: then it has no division
            division = None
        reviews = [i for i in store.inspections(a["id"]) if i["kind"] != "acceptance"
                   and i["actuals"].get("annual_output_wan_yuan") is not None] if a["state"] in REVIEWED else []
        parcel = by_code.loc[a["parcel_code"]]
        per_mu = (parcel["attrs"] or {}).get("output_per_mu")
        if reviews:
            output, source = round(float(reviews[-1]["actuals"]["annual_output_wan_yuan"]), 2), "production_review"
        elif per_mu is not None:
            output, source = round(float(per_mu) * float(parcel["area_mu"]), 2), "parcel_output_per_mu"
        else:
            output, source = None, None
        rows.append({"id": a["id"], "parcel_code": a["parcel_code"], "project": a["project"].get("name"),
                     "applicant": a["applicant"], "state": a["state"], "division": division,
                     **{k: promo.get(k) for k in ("investor_name", "investor_origin", "investor_country",
                                                  "total_investment_wan_yuan", "top500_list", "top500_year")},
                     **{k: promo.get(k) for k in PROMOTION_DATES},
                     "started_on": promo.get("started_on") or (a["facts"] or {}).get("actual_start"),
                     "output_wan_yuan": output, "output_source": source})
    cols = ["id", "parcel_code", "project", "applicant", "state", "division", "investor_name", "investor_origin",
            "investor_country", "total_investment_wan_yuan", "top500_list", "top500_year", *PROMOTION_DATES,
            "output_wan_yuan", "output_source"]
    projects = pd.DataFrame(rows, columns=cols)
    for k in PROMOTION_DATES:
        projects[k] = pd.to_datetime(projects[k], errors="coerce")
    for k in ("total_investment_wan_yuan", "output_wan_yuan"):
        projects[k] = pd.to_numeric(projects[k], errors="coerce").astype("float64")
    projects["top500_year"] = pd.array(pd.to_numeric(projects["top500_year"], errors="coerce"), dtype="Int64")
    return parcels, projects


def _in_year(col: pd.Series, year: int) -> np.ndarray:
    return (pd.DatetimeIndex(col).year == year) & col.notna().to_numpy()


def _by_end_of(col: pd.Series, year: int) -> np.ndarray:
    return (col <= pd.Timestamp(year, 12, 31)).to_numpy() & col.notna().to_numpy()


def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else round(100.0 * num / den, 2)


def scorecard(parcels: pd.DataFrame, projects: pd.DataFrame, year: int, *,
              chain: Mapping | pd.Series | None = None, classes: pd.DataFrame | None = None) -> dict:
    """The annual scorecard of a park for ``year``, from the frames of :func:`promotion_frame`.

    Every figure carries the ids of the records behind it (parcel codes or application ids):

    - parcels offered as standard land: ``offered_on`` in the year (status offered or later); their
      net area in 亩 and km²;
    - projects signed (``signed_on`` in the year), of them foreign-invested (count and share),
      on a 500-强 list, and with total investment ≥ 10亿 (100,000 万元);
    - registered → started: of the projects registered in the year, the share started by its end;
      started → commissioned: of those started in the year, the share commissioned by its end;
    - output by chain: the output of the projects commissioned by the end of the year, grouped by
      ``chain`` (application id → chain name; a ``chain`` column of ``projects`` also serves) or
      else by industry division; projects without an output figure are counted as ``missing``;
    - the 亩均 class distribution (``classes``: :func:`mu_classes`' scores), with the parcel codes;
    - ``years``: the years in which parcels were offered or projects signed (for choosing a card).
    """
    from .. import units

    off = _in_year(parcels["offered_on"], year) & parcels["status"].isin(OFFERED_STATUSES).to_numpy()
    off_codes = parcels["code"].to_numpy()[off].tolist()
    area_m2 = float(parcels["area_m2"].to_numpy()[off].sum())
    ids = projects["id"].to_numpy()
    signed = _in_year(projects["signed_on"], year)
    foreign = signed & (projects["investor_origin"] == "foreign").to_numpy()
    top500 = signed & projects["top500_list"].notna().to_numpy()
    big = signed & (projects["total_investment_wan_yuan"].to_numpy(float) >= BILLION_WAN_YUAN)
    reg = _in_year(projects["registered_on"], year)
    reg_started = reg & _by_end_of(projects["started_on"], year)
    started = _in_year(projects["started_on"], year)
    started_done = started & _by_end_of(projects["commissioned_on"], year)

    def fig(fid, value, unit, mask=None, codes=None, num=None):
        kind = dict(FIGURES)[fid]
        out = {"id": fid, "value": value, "unit": unit, "records": kind,
               "ids": codes if codes is not None else ids[mask].tolist()}
        if num is not None:
            out["numerator"], out["denominator"] = int(num.sum()), int(mask.sum())
            out["numerator_ids"] = ids[num].tolist()
        return out

    n_signed = int(signed.sum())
    figures = [
        fig("parcels_offered", len(off_codes), None, codes=off_codes),
        fig("offered_area_mu", round(float(units.m2_to_mu(area_m2)), 2), "亩", codes=off_codes),
        fig("offered_area_km2", round(units.convert(area_m2, "m²", "km²"), 4), "km²", codes=off_codes),
        fig("signed", n_signed, None, signed),
        fig("foreign", int(foreign.sum()), None, foreign),
        fig("foreign_share", _rate(int(foreign.sum()), n_signed), "%", signed, num=foreign),
        fig("top500", int(top500.sum()), None, top500),
        fig("over_1bn", int(big.sum()), None, big),
        fig("registered_started_rate", _rate(int(reg_started.sum()), int(reg.sum())), "%", reg, num=reg_started),
        fig("started_commissioned_rate", _rate(int(started_done.sum()), int(started.sum())), "%", started,
            num=started_done),
    ]
    done = _by_end_of(projects["commissioned_on"], year)
    group = pd.Series(projects["division"].to_numpy(dtype=object), index=projects.index)
    if chain is not None:
        mapped = projects["id"].map(chain)
        group = mapped.where(mapped.notna(), None)
    elif "chain" in projects.columns:
        group = projects["chain"]
    out_v = projects["output_wan_yuan"].to_numpy(float)[done]
    sub = pd.DataFrame({"id": ids[done], "group": group.to_numpy(dtype=object)[done], "output": out_v,
                        "missing": np.isnan(out_v)})
    sub["group"] = sub["group"].fillna("—")
    agg = sub.groupby("group", sort=True).agg(output=("output", "sum"), projects=("id", "size"),
                                             missing=("missing", "sum"), ids=("id", list))
    by_chain = [{"chain": g, "output_wan_yuan": round(float(r["output"]), 2), "projects": int(r["projects"]),
                 "missing": int(r["missing"]), "ids": [int(i) for i in r["ids"]]} for g, r in agg.iterrows()]
    dist = {}
    if classes is not None:
        for c in ("A", "B", "C", "D"):
            codes = classes["code"].to_numpy()[(classes["class"] == c).to_numpy()].tolist()
            dist[c] = {"parcels": len(codes), "ids": codes}
    years = pd.concat([pd.DatetimeIndex(parcels["offered_on"]).year.to_series(),
                       pd.DatetimeIndex(projects["signed_on"]).year.to_series()]).dropna()
    return {"year": year, "years": sorted(int(y) for y in years.unique()), "figures": figures, "output_by_chain": by_chain,
            "output_grouped_by": "chain" if (chain is not None or "chain" in projects.columns) else "division",
            "mu_classes": dist}


def park_scorecard(store, park: str, year: int, *, chain: Mapping | None = None,
                   weights: dict | None = None) -> dict:
    """:func:`scorecard` of ``park`` for ``year`` from the store (the 亩均 classes as the dashboard's)."""
    from ..store import ParcelQuery

    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2199:
        raise InputError(f"{year!r} is not a year", field="year", expected="a year from 1900 to 2199")
    from ..chains import application_chains

    parcels, projects = promotion_frame(store, park)
    if chain is None:
        chain = application_chains(store, park)  # None when the park has no chain: by industry division
    _, classes = mu_classes(store.parcels(ParcelQuery(park=park)), weights)
    name = services.parks(store).set_index("code").loc[park, "name"]
    return {"park": park, "park_name": name, **scorecard(parcels, projects, year, chain=chain, classes=classes)}


def scorecard_records(store, park: str, year: int, figure: str, ident: dict | None = None) -> list[dict]:
    """The records behind one figure of the card (``figure``: a figure id, ``output_by_chain:<chain>``
    or ``mu_class:<A–D>``): parcels, or applications. Application rows the caller may not see
    (:func:`register`; every row for an anonymous caller) carry the facts counted but not
    :data:`PRIVATE_COLUMNS` (names of the project, applicant and investor)."""
    card = park_scorecard(store, park, year)
    kind, ids = None, None
    for f in card["figures"]:
        if f["id"] == figure:
            kind, ids = f["records"], f["ids"]
    if figure.startswith("output_by_chain:"):
        g = figure.split(":", 1)[1]
        kind, ids = "applications", next((r["ids"] for r in card["output_by_chain"] if r["chain"] == g), None)
    if figure.startswith("mu_class:") and figure[9:] in card["mu_classes"]:
        kind, ids = "parcels", card["mu_classes"][figure[9:]]["ids"]
    if ids is None:
        raise InputError(f"no figure '{figure}' on the scorecard", field="figure",
                         expected=", ".join(f for f, _ in FIGURES) + ", output_by_chain:<chain>, mu_class:<A–D>")
    parcels, projects = promotion_frame(store, park)
    if kind == "parcels":
        rows = parcels[parcels["code"].isin(ids)].drop(columns=["attrs"])
        rows = rows.assign(offered_on=rows["offered_on"].dt.strftime("%Y-%m-%d"))
        return json_records(rows)
    visible = {a["id"] for a in register(store, ident)} if ident is not None else set()
    rows = projects[projects["id"].isin(ids)].copy()
    for k in PROMOTION_DATES:
        rows[k] = rows[k].dt.strftime("%Y-%m-%d")
    hidden = ~rows["id"].isin(visible)
    for k in PRIVATE_COLUMNS:  # rows the caller may not see keep the figures' facts, not the names
        rows[k] = rows[k].astype(object).where(~hidden, None)
    return json_records(rows)


def json_records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts (NaN/NaT → None)."""
    return [{k: (None if (not isinstance(v, (list, dict)) and pd.isna(v)) else
                 (v.item() if hasattr(v, "item") else v)) for k, v in r.items()} for r in df.to_dict("records")]


def scorecard_frame(card: dict, lang: str = "zh") -> pd.DataFrame:
    """The card as one table (figure, value, unit, records; headers in ``lang``) for an Excel export
    (``tables.xlsx_bytes``)."""
    from ..tables import label

    rows = [{"figure": label(f"score_{f['id']}", lang), "value": f["value"], "unit": f["unit"],
             "records": ", ".join(map(str, f["ids"]))} for f in card["figures"]]
    rows += [{"figure": f"{label('score_output_by_chain', lang)}: {g['chain']}", "value": g["output_wan_yuan"],
              "unit": "万元", "records": ", ".join(map(str, g["ids"]))} for g in card["output_by_chain"]]
    rows += [{"figure": f"{label('score_mu_classes', lang)}: {c}", "value": v["parcels"], "unit": None,
              "records": ", ".join(v["ids"])} for c, v in card["mu_classes"].items()]
    cols = ["figure", "value", "unit", "records"]
    return pd.DataFrame(rows, columns=cols).rename(columns={c: label(f"score_{c}", lang) for c in cols})


def records_href(park: str, year: int, figure: str) -> str:
    """The API path of the records behind one figure of the card."""
    from urllib.parse import quote

    return (f"/api/v1/parks/{quote(park, safe='')}/scorecard/records?year={year}"
            f"&figure={quote(figure, safe='')}")


def scorecard_html(card: dict, lang: str = "zh") -> str:
    """The card as a printable page (``web/templates/scorecard.html`` through :func:`standardland.render.html`;
    :func:`standardland.render.output` prints it to PDF). Every figure links to its records."""
    from datetime import datetime, timezone

    from .. import render
    from ..maps import texts
    from ..units import display

    t = texts(lang)
    park, year = card["park"], card["year"]

    def shown(v, unit):
        if v is None:
            return t["score_no_value"]
        return f"{display(v, 2)}" if isinstance(v, float) else f"{v:,}"

    figures = [{"id": f["id"], "label": t[f"score_{f['id']}"], "text": shown(f["value"], f["unit"]),
                "unit": ("" if f["unit"] is None else f["unit"])
                + (f" ({f['numerator']}/{f['denominator']})" if "numerator" in f else ""),
                "ids": ", ".join(map(str, f["ids"])) or "—", "href": records_href(park, year, f["id"])}
               for f in card["figures"]]
    chains = [{"chain": c["chain"], "output": display(c["output_wan_yuan"], 2), "projects": c["projects"],
               "missing": c["missing"], "ids": ", ".join(map(str, c["ids"])),
               "href": records_href(park, year, f"output_by_chain:{c['chain']}")} for c in card["output_by_chain"]]
    classes = [{"name": k, "parcels": v["parcels"], "ids": ", ".join(v["ids"]) or "—",
                "href": records_href(park, year, f"mu_class:{k}")} for k, v in card["mu_classes"].items()]
    chain_title = t["score_output_by_chain" if card["output_grouped_by"] == "chain" else "score_output_by_division"]
    return render.html("scorecard.html", lang=lang, title=t["score_title"], park_name=card["park_name"] or park,
                       year=year, t=t, figures=figures, chains=chains, classes=classes, chain_title=chain_title,
                       generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
