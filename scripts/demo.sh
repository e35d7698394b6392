#!/usr/bin/env bash
# make demo: a server on an embedded SQLite file with a simulated
# organisation streaming live events. Ctrl-C stops everything. The dashboard
# is the one compiled into the binary (make demo builds web/dist first).
set -euo pipefail
BUILD=${1:-build}
PORT=${2:-8080}
BIN=$BUILD/burnrate
DIR=.demo
mkdir -p "$DIR"
rm -f "$DIR"/demo.db*
KEY=$("$BIN" keys create --db "$DIR/demo.db" --role admin --label demo)
VIEWER=$("$BIN" keys create --db "$DIR/demo.db" --role viewer --label demo-viewer)
# 300 labelled personas (farmers among them) give the review queue work; their
# declared batch jobs are exempt, as the labels say.
"$BIN" simulate --personas --users 300 --days 2 --seed 7 --out "$DIR/personas.ndjson" --labels "$DIR/labels.ndjson" >/dev/null
EXEMPT=$(grep '"exempt":true' "$DIR/labels.ndjson" | sed 's/.*"user":"\([^"]*\)".*/"\1"/' | paste -sd, - || true)
printf '[detection]\nexempt = [%s]\n' "$EXEMPT" > "$DIR/demo.toml"
"$BIN" serve --config "$DIR/demo.toml" --db "$DIR/demo.db" --listen "127.0.0.1:$PORT" > "$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER ${LIVE:-} 2>/dev/null || true; wait 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
echo "simulating 1,000 users over 14 days, and 300 labelled personas over 2..."
"$BIN" simulate --users 1000 --days 14 --seed 7 --server "http://127.0.0.1:$PORT" --key "$KEY"
"$BIN" ingest "$DIR/personas.ndjson" --server "http://127.0.0.1:$PORT" --key "$KEY" >/dev/null
"$BIN" simulate --users 1000 --days 0 --seed 7 --server "http://127.0.0.1:$PORT" --key "$KEY" --live > "$DIR/live.log" 2>&1 &
LIVE=$!
"$BIN" top --server "http://127.0.0.1:$PORT" --key "$VIEWER" --limit 10
cat <<MSG

burnrate demo is running.
  Dashboard:  http://127.0.0.1:$PORT/   (log in with a key below)
  Admin key:  $KEY
  Viewer key: $VIEWER
  API:        curl -H "Authorization: Bearer $VIEWER" "http://127.0.0.1:$PORT/v1/leaderboard?window=7d&metric=cost"
  Metrics:    curl -H "Authorization: Bearer $VIEWER" http://127.0.0.1:$PORT/metrics
  Flags:      the review queue fills within a minute (the farmers' ground truth: $DIR/labels.ndjson)
Live events keep arriving. Press Ctrl-C to stop.
MSG
wait $SERVER
