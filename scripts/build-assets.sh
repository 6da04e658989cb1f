#!/bin/sh
# Build GOV.UK Frontend, MOJ Frontend and the accessible autocomplete into static/build/
# (ignored by git).
# Run from anywhere after `npm ci`; running it twice gives the same result.
set -eu

cd "$(dirname "$0")/.."

GOVUK=node_modules/govuk-frontend/dist/govuk
MOJ=node_modules/@ministryofjustice/frontend/moj
AUTOCOMPLETE=node_modules/accessible-autocomplete/dist
OUT=static/build

if [ ! -d "$GOVUK" ] || [ ! -d "$MOJ" ] || [ ! -d "$AUTOCOMPLETE" ] \
    || [ ! -x node_modules/.bin/sass ]; then
    echo "build-assets: node_modules is incomplete; run 'npm ci' first." >&2
    exit 1
fi

rm -rf "$OUT/assets" "$OUT/js" "$OUT/css"
mkdir -p "$OUT/assets/images" "$OUT/js" "$OUT/css"

# Images and the web manifest the stylesheets and <head> refer to. Fonts are left out:
# this is not a GOV.UK service, so it may not use GDS Transport.
cp "$GOVUK"/assets/images/* "$MOJ"/assets/images/* "$OUT/assets/images/"
cp "$GOVUK/assets/manifest.json" "$OUT/assets/manifest.json"

# One stylesheet, from static/src/application.scss. MOJ's Sass refers to
# "node_modules/govuk-frontend/...", hence the project root as a second load path; both routes
# reach the same files, so Sass loads each module once.
node_modules/.bin/sass \
    --load-path=node_modules --load-path=. --no-source-map --style=compressed --quiet-deps \
    static/src/application.scss "$OUT/css/application.css"

# GOV.UK and MOJ Frontend ship ES module bundles; one small entry module starts both.
for file in "$GOVUK/govuk-frontend.min.js" "$GOVUK/govuk-frontend.min.js.map" \
    "$MOJ/moj-frontend.min.js" "$MOJ/moj-frontend.min.js.map"; do
    cp "$file" "$OUT/js/"
done
cat > "$OUT/js/application.mjs" <<'JS'
import { initAll as initGovukFrontend } from "./govuk-frontend.min.js";
import { FilterToggleButton, initAll as initMojFrontend } from "./moj-frontend.min.js";

initGovukFrontend();
initMojFrontend();

// MOJ Frontend leaves its filter toggle out of initAll. Started here, it tucks a filter panel
// behind a "Show filter" button on narrow screens; without scripts the filter sits above the list.
for (const filter of document.querySelectorAll('[data-module="moj-filter"]')) {
  new FilterToggleButton(filter);
}
JS

# The accessible autocomplete, for the few pages that load it themselves (it is not part of
# application.mjs), and the module that enhances their selects with it.
for file in "$AUTOCOMPLETE/accessible-autocomplete.min.js" \
    "$AUTOCOMPLETE/accessible-autocomplete.min.js.map"; do
    cp "$file" "$OUT/js/"
done
# With its source map: the production static storage follows the map comment and fails without it.
cp "$AUTOCOMPLETE/accessible-autocomplete.min.css" "$AUTOCOMPLETE/accessible-autocomplete.min.css.map" \
    "$OUT/css/"
cp static/src/autocomplete.mjs "$OUT/js/autocomplete.mjs"

# The classes GOV.UK Frontend's styles key on, set by a file before the first paint (the
# Content-Security-Policy allows no inline script).
cp static/src/govuk-frontend-supported.js "$OUT/js/govuk-frontend-supported.js"

echo "build-assets: built $OUT"
