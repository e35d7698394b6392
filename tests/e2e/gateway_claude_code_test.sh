#!/usr/bin/env bash
# End to end with the real Claude Code (@anthropic-ai/claude-code from npm),
# offline: `claude -p` with ANTHROPIC_BASE_URL at the gateway and the
# gateway key as its token, against the stub upstream. The user's board
# must equal the usage the stub answered, and under a hard budget Claude
# Code must show the gateway's 429 message. Installed once into
# $BURNRATE_GATEWAY_NPM (default /tmp/burnrate_gateway_npm); exit 77 when
# npm cannot install it or it cannot run here.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
NPM=${BURNRATE_GATEWAY_NPM:-/tmp/burnrate_gateway_npm}
CLAUDE_CODE_VERSION=${CLAUDE_CODE_VERSION:-2.1.328}
if [[ ! -x $NPM/node_modules/.bin/claude ]]; then
  command -v npm >/dev/null || { echo "skip: npm not found"; exit 77; }
  mkdir -p "$NPM"
  (cd "$NPM" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
    timeout 600 npm install --no-audit --no-fund "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" >"$WORK/npm.log" 2>&1) ||
    { echo "skip: npm could not install Claude Code"; tail -5 "$WORK/npm.log"; exit 77; }
fi
"$NPM/node_modules/.bin/claude" --version >/dev/null 2>&1 || { echo "skip: claude does not run here"; exit 77; }

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
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant"
[[governance.budget]]
id = "tiny-team"
scope = "team"
subject = "tiny"
limit_tokens = 100
period = "day"
TOML
start_server "$DB" --config "$WORK/burnrate.toml"

claude() {  # claude KEY PROMPT -> output in $WORK/claude.out
  mkdir -p "$WORK/home"
  (cd "$WORK" && env -i PATH="$PATH" HOME="$WORK/home" ANTHROPIC_BASE_URL="$BASE" ANTHROPIC_AUTH_TOKEN="$1" \
    DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 \
    timeout 120 "$NPM/node_modules/.bin/claude" -p "$2" >"$WORK/claude.out" 2>&1)
}
claude "$ADA" "say hi" || { cat "$WORK/claude.out" >&2; fail "claude -p through the gateway"; }
grep -q "Stub answer" "$WORK/claude.out" || fail "Claude Code did not print the stub's answer: $(head -c 300 "$WORK/claude.out")"
want=$(python3 -c '
import json, sys
t = [0, 0, 0, 0]
for line in open(sys.argv[1]):
    u = json.loads(line)
    for i, k in enumerate(["input", "output", "cached", "cache_write"]): t[i] += u[k]
print(*t)' "$WORK/usage.jsonl")
got=""
for _ in $(seq 100); do
  http_status "$ADMIN" GET "/v1/users/ada@corp/usage" >/dev/null
  got=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["input_tokens"], t["output_tokens"], t["cache_read_tokens"], t["cache_write_tokens"])' "$WORK/body" 2>/dev/null || true)
  [[ "$got" == "$want" ]] && break
  sleep 0.1
done
[[ "$got" == "$want" ]] || fail "board $got, stub answered $want"
pass "claude -p through the gateway: board equals the stub's usage ($got, $(wc -l <"$WORK/usage.jsonl") requests)"

# Claude Code's own transcript of the same requests, shipped as well,
# counts once: the gateway's event id is the transcript reader's.
"$BURNRATE" ingest --server "$BASE" --key "$ADMIN" --claude "$WORK/home/.claude/projects" --user ada@corp \
  >"$WORK/ingest.out" 2>&1 || { cat "$WORK/ingest.out" >&2; fail "ingest --claude"; }
sleep 0.5
http_status "$ADMIN" GET "/v1/users/ada@corp/usage" >/dev/null
again=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["input_tokens"], t["output_tokens"], t["cache_read_tokens"], t["cache_write_tokens"])' "$WORK/body")
[[ "$again" == "$want" ]] || fail "after shipping the transcript too the board says $again, the stub answered $want: $(cat "$WORK/ingest.out")"
pass "the transcript of the same requests is de-duplicated against the gateway's events ($(tail -1 "$WORK/ingest.out"))"

before=$(wc -l <"$WORK/usage.jsonl")
claude "$BOB" "say hi" || true
grep -q "tiny-team" "$WORK/claude.out" || fail "Claude Code did not show the gateway's 429 message: $(head -c 500 "$WORK/claude.out")"
[[ $(wc -l <"$WORK/usage.jsonl") == "$before" ]] || fail "a refused request reached the stub"
pass "hard budget: Claude Code shows the gateway's message: $(grep -o 'burnrate: [^"]*' "$WORK/claude.out" | head -1)"
stop_server
