#!/usr/bin/env bash
# Bring your own key ([[gateway.passthrough]]): a client that sends its own
# provider key, listed in the config by its SHA-256, is metered for the
# user, team and project it maps to, and its own key (not the configured
# provider key) reaches the upstream. An unlisted provider key is refused
# (401, in the provider's shape) and never forwarded; a listed key opens
# the provider endpoints only.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
trap 'kill $STUB_PID 2>/dev/null || true; cleanup' EXIT
STUB=""
for _ in $(seq 100); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

DB="$WORK/gw.db"
ADMIN=$(new_key "$DB" admin)
OWN_ANT=sk-ant-ada-own-key-123
OWN_OAI=sk-proj-bob-own-key-456
cat >"$WORK/burnrate.toml" <<TOML
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant-configured"
[gateway.openai]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-oai-configured"
[[gateway.passthrough]]
key_sha256 = "$(printf %s "$OWN_ANT" | sha256sum | cut -d' ' -f1)"
user = "ada@corp"
team = "compilers"
project = "P"
[[gateway.passthrough]]
key_sha256 = "$(printf %s "$OWN_OAI" | sha256sum | cut -d' ' -f1 | tr a-f A-F)"
user = "bob@corp"
team = "web"
TOML
start_server "$DB" --config "$WORK/burnrate.toml"

code=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "x-api-key: $OWN_ANT" -H 'anthropic-version: 2023-06-01' \
  -H 'content-type: application/json' \
  -d '{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}' "$BASE/v1/messages")
[[ $code == 200 ]] || fail "anthropic with its own key: $code $(cat "$WORK/body")"
code=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $OWN_OAI" -H 'content-type: application/json' \
  -d '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}' "$BASE/v1/chat/completions")
[[ $code == 200 ]] || fail "openai with its own key: $code $(cat "$WORK/body")"
python3 - "$WORK/usage.jsonl" "$OWN_ANT" "$OWN_OAI" <<'PY' || fail "the upstream did not see the clients' own keys"
import json, sys
seen = [json.loads(l)["auth"] for l in open(sys.argv[1])]
assert seen == [sys.argv[2], "Bearer " + sys.argv[3]], seen
PY
pass "each client's own provider key reached the upstream (not the configured one)"

for who in "ada@corp 1" "bob@corp 2"; do
  set -- $who
  want=$(python3 -c '
import json, sys
u = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]) - 1]
print(u["input"] - (u["cached"] if u["api"] == "chat" else 0), u["output"])' "$WORK/usage.jsonl" "$2")
  got=""
  for _ in $(seq 100); do
    http_status "$ADMIN" GET "/v1/users/$1/usage" >/dev/null
    got=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["input_tokens"], t["output_tokens"])' "$WORK/body" 2>/dev/null || true)
    [[ "$got" == "$want" ]] && break
    sleep 0.1
  done
  [[ "$got" == "$want" ]] || fail "$1: board $got, stub answered $want"
done
teams=""
for _ in $(seq 50); do
  http_status "$ADMIN" GET "/v1/leaderboard?entity=team&window=all" >/dev/null
  teams=$(python3 -c 'import json,sys; print(" ".join(sorted(e["id"] for e in json.load(open(sys.argv[1]))["entries"])))' "$WORK/body" 2>/dev/null || true)
  [[ $teams == "compilers web" ]] && break
  sleep 0.1
done
[[ $teams == "compilers web" ]] || fail "team board: $teams"
pass "usage counted for the users and teams the keys map to"

before=$(wc -l <"$WORK/usage.jsonl")
code=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "x-api-key: sk-ant-someone-else" -H 'content-type: application/json' \
  -d '{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[]}' "$BASE/v1/messages")
[[ $code == 401 ]] || fail "an unlisted provider key: $code"
check_json 'j["type"] == "error" and j["error"]["type"] == "authentication_error"'
[[ $(wc -l <"$WORK/usage.jsonl") == "$before" ]] || fail "an unlisted key reached the upstream"
expect_status 403 "$OWN_ANT" GET /v1/leaderboard
pass "an unlisted provider key is refused (401) and never forwarded; a listed one opens the gateway only"
stop_server
