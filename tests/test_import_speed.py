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


def test_gc_pause_nests_across_threads_and_restores_the_state_it_found():
    import gc
    import threading

    from standardland.gcpause import gc_paused

    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other():
        with gc_paused():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other)
    with gc_paused():
        t.start()
        inside.wait(10)
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's pause still runs
    release.set()
    t.join(10)
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # off before: stays off
    finally:
        gc.enable()


def test_a_paused_function_keeps_its_name_signature_and_errors():
    import inspect

    import pytest

    from standardland import services
    from standardland.errors import InputError

    assert services.import_file.__name__ == "import_file"
    assert "allow" in inspect.signature(services.import_file).parameters
    import gc

    with pytest.raises(InputError):
        services.import_file(None, "x.gpkg", allow=("nonsense",))
    assert gc.isenabled()  # an error ends the pause too


def test_the_examples_of_the_bulk_helpers_run():
    import doctest

    from standardland import gcpause
    from standardland.store import ewkb

    for mod in (gcpause, ewkb):
        res = doctest.testmod(mod)
        assert res.attempted and not res.failed, mod.__name__
