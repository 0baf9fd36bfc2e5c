import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod

from standardland import crs, units
from standardland.errors import CRSError

GEO = Path(__file__).resolve().parents[1] / "geodata" / "boundaries"
GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("lon, zone, unprefixed, prefixed", [
    (121.4, 40, 4549, 4528), (121.49, 40, 4549, 4528), (121.51, 41, 4550, 4529), (75.2, 25, 4534, 4513),
    (134.9, 45, 4554, 4533), (116.4, 39, 4548, 4527), (114.0, 38, 4547, 4526),
])
def test_zone_and_epsg_agree_with_pyproj(lon, zone, unprefixed, prefixed):
    assert crs.gk3_zone(lon) == zone
    assert crs.gk3_epsg(zone) == unprefixed and crs.gk3_epsg(zone, prefixed=True) == prefixed
    # test against pyproj's own definitions, not lore
    u, p = CRS.from_epsg(unprefixed), CRS.from_epsg(prefixed)
    assert f"CM {3 * zone}E" in u.name
    assert f"zone {zone}" in p.name
    params = {pp.name: pp.value for pp in p.coordinate_operation.params}
    assert params["False easting"] == zone * 1_000_000 + 500_000
    assert params["Longitude of natural origin"] == 3 * zone


def _square(epsg, x0, y0, side=1000.0):
    sq = shapely.box(x0, y0, x0 + side, y0 + side)
    return gpd.GeoSeries([sq], crs=epsg).to_crs(4490).values


def test_1000m_square_in_4549_is_1500_mu():
    g = _square(4549, 510_000, 4_140_000)
    a = crs.areas_m2(g)[0]
    assert units.m2_to_mu(a) == pytest.approx(1500, abs=1e-6)


def test_parcel_just_east_of_121_5_uses_zone_41():
    g = _square(4550, 372_000, 4_140_000, side=500)  # zone 41 (CM 123E), west part of the zone
    cx = shapely.get_x(shapely.centroid(g))[0]
    assert 121.5 < cx < 121.6
    assert crs.gk3_zone(cx) == 41
    assert crs.areas_m2(g)[0] == pytest.approx(250_000, rel=1e-9)
    # the same parcel measured in the neighbouring zone would be off by scale distortion
    wrong = shapely.area(crs.transform(g, 4490, 4549))[0]
    assert abs(wrong - 250_000) > 1.0


def test_area_is_never_in_degrees():
    g = _square(4549, 510_000, 4_140_000)
    assert shapely.area(g)[0] < 1e-3  # what a naive .area would say
    assert crs.areas_m2(g)[0] > 999_000


def test_laishan_district_is_333_km2():
    gdf = gpd.read_file(GEO / "yantai_city_and_districts_wgs84.geojson")
    laishan = gdf[gdf["adcode"] == "370613"].geometry.values
    assert crs.areas_m2(laishan)[0] / 1e6 == pytest.approx(333, rel=0.01)


def _vertex_pairs():
    g = json.loads((GEO / "yantai_city_and_districts_gcj02.geojson").read_text(encoding="utf-8"))
    w = json.loads((GEO / "yantai_city_and_districts_wgs84.geojson").read_text(encoding="utf-8"))
    a = np.vstack([shapely.get_coordinates(shapely.geometry.shape(f["geometry"])) for f in g["features"]])
    b = np.vstack([shapely.get_coordinates(shapely.geometry.shape(f["geometry"])) for f in w["features"]])
    return a, b


def test_gcj02_to_wgs84_against_the_shipped_pair():
    gcj, wgs = _vertex_pairs()
    # the shipped WGS84 file was made with the one-step approximation: reproduced within 2 m (in fact exactly)
    lon, lat = crs.gcj02_to_wgs84(gcj[:, 0], gcj[:, 1], method="onestep")
    assert GEOD.inv(lon, lat, wgs[:, 0], wgs[:, 1])[2].max() < 2.0
    # the exact inverse (our default) is the true inverse: forward-projecting it gives back the
    # GCJ-02 input to < 1 mm ...
    lon, lat = crs.gcj02_to_wgs84(gcj[:, 0], gcj[:, 1])
    flon, flat = crs.wgs84_to_gcj02(lon, lat)
    assert GEOD.inv(flon, flat, gcj[:, 0], gcj[:, 1])[2].max() < 1e-3
    # ... whereas the shipped pair itself misses by up to 2.5 m (the one-step approximation's error),
    shipped_err = GEOD.inv(*crs.wgs84_to_gcj02(wgs[:, 0], wgs[:, 1]), gcj[:, 0], gcj[:, 1])[2]
    assert 2.0 < shipped_err.max() < 3.0
    # so the exact inverse lies within that error of the shipped vertices, never further
    d = GEOD.inv(lon, lat, wgs[:, 0], wgs[:, 1])[2]
    assert d.max() <= shipped_err.max() + 0.05 and np.median(d) < 1.5


def test_gcj02_offset_is_hundreds_of_metres_so_mixing_would_be_visible():
    gcj, wgs = _vertex_pairs()
    d = GEOD.inv(gcj[:, 0], gcj[:, 1], wgs[:, 0], wgs[:, 1])[2]
    assert d.min() > 300


def test_parse_crs_accepts_the_supported_set_and_refuses_others():
    assert crs.parse_crs("EPSG:4490").epsg == 4490
    assert crs.parse_crs(4549).epsg == 4549
    assert crs.parse_crs("gcj02").gcj02
    assert crs.parse_crs("OGC:CRS84").epsg == 4326
    with pytest.raises(CRSError, match="not supported"):
        crs.parse_crs(2154)
    with pytest.raises(CRSError, match="no CRS"):
        crs.parse_crs(None)


def test_prefixed_eastings_declared_unprefixed_are_refused():
    g = np.array([shapely.box(40_510_000, 4_140_000, 40_511_000, 4_141_000)], dtype=object)
    with pytest.raises(CRSError, match="zone prefix") as e:
        crs.to_storage(g, crs.parse_crs(4549))
    assert "4528" in str(e.value)


def test_unprefixed_eastings_declared_prefixed_are_refused():
    g = np.array([shapely.box(510_000, 4_140_000, 511_000, 4_141_000)], dtype=object)
    with pytest.raises(CRSError, match="no zone prefix"):
        crs.to_storage(g, crs.parse_crs(4528))


def test_prefixed_and_unprefixed_give_the_same_place():
    a = crs.to_storage(np.array([shapely.box(510_000, 4_140_000, 511_000, 4_141_000)]), crs.parse_crs(4549))
    b = crs.to_storage(np.array([shapely.box(40_510_000, 4_140_000, 40_511_000, 4_141_000)]),
                       crs.parse_crs(4528))
    assert shapely.equals_exact(a[0], b[0], tolerance=1e-9)


def test_degrees_declared_as_projected_are_refused():
    g = np.array([shapely.box(121.4, 37.4, 121.41, 37.41)], dtype=object)
    with pytest.raises(CRSError, match="look like degrees"):
        crs.to_storage(g, crs.parse_crs(4549))


def test_swapped_and_foreign_coordinates_are_reported():
    swapped = shapely.box(37.40, 121.40, 37.41, 121.41)
    paris = shapely.box(2.3, 48.8, 2.31, 48.81)
    ok = shapely.box(121.4, 37.4, 121.41, 37.41)
    probs = dict(crs.lonlat_problems([ok, swapped, paris]))
    assert 0 not in probs
    assert "swapped" in probs[1]
    assert "outside China" in probs[2]


def test_source_crs_is_the_one_decision_named_versus_declared():
    """`crs.source_crs` decides for every reader: declared wins when nothing is named, a named CRS
    never re-labels a declared one, GCJ-02 may be named over a WGS84/CGCS2000 claim."""
    from standardland.crs import SourceCRS, source_crs
    from standardland.errors import CRSError

    assert source_crs(None, "EPSG:4326") == SourceCRS(epsg=4326)
    assert source_crs("EPSG:4549", None) == SourceCRS(epsg=4549)
    assert source_crs("4326", "EPSG:4326") == SourceCRS(epsg=4326)
    assert source_crs("gcj02", "EPSG:4490") == SourceCRS(gcj02=True)
    for named, declared in [("EPSG:4549", "EPSG:4326"), ("gcj02", "EPSG:4549"), ("EPSG:4490", "EPSG:3857")]:
        with pytest.raises(CRSError) as e:
            source_crs(named, declared)
        assert e.value.field == "crs" and "declares" in e.value.message
    with pytest.raises(CRSError) as e:
        source_crs(None, None)
    assert e.value.field == "crs" and "gcj02" in e.value.expected
    with pytest.raises(CRSError) as e:
        source_crs(None, "EPSG:32650")
    assert e.value.field == "file crs"


def test_served_crs_axis_order_comes_from_the_crs_definition():
    import numpy as np
    import shapely

    from standardland import crs as crsmod

    sq = shapely.box(121.40, 37.40, 121.41, 37.42)
    flipped = crsmod.to_axis_order([sq], crsmod.EPSG4490_URI)[0]
    assert flipped.bounds == (37.40, 121.40, 37.42, 121.41)
    assert crsmod.to_axis_order(np.array([sq], dtype=object), crsmod.CRS84_URI)[0].equals(sq)
    assert crsmod.bbox_lonlat(flipped.bounds, crsmod.EPSG4490_URI) == sq.bounds
