#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry. A developer runs this; nothing
# fetches anything at run time. Versions, licences and checksums go to static/vendor/VERSIONS.md.
set -euo pipefail
cd "$(dirname "$0")"
LEAFLET=1.9.4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "leaflet@$LEAFLET" >/dev/null && tar xzf "leaflet-$LEAFLET.tgz")
dest=static/vendor/leaflet
rm -rf "$dest"
mkdir -p "$dest"
cp "$tmp/package/dist/leaflet.js" "$tmp/package/dist/leaflet.css" "$dest/"
cp -r "$tmp/package/dist/images" "$dest/"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
{
  echo "# Vendored front-end assets"
  echo
  echo "Refreshed by \`web/vendor.sh\` from the npm registry; served by standardland itself under /static/vendor/."
  echo
  echo "| package | version | licence | file | sha256 |"
  echo "|---|---|---|---|---|"
  for f in leaflet.js leaflet.css; do
    echo "| leaflet | $LEAFLET | BSD-2-Clause (\`leaflet/LICENSE\`) | leaflet/$f | $(sha256sum "$dest/$f" | cut -c1-16)… |"
  done
} > static/vendor/VERSIONS.md
echo "vendored leaflet $LEAFLET into $dest"
