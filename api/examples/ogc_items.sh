#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
# parcels intersecting a box (CRS84: minLon,minLat,maxLon,maxLat), 5 per page, published only
call "$BASE/ogc/collections/parcels/items?bbox=121.40,37.39,121.47,37.43&limit=5&status=published"
# one parcel in CGCS2000 (EPSG:4490, latitude first)
call "$BASE/ogc/collections/parcels/items/370613004002GB10001?crs=http://www.opengis.net/def/crs/EPSG/0/4490"
