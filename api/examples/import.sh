#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
tmp=$(mktemp --suffix=.geojson)
cat > "$tmp" <<'JSON'
{"type": "FeatureCollection", "features": [{"type": "Feature",
 "properties": {"code": "370613004009GB40002", "name": "上传示例", "status": "planned", "land_use_code": "100102"},
 "geometry": {"type": "Polygon", "coordinates": [[[121.4620, 37.4100], [121.4630, 37.4100], [121.4630, 37.4108],
 [121.4620, 37.4108], [121.4620, 37.4100]]]}}]}
JSON
call "${AUTH[@]}" -F "file=@$tmp;filename=parcels.geojson" -F mode=upsert "$BASE/api/v1/parcels/import"
call "${AUTH[@]}" -X DELETE "$BASE/api/v1/parcels/370613004009GB40002"
rm -f "$tmp"
