"""Reports over the workflow store: the application register (and its Excel frame), deadlines and
idle land, and the park dashboard. Read-only; every list is filtered by
:func:`standardland.workflow.applications.visible_to`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from . import deadlines, machine as workflow
from .applications import visible_to
from .. import services
from ..errors import NotFoundError


def register(store, ident: dict | None, state: str | None = None) -> list[dict]:
    """The applications ``ident`` may see (all of them for ``None``: the local CLI)."""
    return [a for a in store.applications(state) if visible_to(a, ident)]


def deadline_list(store, *, today: date | None = None, overdue_only: bool = False,
                  ident: dict | None = None) -> list[dict]:
    """Deadlines and idle land of the agreements whose applications ``ident`` may see."""
    today = today or date.today()
    apps = {a["id"]: a for a in register(store, ident)}
    out = []
    for app_id, ag in sorted(store.agreements().items()):
        app = apps.get(app_id)
        if app is None or app["state"] in workflow.TERMINAL:
            continue
        facts = app.get("facts") or {}
        start = date.fromisoformat(ag["agreed_start"])
        actual_start = date.fromisoformat(facts["actual_start"]) if facts.get("actual_start") else None
        actual_done = date.fromisoformat(facts["actual_completion"]) if facts.get("actual_completion") else None
        idle = deadlines.idle_stage(start, actual_start, today)
        items = [
            {"kind": "start", "due": ag["agreed_start"], "status": deadlines.due_status(start, actual_start, today)},
            {"kind": "completion", "due": ag["agreed_completion"], "status": deadlines.due_status(
                date.fromisoformat(ag["agreed_completion"]), actual_done, today)},
            {"kind": "production_review", "due": ag["review_due"], "status": deadlines.due_status(
                date.fromisoformat(ag["review_due"]),
                today if app["state"] in ("review_passed", "closed") else None, today)},
        ]
        if app.get("rectify_due"):
            items.append({"kind": "rectification", "due": app["rectify_due"], "status": deadlines.due_status(
                date.fromisoformat(app["rectify_due"]), None, today)})
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
    prod = gdf[gdf["status"] == "in_production"]
    flat = pd.DataFrame({"code": prod["code"].to_numpy()})
    for k in (weights or evaluation.DEFAULT_WEIGHTS):
        flat[k] = [a.get(k) for a in prod["attrs"]]
    scores = evaluation.evaluate(flat, weights)
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
                                                          if a["parcel_code"] in set(gdf["code"])]).value_counts()
                             .items()}}
