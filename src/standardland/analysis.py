"""Use cases beyond pass/fail, for the CLI (:mod:`standardland.cli_analysis`) and the API
(:mod:`standardland.api.analysis`): land sizing of a project in a context (a stored parcel, or a
park on a date). Each builds the engine columns once and calls the engine and
:mod:`standardland.rules.sizing`; the policy what-if lives in :mod:`standardland.whatif`.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from . import services
from .errors import InputError, NotFoundError
from .rules import sizing
from .rules.checks import _checkpoint, project_columns
from .rules.engine import evaluate
from .rules.project import Project, parse_project


def context_columns(store, p: Project, *, parcel: str | None = None, park: str | None = None,
                    region_class: int | None = None, on: date | None = None) -> tuple[dict, dict]:
    """(engine columns of one row, a description of the context) for a project on a stored parcel,
    or in a park (its county and zone tier, an optional region class) on a date."""
    if (parcel is None) == (park is None):
        raise InputError("give either a parcel or a park", field="parcel", expected="--parcel CODE or --park P")
    if on is not None:
        p.decision_date = on
    if parcel is not None:
        frame, pf, _ = services.parcel_for_check(store, parcel)
        services.require_rules_in_force(services.rulesets(store), frame.iloc[0], p.decision_date)
        cols = dict(pf)
        ctx = {"parcel_code": parcel, "park": frame.iloc[0].get("park"),
               "parcel_area": sizing.area_dict(float(frame.iloc[0]["area_m2"]))}
    else:
        pk = services.parks(store)
        hit = pk[pk["code"] == park]
        if not len(hit):
            raise NotFoundError(f"park '{park}' is not in the store", field="park",
                                expected=", ".join(map(str, pk["code"])) or "a park code (run `standardland init`)")
        row = hit.iloc[0]
        if region_class is not None and region_class not in range(1, 16):
            raise InputError(f"{region_class}", field="region_class", expected="an integer 1–15 (土地等别)")
        cols = {"region_class": np.array([np.nan if region_class is None else float(region_class)]),
                "zone_tier": np.array([row.get("zone_tier")], dtype=object),
                "admin_code": np.array([row.get("county_code")], dtype=object),
                "park": np.array([park], dtype=object)}
        ctx = {"park": park, "region_class": region_class, "admin_code": row.get("county_code")}
    cols.update(project_columns(p))
    return cols, ctx


def size_project(store, project: dict, *, parcel: str | None = None, park: str | None = None,
                 region_class: int | None = None, on: date | None = None, checkpoint: str = "screening",
                 lang: str = "zh") -> dict:
    """核定用地规模: the feasible land-area interval of a project in a context, with what binds it.

    Returns the :func:`standardland.rules.sizing.sizing_row` JSON with the project, the decision
    date, the context, and whether the project's own land area (or the parcel's) lies inside."""
    p = parse_project(project)
    cols, ctx = context_columns(store, p, parcel=parcel, park=park, region_class=region_class, on=on)
    ev = evaluate(cols, services.rulesets(store), checkpoint=_checkpoint(checkpoint))
    s = sizing.size(ev, cols)
    out = sizing.sizing_row(s, cols, 0, lang=lang)
    own = p.values.get("land_area_m2")
    if own is None and parcel is not None:
        own = ctx["parcel_area"]["m2"]
    return {"project": p.name, "decision_date": p.decision_date.isoformat(), "checkpoint": checkpoint,
            "context": ctx, **out,
            "area": sizing.area_dict(own) if own is not None else None,
            "area_in_interval": None if own is None else bool(s.contains(own)[0])}


def parse_share(text, field: str) -> float:
    """A relative change as typed or sent: ``"10%"``, ``"0.1"`` or ``0.1`` → 0.1 (finite, ≥ 0); the
    one reading of ``match --within-advice`` and ``POST /matches`` ``within_advice``.

    Examples
    --------
    >>> parse_share("10%", "x"), parse_share("0.25", "x"), parse_share(0.1, "x")
    (0.1, 0.25, 0.1)
    """
    expected = "a percentage such as 10% or a share such as 0.1"
    if isinstance(text, bool):
        raise InputError(f"{text!r} is not a share", field=field, expected=expected)
    t = str(text).strip()
    try:
        v = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        v = float("nan")
    if not (v >= 0) or v == float("inf"):
        raise InputError(f"'{text}' is not a share", field=field, expected=expected)
    return v


def parcel_view(store, project: dict, *, advise_codes=(), lang: str = "zh") -> dict:
    """The map's view beyond pass/fail of a project on every stored parcel (the project on each
    parcel's own area, as :func:`standardland.rules.matching.match` evaluates it): per parcel the
    land-sizing interval, the parcels whose area lies inside theirs, and the advice lines of the
    parcels in ``advise_codes`` (the explained matches). One engine evaluation, one sizing, one
    advice over every parcel (vectorized); only the advised rows are rendered.

    Returns ``{"sizing": {"inside": [code …], "intervals": {code: [min_m2, max_m2 | None]}},
    "advice": {code: {"lines": [text …], "within": share | None}}}`` (a parcel no indicator sizes is
    left out of ``intervals``)."""
    from .rules import advice, checks

    p = parse_project(project)
    parcels = store.parcels()
    n = len(parcels)
    if not n:
        return {"sizing": {"inside": [], "intervals": {}}, "advice": {}}
    cols = dict(checks.parcel_columns(parcels, services.parks(store)))
    proj = project_columns(p, n)
    proj["land_area_m2"] = np.full(n, np.nan)  # each parcel's own area
    cols.update({k: v for k, v in proj.items() if k not in cols})
    ev = evaluate(cols, services.rulesets(store))
    s = sizing.size(ev, cols)
    codes = parcels["code"].to_numpy(dtype=object)
    area = parcels["area_m2"].to_numpy(dtype="float64")
    bounded = (s.min_m2 > 0) | np.isfinite(s.max_m2)
    inside = s.contains(area) & bounded
    hi = np.where(np.isfinite(s.max_m2), np.round(s.max_m2, 2), np.nan)
    intervals = {c: [float(round(lo, 2)), None if np.isnan(h) else float(h)]
                 for c, lo, h in zip(codes[bounded], s.min_m2[bounded], hi[bounded], strict=True)}
    out: dict = {"sizing": {"inside": codes[inside].tolist(), "intervals": intervals}, "advice": {}}
    wanted = set(advise_codes)
    rows = [i for i in np.flatnonzero(np.isin(codes, list(wanted)))] if wanted else []
    if rows and (ev.verdict[rows] != 0).any():
        adv = advice.advise(ev, cols, s)
        units = advice.input_units(p.raw)
        for i in rows:
            if ev.verdict[i] == 0:
                continue
            a = advice.advice_row(adv, int(i), units=units, lang=lang)
            rel = adv.relative_change(land=False)[i]  # the parcel's area is held, as in matching
            out["advice"][str(codes[i])] = {"lines": [lv["text"] for lv in a["levers"]],
                                            "within": float(rel) if np.isfinite(rel) else None}
    return out
