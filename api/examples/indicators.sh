#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
call "$BASE/api/v1/parcels/370613004002GB10001/indicators?date=2024-01-01&industry_code=39"
