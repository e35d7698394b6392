#!/usr/bin/env bash
# End to end with the real Codex CLI (@openai/codex from npm), offline:
# `codex exec` with a model provider whose base_url is the gateway
# (wire_api = "responses", the gateway key as its API key), against the
# stub upstream's Responses stream. The user's board must equal the usage
# the stub answered (response.completed: input with cached tokens apart,
# output), the provider key must reach the stub and the gateway key must
# not, and under a hard budget Codex must report the gateway's 429 (Codex
# prints a 429's status, not its body: see below).
# Installed once into $BURNRATE_GATEWAY_NPM (default
# /tmp/burnrate_gateway_npm); exit 77 when npm cannot install it or it
# cannot run here.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
NPM=${BURNRATE_GATEWAY_NPM:-/tmp/burnrate_gateway_npm}
CODEX_VERSION=${CODEX_VERSION:-0.171.0}
if [[ ! -x $NPM/node_modules/.bin/codex ]]; then
  command -v npm >/dev/null || { echo "skip: npm not found"; exit 77; }
  mkdir -p "$NPM"
  (cd "$NPM" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
    timeout 600 npm install --no-audit --no-fund "@openai/codex@$CODEX_VERSION" >"$WORK/npm.log" 2>&1) ||
    { echo "skip: npm could not install Codex CLI"; tail -5 "$WORK/npm.log"; exit 77; }
fi
"$NPM/node_modules/.bin/codex" --version >/dev/null 2>&1 || { echo "skip: codex does not run here"; exit 77; }

python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
trap 'kill $STUB_PID 2>/dev/null || true; cleanup' EXIT
STUB=""
for _ in $(seq 200); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

DB="$WORK/gw.db"
ADMIN=$(new_key "$DB" admin)
ADA=$(new_key "$DB" gateway --user ada@corp --team compilers)
BOB=$(new_key "$DB" gateway --user bob@corp --team tiny)
cat >"$WORK/burnrate.toml" <<TOML
[gateway.openai]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-openai-provider"
[[governance.budget]]
id = "tiny-team"
scope = "team"
subject = "tiny"
limit_tokens = 100
period = "day"
TOML
start_server "$DB" --config "$WORK/burnrate.toml"

codex() {  # codex KEY PROMPT [RETRIES] -> output in $WORK/codex.out
  local h=$WORK/home-$RANDOM retries=${3:-4}
  mkdir -p "$h/.codex" "$WORK/work"
  cat >"$h/.codex/config.toml" <<TOML
model = "gpt-5.5"
model_provider = "burnrate"
[model_providers.burnrate]
name = "burnrate"
base_url = "$BASE/v1"
env_key = "BURNRATE_KEY"
wire_api = "responses"
request_max_retries = $retries
stream_max_retries = $retries
TOML
  (cd "$WORK/work" && env -i PATH="$PATH" HOME="$h" CODEX_HOME="$h/.codex" BURNRATE_KEY="$1" \
    timeout 120 "$NPM/node_modules/.bin/codex" exec --skip-git-repo-check "$2" >"$WORK/codex.out" 2>&1)
}
for p in "say hi" "name three colours"; do
  codex "$ADA" "$p" || { cat "$WORK/codex.out" >&2; fail "codex exec through the gateway"; }
  grep -q "Stub answer" "$WORK/codex.out" || fail "Codex did not print the stub's answer: $(head -c 500 "$WORK/codex.out")"
done
n=$(wc -l <"$WORK/usage.jsonl")
(( n >= 2 )) || fail "the stub answered $n requests for 2 prompts"
grep -q '"auth": "Bearer sk-openai-provider"' "$WORK/usage.jsonl" || fail "the provider key did not reach the stub"
grep -q "$ADA" "$WORK/usage.jsonl" && fail "the gateway key reached the stub"
want=$(python3 -c '
import json, sys
t = [0, 0, 0]
for line in open(sys.argv[1]):
    u = json.loads(line)
    for i, v in enumerate([u["input"] - u["cached"], u["output"], u["cached"]]): t[i] += v
print(*t)' "$WORK/usage.jsonl")
got=""
for _ in $(seq 100); do
  http_status "$ADMIN" GET "/v1/users/ada@corp/usage" >/dev/null
  got=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["input_tokens"], t["output_tokens"], t["cache_read_tokens"])' "$WORK/body" 2>/dev/null || true)
  [[ "$got" == "$want" ]] && break
  sleep 0.1
done
[[ "$got" == "$want" ]] || fail "board $got (input output cache_read), stub answered $want"
pass "codex exec through /v1/responses: board equals the stub's usage ($got over $n requests)"

# A hard budget: the request is refused before the upstream. Codex CLI
# treats every 429 that is not its own "usage_limit_reached" as retryable
# and, once out of retries, prints only the status ("exceeded retry limit,
# last status: 429 Too Many Requests"), not the body: the gateway's message
# (which names the budget and when it resets) cannot be shown by Codex;
# the same refusal's body is checked with curl on the same endpoint.
before=$(wc -l <"$WORK/usage.jsonl")
codex "$BOB" "say hi" 0 || true
grep -q "429 Too Many Requests" "$WORK/codex.out" || fail "Codex did not report the gateway's 429: $(tail -c 800 "$WORK/codex.out")"
[[ $(wc -l <"$WORK/usage.jsonl") == "$before" ]] || fail "a refused request reached the stub"
code=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $BOB" -H 'content-type: application/json' \
  -d '{"model":"gpt-5.5","stream":true,"input":"say hi"}' "$BASE/v1/responses")
[[ $code == 429 ]] || fail "the budget's refusal on /v1/responses: $code"
check_json 'j["error"]["type"] == "rate_limit_exceeded" and "tiny-team" in j["error"]["message"] and "resets in" in j["error"]["message"]'
pass "hard budget: Codex reports the gateway's 429 ($(grep -o 'last status: 429[^"]*' "$WORK/codex.out" | head -1)); the body says: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["message"])' "$WORK/body")"
stop_server
