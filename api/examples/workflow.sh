#!/usr/bin/env bash
# The workflow as an approval system drives it: create → submit → review → approve, with ETag/If-Match
# and an Idempotency-Key. Needs APPLICANT_TOKEN and REVIEWER_TOKEN (or TOKEN with role admin).
. "$(dirname "$0")/_common.sh"
A=${APPLICANT_TOKEN:-${TOKEN:-}}
R=${REVIEWER_TOKEN:-${TOKEN:-}}
"${CURL[@]}" "$BASE/api/v1/workflow" > /dev/null
body="{\"parcel_code\": \"370613004002GB10003\", \"project\": $(cat "$HERE/project.json")}"
created=$("${CURL[@]}" -H "Authorization: Bearer $A" -H "Content-Type: application/json" --data "$body" \
  "$BASE/api/v1/applications")
id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"${CURL[@]}" -H "Authorization: Bearer $A" -H 'If-Match: "1"' -H "Idempotency-Key: submit-$id" \
  -X POST "$BASE/api/v1/applications/$id/transitions/submit"
"${CURL[@]}" -H "Authorization: Bearer $R" -H 'If-Match: "2"' -X POST "$BASE/api/v1/applications/$id/transitions/start_review"
"${CURL[@]}" -H "Authorization: Bearer $R" -H 'If-Match: "3"' -X POST "$BASE/api/v1/applications/$id/transitions/approve"
"${CURL[@]}" -H "Authorization: Bearer $R" "$BASE/api/v1/applications/$id/audit"
"${CURL[@]}" -H "Authorization: Bearer $R" "$BASE/api/v1/deadlines?overdue=true"
"${CURL[@]}" "$BASE/api/v1/parks/yantai-hitech-intl/dashboard"
"${CURL[@]}" -H "Authorization: Bearer $R" -o /dev/null "$BASE/api/v1/applications/$id/documents/check?lang=en"
