#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry. A developer runs this; nothing
# fetches anything at run time. Versions, licences and checksums go to static/vendor/VERSIONS.md.
#
# - leaflet: the map (/map).
# - swagger-ui-dist: the interactive API docs (/docs).
# - redoc: the API reference (/redoc). Pinned to the last 2.x: redoc 3.x sends telemetry to
#   otel.cloud.redocly.com by default and loads its logo and icons from cdn.redocly.com, which an
#   offline intranet page must not do; 2.x's standalone bundle is self-contained.
set -euo pipefail
cd "$(dirname "$0")"
LEAFLET=1.9.4
SWAGGER_UI=5.35.0
REDOC=2.5.4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

unpack() {  # unpack NAME VERSION → $tmp/NAME/package
  mkdir -p "$tmp/$1"
  (cd "$tmp/$1" && npm pack --silent "$1@$2" >/dev/null && tar xzf "$1-$2.tgz")
}

fresh() {  # fresh DIR: an empty destination folder
  rm -rf "$1"
  mkdir -p "$1"
}

unpack leaflet "$LEAFLET"
src=$tmp/leaflet/package
dest=static/vendor/leaflet
fresh "$dest"
cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$dest/"
cp -r "$src/dist/images" "$dest/"
cp "$src/LICENSE" "$dest/LICENSE"

unpack swagger-ui-dist "$SWAGGER_UI"
src=$tmp/swagger-ui-dist/package
dest=static/vendor/swagger-ui
fresh "$dest"
cp "$src/swagger-ui-bundle.js" "$src/swagger-ui-bundle.js.LICENSE.txt" "$src/swagger-ui.css" \
   "$src/favicon-32x32.png" "$src/LICENSE" "$src/NOTICE" "$dest/"

unpack redoc "$REDOC"
src=$tmp/redoc/package
dest=static/vendor/redoc
fresh "$dest"
cp "$src/bundles/redoc.standalone.js" "$src/bundles/redoc.standalone.js.LICENSE.txt" "$src/LICENSE" "$dest/"

row() {  # row PACKAGE VERSION LICENCE FILE
  echo "| $1 | $2 | $3 | $4 | $(sha256sum "static/vendor/$4" | cut -d' ' -f1) |"
}
{
  echo "# Vendored front-end assets"
  echo
  echo "Refreshed by \`web/vendor.sh\` from the npm registry; served by standardland itself under /static/vendor/."
  echo "Each file is byte-for-byte the one in the package's npm tarball (sha256 below)."
  echo "redoc is pinned to 2.x: 3.x sends telemetry and loads its logo and icons from a CDN by default."
  echo
  echo "| package | version | licence | file | sha256 |"
  echo "|---|---|---|---|---|"
  for f in leaflet.js leaflet.css; do
    row leaflet "$LEAFLET" "BSD-2-Clause (\`leaflet/LICENSE\`)" "leaflet/$f"
  done
  for f in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png; do
    row swagger-ui-dist "$SWAGGER_UI" "Apache-2.0 (\`swagger-ui/LICENSE\`, \`swagger-ui/NOTICE\`)" "swagger-ui/$f"
  done
  row redoc "$REDOC" "MIT (\`redoc/LICENSE\`)" "redoc/redoc.standalone.js"
} > static/vendor/VERSIONS.md
echo "vendored leaflet $LEAFLET, swagger-ui-dist $SWAGGER_UI, redoc $REDOC into static/vendor/"
