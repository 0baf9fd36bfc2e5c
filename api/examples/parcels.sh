#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
CODE=370613004009GB40001
FEATURE='{"type": "Feature", "properties": {"code": "'$CODE'", "name": "示例新增地块", "status": "planned",
  "land_use_code": "100101", "land_grade": 7},
  "geometry": {"type": "Polygon", "coordinates": [[[121.4600, 37.4100], [121.4610, 37.4100],
  [121.4610, 37.4108], [121.4600, 37.4108], [121.4600, 37.4100]]]}}'
call "$BASE/api/v1/parcels?status=published"
call "${AUTH[@]}" -H "Content-Type: application/json" --data "$FEATURE" "$BASE/api/v1/parcels"
call "${AUTH[@]}" -X PATCH -H "Content-Type: application/json" \
  --data '{"status": "serviced", "far_min": 1.2}' "$BASE/api/v1/parcels/$CODE"
call "${AUTH[@]}" -X PUT -H "Content-Type: application/json" --data "$FEATURE" "$BASE/api/v1/parcels/$CODE"
call "$BASE/api/v1/parcels/$CODE"
call "${AUTH[@]}" -X DELETE "$BASE/api/v1/parcels/$CODE"
