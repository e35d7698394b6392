#!/usr/bin/env bash
# Two gateway nodes, one budget (issue #16: "limits multiplied by the
# number of replicas" is a known failure of other gateways). Both nodes
# share their limits through one Redis (governance.limit_store), each with
# its own database and keys for the same team; CLIENTS concurrent streaming
# clients, half on each node, send until refused. The usage the stub
# answered for admitted requests, summed over both nodes, never exceeds the
# one budget (each node alone would admit all of it) and reaches >= 99%.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
CLIENTS=${CLIENTS:-40}
LIMIT=${LIMIT:-50000}
command -v redis-server >/dev/null || fail "redis-server missing (scripts/install-deps.sh)"

REDIS_PID="" NODE_B="" STUB_PID=""
trap 'kill $REDIS_PID $STUB_PID 2>/dev/null || true; [[ -n $NODE_B ]] && kill -9 $NODE_B 2>/dev/null; cleanup' EXIT
# A random port may be taken: only an answer from our own redis counts.
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

python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
STUB=""
for _ in $(seq 100); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

cat >"$WORK/gw.toml" <<TOML
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant"
[governance]
limit_store = "redis://127.0.0.1:$RPORT/0"
[[governance.budget]]
id = "load-team"
scope = "team"
subject = "load"
limit_tokens = $LIMIT
period = "month"
TOML
KEY_A=$(new_key "$WORK/a.db" gateway --user a@corp --team load)
KEY_B=$(new_key "$WORK/b.db" gateway --user b@corp --team load)
"$BURNRATE" serve --db "$WORK/b.db" --listen 127.0.0.1:0 --config "$WORK/gw.toml" >>"$WORK/server_b.log" 2>&1 &
NODE_B=$!
start_server "$WORK/a.db" --config "$WORK/gw.toml"
BASE_A=$BASE
PORT_B=""
for i in $(seq 1 200); do
  PORT_B=$(listening_port "$WORK/server_b.log")
  [[ -n $PORT_B ]] && curl -fsS -o /dev/null "http://127.0.0.1:$PORT_B/healthz" 2>/dev/null && break
  sleep 0.05
done
[[ -n $PORT_B ]] || fail "node B did not start"
BASE_B="http://127.0.0.1:$PORT_B"

BODY='{"model":"claude-exact","max_tokens":300,"stream":true,"messages":[{"role":"user","content":"count to ten"}]}'
client() {  # client N: sends to node A (odd N) or B (even N) until refused
  local n=0 code base=$BASE_A key=$KEY_A
  (( $1 % 2 )) || { base=$BASE_B; key=$KEY_B; }
  while :; do
    code=$(curl -sS -N -o "$WORK/c$1.body" -w '%{http_code}' -H "x-api-key: $key" -H 'content-type: application/json' \
      -d "$BODY" "$base/v1/messages")
    [[ $code == 200 ]] || break
    grep -q message_stop "$WORK/c$1.body" || { echo "bad stream"; return; }
    n=$((n + 1))
  done
  grep -q 'load-team' "$WORK/c$1.body" || code="$code-without-the-budget"
  echo "ok $n $code $(( $1 % 2 ? 1 : 2 ))"
}
export -f client
export WORK KEY_A KEY_B BODY BASE_A BASE_B
seq "$CLIENTS" | xargs -P "$CLIENTS" -I{} bash -c 'client {}' >"$WORK/clients.txt"
[[ $(grep -c '^ok [0-9]* 429 [12]$' "$WORK/clients.txt") == "$CLIENTS" ]] ||
  fail "not every client ended with the budget's 429: $(sort "$WORK/clients.txt" | uniq -c | head)"
read -r on_a on_b < <(awk '$4 == 1 {a += $2} $4 == 2 {b += $2} END {print a + 0, b + 0}' "$WORK/clients.txt")
read -r used n repeated < <(python3 -c '
import json, sys
t = n = 0
ids = set()
for line in open(sys.argv[1]):
    u = json.loads(line); t += u["input"] + u["output"] + u["cached"] + u["cache_write"]; n += 1
    ids.add(u["id"])
print(t, n, n - len(ids))' "$WORK/usage.jsonl")
echo "admitted $n requests ($on_a on node A, $on_b on node B), $used tokens of $LIMIT"
(( repeated == 0 )) || fail "the stub answered $repeated message ids twice"
(( on_a > 0 && on_b > 0 )) || fail "one node admitted nothing"
(( used <= LIMIT )) || fail "admitted usage $used exceeds the one budget $LIMIT"
(( used * 100 >= LIMIT * 99 )) || fail "admitted usage $used is below 99% of $LIMIT"
pass "two gateway nodes sharing Redis: $used of $LIMIT tokens admitted in all ($on_a + $on_b requests), never over"
kill -TERM "$NODE_B" 2>/dev/null || true
wait "$NODE_B" 2>/dev/null || true
NODE_B=""
stop_server
