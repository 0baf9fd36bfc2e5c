"""Error messages show cells as people wrote them: no numpy reprs (np.int64(99)) in what a planner reads."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from standardland.errors import DataValidationError
from standardland.parcels import prepare_parcels


@pytest.mark.parametrize("column,value,shown", [("land_grade", 99, "99"), ("land_grade", 2.5, "2.5"),
                                                ("transfer_price_wan_yuan", -1, "-1")])
def test_a_bad_numeric_cell_is_shown_as_its_value(column, value, shown):
    gdf = gpd.GeoDataFrame({"code": ["370613004002GB10099"], column: [value]},
                           geometry=[shapely.box(121.45, 37.45, 121.451, 37.451)], crs=4490)
    with pytest.raises(DataValidationError) as e:
        prepare_parcels(gdf)
    text = str(e.value)
    assert f"{column}: {shown}" in text and "np." not in text, text
