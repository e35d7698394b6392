#!/usr/bin/env bash
# The gateway under 200 concurrent streaming clients against one hard
# budget (issue #16): every client keeps sending streaming requests until it
# is refused. The usage the stub answered for admitted requests (equal to
# the estimates: the stub's "exact" model) must never exceed the budget and
# must reach at least 99% of it; every refusal is a 429 in Anthropic's shape.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
CLIENTS=${CLIENTS:-200}
LIMIT=${LIMIT:-100000}

python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
trap 'kill $STUB_PID 2>/dev/null || true; cleanup' EXIT
STUB=""
for _ in $(seq 100); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

DB="$WORK/gw.db"
KEY=$(new_key "$DB" gateway --user load@corp --team load)
cat >"$WORK/burnrate.toml" <<TOML
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant"
[[governance.budget]]
id = "load-team"
scope = "team"
subject = "load"
limit_tokens = $LIMIT
period = "day"
TOML
start_server "$DB" --config "$WORK/burnrate.toml"

BODY='{"model":"claude-exact","max_tokens":300,"stream":true,"messages":[{"role":"user","content":"count to ten"}]}'
client() {  # sends until refused; prints "ok N" and the refusal status
  local n=0 code
  while :; do
    code=$(curl -sS -N -o "$WORK/c$1.body" -w '%{http_code}' -H "x-api-key: $KEY" -H 'content-type: application/json' \
      -d "$BODY" "$BASE/v1/messages")
    [[ $code == 200 ]] || break
    grep -q message_stop "$WORK/c$1.body" || { echo "bad stream"; return; }
    n=$((n + 1))
  done
  grep -q '"rate_limit_error"' "$WORK/c$1.body" || code="$code-not-anthropic-shape"
  echo "ok $n $code"
}
export -f client
export WORK KEY BODY BASE
seq "$CLIENTS" | xargs -P "$CLIENTS" -I{} bash -c 'client {}' >"$WORK/clients.txt"
[[ $(grep -c '^ok [0-9]* 429$' "$WORK/clients.txt") == "$CLIENTS" ]] ||
  fail "not every client ended with a 429 in Anthropic's shape: $(sort "$WORK/clients.txt" | uniq -c | head)"
read -r used n repeated < <(python3 -c '
import json, sys
t = n = 0
ids = set()
for line in open(sys.argv[1]):
    u = json.loads(line); t += u["input"] + u["output"] + u["cached"] + u["cache_write"]; n += 1
    ids.add(u["id"])
print(t, n, n - len(ids))' "$WORK/usage.jsonl")
echo "admitted $n requests, $used tokens of $LIMIT"
# Two answers with one message id are one request to the gateway (counted
# once, as a transcript copy would be): the stub must never repeat an id,
# or the budget is rightly undercounted and the check below is void.
(( repeated == 0 )) || fail "the stub answered $repeated message ids twice"
(( used <= LIMIT )) || fail "admitted usage $used exceeds the budget $LIMIT"
(( used * 100 >= LIMIT * 99 )) || fail "admitted usage $used is below 99% of $LIMIT"
pass "$CLIENTS concurrent streaming clients: admitted $used of $LIMIT tokens ($n requests), never over"
stop_server
