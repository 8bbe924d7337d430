#!/usr/bin/env bash
# Builds Roundtable's committed front-end assets. Run from anywhere:
#   bash server/web/build.sh
set -euo pipefail

web_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
server_dir="$(dirname "$web_dir")"
repo_dir="$(dirname "$server_dir")"
assets_dir="$server_dir/assets"
test_assets_dir="$repo_dir/tests/assets"

cd "$web_dir"

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --ignore-scripts
fi

mkdir -p "$assets_dir" "$test_assets_dir"

node_modules/.bin/sass \
  --style=compressed \
  --no-source-map \
  --load-path=node_modules \
  scss/roundtable.scss "$assets_dir/roundtable.css"

cp js/roundtable.js "$assets_dir/roundtable.js"
# The govuk-frontend npm package ships no licence file (its README says MIT),
# so use the package's own file if a future version has one, else our copy of
# LICENSE.txt from github.com/alphagov/govuk-frontend.
govuk_licence="$(ls node_modules/govuk-frontend/LICENSE* 2>/dev/null | head -n 1 || true)"
cp "${govuk_licence:-govuk-frontend.LICENSE}" "$assets_dir/govuk-frontend.LICENSE"
cp node_modules/axe-core/axe.min.js "$test_assets_dir/axe.min.js"
cp node_modules/axe-core/LICENSE "$test_assets_dir/axe-core.LICENSE"

# The stylesheet must not point at files we do not ship (GOV.UK fonts, crown).
if grep -q 'url(' "$assets_dir/roundtable.css"; then
  echo "error: roundtable.css contains url(…); check the govuk-frontend settings" >&2
  grep -o 'url([^)]*)' "$assets_dir/roundtable.css" >&2
  exit 1
fi
if grep -q 'GDS Transport' "$assets_dir/roundtable.css"; then
  echo "error: roundtable.css mentions GDS Transport" >&2
  exit 1
fi

echo "built: $assets_dir/roundtable.css ($(wc -c <"$assets_dir/roundtable.css") bytes)"
