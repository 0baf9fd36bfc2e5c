#!/usr/bin/env bash
# The workflow as an approval system drives it, draft → closed: each transition with If-Match (the
# application's ETag) and the first with an Idempotency-Key; then the audit trail, deadlines, the park
# dashboard and the documents. Three roles act: APPLICANT_TOKEN (create, submit), REVIEWER_TOKEN
# (start_review, approve, accept, review) and TOKEN, a planner (sign_agreement, start_construction,
# complete, start_production, close). The bodies are sign_agreement.json, accept.json and review.json;
# the fields of every body are in ../openapi.json (e.g. components.schemas.SignAgreementBody).
. "$(dirname "$0")/_common.sh"
: "${APPLICANT_TOKEN:?set APPLICANT_TOKEN (standardland tokens create --role applicant --name …)}"
: "${REVIEWER_TOKEN:?set REVIEWER_TOKEN (standardland tokens create --role reviewer --name …)}"
: "${TOKEN:?set TOKEN to a planner token (standardland tokens create --role planner --name …)}"
call "$BASE/api/v1/workflow" > /dev/null
body="{\"parcel_code\": \"370613004002GB10003\", \"project\": $(cat "$HERE/project.json")}"
created=$(call -H "Authorization: Bearer $APPLICANT_TOKEN" -H "Content-Type: application/json" --data "$body" \
  "$BASE/api/v1/applications")
id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
version=1

# act TOKEN ACTION [BODY-FILE] [EXTRA-CURL-ARGS…]: one transition at the current version; prints the new state
act() {
  local token=$1 action=$2 file=${3:-} data=() out
  shift $(( $# < 3 ? $# : 3 ))
  if [ -n "$file" ]; then data=(-H "Content-Type: application/json" --data @"$HERE/$file"); fi
  out=$(call -H "Authorization: Bearer $token" -H "If-Match: \"$version\"" "$@" "${data[@]}" \
    -X POST "$BASE/api/v1/applications/$id/transitions/$action")
  version=$((version + 1))
  printf '%s: %s\n' "$action" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')"
}

act "$APPLICANT_TOKEN" submit "" -H "Idempotency-Key: submit-$id"
act "$REVIEWER_TOKEN" start_review
act "$REVIEWER_TOKEN" approve
act "$TOKEN" sign_agreement sign_agreement.json
act "$TOKEN" start_construction start_construction.json
act "$TOKEN" complete complete.json
act "$REVIEWER_TOKEN" accept accept.json
act "$TOKEN" start_production
act "$REVIEWER_TOKEN" review review.json
act "$TOKEN" close
call -H "Authorization: Bearer $REVIEWER_TOKEN" "$BASE/api/v1/applications/$id/audit" > /dev/null
call -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/deadlines?overdue=true" > /dev/null
call "$BASE/api/v1/parks/yantai-hitech-intl/dashboard" > /dev/null
for kind in check agreement inspection; do
  call -H "Authorization: Bearer $REVIEWER_TOKEN" "$BASE/api/v1/applications/$id/documents/$kind?lang=en" > /dev/null
done
echo "application $id closed"
