import geopandas as gpd
import pytest
import shapely

from helpers import square_parcels
from standardland.errors import CRSError, DataValidationError
from standardland.parcels import find_overlaps, outside_boundary, prepare_parcels, validate_code


@pytest.mark.parametrize("code", ["370613004002GB10001", "370613004002GB10001W00000000", "110101001001JC00012"])
def test_valid_codes(code):
    assert validate_code(code) is None


@pytest.mark.parametrize("code, fragment", [
    ("37061300400GB10001", "18 characters"),
    ("370613004002XB10001", "ownership"),
    ("370613004002G110001", "feature code"),
    ("370613004002GB1000A", "parcel number"),
    ("990613004002GB10001", "province"),
    ("370613004002GB10001X00000000", "fixture"),
    ("370613004002GB10001W0000000A", "building"),
    ("", "missing"),
])
def test_bad_codes_say_what_is_wrong(code, fragment):
    assert fragment in validate_code(code)


def test_prepare_computes_areas_and_region_class():
    gdf, rep = prepare_parcels(square_parcels(2, side=1000))
    assert rep.source_crs == "EPSG:4549"
    assert gdf.crs.to_epsg() == 4490
    assert gdf["area_mu"].tolist() == pytest.approx([1500, 1500], abs=1e-6)
    assert gdf["area_ha"].tolist() == pytest.approx([100, 100], abs=1e-8)
    assert gdf["region_class"].tolist() == [3, 3]  # land grade 7 → class 3


def test_missing_crs_is_refused_unless_named():
    g = square_parcels(1).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="no CRS"):
        prepare_parcels(g)
    gdf, _ = prepare_parcels(g, crs="EPSG:4549")
    assert gdf["area_m2"].iloc[0] == pytest.approx(10_000, rel=1e-9)


def test_named_crs_conflicting_with_the_file_is_refused():
    with pytest.raises(CRSError, match="declares EPSG:4549 but EPSG:4490"):
        prepare_parcels(square_parcels(1), crs=4490)


def _one(geom, crs=4490, **kw):
    return gpd.GeoDataFrame({"code": ["370613001001GB00001"], **kw}, geometry=[geom], crs=crs)


@pytest.mark.parametrize("geom, fragment", [
    (shapely.Polygon([(121.40, 37.40), (121.41, 37.41), (121.41, 37.40), (121.40, 37.41)]), "Self-intersection"),
    (shapely.Polygon(), "empty"),
    (None, "empty or missing"),
    (shapely.Polygon([(121.40, 37.40, 5), (121.41, 37.40, 5), (121.41, 37.41, 5)]), "3D"),
    (shapely.LineString([(121.40, 37.40), (121.41, 37.41)]), "LineString is not allowed"),
    (shapely.box(37.40, 121.40, 37.41, 121.41), "swapped"),
])
def test_bad_geometry_errors_name_row_and_field(geom, fragment):
    with pytest.raises(DataValidationError) as e:
        prepare_parcels(_one(geom))
    p = e.value.problems[0]
    assert (p.row, p.field) == (1, "geometry")
    assert fragment in p.message


def test_fix_repairs_a_bowtie_and_reports_it():
    bowtie = shapely.Polygon([(121.40, 37.40), (121.41, 37.41), (121.41, 37.40), (121.40, 37.41)])
    gdf, rep = prepare_parcels(_one(bowtie), fix=True)
    assert gdf.geometry.iloc[0].is_valid
    assert "repaired: Self-intersection" in str(rep.repaired[0])
    assert gdf["area_m2"].iloc[0] > 0


def test_polygon_with_hole_area_excludes_the_hole():
    outer = shapely.box(510_000, 4_140_000, 511_000, 4_141_000)
    hole = shapely.box(510_250, 4_140_250, 510_750, 4_140_750)
    g = gpd.GeoDataFrame({"code": ["370613001001GB00001"]}, geometry=[outer.difference(hole)], crs=4549)
    gdf, _ = prepare_parcels(g)
    assert gdf["area_m2"].iloc[0] == pytest.approx(750_000, rel=1e-9)


def test_attribute_errors_are_all_reported_with_rows():
    g = square_parcels(3)
    g.loc[1, "land_use_code"] = "9999"
    g.loc[2, "land_grade"] = 16
    g.loc[2, "status"] = "sold"
    g.loc[0, "code"] = g.loc[1, "code"]
    with pytest.raises(DataValidationError) as e:
        prepare_parcels(g)
    got = {(p.row, p.field) for p in e.value.problems}
    assert {(2, "code"), (2, "land_use_code"), (3, "land_grade"), (3, "status")} <= got


def test_threshold_attributes_must_be_numbers():
    g = square_parcels(1, far_min=["high"])
    with pytest.raises(DataValidationError, match="far_min"):
        prepare_parcels(g)
    gdf, _ = prepare_parcels(square_parcels(1, far_min=[1.2], note=["备注"]))
    assert gdf["attrs"].iloc[0] == {"far_min": 1.2, "note": "备注"}


def test_overlaps_found_with_strtree_touching_is_fine():
    g = square_parcels(4, gap=0)  # touching edges only
    gdf, _ = prepare_parcels(g)
    assert find_overlaps(gdf) == []
    shifted = square_parcels(1, start=9)
    shifted.geometry = shifted.geometry.translate(50, 0)  # half over parcel 1
    both, _ = prepare_parcels(gpd.GeoDataFrame(pd_concat([g, shifted]), crs=4549))
    ov = find_overlaps(both)
    assert len(ov) == 2  # the shifted square overlaps parcels 1 and 2
    assert sorted(round(o.area_m2) for o in ov) == [5000, 5000]


def pd_concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_outside_park_boundary_is_measured():
    gdf, _ = prepare_parcels(square_parcels(2))
    first = gdf.geometry.iloc[0]
    boundary = shapely.buffer(first, 1e-7)  # the park covers only parcel 1
    out = outside_boundary(gdf, boundary)
    assert [c for c, _ in out] == [gdf["code"].iloc[1]]
    assert out[0][1] == pytest.approx(10_000, rel=1e-6)
