#!/usr/bin/env bash
# Dashboard end-to-end: builds web/dist if needed, then drives chromium
# through playwright-core against a real `burnrate serve` seeded by
# `burnrate simulate` (see web/e2e/run.mjs). Screenshots: build/screenshots/.
set -euo pipefail
ROOT=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export BURNRATE=${BURNRATE:-$ROOT/build/burnrate}
export SCREENSHOTS=${SCREENSHOTS:-${BURNRATE_BINARY_DIR:-$ROOT/build}/screenshots}
export WEB_DIR=${WEB_DIR:-$ROOT/web/dist}

for need in node npm /usr/bin/chromium "$BURNRATE"; do
  if ! command -v "$need" >/dev/null; then
    echo "web_dashboard_test: $need is missing (run scripts/install-deps.sh and build burnrate)" >&2
    exit 1
  fi
done

bash "$ROOT/scripts/build-web.sh"
cd "$ROOT/web"
exec node e2e/run.mjs
