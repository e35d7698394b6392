# Shared helpers for end-to-end tests that run a real `burnrate serve`.
# Source it; it defines start_server, stop_server and api. Needs $BURNRATE.
#   start_server DIR [extra serve flags...]  -> sets PORT, BASE, KEY, SERVER_PID
set -euo pipefail

start_server() {
  local dir=$1
  shift
  KEY=$("$BURNRATE" keys create --db "$dir/b.db" --role admin --label e2e)
  if [ $# -eq 0 ]; then set -- --db "$dir/b.db" --listen 127.0.0.1:0; fi
  : >"$dir/serve.log"  # truncate now: a restart must not read the last run's port
  PORT=
  "$BURNRATE" serve "$@" >"$dir/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/serve.log" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/serve.log" >&2; return 1; }
    sleep 0.05
  done
  [ -n "$PORT" ] || { echo "server did not start" >&2; cat "$dir/serve.log" >&2; return 1; }
  BASE="http://127.0.0.1:$PORT"
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}

# api METHOD PATH [curl args...]: prints the body; fails on HTTP >= 400.
api() {
  local method=$1 path=$2
  shift 2
  curl -sS --fail-with-body -X "$method" -H "Authorization: Bearer $KEY" "$BASE$path" "$@"
}
