# Shared helpers of the end-to-end tests (sourced, not a test itself).
# Environment: BURNRATE (the binary), BURNRATE_SOURCE_DIR, BURNRATE_BINARY_DIR.
set -euo pipefail

: "${BURNRATE:?set BURNRATE to the burnrate binary}"
[[ -x "$BURNRATE" ]] || { echo "FAIL: $BURNRATE is not executable"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/burnrate-e2e.XXXXXX")
SERVER_PID=""
PORT=""
BASE=""

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# A command that stops the test under `set -e` says which, instead of the
# test ending without a word.
set -E
trap 'echo "FAIL: ${BASH_SOURCE[0]}:$LINENO: \`$BASH_COMMAND\` exited $?" >&2' ERR
pass() { echo "ok - $*"; }

# listening_port LOG [FROM_LINE]: the port of the first "listening on" line
# of LOG from FROM_LINE on (empty until the server printed it).
# The log may not exist yet (the server was only just started in the
# background): that is "not yet", not a failure under `set -o pipefail`.
listening_port() {
  [[ -f $1 ]] || return 0
  tail -n +"${2:-1}" "$1" 2>/dev/null | sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' | head -1 || true
}

# start_server DB [extra serve flags...]: starts `burnrate serve`, waits for
# /healthz. Sets SERVER_PID, PORT and BASE. The first start lets the server
# pick a free port (--listen 127.0.0.1:0) and reads it from the log: a port
# chosen here could be taken by a test running alongside before the server
# binds it. A restart tries $PORT first, then lets the server pick again.
start_server() {
  local db=$1; shift
  local tries=0
  while (( tries < 20 )); do
    tries=$((tries + 1))
    local from=1 listen=127.0.0.1:0
    if [[ -f "$WORK/server.log" ]]; then from=$(( $(wc -l <"$WORK/server.log") + 1 )); fi
    if [[ -n "$PORT" && $tries -eq 1 ]]; then listen="127.0.0.1:$PORT"; fi
    "$BURNRATE" serve --db "$db" --listen "$listen" "$@" >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    local i got=""
    for i in $(seq 1 200); do
      if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
      got=$(listening_port "$WORK/server.log" "$from")
      if [[ -n "$got" ]]; then
        PORT=$got
        BASE="http://127.0.0.1:$PORT"
        if curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null; then return 0; fi
      fi
      sleep 0.05
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    sleep 0.2
  done
  tail -20 "$WORK/server.log" >&2
  fail "server did not start"
}

# A graceful stop; fails the test if a sanitizer (ASan builds) reported.
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/server.log" 2>/dev/null; then
    grep -E -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/server.log" | head -40 >&2
    fail "the server reported a sanitizer error"
  fi
}

kill9_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# new_key DB ROLE [--user U]: prints a fresh API key.
new_key() {
  local db=$1 role=$2; shift 2
  "$BURNRATE" keys create --db "$db" --role "$role" --label e2e "$@" | tail -1
}

# http_status KEY METHOD PATH [curl args...]: prints the status code; the body goes to $WORK/body.
http_status() {
  local key=$1 method=$2 path=$3; shift 3
  local auth=()
  [[ -n "$key" ]] && auth=(-H "Authorization: Bearer $key")
  curl -sS -o "$WORK/body" -w '%{http_code}' -X "$method" "${auth[@]}" "$@" "$BASE$path"
}

# expect_status WANT KEY METHOD PATH [curl args...]
expect_status() {
  local want=$1; shift
  local got
  got=$(http_status "$@")
  [[ "$got" == "$want" ]] || fail "$2 $3 with key '${1:0:8}': want $want, got $got: $(head -c 300 "$WORK/body")"
}

# check_json PYTHON_EXPR: evaluates an assertion on the JSON in $WORK/body as `j`.
check_json() {
  python3 - "$WORK/body" "$1" <<'PY'
import json, sys
from decimal import Decimal
j = json.load(open(sys.argv[1]), parse_float=Decimal)
ok = eval(sys.argv[2])
if not ok:
    print("assertion failed:", sys.argv[2], "\nbody:", json.dumps(j, default=str)[:1500], file=sys.stderr)
    sys.exit(1)
PY
}
