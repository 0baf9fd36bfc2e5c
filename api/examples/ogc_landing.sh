#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
call "$BASE/ogc"
call "$BASE/ogc/conformance"
call "$BASE/ogc/collections"
