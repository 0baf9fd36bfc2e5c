"""The import's bulk helpers give what the slower general calls give (no timing here: bench/bench_import.py)."""

import numpy as np
import shapely

from standardland import crs as crsmod
from standardland.store.ewkb import hex_ewkb


def _geoms():
    rng = np.random.default_rng(7)
    x, y = rng.uniform(117, 123, 200), rng.uniform(30, 40, 200)
    boxes = shapely.box(x, y, x + 0.01, y + 0.008)
    holed = shapely.Polygon(shapely.get_coordinates(shapely.box(120, 35, 120.1, 35.1)),
                            [shapely.get_coordinates(shapely.box(120.02, 35.02, 120.03, 35.03))])
    multi = shapely.MultiPolygon([shapely.box(121, 36, 121.01, 36.01), shapely.box(121.5, 36, 121.52, 36.02)])
    return np.concatenate([boxes, [holed, multi, shapely.Point(121, 37), shapely.Polygon(), None,
                                   shapely.Polygon([(121, 37, 5), (121.1, 37, 5), (121.1, 37.1, 6), (121, 37, 5)])]])


def test_hex_ewkb_is_geos_own_ewkb_text():
    geoms = _geoms()
    got = hex_ewkb(geoms, 4490)
    want = [None if g is None else shapely.to_wkb(shapely.set_srid(g, 4490), hex=True, include_srid=True,
                                                    byte_order=1) for g in geoms]
    assert got == want
    back = shapely.from_wkb([g for g in got if g is not None])
    assert set(shapely.get_srid(back).tolist()) == {4490}
    assert shapely.equals_exact(back, geoms[[g is not None for g in geoms]], 0).all()


def test_gk_areas_take_each_parcels_centroid_zone_also_across_a_zone_edge():
    # parcels straddling the 118.5° and 121.5° zone edges, large ones whose bounds span two zones
    rng = np.random.default_rng(3)
    x, y, w = rng.uniform(117, 123, 5000), rng.uniform(30, 40, 5000), rng.uniform(0.0005, 0.3, 5000)
    geoms = shapely.box(x, y, x + w, y + w * 0.7)
    geoms[::7] = [shapely.MultiPolygon([shapely.box(a, b, a + 0.01, b + 0.01), shapely.box(a + 0.9, b, a + 0.91, b + 0.3)])
                  for a, b in zip(x[::7], y[::7], strict=True)]
    geoms[5] = None
    zones = crsmod.gk3_zone(shapely.get_x(shapely.centroid(geoms)))
    across = crsmod.gk3_zone(shapely.bounds(geoms)[:, 0]) != crsmod.gk3_zone(shapely.bounds(geoms)[:, 2])
    assert across.sum() > 100  # the case the bounds shortcut must hand to the centroid
    want = np.full(len(geoms), np.nan)
    for i, g in enumerate(geoms):
        if g is not None:
            want[i] = shapely.area(crsmod.transform([g], 4490, crsmod.gk3_epsg(int(zones[i])))[0])
    np.testing.assert_array_equal(crsmod.areas_m2(geoms), want)
