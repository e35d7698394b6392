#!/usr/bin/env bash
# A CUMULATIVE series across a server restart: the running total reported
# after the restart must count only its increase (the series state is
# durable), and a retried body must not count twice.
set -euo pipefail
ROOT=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BURNRATE=${BURNRATE:-$ROOT/build/burnrate}
source "$ROOT/tests/e2e/lib/serve.sh"
WORK=$(mktemp -d)
trap 'stop_server; rm -rf "$WORK"' EXIT

now_ns=$(( $(date +%s) * 1000000000 ))
start_ns=$(( now_ns - 600000000000 ))
body() {  # body VALUE TIME_NS
  cat <<JSON
{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
 "scopeMetrics":[{"metrics":[{"name":"claude_code.token.usage","sum":{"aggregationTemporality":2,"isMonotonic":true,
 "dataPoints":[{"attributes":[{"key":"user.email","value":{"stringValue":"cum@example.com"}},
   {"key":"session.id","value":{"stringValue":"s1"}},{"key":"type","value":{"stringValue":"output"}},
   {"key":"model","value":{"stringValue":"claude-sonnet-4-5"}}],
  "startTimeUnixNano":"$start_ns","timeUnixNano":"$2","asInt":"$1"}]}}]}]}]}
JSON
}
post() { api POST /v1/otlp/v1/metrics -H 'Content-Type: application/json' --data-binary @- >/dev/null; }
output_tokens() {
  for _ in $(seq 1 40); do
    v=$(api GET '/v1/leaderboard?entity=user&window=24h&metric=tokens' |
      sed -n 's/.*"id":"cum@example.com"[^}]*"output_tokens":\([0-9]*\).*/\1/p')
    [ "${v:-}" = "$1" ] && { echo "$v"; return 0; }
    sleep 0.1
  done
  echo "${v:-none}"
}

start_server "$WORK"
body 100 $((now_ns - 120000000000)) | post
body 100 $((now_ns - 120000000000)) | post   # a retry of the same export
[ "$(output_tokens 100)" = 100 ] || { echo "before restart: expected 100" >&2; exit 1; }
stop_server

start_server "$WORK"
body 250 $((now_ns - 60000000000)) | post
got=$(output_tokens 250)
[ "$got" = 250 ] || { echo "after restart: expected 250 output tokens, got $got" >&2; exit 1; }
echo "otlp_restart_test: ok"
