#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
"${CURL[@]}" "$BASE/api/v1/rulesets"
"${CURL[@]}" "$BASE/api/v1/rulesets/national-2008"
"${CURL[@]}" "${AUTH[@]}" -H "Content-Type: application/json" --data @"$HERE/ruleset.json" "$BASE/api/v1/rulesets"
