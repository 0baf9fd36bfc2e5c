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


@pytest.mark.parametrize("attrs,says", [({"far_min": [1e308]}, "from −1e+12 to 1e+12"),
                                        ({"far_min": [5], "far_max": [1]}, "far_min: 5 is above far_max 1")])
def test_a_parcels_own_thresholds_are_a_range_of_real_numbers(attrs, says):
    import pandas as pd

    from standardland.parcels import prepare_attribute_updates

    with pytest.raises(DataValidationError) as e:
        prepare_attribute_updates(pd.DataFrame({"code": ["370613004002GB10001"], **attrs}))
    assert says in str(e.value), str(e.value)
    ok = prepare_attribute_updates(pd.DataFrame({"code": ["370613004002GB10001"], "far_min": [1], "far_max": [5]}))
    assert ok[0].attrs == {"far_min": 1.0, "far_max": 5.0}


@pytest.mark.parametrize("value,stored", [("2024/3/1", "2024-03-01"), ("2024年3月1日", "2024-03-01"),
                                          ("2024-02-30", None), ("soon", None)])
def test_offered_on_is_a_calendar_date_stored_as_iso(value, stored):
    """The scorecard counts a parcel offered in its year by ``offered_on``: a bad one is refused, never
    silently left out of the count."""
    import pandas as pd

    from standardland.parcels import prepare_attribute_updates

    frame = pd.DataFrame({"code": ["370613004002GB10001"], "offered_on": [value]})
    if stored is None:
        with pytest.raises(DataValidationError) as e:
            prepare_attribute_updates(frame)
        assert "offered_on" in str(e.value) and "YYYY-MM-DD" in str(e.value)
    else:
        assert prepare_attribute_updates(frame)[0].attrs == {"offered_on": stored}
