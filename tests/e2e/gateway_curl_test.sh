#!/usr/bin/env bash
# End to end: the metering gateway with curl against the stub upstream
# (tests/e2e/stub/upstream.py; no real provider is called). Anthropic
# Messages and OpenAI Chat Completions / Responses, streaming and not, tool
# use, cache usage, an upstream error, a stream cut in the middle, a
# malformed event; the provider key reaches the stub and the gateway key
# never does; the user's usage on the board equals what the stub answered;
# a hard budget answers 429 in the provider's shape before the upstream
# sees the request; Prometheus counters per upstream and model. The server
# busy-polls (docs/config.md, busy_poll_us).
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}

python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" --strict-openai-usage --slow-ms 200 \
  >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
trap 'kill $STUB_PID 2>/dev/null || true; cleanup' EXIT
STUB=""
for _ in $(seq 100); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

DB="$WORK/gw.db"
ADMIN=$(new_key "$DB" admin)
ADA=$(new_key "$DB" gateway --user ada@corp --team compilers --project P)
BOB=$(new_key "$DB" gateway --user bob@corp --team tiny)
# With busy polling on ([server] busy_poll_us), so every case below also
# runs through the polling loop; the other gateway tests run without it.
cat >"$WORK/burnrate.toml" <<TOML
[server]
busy_poll_us = 200
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant-provider-secret"
[gateway.openai]
base_url = "http://127.0.0.1:$STUB"
api_key_env = "E2E_OPENAI_KEY"

[[governance.budget]]
id = "tiny-team"
scope = "team"
subject = "tiny"
limit_tokens = 3000
period = "day"
TOML
E2E_OPENAI_KEY=sk-openai-provider-secret start_server "$DB" --config "$WORK/burnrate.toml"

msg() { echo "{\"model\":\"$1\",\"max_tokens\":100,\"stream\":$2,\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]$3}"; }
anthropic() {  # anthropic KEY BODY: status; body to $WORK/body, headers to $WORK/headers
  curl -sS -N -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' -H "x-api-key: $1" \
    -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' -d "$2" "$BASE/v1/messages"
}
openai() {  # openai KEY PATH BODY
  curl -sS -N -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $1" \
    -H 'content-type: application/json' -d "$3" "$BASE$2"
}

# Anthropic, not streaming: the stub's answer, with the overhead header.
[[ $(anthropic "$ADA" "$(msg claude-sonnet-4-5 false '')") == 200 ]] || fail "messages: $(cat "$WORK/body")"
check_json 'j["usage"]["cache_read_input_tokens"] > 0 and j["id"].startswith("msg_stub_")'
grep -qi '^x-burnrate-overhead-ms: [0-9.]*' "$WORK/headers" || fail "no x-burnrate-overhead-ms header"
grep -qi '^request-id: req_stub_' "$WORK/headers" || fail "the upstream's request-id was not passed on"
pass "anthropic messages (json) through the gateway"

# Streaming, text and tool use: the whole stream reaches the client.
[[ $(anthropic "$ADA" "$(msg claude-sonnet-4-5 true '')") == 200 ]] || fail "stream: $(cat "$WORK/body")"
grep -q 'event: message_stop' "$WORK/body" || fail "stream did not end with message_stop: $(head -c 500 "$WORK/body")"
grep -q '"output_tokens"' "$WORK/body" || fail "message_delta usage missing"
[[ $(anthropic "$ADA" "$(msg claude-sonnet-4-5-tool true ',"tools":[{"name":"get_time","input_schema":{"type":"object"}}]')") == 200 ]] ||
  fail "tool stream"
grep -q '"tool_use"' "$WORK/body" || fail "tool_use block missing"
pass "anthropic messages streaming (text, tool use) passed through"

# Slow, malformed and cut streams: still counted for what was reported.
[[ $(anthropic "$ADA" "$(msg claude-sonnet-4-5-slow true '')") == 200 ]] || fail "slow stream"
grep -q 'event: message_stop' "$WORK/body" || fail "slow stream incomplete"
[[ $(anthropic "$ADA" "$(msg claude-sonnet-4-5-malformed true '')") == 200 ]] || fail "malformed stream"
grep -q '{not json' "$WORK/body" || fail "the malformed event was not passed on as it came"
anthropic "$ADA" "$(msg claude-sonnet-4-5-cut true '')" >/dev/null || true
grep -q 'message_start' "$WORK/body" || fail "cut stream: message_start not passed on"
pass "slow, malformed and cut streams"

# An upstream error is passed on in the provider's shape and counts nothing.
[[ $(anthropic "$ADA" "$(msg claude-error false '')") == 529 ]] || fail "error: $(cat "$WORK/body")"
check_json 'j["error"]["type"] == "overloaded_error"'
pass "upstream error passed through"

# OpenAI chat, streaming without include_usage: the gateway asks for the
# usage chunk and strips it from what the client sees.
chat() { echo "{\"model\":\"gpt-4o\",\"stream\":$1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]$2}"; }
[[ $(openai "$ADA" /v1/chat/completions "$(chat true '')") == 200 ]] || fail "chat stream: $(cat "$WORK/body")"
grep -q '\[DONE\]' "$WORK/body" || fail "chat stream incomplete"
! grep -q '"usage"' "$WORK/body" || fail "usage chunk the client did not ask for reached it: $(cat "$WORK/body")"
[[ $(openai "$ADA" /v1/chat/completions "$(chat true ',"stream_options":{"include_usage":true}')") == 200 ]] || fail "chat+usage"
grep -q '"usage"' "$WORK/body" || fail "usage chunk the client asked for was removed"
[[ $(openai "$ADA" /v1/chat/completions "$(chat false '')") == 200 ]] || fail "chat json"
check_json 'j["usage"]["prompt_tokens"] > 0'
pass "openai chat completions, streaming (usage added and stripped) and not"

resp() { echo "{\"model\":\"gpt-5\",\"stream\":$1,\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hi\"}]}]}"; }
[[ $(openai "$ADA" /v1/responses "$(resp true)") == 200 ]] || fail "responses stream: $(cat "$WORK/body")"
grep -q 'response.completed' "$WORK/body" || fail "responses stream incomplete"
[[ $(openai "$ADA" /v1/responses "$(resp false)") == 200 ]] || fail "responses json"
check_json 'j["usage"]["output_tokens_details"]["reasoning_tokens"] > 0'
pass "openai responses, streaming and not"

# count_tokens passes through unmetered.
curl -sS -o "$WORK/body" -H "x-api-key: $ADA" -H 'content-type: application/json' \
  -d "$(msg claude-sonnet-4-5 false '')" "$BASE/v1/messages/count_tokens"
check_json 'j["input_tokens"] == 42'
pass "count_tokens passed through"

# The stub saw only provider keys.
python3 - "$WORK/usage.jsonl" "$ADA" <<'PY' || fail "credential check"
import json, sys
for line in open(sys.argv[1]):
    u = json.loads(line)
    want = "sk-ant-provider-secret" if u["api"] == "messages" else "Bearer sk-openai-provider-secret"
    assert u["auth"] == want, u
    assert sys.argv[2] not in line
PY
pass "the provider key reached the upstream, the gateway key did not"

# A gateway key cannot read the API, and an admin key cannot use the gateway.
expect_status 403 "$ADA" GET /v1/leaderboard
[[ $(anthropic "$ADA-x" "$(msg claude-sonnet-4-5 false '')") == 401 ]] || fail "bad key accepted"
# ... answered in the provider's own error shape, so that an SDK or agent
# shows the reason (Anthropic's authentication_error, OpenAI's invalid_api_key).
check_json 'j["type"] == "error" and j["error"]["type"] == "authentication_error" and "invalid" in j["error"]["message"]'
[[ $(anthropic "$ADMIN" "$(msg claude-sonnet-4-5 false '')") == 403 ]] || fail "admin key used the gateway"
check_json 'j["type"] == "error" and j["error"]["type"] == "permission_error"'
[[ $(openai "" /v1/chat/completions "$(chat false '')") == 401 ]] || fail "missing key accepted"
check_json 'j["error"]["code"] == "invalid_api_key" and j["error"]["type"] == "invalid_request_error" and "missing API key" in j["error"]["message"]'
[[ $(openai "$ADA-x" /v1/responses "$(resp false)") == 401 ]] || fail "bad key accepted on responses"
check_json 'j["error"]["code"] == "invalid_api_key"'
pass "401/403 in the provider's error shape"

# The query string goes upstream as the client sent it (Claude Code calls
# /v1/messages?beta=true).
code=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "x-api-key: $ADA" -H 'anthropic-version: 2023-06-01' \
  -H 'content-type: application/json' -d "$(msg claude-sonnet-4-5 false '')" "$BASE/v1/messages?beta=true")
[[ $code == 200 ]] || fail "messages?beta=true: $code $(cat "$WORK/body")"
grep -q '"POST /v1/messages?beta=true HTTP/1.1"' "$WORK/stub.err" || fail "the query string did not reach the upstream: $(grep POST "$WORK/stub.err" | tail -3)"
pass "query strings are passed upstream (/v1/messages?beta=true)"

# The board: ada's usage equals what the stub answered, token for token
# (OpenAI's prompt tokens include the cached ones; burnrate's input does not).
want=$(python3 - "$WORK/usage.jsonl" <<'PY'
import json, sys
t = [0, 0, 0, 0]
for line in open(sys.argv[1]):
    u = json.loads(line)
    inp = u["input"] if u["api"] == "messages" else u["input"] - u["cached"]
    for i, v in enumerate([inp, u["output"], u["cached"], u.get("cache_write", 0)]): t[i] += v
print(*t)
PY
)
got=""
for _ in $(seq 100); do
  http_status "$ADMIN" GET "/v1/users/ada@corp/usage" >/dev/null
  got=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["input_tokens"], t["output_tokens"], t["cache_read_tokens"], t["cache_write_tokens"])' "$WORK/body" 2>/dev/null || true)
  [[ "$got" == "$want" ]] && break
  sleep 0.1
done
[[ "$got" == "$want" ]] || fail "board totals (input output cache_read cache_write) $got, stub answered $want"
check_json 'j["team"] == "compilers"'
pass "board equals the stub's usage: $got"

# A hard budget: bob's team may spend 3,000 tokens; a request estimated
# past it never reaches the stub and gets Anthropic's 429 shape.
before=$(wc -l <"$WORK/usage.jsonl")
big="{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
[[ $(anthropic "$BOB" "$big") == 429 ]] || fail "over budget: want 429, got $(cat "$WORK/body")"
check_json 'j["type"] == "error" and j["error"]["type"] == "rate_limit_error" and "tiny-team" in j["error"]["message"] and "resets in" in j["error"]["message"]'
grep -qi '^retry-after: [0-9]' "$WORK/headers" || fail "no retry-after"
[[ $(openai "$BOB" /v1/chat/completions "{\"model\":\"gpt-4o\",\"max_tokens\":5000,\"messages\":[]}") == 429 ]] || fail "openai over budget"
check_json 'j["error"]["type"] == "rate_limit_exceeded" and "tiny-team" in j["error"]["message"]'
[[ $(wc -l <"$WORK/usage.jsonl") == "$before" ]] || fail "a denied request reached the upstream"
pass "hard budget: 429 in the provider's shape, upstream never called"

curl -sS "$BASE/metrics" -H "Authorization: Bearer $ADMIN" >"$WORK/metrics"
grep -q 'burnrate_gateway_requests_total{upstream="anthropic",model="claude-sonnet-4-5"}' "$WORK/metrics" || fail "no gateway metrics"
grep -q 'burnrate_gateway_denied_total{upstream="anthropic",model="claude-sonnet-4-5"} 1' "$WORK/metrics" || fail "denied not counted"
pass "prometheus counters per upstream and model"
stop_server
