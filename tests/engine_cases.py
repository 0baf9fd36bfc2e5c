"""Hand-built parcels and projects for the engine tests (no store: the engine is pure)."""

import geopandas as gpd
import shapely

from standardland.rules import checks
from standardland.parcels import prepare_parcels
from standardland.rules.rulesets import load_rulesets, shipped_rulesets

RULESETS = load_rulesets(shipped_rulesets())
PARKS = gpd.GeoDataFrame({"code": ["yantai-hitech-intl"], "zone_tier": ["national"]})


def parcel(code="370613004002GB10001", *, park=None, land_use="100101", grade=7, area_side=100.0, **attrs):
    """A square parcel of area_side² m² (default 1 公顷 = 15 亩) near Yantai."""
    g = shapely.box(510_000, 4_140_000, 510_000 + area_side, 4_140_000 + area_side)
    data = {"code": [code], "status": ["published"], "land_use_code": [land_use], "land_grade": [grade],
            "park": [park]}
    data.update({k: [v] for k, v in attrs.items()})
    gdf, _ = prepare_parcels(gpd.GeoDataFrame(data, geometry=[g], crs=4549))
    return gdf


def check(project, p=None, **kw):
    base = {"name": "t", "decision_date": "2020-06-01", "industry_code": "39", "nuisance_class": 1}
    base.update(project)
    return checks.check(base, p if p is not None else parcel(), PARKS, RULESETS, **kw)


def item(result, ind_id):
    return next(i for i in result["indicators"] if i["id"] == ind_id)
