#!/usr/bin/env bash
# Live boards at scale: 200 SSE subscribers to /v1/stream/leaderboard, five
# events posted; every subscriber must see each event within 1 second of
# its acknowledgement (tests/e2e/sse/fanout.mjs prints the latencies).
set -euo pipefail
ROOT=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BURNRATE=${BURNRATE:-$ROOT/build/burnrate}
source "$ROOT/tests/e2e/lib/serve.sh"
WORK=$(mktemp -d)
trap 'stop_server; rm -rf "$WORK"' EXIT
command -v node >/dev/null || { echo "sse_fanout_test: node is missing (scripts/install-deps.sh)" >&2; exit 1; }
ulimit -n 4096 2>/dev/null || true
start_server "$WORK"
node "$ROOT/tests/e2e/sse/fanout.mjs" "$BASE" "$KEY" "${SSE_SUBSCRIBERS:-200}" "${SSE_ROUNDS:-5}"
echo "sse_fanout_test: ok"
