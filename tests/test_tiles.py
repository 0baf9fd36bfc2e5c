"""The embedded store's loose-quadtree index never misses a parcel (property test vs brute force)."""

import numpy as np
import shapely
from hypothesis import given, settings, strategies as st

from standardland.store import tiles


def _brute(bounds, q):
    return set(np.flatnonzero((bounds[:, 2] >= q[0]) & (bounds[:, 0] <= q[2]) &
                              (bounds[:, 3] >= q[1]) & (bounds[:, 1] <= q[3])))


def _via_index(bounds, q):
    import json

    keys = tiles.tile_keys(bounds)
    ranges = np.array(json.loads(tiles.query_ranges(q)), dtype=np.int64).reshape(-1, 2)
    cand = np.zeros(len(keys), bool)
    for lo, hi in ranges:
        cand |= (keys >= lo) & (keys <= hi)
    box = _brute(bounds, q)
    return {i for i in np.flatnonzero(cand) if i in box}, cand


lon = st.floats(73.5, 134.5)
lat = st.floats(4.0, 53.0)
size = st.floats(1e-5, 0.5)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(lon, lat, size, size), min_size=1, max_size=60), lon, lat, size, size)
def test_index_finds_exactly_what_a_scan_finds(parcels, qx, qy, qw, qh):
    b = np.array([[x, y, x + w, y + h] for x, y, w, h in parcels])
    q = (qx, qy, qx + qw, qy + qh)
    found, _ = _via_index(b, q)
    assert found == _brute(b, q)


def test_index_prunes_far_parcels():
    x = np.linspace(110, 120, 1000)
    b = np.column_stack([x, np.full(1000, 30.0), x + 0.001, np.full(1000, 30.001)])
    _, cand = _via_index(b, (115.0, 29.9, 115.01, 30.1))
    assert cand.sum() < 10
    assert shapely.box(*b[500]).intersects(shapely.box(115.0, 29.9, 115.01, 30.1))
