#!/usr/bin/env bash
# Trust by source (docs/leaderboards.md): usage through the metering gateway
# (curl against the stub upstream, tests/e2e/stub/upstream.py), an uploaded
# agent log's events and plain NDJSON land on one board; every row splits
# its tokens by source class; `sources=` and `trusted=1` (the configured
# boards.trusted_sources) restrict the board; an NDJSON line that claims
# the gateway's name counts as NDJSON. And the same request id posted
# again with other tokens is a conflicting duplicate on /metrics.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}

python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" \
  >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
trap 'kill $STUB_PID 2>/dev/null || true; cleanup' EXIT
STUB=""
for _ in $(seq 100); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

DB="$WORK/src.db"
ADMIN=$(new_key "$DB" admin)
GW=$(new_key "$DB" gateway --user gw@corp --team t)
cat >"$WORK/burnrate.toml" <<TOML
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant-provider-secret"
[boards]
trusted_sources = "gateway,logs"
TOML
start_server "$DB" --config "$WORK/burnrate.toml"

body='{"model":"claude-sonnet-4-5","max_tokens":100,"stream":false,"messages":[{"role":"user","content":"hello there"}]}'
for _ in 1 2; do
  got=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "x-api-key: $GW" -H 'anthropic-version: 2023-06-01' \
    -H 'content-type: application/json' -d "$body" "$BASE/v1/messages")
  [[ $got == 200 ]] || fail "gateway: $got $(cat "$WORK/body")"
done
# The gateway hands its events to the ingestor after the answer: wait for both.
for _ in $(seq 100); do
  expect_status 200 "$ADMIN" GET "/v1/leaderboard?window=24h&q=gw@corp"
  python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["entries"] and json.load(open(sys.argv[1]))["entries"][0]["requests"] == 2 else 1)' "$WORK/body" && break
  sleep 0.1
done
GW_TOKENS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["entries"][0]["total_tokens"])' "$WORK/body")
(( GW_TOKENS > 0 )) || fail "no gateway tokens"

NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
line() {  # line ID USER SOURCE INPUT
  echo "{\"id\":\"$1\",\"ts\":\"$NOW\",\"user\":\"$2\",\"team\":\"t\",\"source\":\"$3\",\"model\":\"claude-sonnet-4-5\",\"input_tokens\":$4,\"output_tokens\":10}"
}
{
  line l1 logs@corp claude_code 3000
  line l2 logs@corp claude_code 3000
  line n1 nd@corp api 20000
  line f1 fake@corp gateway 900000
} >"$WORK/events.ndjson"
expect_status 200 "$ADMIN" POST /v1/events --data-binary @"$WORK/events.ndjson" -H 'content-type: application/x-ndjson'
check_json 'j["accepted"] == 4'

expect_status 200 "$ADMIN" GET "/v1/leaderboard?window=24h"
check_json 'sorted(e["id"] for e in j["entries"]) == ["fake@corp", "gw@corp", "logs@corp", "nd@corp"]'
check_json 'j["entries"][0]["id"] == "fake@corp"'
check_json 'j["sources"] == ["gateway", "otlp", "logs", "ndjson"]'
check_json '{e["id"]: e["tokens_by_source"] for e in j["entries"]} == {
  "fake@corp": {"gateway": 0, "otlp": 0, "logs": 0, "ndjson": 900010},
  "nd@corp": {"gateway": 0, "otlp": 0, "logs": 0, "ndjson": 20010},
  "logs@corp": {"gateway": 0, "otlp": 0, "logs": 6020, "ndjson": 0},
  "gw@corp": {"gateway": '"$GW_TOKENS"', "otlp": 0, "logs": 0, "ndjson": 0}}'
pass "rows split their tokens by source; a line claiming the gateway's name counts as NDJSON"

expect_status 200 "$ADMIN" GET "/v1/leaderboard?window=24h&sources=gateway"
check_json '[e["id"] for e in j["entries"]] == ["gw@corp"] and j["sources"] == ["gateway"]'
expect_status 200 "$ADMIN" GET "/v1/leaderboard?window=all&trusted=1"
check_json 'sorted((e["id"], e["total_tokens"]) for e in j["entries"]) == [("gw@corp", '"$GW_TOKENS"'), ("logs@corp", 6020)]'
check_json 'j["sources"] == ["gateway", "logs"]'
expect_status 200 "$ADMIN" GET "/v1/leaderboard?window=7d&sources=ndjson,otlp&metric=cost"
check_json '[e["id"] for e in j["entries"]] == ["fake@corp", "nd@corp"]'
expect_status 400 "$ADMIN" GET "/v1/leaderboard?sources=gateway,bogus"
grep -q bogus "$WORK/body" || fail "400 without the bad name: $(cat "$WORK/body")"
expect_status 400 "$ADMIN" GET "/v1/leaderboard?sources=gateway&trusted=1"
expect_status 400 "$ADMIN" GET "/v1/leaderboard?trusted=yes"
pass "sources= and trusted=1 (boards.trusted_sources) restrict the board; bad parameters are 400"

# The same id again: with the same tokens a retry, with other tokens a conflict.
line n1 nd@corp api 20000 >"$WORK/again.ndjson"
line l1 logs@corp claude_code 3001 >>"$WORK/again.ndjson"
line l2 logs@corp claude_code 4000 >>"$WORK/again.ndjson"
expect_status 200 "$ADMIN" POST /v1/events --data-binary @"$WORK/again.ndjson"
check_json 'j["accepted"] == 0 and j["duplicates"] == 3'
expect_status 200 "$ADMIN" GET /metrics
grep -q '^burnrate_conflicting_duplicates_total{source="claude_code"} 2$' "$WORK/body" ||
  fail "metrics: $(grep conflicting "$WORK/body")"
grep -q 'source="api"' <(grep '^burnrate_conflicting' "$WORK/body") && fail "a retry counted as a conflict"
pass "ids reported again with other usage are counted by source"
stop_server
echo "board_sources_test: ok"
