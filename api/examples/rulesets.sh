#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
call "$BASE/api/v1/rulesets"
call "$BASE/api/v1/rulesets/national-2008"
call "${AUTH[@]}" -H "Content-Type: application/json" --data @"$HERE/ruleset.json" "$BASE/api/v1/rulesets"
