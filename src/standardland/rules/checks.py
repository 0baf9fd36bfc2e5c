"""Checks and screenings: build the (project, parcel) pairs the engine evaluates.

- :func:`check` — one project on one parcel: the explained verdict (CLI ``check``, API ``/checks``).
- :func:`screen_frame` — many projects (one per row, optional ``parcel_code``): the flat table
  (CLI ``screen``), locally or on Dask partitions (:func:`screen_dask`) with identical results.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import numpy as np
import pandas as pd

from .. import industry as ind_mod
from . import explain, thresholds
from ..units import m2_to_mu
from .engine import Coded, columns_of, evaluate
from ..errors import DataValidationError, InputError, RowProblem
from .indicators import CHECKPOINTS, Catalogue, catalogue
from .fields import YEARS, Problem, project_fields, quantity_fields, read_numbers
from .project import (INDUSTRY_FIELDS, Project, parse_project, resolve_industry, unknown_fields,
                      validate_columns)
from .rulesets import RuleSet, load_rulesets

PARCEL_KEYS = ("parcel_code", "parcel_area_m2", "land_use_code", "region_class", "zone_tier", "admin_code", "park")


def parcel_columns(parcels, parks=None, cat: Catalogue | None = None) -> dict[str, np.ndarray]:
    """Parcel columns the engine needs (:func:`standardland.rules.thresholds.parcel_columns`), with the
    parcel's name and area in 亩 for the check's summary."""
    cols = thresholds.parcel_columns(parcels, parks, cat)
    cols["parcel_name"] = parcels["name"].to_numpy(dtype=object) if "name" in parcels.columns else \
        np.full(len(parcels), None, dtype=object)
    cols["parcel_area_mu"] = m2_to_mu(cols["parcel_area_m2"])
    return cols


def parcel_frame(parcels, parks=None, cat: Catalogue | None = None) -> pd.DataFrame:
    """:func:`parcel_columns` as a frame (categorical context columns), for joins with a screening table."""
    cols = parcel_columns(parcels, parks, cat)
    for c in ("land_use_code", "zone_tier", "admin_code", "park"):
        cols[c] = pd.Categorical(cols[c])
    return pd.DataFrame(cols)


def project_columns(p: Project | list[Project], n: int = 1) -> dict[str, np.ndarray]:
    """A project (``n`` rows of it), or one row per project of a list, as engine columns (numpy, no
    pandas).

    Examples
    --------
    >>> from standardland.rules.project import parse_project
    >>> ps = [parse_project({"decision_date": d, "industry_code": "39", "far": f})
    ...       for d, f in (("2024-03-01", 1.2), ("2024-06-01", None))]
    >>> cols = project_columns(ps)
    >>> cols["decision_date"].tolist(), cols["far"].tolist()
    ([datetime.date(2024, 3, 1), datetime.date(2024, 6, 1)], [1.2, nan])
    """
    if isinstance(p, list) and p and all(q is p[0] for q in p[1:]):  # one project: its values repeated
        p, n = p[0], len(p)
    if not isinstance(p, list):
        return {k: np.full(n, v, dtype=_dtype(k)) for k, v in project_row(p).items()}
    rows = [project_row(q) for q in p]
    keys = dict.fromkeys(k for r in rows for k in r)
    return {k: np.array([r.get(k, np.nan) for r in rows], dtype=_dtype(k)) for k in keys}


_PROJECT_DTYPES = {"project_name": object, "decision_date": "datetime64[D]", "industry_2017": object,
                   "industry_2002": object, "industry_error": object}


def _dtype(column: str):
    return _PROJECT_DTYPES.get(column, "float64")  # the quantities and the nuisance class


def project_row(p: Project) -> dict:
    """The project's engine values as scalars (NaN where missing): one row of :func:`project_columns`."""
    row: dict = {k: np.nan if v is None else v for k, v in p.values.items()}
    row.update({
        "project_name": p.name, "decision_date": np.datetime64(p.decision_date, "D"),
        "industry_2017": p.industry.key2017, "industry_2002": p.industry.key2002,
        "industry_error": p.industry.error,
        "nuisance_class": np.nan if p.nuisance_class is None else p.nuisance_class,
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
          lang: str = "zh", frame=None, layers: dict | None = None, only=None, advice: bool = False) -> dict:
    """Explained verdict of one project on one parcel (a one-row GeoDataFrame; ``frame`` is its
    :func:`parcel_columns` (or :func:`parcel_frame`) when the caller has it cached).

    ``layers`` adds per-row layers, e.g. ``{"agreement": {"far_min": 1.2}}`` (an agreement's
    commitments as limits); ``only`` restricts the indicators judged. ``advice`` adds the smallest
    change that passes (:mod:`standardland.rules.advice`; None when the check passes), from the same
    evaluation. The pair of one of :func:`check_pairs`.
    """
    p = project if isinstance(project, Project) else parse_project(project)
    if frame is None:
        frame = parcel_columns(parcel, parks)
    return check_pairs([p], [frame], rulesets, checkpoint=checkpoint, langs=[lang], layers=layers, only=only,
                       advice=advice)[0]


def check_pairs(projects: list[Project], frames: list, rulesets, *, checkpoint: str = "screening",
                langs: list[str] | None = None, layers: dict | None = None, only=None,
                advice: bool = False) -> list[dict]:
    """Explained verdicts of many (project, parcel) pairs from one evaluation: the engine runs once over
    all the pairs' rows (the API's concurrent checks share it), each row is explained in its language.

    Parameters
    ----------
    projects : list of Project
        The parsed projects, one per pair.
    frames : list
        Per pair, its parcel's engine columns (:func:`parcel_columns` of one parcel, or
        :func:`parcel_frame`), one row each.
    rulesets : list of RuleSet or of rule-set documents
        The candidate rule sets.
    checkpoint, layers, only, advice
        As for :func:`check`; the same for every pair.
    langs : list of str, optional
        Per pair, ``zh`` (default) or ``en``.

    Returns
    -------
    list of dict
        Per pair, what :func:`check` returns for it alone.
    """
    n = len(projects)
    langs = langs or ["zh"] * n
    if len(frames) != n or len(langs) != n:
        raise ValueError(f"{n} projects, {len(frames)} parcel frames and {len(langs)} languages: one of each per pair")
    cols = _stack([dict(columns_of(f) if isinstance(f, pd.DataFrame) else f) for f in frames])
    cols.update(project_columns(projects))
    for layer, attrs in (layers or {}).items():
        cols.update(thresholds.limit_columns([attrs] * n, layer=layer))
    ev = evaluate(cols, _rulesets(rulesets), checkpoint=_checkpoint(checkpoint),
                  only=set(only) if only is not None else None)
    summary = {c: _plain(cols.get(c), n) for c in ("parcel_code", "parcel_name", "parcel_area_m2", "parcel_area_mu",
                                                "land_use_code", "region_class", "park")}
    adv = None
    if advice:
        from .advice import advice_row, advise, input_units

        adv = advise(ev, cols) if (ev.verdict != 0).any() else None
    explained = ev.explain_rows(np.arange(n), langs)
    out = []
    for r, p in enumerate(projects):
        parcel = {c: v[r] for c, v in summary.items()}
        rc = parcel["region_class"]
        result = {"project": p.name, "parcel_code": parcel["parcel_code"],
                  "decision_date": p.decision_date.isoformat(), "industry": p.industry.to_dict(),
                  "parcel": {"code": parcel["parcel_code"], "name": parcel["parcel_name"],
                             "area_m2": float(parcel["parcel_area_m2"]), "area_mu": float(parcel["parcel_area_mu"]),
                             "land_use_code": parcel["land_use_code"],
                             "region_class": None if rc is None else int(rc), "park": parcel["park"]},
                  **explained[r]}
        if advice:
            result["advice"] = None if ev.verdict[r] == 0 else advice_row(adv, r, units=input_units(p.raw),
                                                                            lang=langs[r])
        out.append(result)
    return out


def _plain(col, n: int) -> list:
    """A column's ``n`` cells as Python values, None where missing (the check's parcel summary)."""
    if col is None:
        return [None] * n
    vals = col.values() if isinstance(col, Coded) else col
    return [None if v is None or (isinstance(v, float) and v != v) else v for v in vals.tolist()]


def _stack(frames: list[dict]) -> dict:
    """One set of engine columns from the pairs' one-row columns (a column some lack is missing there:
    NaN, or None for text)."""
    if len(frames) == 1:
        return frames[0]
    first = frames[0]
    coded = any(isinstance(v, Coded) for f in frames for v in f.values())
    if not coded and all(f.keys() == first.keys() for f in frames):
        return {k: np.concatenate([f[k] for f in frames]) for k in first}  # parcels with the same columns
    out = {}
    for k in dict.fromkeys(k for f in frames for k in f):
        parts = [f.get(k) for f in frames]
        parts = [p.values() if isinstance(p, Coded) else p for p in parts]
        kind = next(np.asarray(p).dtype for p in parts if p is not None)
        if any(p is None for p in parts):
            fill = np.array([np.nan]) if kind.kind == "f" else np.array([None], dtype=object)
            parts = [fill if p is None else p for p in parts]
        out[k] = np.concatenate(parts)
    return out


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
            if df[k].dtype.kind == "f":  # typed already (io.read_project_csv, a float column): nothing to read
                quantities[k] = df[k].to_numpy(dtype="float64")
                continue
            quantities[k], probs = read_numbers(df[k].to_numpy(dtype=object), spec)
            found += probs
    dates, nuisance = _typed_dates(df), _typed_nuisance(df)
    fields = project_fields(cat)
    # Arrow-held text with no empty cell: what the text check gives (text kept, missing missing), not copied
    plain = {k: df[k].array for k in df.columns
             if k in fields and fields[k].kind in ("text", "code") and _arrow_text(df[k])}
    cells = {k: df[k].to_numpy(dtype=object) for k in df.columns
             if k not in qty and k != "industries" and not unknown_fields([k], cat, table=True)
             and k not in plain and not (k == "decision_date" and dates is not None)
             and not (k == "nuisance_class" and nuisance is not None)}
    cols, probs = validate_columns(cells, quantities, cat)
    cols.update(plain)
    if dates is not None:  # validated by the reader: the column's absence from cells is no problem
        probs = [p for p in probs if not (p.field == "decision_date" and p.index == -1)]
        cols["decision_date"] = dates
    if nuisance is not None:
        cols["nuisance_class"] = nuisance
    found += probs
    problems += [RowProblem(p.index + 1, p.field,
                            f"{p.message}; expected {p.expected}" if p.expected else p.message)
                 for p in found]
    out = pd.DataFrame(index=pd.RangeIndex(n))
    for c in ("id", "name", "parcel_code"):
        if c in cols:
            out["project_name" if c == "name" else c] = _as_read(df[c], cols[c])
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
    out["industry_label"] = pd.Series(np.array([r.label or None for r in resolved], dtype=object)[codes],
                                      dtype=object, copy=False)
    return out


def _arrow_text(col: pd.Series) -> bool:
    """Arrow-held text with no empty cell (as :func:`standardland.io.read_project_csv` gives it)."""
    return getattr(col.dtype, "storage", None) == "pyarrow" and not col.eq("").any()


def _as_read(raw: pd.Series, checked):
    """A text column as :func:`~standardland.rules.fields.check_text` gives it (blank text missing),
    or the column itself when it is Arrow-held text with no empty cell (the same cells, not copied)."""
    return raw.array if _arrow_text(raw) else checked


def _typed_nuisance(df: pd.DataFrame) -> np.ndarray | None:
    """``nuisance_class`` when it is a float column of 1, 2, 3 or NaN (missing), as
    :func:`standardland.io.read_project_csv` types it: what the check of an integer choice answers
    for it; else None (checked cell by cell)."""
    if "nuisance_class" not in df.columns or df["nuisance_class"].dtype.kind != "f":
        return None
    v = df["nuisance_class"].to_numpy(dtype="float64")
    if not np.isin(v[~np.isnan(v)], project_fields(None)["nuisance_class"].choices).all():
        return None
    return v.copy()


def _typed_dates(df: pd.DataFrame) -> np.ndarray | None:
    """``decision_date`` when it is a datetime64 column that needs no checking (every row a day within
    :data:`~standardland.rules.fields.YEARS`, as :func:`standardland.io.read_project_csv` types it),
    normalised to the day as :func:`~standardland.rules.fields.parse_dates` does; else None."""
    if "decision_date" not in df.columns or df["decision_date"].dtype.kind != "M":
        return None
    days = df["decision_date"].to_numpy().astype("datetime64[D]")
    if np.isnat(days).any():
        return None
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    if ((years < YEARS[0]) | (years > YEARS[1])).any():
        return None
    return days.astype("datetime64[ns]")


def _distinct_rows(arrays: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row codes of the distinct combinations of ``arrays`` (column-wise factorization) and the
    first row of each combination."""
    combined = np.zeros(n, dtype=np.int64)
    for a in arrays:
        held = isinstance(a, pd.api.extensions.ExtensionArray)  # Arrow text: factorized in C++
        c, u = pd.factorize(a if held else pd.Series(a, dtype=object), use_na_sentinel=True)
        combined, _ = pd.factorize(combined * (len(u) + 1) + (c + 1))  # re-compacted: no overflow
        combined = combined.astype(np.int64)
    codes, uniq = pd.factorize(combined)
    first = np.empty(len(uniq), dtype=np.intp)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    return codes, first


def join_parcels(projects: pd.DataFrame, pf: pd.DataFrame | None) -> pd.DataFrame:
    """``projects`` with the store's parcel columns (``pf``) joined on ``parcel_code``; unchanged when
    there is no ``parcel_code`` column or no ``pf``. Raises :class:`DataValidationError` naming each row whose parcel is unknown."""
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


#: columns of a screening table that only its lead shows: the engine reads none of them
_SHOWN_ONLY = frozenset({"id", "project_name", "industry_label"})


def screen_frame(pairs: pd.DataFrame, rulesets, *, checkpoint: str = "screening",
                 only: list[str] | None = None) -> pd.DataFrame:
    """Engine over a prepared pairs frame → the flat result table (id/name/parcel_code kept first)."""
    rs = _rulesets(rulesets)
    inputs = pairs[[c for c in pairs.columns if c not in _SHOWN_ONLY]]  # no text copied to Python objects
    ev = evaluate(columns_of(inputs), rs, checkpoint=_checkpoint(checkpoint), only=set(only) if only else None)
    flat = explain.flat(ev, rs)  # columns fixed by the rule sets: every piece of a screening alike
    lead = [c for c in ("id", "project_name", "parcel_code", "industry_label", "industry_error") if c in pairs.columns]
    head = {}
    for c in lead:  # coded (the industry's) or Arrow-held text stays so: written without a copy
        col = pairs[c]
        if c == "industry_label" and not isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype("category")  # a few labels: written (and made formula-safe) once each
        kept = isinstance(col.dtype, pd.CategoricalDtype) or getattr(col.dtype, "storage", None) == "pyarrow"
        head["name" if c == "project_name" else c] = col.array if kept else col.to_numpy(dtype=object)
    head_frame = pd.DataFrame(head, copy=False)
    return pd.concat([head_frame, flat], axis=1)


@contextmanager
def dask_client(scheduler=None):
    """The Dask client of a distributed run, the one place that decides it: ``scheduler`` (a
    :class:`distributed.Client`, left open, or an address) or else a LocalCluster of two
    single-threaded worker processes; what this opened is closed on exit."""
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
        return
    cluster = None if scheduler else LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                  dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def screen_dask(pairs: pd.DataFrame, rulesets, *, checkpoint: str = "screening", scheduler: str | None = None,
                npartitions: int | None = None, only: list[str] | None = None) -> pd.DataFrame:
    """The same engine on Dask partitions (a LocalCluster unless ``scheduler`` names one)."""
    import dask.dataframe as dd

    docs = [rs.to_dict() if isinstance(rs, RuleSet) else rs for rs in rulesets]
    meta = screen_frame(pairs.iloc[:1], docs, checkpoint=checkpoint, only=only).iloc[:0]
    with dask_client(scheduler) as client:
        nparts = npartitions or max(2, len(pairs) // 250_000 + 1)
        ddf = dd.from_pandas(pairs.reset_index(drop=True), npartitions=nparts)
        res = ddf.map_partitions(screen_frame, docs, checkpoint=checkpoint, only=only, meta=meta)
        out = client.compute(res).result()
    out = out.reset_index(drop=True)
    for c in meta.columns:  # dtypes may drift across partitions (categories, strings): align to local
        if c == "industry_label":  # categories are the labels met: those of every partition, as locally
            out[c] = out[c].astype(object).astype("category")
        elif isinstance(meta[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).astype(pd.CategoricalDtype(meta[c].cat.categories))
        elif out[c].dtype != meta[c].dtype:
            out[c] = out[c].astype(meta[c].dtype)
    return out


def screen_piece(df: pd.DataFrame, rulesets, pf: pd.DataFrame | None = None, *, checkpoint: str = "screening",
                 only: list[str] | None = None) -> tuple[pd.DataFrame | None, str, list[RowProblem]]:
    """One piece of a screening table (rows as read) → ``(flat table, "", [])``, or ``(None, stage,
    problems)`` where ``stage`` is ``"parse"`` (:func:`parse_project_table`) or ``"join"``
    (:func:`join_parcels`) and the problems' rows count from the piece's first row (1).

    A whole table is one piece; a screening read in pieces gives the same rows and problems once the
    caller numbers each piece's rows after the pieces before it (:mod:`standardland.screening`)."""
    try:
        projects = parse_project_table(df)
    except DataValidationError as exc:
        return None, "parse", list(exc.problems)
    if "parcel_code" not in projects.columns or not projects["parcel_code"].notna().any():
        pf = None  # as a whole table without parcel codes: no parcel columns
    try:
        pairs = join_parcels(projects, pf)
    except DataValidationError as exc:
        return None, "join", list(exc.problems)
    return screen_frame(pairs, rulesets, checkpoint=checkpoint, only=only), "", []
