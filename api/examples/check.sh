#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
"${CURL[@]}" -H "Content-Type: application/json" --data @"$HERE/check.json" "$BASE/api/v1/checks"
