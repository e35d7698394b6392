#!/usr/bin/env bash
# End to end: two burnrate nodes sharing their limits through one Redis
# (governance.limit_store). Concurrent checks spread over both nodes admit
# exactly one budget's worth (not one per node); concurrency slots are
# shared too; with Redis down a node denies (fail closed) and a node
# configured with limit_store_unavailable = "allow" allows; events are
# still taken; Redis started again is used again without a node restart.
source "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || fail "redis-server missing (scripts/install-deps.sh)"

REDIS_PID=""
NODE_B=""
trap 'kill $REDIS_PID 2>/dev/null || true; [[ -n $NODE_B ]] && kill -9 $NODE_B 2>/dev/null; cleanup' EXIT
# A random port may be taken (another test's server): then this redis exits
# and another port is tried; only an answer from our own redis (its
# process_id) counts.
for attempt in 1 2 3 4 5; do
  RPORT=$((41000 + RANDOM % 9000))
  redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  up=""
  for i in $(seq 1 100); do
    kill -0 "$REDIS_PID" 2>/dev/null || break
    info=$(redis-cli -p "$RPORT" info server 2>/dev/null || true)
    [[ $info == *"process_id:$REDIS_PID"$'\r'* ]] && { up=1; break; }
    sleep 0.05
  done
  [[ -n $up ]] && break
  kill "$REDIS_PID" 2>/dev/null || true
  REDIS_PID=""
done
[[ -n $REDIS_PID ]] || fail "redis-server did not start (see $WORK/redis.log)"

write_config() {  # file, extra [governance] lines
  cat >"$1" <<EOF2
[governance]
limit_store = "redis://127.0.0.1:$RPORT/0"
$2

[[governance.budget]]
id = "team-tokens"
scope = "team"
subject = "core"
limit_tokens = 100000
period = "month"

[[governance.rate_limit]]
id = "one-at-a-time"
scope = "user"
subject = "solo"
max_concurrent = 1
EOF2
}
write_config "$WORK/a.toml" ""
write_config "$WORK/b.toml" 'limit_store_unavailable = "allow"'

KEY_A=$(new_key "$WORK/a.db" ingest)
KEY_B=$(new_key "$WORK/b.db" ingest)
"$BURNRATE" serve --db "$WORK/b.db" --listen 127.0.0.1:0 --config "$WORK/b.toml" >>"$WORK/server_b.log" 2>&1 &
NODE_B=$!
start_server "$WORK/a.db" --config "$WORK/a.toml"
BASE_A=$BASE
PORT_B=""
for i in $(seq 1 200); do
  PORT_B=$(listening_port "$WORK/server_b.log")
  [[ -n $PORT_B ]] && curl -fsS -o /dev/null "http://127.0.0.1:$PORT_B/healthz" 2>/dev/null && break
  sleep 0.05
done
[[ -n $PORT_B ]] || fail "node B did not start"
BASE_B="http://127.0.0.1:$PORT_B"

# 200 checks of 1000 tokens, 16 at a time, alternating nodes, never settled:
# exactly 100 fit the 100000-token budget, whichever node answers.
for i in $(seq 1 200); do
  if (( i % 2 )); then echo "$BASE_A $KEY_A"; else echo "$BASE_B $KEY_B"; fi
done | xargs -P 16 -L 1 sh -c 'curl -sS -X POST -H "Authorization: Bearer $1" \
  --data-binary "{\"user\":\"u\",\"team\":\"core\",\"model\":\"m\",\"estimated_tokens\":1000}" "$0/v1/check"; echo' \
  >"$WORK/answers"
# Answers of parallel curls may share a line: count occurrences, not lines.
allowed=$(grep -o '"decision":"allow"' "$WORK/answers" | wc -l)
denied=$(grep -o '"decision":"deny"' "$WORK/answers" | wc -l)
[[ $allowed == 100 && $denied == 100 ]] || fail "want 100 allowed and 100 denied over two nodes, got $allowed / $denied: $(grep -v decision "$WORK/answers" | head -5)"
pass "two nodes share one budget: 100 of 200 concurrent checks admitted, not 200"

# A concurrency slot taken on node A is taken for node B too.
BASE=$BASE_A
expect_status 200 "$KEY_A" POST /v1/check --data-binary '{"user":"solo","model":"m","estimated_tokens":0}'
check_json 'j["decision"] == "allow"'
RES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reservation_id"])' "$WORK/body")
BASE=$BASE_B
expect_status 200 "$KEY_B" POST /v1/check --data-binary '{"user":"solo","model":"m","estimated_tokens":0}'
check_json 'j["decision"] == "throttle" and j["policy"] == "one-at-a-time"'
BASE=$BASE_A
expect_status 200 "$KEY_A" POST /v1/settle --data-binary "{\"reservation_id\":\"$RES\"}"
BASE=$BASE_B
expect_status 200 "$KEY_B" POST /v1/check --data-binary '{"user":"solo","model":"m","estimated_tokens":0}'
check_json 'j["decision"] == "allow"'
pass "concurrency slots are shared across nodes"

# Redis down: node A (default) fails closed, node B (configured) fails open.
kill $REDIS_PID
wait $REDIS_PID 2>/dev/null || true
BASE=$BASE_A
expect_status 200 "$KEY_A" POST /v1/check --data-binary '{"user":"v","team":"web","model":"m","estimated_tokens":1}'
check_json 'j["decision"] == "deny" and j["policy"] == "limit-store:unavailable"'
BASE=$BASE_B
expect_status 200 "$KEY_B" POST /v1/check --data-binary '{"user":"v","team":"web","model":"m","estimated_tokens":1}'
check_json 'j["decision"] == "allow" and j["policy"] == "limit-store:unavailable" and j["reservation_id"] == ""'
pass "Redis down: deny by default, allow where configured"
# Events are still taken while Redis is away (ingest does not depend on it).
BASE=$BASE_A
expect_status 200 "$KEY_A" POST /v1/events --data-binary '{"id":"redis-down-1","user":"v","team":"web","model":"m","input_tokens":5}'
check_json 'j["accepted"] == 1'
# Redis back on the same address (empty: counters were in memory): the
# nodes reconnect by themselves and decide by the limits again.
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >>"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
back=""
for i in $(seq 1 100); do
  expect_status 200 "$KEY_A" POST /v1/check --data-binary '{"user":"v","team":"web","model":"m","estimated_tokens":1}'
  if check_json 'j["decision"] == "allow" and j["reservation_id"] != ""' 2>/dev/null; then back=1; break; fi
  sleep 0.1
done
[[ -n $back ]] || fail "Redis back: node A still does not admit by the shared limits: $(cat "$WORK/body")"
pass "Redis back: the node reconnects without a restart; events were taken while it was away"
kill -TERM $NODE_B 2>/dev/null || true
wait $NODE_B 2>/dev/null || true
NODE_B=""
stop_server
