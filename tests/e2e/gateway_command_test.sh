#!/usr/bin/env bash
# `burnrate gateway`: the same config and database as `serve`, but only the
# gateway's provider endpoints (and /healthz, /readyz, /metrics) are
# served: no dashboard, no API. Without a [gateway] table it refuses to
# start and says why.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
GW_PID=""
trap 'kill $STUB_PID 2>/dev/null || true; [[ -n $GW_PID ]] && kill -9 $GW_PID 2>/dev/null; cleanup' EXIT
STUB=""
for _ in $(seq 100); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

DB="$WORK/gw.db"
ADMIN=$(new_key "$DB" admin)
ADA=$(new_key "$DB" gateway --user ada@corp --team compilers)
printf '[server]\nthreads = 2\n' >"$WORK/plain.toml"
if "$BURNRATE" gateway --db "$DB" --listen 127.0.0.1:0 --config "$WORK/plain.toml" >"$WORK/plain.log" 2>&1; then
  fail "burnrate gateway started without [gateway]"
fi
grep -q 'needs \[gateway.anthropic\] or \[gateway.openai\]' "$WORK/plain.log" || fail "no reason given: $(cat "$WORK/plain.log")"
pass "without [gateway] it refuses to start: $(tail -1 "$WORK/plain.log")"

cat >"$WORK/gw.toml" <<TOML
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant"
TOML
"$BURNRATE" gateway --db "$DB" --listen 127.0.0.1:0 --config "$WORK/gw.toml" >"$WORK/gw.log" 2>&1 &
GW_PID=$!
for _ in $(seq 200); do
  PORT=$(listening_port "$WORK/gw.log")
  [[ -n $PORT ]] && curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
  sleep 0.05
done
[[ -n $PORT ]] || fail "burnrate gateway did not start: $(cat "$WORK/gw.log")"
BASE="http://127.0.0.1:$PORT"
code=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "x-api-key: $ADA" -H 'content-type: application/json' \
  -d '{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}' "$BASE/v1/messages")
[[ $code == 200 ]] || fail "messages through burnrate gateway: $code $(cat "$WORK/body")"
check_json 'j["id"].startswith("msg_stub_")'
expect_status 200 "" GET /readyz
expect_status 200 "$ADMIN" GET /metrics
grep -q 'burnrate_gateway_requests_total{upstream="anthropic",model="claude-sonnet-4-5"} 1' "$WORK/body" ||
  fail "metrics: $(grep burnrate_gateway_requests_total "$WORK/body")"
expect_status 404 "$ADMIN" GET /v1/leaderboard
expect_status 404 "$ADMIN" POST /v1/events
expect_status 404 "" GET /
pass "burnrate gateway serves the provider endpoints, health and metrics, and nothing else"
kill -TERM "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
GW_PID=""
