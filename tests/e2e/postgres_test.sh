#!/usr/bin/env bash
# burnrate on PostgreSQL (docs/scale-out.md): `serve --db postgresql://…`
# against a server this test starts itself (lib/postgres.sh):
#   1. keys are created in PostgreSQL; events posted with curl (a batch
#      posted twice counts once); the board equals the sum sent;
#   2. after a restart the board is the same, rebuilt from PostgreSQL, and
#      `burnrate events --db postgresql://…` lists each event once;
#   3. a second node on the same database: the same ids posted to both
#      nodes at once are stored once (the events table), and a node
#      restarted afterwards shows the sum sent, once;
#   4. `[store] url` in the config selects PostgreSQL too; a url that is not
#      PostgreSQL is a clear error.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib/postgres.sh"
pg_start

INGEST=$(new_key "$PG_URL" ingest)
VIEWER=$(new_key "$PG_URL" viewer)
"$BURNRATE" keys list --db "$PG_URL" | grep -q ingest || fail "keys list on PostgreSQL"
pass "keys created and listed on PostgreSQL"

# events FIRST COUNT: NDJSON usage events with ids FIRST.., 20 users.
events() {
  python3 - "$1" "$2" <<'PY'
import json, sys, time
first, count = int(sys.argv[1]), int(sys.argv[2])
now = int(time.time() * 1000)
for i in range(first, first + count):
    print(json.dumps({"id": f"e{i}", "user": f"u{i % 20}", "team": f"t{i % 4}",
                      "model": "claude-sonnet-4-5", "ts": now - (i % 3600) * 1000,
                      "input_tokens": 100 + i % 1000, "output_tokens": 10 + i % 97}))
PY
}
# tokens FIRST LAST: the sum of input+output over ids FIRST..LAST-1.
tokens() { python3 -c "import sys; a,b=map(int,sys.argv[1:]); print(sum(100+i%1000+10+i%97 for i in range(a,b)))" "$1" "$2"; }

post() {  # post BASE FIRST COUNT
  events "$2" "$3" >"$WORK/batch_$2.ndjson"
  curl -fsS -o /dev/null -H "Authorization: Bearer $INGEST" -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$WORK/batch_$2.ndjson" "$1/v1/events"
}

# board_total BASE: the org board's total tokens over all time.
board_total() {
  curl -fsS -H "Authorization: Bearer $VIEWER" "$1/v1/leaderboard?entity=team&window=all&metric=tokens&limit=100" |
    python3 -c 'import json,sys; print(sum(e["total_tokens"] for e in json.load(sys.stdin)["entries"]))'
}

wait_total() {  # wait_total BASE WANT WHAT
  local got="" i
  for i in $(seq 1 50); do
    got=$(board_total "$1")
    [[ "$got" == "$2" ]] && return 0
    sleep 0.1
  done
  fail "$3: board total $got, want $2"
}

# 1. One node on PostgreSQL.
start_server "$PG_URL"
grep -q "postgresql://" "$WORK/server.log" || fail "serve does not say which database"
post "$BASE" 0 1000
post "$BASE" 500 1000   # 500..999 again: duplicates
post "$BASE" 0 1000     # all again
WANT=$(tokens 0 1500)
wait_total "$BASE" "$WANT" "one node"
pass "events posted with curl to serve --db postgresql://: board $WANT tokens, duplicates once"

# 2. Restart: the board is rebuilt from PostgreSQL.
stop_server
start_server "$PG_URL"
wait_total "$BASE" "$WANT" "after a restart"
N=$("$BURNRATE" events --db "$PG_URL" --count)
[[ "$N" == 1500 ]] || fail "burnrate events --count: $N, want 1500"
"$BURNRATE" events --db "$PG_URL" >"$WORK/events.ndjson"
python3 - "$WORK/events.ndjson" <<'PY' || fail "burnrate events: ids not each once"
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()]
assert len(ids) == 1500 and len(set(ids)) == 1500, (len(ids), len(set(ids)))
assert set(ids) == {f"e{i}" for i in range(1500)}
PY
pass "after a restart: board $WANT, burnrate events lists 1500 events, each once"

# 3. A second node on the same database; overlapping ids posted to both at once.
A_PID=$SERVER_PID A_BASE=$BASE
SERVER_PID="" PORT=""
mv "$WORK/server.log" "$WORK/server_a.log"
start_server "$PG_URL"
B_PID=$SERVER_PID B_BASE=$BASE
POSTS=()
for k in 0 1 2 3; do
  post "$A_BASE" $((1500 + k * 250)) 500 & POSTS+=($!)
  post "$B_BASE" $((1500 + k * 250)) 500 & POSTS+=($!)
done
for p in "${POSTS[@]}"; do wait "$p" || fail "a post to one of the two nodes failed"; done
WANT=$(tokens 0 2750)
N=$("$BURNRATE" events --db "$PG_URL" --count)
[[ "$N" == 2750 ]] || fail "two nodes: $N events stored, want 2750"
kill -TERM "$A_PID"; wait "$A_PID" 2>/dev/null || true
stop_server
start_server "$PG_URL"
wait_total "$BASE" "$WANT" "a node restarted after two nodes posted duplicates"
pass "two nodes, same ids at once: 2750 events stored once; a restarted node's board $WANT"
stop_server

# 4. [store] url.
printf '[store]\nurl = "%s"\n' "$PG_URL" >"$WORK/pg.toml"
"$BURNRATE" serve --config "$WORK/pg.toml" --listen 127.0.0.1:0 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do PORT=$(listening_port "$WORK/server.log"); [[ -n "$PORT" ]] && break; sleep 0.05; done
[[ -n "$PORT" ]] || { cat "$WORK/server.log" >&2; fail "serve --config with [store] url did not start"; }
wait_total "http://127.0.0.1:$PORT" "$WANT" "[store] url"
stop_server
printf '[store]\nurl = "/tmp/x.db"\n' >"$WORK/bad.toml"
if "$BURNRATE" serve --config "$WORK/bad.toml" --listen 127.0.0.1:0 >"$WORK/bad.log" 2>&1; then fail "bad url accepted"; fi
grep -q "store.url must be a postgresql:// URL" "$WORK/bad.log" || { cat "$WORK/bad.log" >&2; fail "bad url: unclear error"; }
pass "[store] url selects PostgreSQL; a url that is not PostgreSQL is refused"
