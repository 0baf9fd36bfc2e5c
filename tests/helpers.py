"""Small builders for test data (real files are written with pyogrio in the tests)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

X0, Y0 = 510_000.0, 4_140_000.0  # EPSG:4549 (CGCS2000 GK CM 120E), near 121.1°E 37.4°N


def code(i: int) -> str:
    """A well-formed 宗地代码 (19 characters) for any i (the 地籍子区 grows every 100,000)."""
    return f"370613001{i // 100_000 + 1:03d}GB{i % 100_000:05d}"


def square_parcels(n: int, *, side: float = 100.0, gap: float = 10.0, epsg: int = 4549, start: int = 1,
                   names: list[str] | None = None, **cols) -> gpd.GeoDataFrame:
    """``n`` side×side squares in a grid, in ``epsg`` (GK CM 120E by default)."""
    per_row = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = X0 + (i % per_row) * (side + gap)
    y = Y0 + (i // per_row) * (side + gap)
    geoms = shapely.box(x, y, x + side, y + side)
    data = {"code": [code(start + k) for k in range(n)],
            "name": names or [f"测试地块 {k + 1} 号" for k in range(n)],
            "status": ["published"] * n, "land_use_code": ["100101"] * n, "land_grade": [7] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=epsg)
