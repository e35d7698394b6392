#!/usr/bin/env bash
# Re-measures the HTTP check endpoint against the real `burnrate serve`
# (docs/PERFORMANCE.md, "HTTP check endpoint"): checks/s and p99 with wrk.
#
#   bench/wrk/check_bench.sh [RUNS] [SECONDS]      # defaults: 3 runs of 10 s
#
# Phase 1, fresh: RUNS times, a new server on an empty database, one wrk run
# of checks only (no settles, so every check leaves a reservation).
# Phase 2, outstanding: one server, filled with unsettled reservations until
# more than FILL (default 1,100,000) are outstanding (read from /metrics),
# then RUNS measured wrk runs back to back on that server.
# Each run prints one line: phase, run, checks/s, p50, p99, outstanding
# reservations before the run, and the load average. Exits 1 if any run is
# under 50,000 checks/s or at p99 >= 2 ms.
#
# Env: BURNRATE (binary, default build/burnrate), CONN (wrk connections, 8),
# FILL, PORT (default 18778). Runs under flock /tmp/burnrate-bench.lock so it
# never overlaps another benchmark on the shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
SECS=${2:-10}
BURNRATE=${BURNRATE:-build/burnrate}
CONN=${CONN:-8}
FILL=${FILL:-1100000}
PORT=${PORT:-18778}
CONFIG=bench/wrk/check_config.toml
command -v wrk >/dev/null || { echo "check_bench: wrk missing (scripts/install-deps.sh)" >&2; exit 2; }
[[ -x $BURNRATE ]] || { echo "check_bench: $BURNRATE missing (cmake --build build --target burnrate)" >&2; exit 2; }

if [[ -z ${CHECK_BENCH_LOCKED:-} ]]; then
  export CHECK_BENCH_LOCKED=1
  exec flock /tmp/burnrate-bench.lock "$0" "$@"
fi

TMP=$(mktemp -d)
SERVER=""
cleanup() {
  [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

start_server() {  # fresh database, keys in $KEY / $VIEW
  stop_server
  rm -f "$TMP"/w.db*
  KEY=$("$BURNRATE" keys create --db "$TMP/w.db" --role ingest)
  VIEW=$("$BURNRATE" keys create --db "$TMP/w.db" --role viewer)
  "$BURNRATE" serve --config "$CONFIG" --db "$TMP/w.db" --listen 127.0.0.1:$PORT >"$TMP/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do
    curl -sf http://127.0.0.1:$PORT/readyz >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "check_bench: server did not start" >&2; cat "$TMP/serve.log" >&2; exit 2
}
stop_server() {
  if [[ -n $SERVER ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=""; fi
}
outstanding() {
  curl -sf -H "Authorization: Bearer $VIEW" http://127.0.0.1:$PORT/metrics |
    awk '/^burnrate_governance_reservations_outstanding /{print $2}'
}
FAILED=0
measure() {  # phase run
  local before out rps p50 p99 p99us
  before=$(outstanding)
  out=$(BURNRATE_KEY=$KEY wrk -t1 -c"$CONN" -d"${SECS}s" --latency -s bench/wrk/check_only.lua http://127.0.0.1:$PORT)
  rps=$(awk '/^Requests\/sec:/{printf "%d", $2}' <<<"$out")
  p50=$(awk '$1=="50%"{print $2}' <<<"$out")
  p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  p99us=$(awk -v v="$p99" 'BEGIN{ if (v ~ /us$/) print v+0; else if (v ~ /ms$/) print (v+0)*1000; else print (v+0)*1e6 }')
  local non2xx
  non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
  local verdict=ok
  if ((rps < 50000)) || awk -v p="$p99us" 'BEGIN{exit !(p >= 2000)}' || [[ -n $non2xx ]]; then verdict=FAIL; FAILED=1; fi
  printf '%-12s run %d  %6d checks/s  p50 %-8s p99 %-8s outstanding before %-8s %s  load %s\n' \
    "$1" "$2" "$rps" "$p50" "$p99" "${before:-?}" "$verdict${non2xx:+ non2xx=$non2xx}" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "# check_bench: $RUNS x ${SECS}s, $CONN connections, $(date -u +%FT%TZ)"
for i in $(seq "$RUNS"); do
  start_server
  measure fresh "$i"
done

start_server
while :; do
  n=$(outstanding)
  ((n > FILL)) && break
  BURNRATE_KEY=$KEY wrk -t1 -c"$CONN" -d5s -s bench/wrk/check_only.lua http://127.0.0.1:$PORT >/dev/null
done
for i in $(seq "$RUNS"); do
  measure outstanding "$i"
done
stop_server
exit $FAILED
