"""亩均效益 evaluation (Zhejiang 亩均论英雄 style): yearly scores of in-production parcels and classes A–D.

Each indicator's value is divided by the park median (capped at 2×), weighted, and scaled so that
a parcel at the median on every indicator scores 100. Classes: A ≥ 120, B ≥ 90, C ≥ 60, else D
(configurable). Missing values count 0 for that indicator and are listed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_WEIGHTS = {"tax_per_mu": 0.6, "output_per_mu": 0.4}
DEFAULT_CLASSES = (("A", 120.0), ("B", 90.0), ("C", 60.0))


def evaluate(parcels: pd.DataFrame, weights: dict | None = None, classes=DEFAULT_CLASSES) -> pd.DataFrame:
    """``parcels`` has a ``code`` column and one column per weighted indicator (in-production parcels)."""
    weights = weights or DEFAULT_WEIGHTS
    total_w = sum(weights.values())
    if total_w <= 0:
        from ..errors import InputError

        raise InputError("the weights sum to 0", field="weights", expected="positive weights")
    score = np.zeros(len(parcels))
    missing = [[] for _ in range(len(parcels))]
    for ind, w in weights.items():
        vals = pd.to_numeric(parcels.get(ind, pd.Series([np.nan] * len(parcels))), errors="coerce").to_numpy(float)
        med = np.nanmedian(vals) if np.isfinite(vals).any() else np.nan
        rel = np.clip(vals / med, 0, 2) if med and np.isfinite(med) and med > 0 else np.full(len(vals), np.nan)
        for i in np.flatnonzero(~np.isfinite(rel)):
            missing[i].append(ind)
        score += np.where(np.isfinite(rel), rel, 0.0) * w / total_w * 100
    cls = np.full(len(parcels), "D", dtype=object)
    for name, floor in reversed(classes):
        cls[score >= floor] = name
    return pd.DataFrame({"code": parcels["code"].to_numpy(), "score": np.round(score, 2), "class": cls,
                         "missing": missing})
