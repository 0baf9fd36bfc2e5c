#!/usr/bin/env bash
. "$(dirname "$0")/_common.sh"
"${CURL[@]}" "$BASE/ogc"
"${CURL[@]}" "$BASE/ogc/conformance"
"${CURL[@]}" "$BASE/ogc/collections"
