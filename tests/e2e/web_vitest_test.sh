#!/usr/bin/env bash
# The dashboard's component tests (Vitest in jsdom): formatting, board state,
# API client, pages against a tiny in-process mock. Installs node_modules
# with `npm ci` first when they are missing or stale.
set -euo pipefail
ROOT=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT/web"
if ! command -v npm >/dev/null; then
  echo "web_vitest_test: npm is missing (run scripts/install-deps.sh)" >&2
  exit 1
fi
bash "$ROOT/scripts/build-web.sh" --deps-only
npx --no-install tsc --noEmit -p .
exec npx --no-install vitest run
