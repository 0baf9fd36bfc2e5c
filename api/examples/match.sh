#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
call -H "Content-Type: application/json" \
  --data "{\"project\": $(cat "$HERE/project.json"), \"limit\": 3}" "$BASE/api/v1/matches"
