#!/usr/bin/env bash
# Builds the web dashboard into web/dist, which the next burnrate build compiles
# into the binary (`burnrate serve --web-dir web/dist` serves it from disk, for development).
# Runs `npm ci` only when node_modules is missing or older than package-lock.json,
# and skips the build when dist is newer than every source file. Prints the
# gzip size of the JavaScript a first load fetches and fails if it exceeds 300 KB.
# Usage: scripts/build-web.sh [--force | --deps-only]
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v npm >/dev/null; then
  echo "build-web: npm not found; run scripts/install-deps.sh (BURNRATE_WITH_BROWSER=1)" >&2
  exit 1
fi

# One npm ci at a time on this tree (a test and `make demo` may both get here).
exec 9>.npm-ci.lock
flock 9
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "build-web: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
[[ "${1:-}" == --deps-only ]] && exit 0

if [[ "${1:-}" != --force && -f dist/index.html ]] &&
   [[ -z "$(find src index.html vite.config.ts tsconfig.json package-lock.json -newer dist/index.html -print -quit)" ]]; then
  echo "build-web: web/dist is up to date"
  exit 0
fi

npm run --silent build
node scripts/size.mjs
