#!/usr/bin/env bash
# End to end: the official SDKs from npm (@anthropic-ai/sdk, openai) through
# the gateway to the stub upstream, streaming and not, offline once the
# packages are installed (into $BURNRATE_GATEWAY_NPM, default
# /tmp/burnrate_gateway_npm; exit 77 when npm cannot install them). The
# user's board equals the usage the stub answered; a hard budget reaches the
# SDKs as their RateLimitError with the gateway's message.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
NPM=${BURNRATE_GATEWAY_NPM:-/tmp/burnrate_gateway_npm}
if [[ ! -d $NPM/node_modules/@anthropic-ai/sdk || ! -d $NPM/node_modules/openai ]]; then
  command -v npm >/dev/null || { echo "skip: npm not found"; exit 77; }
  mkdir -p "$NPM"
  (cd "$NPM" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
    timeout 600 npm install --no-audit --no-fund @anthropic-ai/sdk@1.10.0 openai@7.55.0 >"$WORK/npm.log" 2>&1) ||
    { echo "skip: npm could not install the SDKs"; tail -5 "$WORK/npm.log"; exit 77; }
fi

python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" --strict-openai-usage \
  >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
trap 'kill $STUB_PID 2>/dev/null || true; cleanup' EXIT
STUB=""
for _ in $(seq 100); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

DB="$WORK/gw.db"
ADMIN=$(new_key "$DB" admin)
ADA=$(new_key "$DB" gateway --user ada@corp --team compilers)
BOB=$(new_key "$DB" gateway --user bob@corp --team tiny)
cat >"$WORK/burnrate.toml" <<TOML
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant"
[gateway.openai]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-oa"
[[governance.budget]]
id = "tiny-team"
scope = "team"
subject = "tiny"
limit_tokens = 3000
period = "day"
TOML
start_server "$DB" --config "$WORK/burnrate.toml"

cp "$SRC/tests/e2e/gateway/sdk_clients.mjs" "$NPM/sdk_clients.mjs"
(cd "$NPM" && node sdk_clients.mjs "$BASE" "$ADA" "$BOB") >"$WORK/sdk.out" 2>&1 || { cat "$WORK/sdk.out" >&2; fail "SDK calls"; }
cat "$WORK/sdk.out"

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
[[ "$got" == "$want" ]] || fail "board totals $got, stub answered $want"
pass "SDKs streaming and not: board equals the stub's usage ($got)"
stop_server
