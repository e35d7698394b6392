#!/usr/bin/env bash
# make cluster-demo (scripts/cluster-demo.sh), run without a terminal: it
# comes up (PostgreSQL, Redis, three nodes, nginx), events posted through
# nginx are stored once in the shared PostgreSQL and counted on a board read
# through nginx, and SIGINT (Ctrl-C) stops every process it started.
source "$(dirname "$0")/lib.sh"
for d in /usr/lib/postgresql/{17,16,15,14}/bin; do [[ -x $d/initdb ]] && PG=1; done
[[ -n ${PG:-} ]] || { echo "SKIP: PostgreSQL server binaries not found (scripts/install-deps.sh)"; exit 77; }
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || { echo "SKIP: nginx not installed (scripts/install-deps.sh)"; exit 77; }
DEMO_PID=""
trap '[[ -n $DEMO_PID ]] && kill -TERM $DEMO_PID 2>/dev/null; wait 2>/dev/null; cleanup' EXIT

chmod 755 "$WORK"   # PostgreSQL runs as nobody when root
NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SRC=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CLUSTER_DEMO_DIR="$WORK/cluster" CLUSTER_DEMO_USERS=30 CLUSTER_DEMO_DAYS=2 \
  setsid python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp("bash", ["bash"] + sys.argv[1:])' \
  "$SRC/scripts/cluster-demo.sh" "$(dirname "$BURNRATE")" "$NGINX_PORT" >"$WORK/demo.out" 2>&1 &
DEMO_PID=$!   # a background job ignores SIGINT unless reset (above), as a terminal's would not
for _ in $(seq 1 1200); do
  grep -q "Press Ctrl-C to stop" "$WORK/demo.out" && break
  kill -0 "$DEMO_PID" 2>/dev/null || { cat "$WORK/demo.out" >&2; fail "cluster-demo exited before it was ready"; }
  sleep 0.1
done
grep -q "Press Ctrl-C to stop" "$WORK/demo.out" || { cat "$WORK/demo.out" >&2; fail "cluster-demo not ready in 120 s"; }
BASE="http://127.0.0.1:$NGINX_PORT"
grep -q "nginx on $BASE in front of three nodes" "$WORK/demo.out" || fail "no URL printed"
KEY=$(sed -n 's/^  Admin key:  //p' "$WORK/demo.out")
DB=$(sed -n 's/^  Database:   \(postgresql:[^ ]*\).*/\1/p' "$WORK/demo.out")
[[ $KEY == br_* && -n $DB ]] || { cat "$WORK/demo.out" >&2; fail "no admin key or database printed"; }
grep -c "server 127.0.0.1:" "$WORK/cluster/nginx/nginx.conf" | grep -qx 3 || fail "nginx upstream is not the three nodes"
pass "cluster-demo is up: nginx on $BASE, three nodes, a simulated organisation loaded"

# 30 batches of 100 events of a project of their own, each posted twice,
# spread by nginx over the nodes; each event stored once.
for b in $(seq 0 29); do
  python3 - "$b" >"$WORK/b$b.ndjson" <<'PY'
import json, sys, time
b = int(sys.argv[1]); now = int(time.time() * 1000)
for i in range(100):
    print(json.dumps({"id": f"smoke-{b}-{i}", "user": f"smoke-u{i % 5}", "team": "smoke", "project": "smoke-proj",
                      "model": "claude-sonnet-4-5", "ts": now - i * 1000, "input_tokens": 1000, "output_tokens": 10}))
PY
done
for round in 1 2; do
  for b in $(seq 0 29); do
    code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
      --data-binary @"$WORK/b$b.ndjson" "$BASE/v1/events")
    [[ $code == 200 ]] || fail "POST through nginx: $code"
  done
done
N=$("$BURNRATE" events --db "$DB" | grep -c '"smoke-' || true)
[[ $N == 3000 ]] || fail "events posted twice through nginx: $N stored, want 3000"
BASE="http://127.0.0.1:$NGINX_PORT"
expect_status 200 "$KEY" GET "/v1/leaderboard?entity=team&window=7d&metric=tokens&limit=100"
check_json 'any(e["total_tokens"] > 0 for e in j["entries"] if "smoke" in json.dumps(e, default=str))'
pass "3000 events posted twice through nginx: stored once in PostgreSQL; a board read through nginx counts them"

kill -INT "$DEMO_PID"
for _ in $(seq 1 300); do kill -0 "$DEMO_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DEMO_PID" 2>/dev/null && fail "cluster-demo did not stop on SIGINT"
wait "$DEMO_PID" || fail "cluster-demo exited non-zero on SIGINT"
DEMO_PID=""
grep -q "^stopped." "$WORK/demo.out" || fail "no clean stop"
left=$(pgrep -f "$WORK/cluster" || true)
[[ -z $left ]] || fail "processes left after Ctrl-C: $(ps -o pid,args -p ${left//$'\n'/,})"
curl -s -o /dev/null "$BASE/healthz" && fail "nginx still answers after Ctrl-C"
RPORT=$(sed -n 's/.*Redis on :\([0-9]*\)\..*/\1/p' "$WORK/demo.out")
[[ -n $RPORT ]] && redis-cli -p "$RPORT" ping >/dev/null 2>&1 && fail "Redis still answers after Ctrl-C"
[[ -d $WORK/cluster/pg/data && ! -f $WORK/cluster/pg/data/postmaster.pid ]] || fail "PostgreSQL was not stopped"
pass "Ctrl-C stops nginx, the three nodes, Redis and PostgreSQL"
