#!/usr/bin/env bash
# A user's import, as the issue #14 reporter ran it: the organisation-shaped
# day of `burnrate-loadgen --org` (the same events the loadgen posts) written
# as 10,000-event NDJSON files, posted by plain `curl --data-binary` from
# CLIENTS parallel clients to a real `burnrate serve`. Prints one JSON line
# with the rate. Usage:
#   bench/curl_import.sh BUILD_DIR [EVENTS (2000000)] [CLIENTS (4)]
# curl runs with its defaults (it sends `Expect: 100-continue` before each
# body over 1 MiB, and the server answers 100 at once); NO_EXPECT=1 adds
# -H 'Expect:' as docs/http-api.md suggests, for the comparison.
set -euo pipefail
BUILD=${1:-build}
EVENTS=${2:-2000000}
CLIENTS=${3:-4}
WORK=$(mktemp -d)
SERVER_PID=
trap '[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

"$BUILD/burnrate-loadgen" --mode ingest --org --users 85000 --events "$EVENTS" --batch 10000 \
  --dir "$WORK" --write-bodies "$WORK/bodies" >"$WORK/bodies.json"
KEY=$("$BUILD/burnrate" keys create --db "$WORK/import.db" --role ingest --label curl | tail -1)
VIEW=$("$BUILD/burnrate" keys create --db "$WORK/import.db" --role viewer --label curl | tail -1)
"$BUILD/burnrate" serve --db "$WORK/import.db" --listen 127.0.0.1:0 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/server.log" | head -1)
  [[ -n $PORT ]] && break
  sleep 0.1
done
[[ -n $PORT ]] || { cat "$WORK/server.log" >&2; echo "server did not start" >&2; exit 1; }

start=$(date +%s.%N)
EXPECT=() EXPECT_LABEL="curl default"
if [[ -n ${NO_EXPECT:-} ]]; then EXPECT=(-H 'Expect:') EXPECT_LABEL=off; fi
# Each file once.
ls "$WORK"/bodies/body-*.ndjson | xargs -P "$CLIENTS" -I{} \
  curl -sS --fail -o /dev/null -H "Authorization: Bearer $KEY" -H 'Content-Type: application/x-ndjson' \
  "${EXPECT[@]}" --data-binary @{} "http://127.0.0.1:$PORT/v1/events"
end=$(date +%s.%N)
accepted=$(curl -sS -H "Authorization: Bearer $VIEW" "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
  sed -n 's/^burnrate_events_accepted_total \([0-9]*\).*/\1/p' | head -1)
python3 - "$EVENTS" "$CLIENTS" "$start" "$end" "${accepted:-}" "$(cat /proc/loadavg | cut -d' ' -f1)" \
  "$EXPECT_LABEL" <<'PY'
import json, sys
events, clients, start, end, accepted, load, expect = sys.argv[1:]
secs = float(end) - float(start)
print(json.dumps({"bench": "curl_import", "events": int(events), "clients": int(clients), "expect_header": expect, "seconds": round(secs, 2),
                  "events_per_s": round(int(events) / secs), "accepted": int(accepted) if accepted else None,
                  "load_average_1m": float(load)}))
sys.exit(0 if accepted and int(accepted) == int(events) else 1)
PY
