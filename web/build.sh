#!/usr/bin/env bash
# Builds api/web/static/ from the packages package-lock.json pins (`make assets`), and
# records each built file's SHA-256 in api/web/static/SHA256SUMS, which a test checks.
# The built files are committed: installing or running the service fetches nothing.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

out=../api/web/static
rm -rf "$out/vendor" "$out/govuk" "$out/app.css"
mkdir -p "$out/vendor" "$out/govuk/images"

npx sass --pkg-importer=node --no-source-map --style=compressed app.scss "$out/app.css"
gov=node_modules/govuk-frontend/dist/govuk
cp "$gov/govuk-frontend.min.js" "$out/vendor/govuk-frontend.min.js"
cp "$gov/assets/images/favicon.ico" "$out/govuk/images/favicon.ico"
cp node_modules/htmx.org/dist/htmx.min.js "$out/vendor/htmx.min.js"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js "$out/vendor/swagger-ui-bundle.js"
cp node_modules/swagger-ui-dist/swagger-ui.css "$out/vendor/swagger-ui.css"
cp node_modules/redoc/bundles/redoc.standalone.js "$out/vendor/redoc.standalone.js"
# ReDoc's sidebar ends with Redocly's logo, fetched from cdn.redoc.ly, in a link to
# redocly.com: the one thing on the page that would reach or point at another host. That
# footer element is dropped; the build fails if this version of the bundle no longer
# matches, rather than ship a page that reaches out.
footer='n.createElement(hv,null,n.createElement("a",{target:"_blank",rel:"noopener noreferrer",href:"https://redocly.com/redoc/"},n.createElement(pw,null),"API docs by Redocly"))'
if ! grep -qF "$footer" "$out/vendor/redoc.standalone.js"; then
    echo "build: ReDoc's Redocly footer was not found; update build.sh for this version" >&2
    exit 1
fi
python3 - "$out/vendor/redoc.standalone.js" "$footer" <<'PY'
import sys
path, footer = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(text.replace(footer, "null", 1))
PY
for package in govuk-frontend htmx.org swagger-ui-dist redoc; do
    cp "node_modules/$package/LICENSE"* "$out/vendor/LICENSE.$package" 2>/dev/null || true
done

cd "$out"
find app.css vendor govuk -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum > SHA256SUMS
echo "built $(wc -l < SHA256SUMS) files into api/web/static"
