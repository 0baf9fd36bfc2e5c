"""Matching: rank the available parcels for a project, with an explanation per parcel.

1. Hard filters, vectorized: status (available: serviced, published, listed), area fit,
   land-use class (the project's nuisance class ≤ the parcel's 一/二/三类), the park's negative
   and admitted industry lists, and an optional area of interest (STRtree query).
2. The engine evaluates the project on every remaining parcel (the project's investment and
   output are spread over *that parcel's* area).
3. Ranking: pass before incomplete before fail; then fewer failures and gaps; then the
   mean headroom over the minimum thresholds plus, when the project belongs to an industry chain
   segment, the chain-proximity bonus (:func:`standardland.chains.proximity`: nearer the chain's
   members in metres, higher; explained per parcel); then the closest area fit. The bonus only
   reorders parcels of the same verdict and counts: it never lifts one over a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .. import codes as codelists
from ..chains import ChainContext, proximity
from .catalogue import catalogue
from .checks import parcel_columns, project_columns
from .engine import FAIL, MISSING, VERDICTS, evaluate
from ..parcels import AVAILABLE_STATUSES
from ..parks import Admission, admission
from .project import Project, parse_project
from .rulesets import RuleSet, load_rulesets
from ..units import m2_to_mu


@dataclass
class ParcelIndex:
    """Parcels prepared once for repeated matching: engine columns, an STRtree, the rule sets.

    Built by :func:`build_index`; the park admission lists are read from the park records
    (``parks``) and the park rule sets in force on the project's decision date, per match
    (:func:`standardland.parks.admission`).

    Examples
    --------
    >>> from standardland.sample import sample_parcels
    >>> from standardland.rules.rulesets import shipped_rulesets
    >>> index = build_index(sample_parcels(), None, shipped_rulesets())
    >>> len(index.status), "geometry" in index.parcels.columns
    (35, False)
    """

    parcels: pd.DataFrame
    frame: dict  # engine columns of every parcel (checks.parcel_columns)
    tree: shapely.STRtree
    geoms: np.ndarray
    status: np.ndarray
    area_m2: np.ndarray
    parcel_class: np.ndarray
    park: np.ndarray
    rulesets: list[RuleSet] = field(default_factory=list)
    parks: pd.DataFrame | None = None  # the parks table: admission lists of the park records


def build_index(parcels, parks, rulesets) -> ParcelIndex:
    """Prepare parcels for :func:`match`.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels as the store returns them (``code``, ``park``, ``status``, ``area_m2``,
        ``land_use_code``, ``region_class``, ``attrs``, geometry in EPSG:4490).
    parks : pandas.DataFrame or None
        The parks table (``code``, ``zone_tier``).
    rulesets : list of RuleSet or list of dict
        Rule sets, loaded or as documents.

    Returns
    -------
    ParcelIndex

    Examples
    --------
    >>> from standardland.sample import sample_parcels
    >>> from standardland.rules.rulesets import shipped_rulesets
    >>> build_index(sample_parcels(), None, shipped_rulesets()).frame["admin_code"][0]
    '370613'
    """
    rs = load_rulesets(rulesets) if rulesets and isinstance(rulesets[0], dict) else list(rulesets)
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    lu = parcels["land_use_code"].to_numpy(dtype=object)
    pclass = np.array([codelists.parcel_class(c) for c in lu], dtype="float64")
    return ParcelIndex(parcels=parcels.drop(columns=parcels.geometry.name), frame=parcel_columns(parcels, parks),
                       tree=shapely.STRtree(geoms), geoms=geoms, status=parcels["status"].to_numpy(dtype=object),
                       area_m2=parcels["area_m2"].to_numpy(dtype="float64"), parcel_class=pclass,
                       park=parcels["park"].to_numpy(dtype=object), rulesets=rs, parks=parks)


def _admission(index: ParcelIndex, project: Project) -> dict[str, Admission]:
    """Park code → admission on the project's decision date: the park record's lists with those of
    the park rule sets in force (negative lists united, admitted lists intersected), the one source
    the check reads too (:func:`standardland.parks.admission`)."""
    return admission(index.parks, index.rulesets, project.decision_date)


def match(project: dict | Project, index: ParcelIndex, *, top: int = 10, within=None,
          statuses=AVAILABLE_STATUSES, area_min_ratio: float = 0.9, area_max_ratio: float = 1.5,
          lang: str = "zh", within_advice: float | None = None, chains: ChainContext | None = None,
          chain_weight: float | None = None) -> dict:
    """Rank the available parcels of ``index`` for a project (see the module docstring).

    Parameters
    ----------
    project : dict or Project
        The project, parsed by :func:`~standardland.rules.project.parse_project` if a dict.
    index : ParcelIndex
        The parcels (:func:`build_index`).
    top : int, default 10
        How many ranked parcels to return.
    within : shapely geometry, optional
        An area of interest (EPSG:4490); parcels not intersecting it are excluded.
    statuses : iterable of str
        Parcel statuses that count as available.
    area_min_ratio, area_max_ratio : float
        A parcel's area must lie within these multiples of the project's ``land_area_m2``.
    lang : {"zh", "en"}
        Language of the explanations.
    within_advice : float, optional
        A share (0.1 = 10 %): only parcels that pass or would pass with at most that relative change
        of one lever per failing indicator (:mod:`standardland.rules.advice`, the parcel's area held)
        are ranked, the smallest change first, and each result carries its ``advice``.
    chains : standardland.chains.ChainContext, optional
        Industry chains and their members' parcels: a project in a chain segment gets the
        chain-proximity bonus, each result its ``chain`` detail and a ``notes`` entry.
    chain_weight : float, optional
        Overrides the chain's configured bonus weight (0 turns the term off).

    Returns
    -------
    dict
        ``project``, ``decision_date``, ``industry``, ``considered``, ``candidates``,
        ``excluded`` (reason → count), ``exclusions`` (the same as ``{"code", "count", "params",
        "message"}``: a stable code such as ``status`` or ``negative`` and its parameters, for
        people's words in any language), ``verdicts`` (code → verdict of every candidate) and
        ``results`` (ranked, each with ``rank``, ``parcel_code``, ``verdict``, ``failed``,
        ``missing``, ``headroom``, ``area_fit``, ``why`` and the explained ``indicators``).

    Examples
    --------
    >>> import json
    >>> from importlib.resources import files
    >>> from standardland.sample import sample_parcels
    >>> from standardland.rules.rulesets import shipped_rulesets
    >>> project = json.loads(files("standardland.examples").joinpath("project.json").read_text("utf-8"))
    >>> out = match(project, build_index(sample_parcels(), None, shipped_rulesets()), top=2)
    >>> out["considered"], out["candidates"], out["excluded"]
    (35, 5, {'status: not available': 30})
    >>> [(r["rank"], r["parcel_code"], r["verdict"]) for r in out["results"]]
    [(1, '370613004002GB10005', 'pass'), (2, '370613004002GB10002', 'pass')]
    """
    p = project if isinstance(project, Project) else parse_project(project)
    n = len(index.status)
    keep = np.ones(n, bool)
    excluded: dict[str, int] = {}
    exclusions: list[dict] = []

    def drop(mask, reason, code, **params):
        newly = keep & mask
        if newly.any():
            excluded[reason] = excluded.get(reason, 0) + int(newly.sum())
            exclusions.append({"code": code, "count": int(newly.sum()), "params": params, "message": reason})
        keep[newly] = False

    drop(~np.isin(index.status, list(statuses)), "status: not available", "status")
    if within is not None:
        inside = np.zeros(n, bool)
        inside[index.tree.query(within, predicate="intersects")] = True
        drop(~inside, "outside the area of interest", "outside_aoi")
    req = p.values.get("land_area_m2")
    if req:
        drop(index.area_m2 < req * area_min_ratio, f"area below {area_min_ratio:g}× the requested area",
             "area_below", ratio=f"{area_min_ratio:g}")
        drop(index.area_m2 > req * area_max_ratio, f"area above {area_max_ratio:g}× the requested area",
             "area_above", ratio=f"{area_max_ratio:g}")
    drop(index.parcel_class == 0, "not industrial land", "not_industrial")
    if p.nuisance_class is not None:
        drop(index.parcel_class < p.nuisance_class, "land-use class too low for the project's nuisance class",
             "class_too_low")
    for park, adm in _admission(index, p).items():
        why = adm.refusal(p.industry.div2017)
        if why is not None:
            drop(index.park == park, f"industry on the negative list of {park}" if why == "negative"
                 else f"industry not admitted by {park}", "negative" if why == "negative" else "not_admitted",
                 park=park)

    cand = np.flatnonzero(keep)
    result: dict[str, Any] = {"project": p.name, "decision_date": p.decision_date.isoformat(), "industry": p.industry.to_dict(),
              "considered": n, "candidates": int(len(cand)), "excluded": excluded, "exclusions": exclusions,
              "results": []}
    if not len(cand):
        return result
    cols = {k: v[cand] for k, v in index.frame.items()}
    proj = project_columns(p, len(cand))
    proj["land_area_m2"] = np.full(len(cand), np.nan)  # spread over each parcel's own area
    cols.update({k: v for k, v in proj.items() if k not in cols})
    ev = evaluate(cols, index.rulesets)
    cat = catalogue()
    nfail = np.zeros(len(cand), int)
    nmiss = np.zeros(len(cand), int)
    head_sum = np.zeros(len(cand))
    head_n = np.zeros(len(cand))
    for ind in cat.indicators:
        st = ev.status[ind.id]
        nfail += st == FAIL
        nmiss += st == MISSING
        lo, act = ev.required(ind.id)[0], ev.actual[ind.id]
        ok = ~np.isnan(lo) & ~np.isnan(act) & (lo > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            h = np.clip((act - lo) / lo, -1.0, 1.0)
        head_sum += np.where(ok, h, 0.0)
        head_n += ok
    nfail += ev.land_use.status == FAIL
    nmiss += ev.land_use.status == MISSING
    headroom = np.where(head_n > 0, head_sum / np.maximum(head_n, 1), 0.0)
    areas = index.area_m2[cand]
    fit = np.abs(areas - req) / req if req else np.zeros(len(cand))
    prox = proximity(chains, p.industry, index.geoms[cand], weight=chain_weight)
    if prox.chain is not None:
        result["chain"] = prox.info(lang)
    score = headroom + prox.bonus
    cand_codes = index.parcels["code"].to_numpy()[cand]
    result["verdicts"] = dict(zip(cand_codes.tolist(), VERDICTS[ev.verdict].tolist(), strict=True))
    vorder = np.array([0, 2, 1])[ev.verdict]  # pass, incomplete, fail
    order = np.lexsort((fit, -score, nmiss, nfail, vorder))[:top]
    adv = rel = None
    if within_advice is not None:
        from .advice import advise, advice_row, input_units

        adv = advise(ev, cols)
        rel = adv.relative_change(land=False)
        near = np.flatnonzero(rel <= within_advice * (1 + 1e-9))
        order = near[np.lexsort((fit[near], -score[near], rel[near]))][:top]
        result["within_advice"] = within_advice
    explained = ev.explain_rows(order, lang)  # the evaluation's arrays read once for the rows shown
    for rank, j in enumerate(order, 1):
        row = index.parcels.iloc[cand[j]]
        exp = explained[rank - 1]
        result["results"].append({
            "rank": rank, "parcel_code": row["code"], "name": row.get("name"), "park": row.get("park"),
            "status": row["status"], "area_m2": float(areas[j]), "area_mu": float(m2_to_mu(areas[j])),
            "verdict": VERDICTS[ev.verdict[j]], "failed": int(nfail[j]), "missing": int(nmiss[j]),
            "headroom": round(float(headroom[j]), 4), "area_fit": None if not req else round(float(fit[j]), 4),
            "why": [f"{it['id']}: {it['status']}" + (f" (actual {it['actual']:.2f} vs {it['required_text']})"
                                                     if it["actual"] is not None and it["operator"] else "")
                    for it in exp["indicators"] if it["status"] in ("fail", "missing", "warn")],
            "indicators": exp["indicators"],
        })
        chain_note = prox.detail(int(j), lang)
        if chain_note is not None:
            result["results"][-1]["chain"] = chain_note
            result["results"][-1]["notes"] = [{"kind": "chain", "message": chain_note["note"]}]
        if adv is not None and rel is not None:
            a = advice_row(adv, int(j), units=input_units(p.raw), lang=lang)
            a["land"], a["within"] = None, float(rel[j])
            result["results"][-1]["advice"] = a
    return result


__all__ = ["ParcelIndex", "build_index", "match"]
