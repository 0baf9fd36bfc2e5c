#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
call "${AUTH[@]}" -H "Content-Type: application/json" --data '{
  "rows": [{"decision_date": "2024-01-01", "industry_code": "39", "far": 1.5, "parcel_code": "370613004002GB10001"},
           {"decision_date": "2019-05-01", "industry_name": "家具制造业", "far": 0.7}],
  "indicators": ["far"]}' "$BASE/api/v1/screenings"
tmp=$(mktemp --suffix=.csv)
printf 'id,decision_date,industry_code,far\nA,2024-01-01,29,0.9\nB,2024-01-01,291,0.9\n' > "$tmp"
call "${AUTH[@]}" -F "file=@$tmp;filename=projects.csv" "$BASE/api/v1/screenings/upload"
rm -f "$tmp"
