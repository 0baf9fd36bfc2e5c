#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
call -H "Content-Type: application/json" --data @"$HERE/check.json" "$BASE/api/v1/checks"
