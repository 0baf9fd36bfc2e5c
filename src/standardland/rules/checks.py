"""Checks and screenings: build the (project, parcel) pairs the engine evaluates.

- :func:`check` — one project on one parcel: the explained verdict (CLI ``check``, API ``/checks``).
- :func:`screen_frame` — many projects (one per row, optional ``parcel_code``): the flat table
  (CLI ``screen``), locally or on Dask partitions (:func:`screen_dask`) with identical results.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import industry as ind_mod
from .engine import evaluate
from ..errors import DataValidationError, InputError, RowProblem
from .indicators import CHECKPOINTS, Catalogue, catalogue
from .fields import Problem, quantity_fields, read_numbers
from .project import (INDUSTRY_FIELDS, Project, parse_project, resolve_industry, unknown_fields,
                      validate_columns)
from .rulesets import RuleSet, load_rulesets

PARCEL_KEYS = ("parcel_code", "parcel_area_m2", "land_use_code", "region_class", "zone_tier", "admin_code", "park")


def parcel_frame(parcels, parks=None, cat: Catalogue | None = None) -> pd.DataFrame:
    """Parcel columns the engine needs, with ``<id>_min/_max`` expanded from ``attrs``."""
    cat = cat or catalogue()
    tiers = {}
    if parks is not None and len(parks):
        tiers = dict(zip(parks["code"], parks["zone_tier"]))
    df = pd.DataFrame({
        "parcel_code": parcels["code"].to_numpy(dtype=object),
        "parcel_area_m2": parcels["area_m2"].to_numpy(dtype="float64"),
        "land_use_code": pd.Categorical(parcels["land_use_code"].to_numpy(dtype=object)),
        "region_class": parcels["region_class"].to_numpy(dtype="float64", na_value=np.nan),
        "zone_tier": pd.Categorical([tiers.get(p) for p in parcels["park"]]),
        "admin_code": pd.Categorical([c[:6] for c in parcels["code"]]),
        "park": pd.Categorical(parcels["park"].to_numpy(dtype=object)),
    })
    attrs = parcels["attrs"] if "attrs" in parcels.columns else [{}] * len(parcels)
    for ind in cat.indicators:
        for suffix in ("_min", "_max"):
            k = ind.id + suffix
            vals = np.array([a.get(k, np.nan) if a else np.nan for a in attrs], dtype="float64")
            if not np.all(np.isnan(vals)):
                df[k] = vals
    return df


def project_row(p: Project) -> dict:
    row = {k: (np.nan if v is None else v) for k, v in p.values.items()}
    row.update({
        "project_name": p.name, "decision_date": pd.Timestamp(p.decision_date),
        "industry_2017": p.industry.key2017, "industry_2002": p.industry.key2002,
        "industry_error": p.industry.error, "nuisance_class": np.nan if p.nuisance_class is None else p.nuisance_class,
    })
    return row


def _rulesets(rulesets) -> list[RuleSet]:
    if rulesets and isinstance(rulesets[0], dict):
        return load_rulesets(rulesets)
    return list(rulesets)


def _checkpoint(cp: str) -> str:
    if cp not in CHECKPOINTS:
        raise InputError(f"'{cp}' is unknown", field="checkpoint", expected=", ".join(CHECKPOINTS))
    return cp


def check(project: dict | Project, parcel, parks, rulesets, *, checkpoint: str = "screening",
          lang: str = "zh", frame: pd.DataFrame | None = None) -> dict:
    """Explained verdict of one project on one parcel (a one-row GeoDataFrame; ``frame`` is its
    :func:`parcel_frame` when the caller has it cached)."""
    p = project if isinstance(project, Project) else parse_project(project)
    pf = parcel_frame(parcel, parks) if frame is None else frame
    cols = {c: pf[c].array for c in pf.columns}  # one construction, not a column insert per field
    cols.update({k: [v] for k, v in project_row(p).items()})
    pairs = pd.DataFrame(cols)
    ev = evaluate(pairs, _rulesets(rulesets), checkpoint=_checkpoint(checkpoint))
    out = ev.explain(0, lang=lang)
    row = parcel.iloc[0]
    return {"project": p.name, "parcel_code": row["code"], "decision_date": p.decision_date.isoformat(),
            "industry": p.industry.to_dict(),
            "parcel": {"code": row["code"], "name": row.get("name"), "area_m2": float(row["area_m2"]),
                       "area_mu": float(row["area_mu"]), "land_use_code": row.get("land_use_code"),
                       "region_class": None if pd.isna(row.get("region_class")) else int(row["region_class"]),
                       "park": row.get("park")},
            **out}


# -- batch screening -----------------------------------------------------------------------

def parse_project_table(df: pd.DataFrame, cat: Catalogue | None = None) -> pd.DataFrame:
    """Validate a screening table (one project per row) into engine columns, all-or-nothing.

    Derived from the same field table as the document parser (:mod:`standardland.rules.fields`):
    cells are read column-wise (text or spreadsheet cells in the canonical unit), then
    :func:`standardland.rules.project.validate_columns` checks every constraint. A problem names
    its row (1-based) and field."""
    cat = cat or catalogue()
    qty = quantity_fields(cat)
    problems: list[RowProblem] = [RowProblem(0, c, "unknown column; expected a project-schema field")
                                  for c in unknown_fields(df.columns, cat, table=True)]
    n = len(df)
    found: list[Problem] = []
    quantities = {}
    for k, spec in qty.items():
        if k in df.columns:
            quantities[k], probs = read_numbers(df[k].to_numpy(dtype=object), spec)
            found += probs
    cells = {k: df[k].to_numpy(dtype=object) for k in df.columns
             if k not in qty and k != "industries" and not unknown_fields([k], cat, table=True)}
    cols, probs = validate_columns(cells, quantities, cat)
    found += probs
    problems += [RowProblem(p.index + 1, p.field,
                            f"{p.message}; expected {p.expected}" if p.expected else p.message)
                 for p in found]
    out = pd.DataFrame(index=pd.RangeIndex(n))
    for c in ("id", "name", "parcel_code"):
        if c in cols:
            out["project_name" if c == "name" else c] = cols[c]
    for k in qty:
        if k in quantities:
            out[k] = quantities[k]
    if "decision_date" in cols:
        out["decision_date"] = cols["decision_date"]
    if "nuisance_class" in cols:
        out["nuisance_class"] = cols["nuisance_class"]
    # industry: resolved once per distinct combination of the industry fields, by the document's rule
    keys = [k for k in INDUSTRY_FIELDS if k in df.columns]
    arrays = [cols[k] if k in cols else df[k].to_numpy(dtype=object) for k in keys]
    codes, first = _distinct_rows(arrays, n)
    resolved = []
    for j, row in enumerate(first):
        d = {k: (None if pd.isna(a[row]) else a[row]) if not isinstance(a[row], (list, dict)) else a[row]
             for k, a in zip(keys, arrays, strict=True)}
        try:
            if isinstance(d.get("industries"), str) and d["industries"].strip():
                d["industries"] = json.loads(d["industries"])
            resolved.append(resolve_industry(d))
        except (ValueError, InputError) as exc:
            why = exc.message if isinstance(exc, InputError) else f"not valid JSON ({exc})"
            field = exc.field if isinstance(exc, InputError) and exc.field else "industries"
            problems += [RowProblem(int(i) + 1, field, why) for i in np.flatnonzero(codes == j)]
            resolved.append(ind_mod.Industry(error=why))
    if problems:
        raise DataValidationError(problems=sorted(problems, key=lambda p: p.row))
    out["industry_2017"] = pd.Categorical(np.array([r.key2017 for r in resolved], dtype=object)[codes])
    out["industry_2002"] = pd.Categorical(np.array([r.key2002 for r in resolved], dtype=object)[codes])
    out["industry_error"] = pd.Categorical(np.array([r.error for r in resolved], dtype=object)[codes])
    out["industry_label"] = np.array([r.label or None for r in resolved], dtype=object)[codes]
    return out


def _distinct_rows(arrays: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row codes of the distinct combinations of ``arrays`` (column-wise factorization) and the
    first row of each combination."""
    combined = np.zeros(n, dtype=np.int64)
    for a in arrays:
        c, u = pd.factorize(pd.Series(a, dtype=object), use_na_sentinel=True)
        combined, _ = pd.factorize(combined * (len(u) + 1) + (c + 1))  # re-compacted: no overflow
        combined = combined.astype(np.int64)
    codes, uniq = pd.factorize(combined)
    first = np.empty(len(uniq), dtype=np.intp)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    return codes, first


def join_parcels(projects: pd.DataFrame, pf: pd.DataFrame | None) -> pd.DataFrame:
    if "parcel_code" not in projects.columns or pf is None:
        return projects
    codes = projects["parcel_code"]
    known = set(pf["parcel_code"])
    missing = [RowProblem(int(i) + 1, "parcel_code", f"'{c}' is not in the store")
               for i, c in enumerate(codes) if isinstance(c, str) and c and c not in known]
    if missing:
        raise DataValidationError(problems=missing)
    merged = projects.merge(pf, on="parcel_code", how="left", sort=False)
    for c in ("land_use_code", "zone_tier", "admin_code", "park"):
        if c in merged.columns:
            merged[c] = merged[c].astype("category")
    return merged


def screen_frame(pairs: pd.DataFrame, rulesets, *, checkpoint: str = "screening",
                 only: list[str] | None = None) -> pd.DataFrame:
    """Engine over a prepared pairs frame → the flat result table (id/name/parcel_code kept first)."""
    ev = evaluate(pairs, _rulesets(rulesets), checkpoint=_checkpoint(checkpoint),
                  only=set(only) if only else None)
    flat = ev.flat()
    lead = [c for c in ("id", "project_name", "parcel_code", "industry_label", "industry_error") if c in pairs.columns]
    head = pairs[lead].reset_index(drop=True).rename(columns={"project_name": "name"}).astype(object)
    return pd.concat([head, flat], axis=1)


def screen_dask(pairs: pd.DataFrame, rulesets, *, checkpoint: str = "screening", scheduler: str | None = None,
                npartitions: int | None = None, only: list[str] | None = None) -> pd.DataFrame:
    """The same engine on Dask partitions (a LocalCluster unless ``scheduler`` names one)."""
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    docs = [rs.to_dict() if isinstance(rs, RuleSet) else rs for rs in rulesets]
    meta = screen_frame(pairs.iloc[:1], docs, checkpoint=checkpoint, only=only).iloc[:0]
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        nparts = npartitions or max(2, len(pairs) // 250_000 + 1)
        ddf = dd.from_pandas(pairs.reset_index(drop=True), npartitions=nparts)
        res = ddf.map_partitions(screen_frame, docs, checkpoint=checkpoint, only=only, meta=meta)
        out = client.compute(res).result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    out = out.reset_index(drop=True)
    for c in meta.columns:  # dtypes may drift across partitions (categories, strings): align to local
        if isinstance(meta[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).astype(pd.CategoricalDtype(meta[c].cat.categories))
        elif out[c].dtype != meta[c].dtype:
            out[c] = out[c].astype(meta[c].dtype)
    return out
