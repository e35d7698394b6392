#!/usr/bin/env bash
# End to end with the real agents, offline: Codex CLI (@openai/codex) and
# Gemini CLI (@google/gemini-cli) from npm run several prompts against the
# stub upstream (tests/e2e/stub/upstream.py), and `burnrate report --source
# codex|gemini` must equal the usage the stub answered, token for token.
#
# The packages are installed once into $BURNRATE_AGENTS_NPM (default
# /tmp/burnrate_agents_npm). Exit 77 (skipped, reason printed) when npm
# cannot install them or an agent cannot run here; each agent is checked on
# its own, so one that runs is still checked when the other cannot.
set -euo pipefail
BURNRATE=${BURNRATE:-build/burnrate}
SRC=${BURNRATE_SOURCE_DIR:-.}
NPM=${BURNRATE_AGENTS_NPM:-/tmp/burnrate_agents_npm}
CODEX_VERSION=${CODEX_VERSION:-0.171.0}
GEMINI_VERSION=${GEMINI_VERSION:-0.61.0}
OPENCODE_VERSION=${OPENCODE_VERSION:-1.18.33}
T=$(mktemp -d /tmp/burnrate_real_agents.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$T"/*.out "$T"/*.err >&2 || true; exit 1; }

install() {  # install PACKAGE@VERSION BIN
  [[ -x "$NPM/node_modules/.bin/$2" ]] && return 0
  command -v npm >/dev/null || return 1
  mkdir -p "$NPM"
  (cd "$NPM" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
    timeout 600 npm install --no-audit --no-fund "$1" >"$T/npm-$2.log" 2>&1) || return 1
}

python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$T/usage.jsonl" >"$T/stub.out" 2>"$T/stub.err" &
PIDS+=($!)
PORT=""
for _ in $(seq 50); do
  PORT=$(sed -n 's/^listening on //p' "$T/stub.out")
  [[ -n $PORT ]] && break
  sleep 0.1
done
[[ -n $PORT ]] || fail "stub did not start"

# Sums the stub's answers of one API: "input cached output reasoning n".
stub_sum() {
  python3 - "$T/usage.jsonl" "$1" <<'PY'
import json, sys
s = [0, 0, 0, 0, 0]
for line in open(sys.argv[1]) if __import__("os").path.exists(sys.argv[1]) else []:
    u = json.loads(line)
    if u["api"] != sys.argv[2]: continue
    for i, k in enumerate(["input", "cached", "output", "reasoning"]): s[i] += u[k]
    s[4] += 1
print(*s)
PY
}
# The report's totals: "input cache_read output requests".
report_totals() {
  env -i PATH="$PATH" HOME="$1" CODEX_HOME="$1/.codex" TZ=UTC "$BURNRATE" report --json --source "$2" |
    python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["inputTokens"], t["cacheReadTokens"], t["outputTokens"], t["requests"])'
}

checked=0
PROMPTS=("say hi" "name three colours" "and one more")

if install "@openai/codex@$CODEX_VERSION" codex; then
  H=$T/codex-home
  mkdir -p "$H/.codex" "$T/work"
  cat >"$H/.codex/config.toml" <<TOML
model = "gpt-5.5"
model_provider = "stub"
[model_providers.stub]
name = "stub"
base_url = "http://127.0.0.1:$PORT/v1"
env_key = "STUB_API_KEY"
wire_api = "responses"
TOML
  ok=1
  for p in "${PROMPTS[@]}"; do
    (cd "$T/work" && env -i PATH="$PATH" HOME="$H" CODEX_HOME="$H/.codex" STUB_API_KEY=stub \
      timeout 120 "$NPM/node_modules/.bin/codex" exec --skip-git-repo-check "$p") >>"$T/codex.out" 2>&1 || ok=0
  done
  if [[ $ok == 1 ]]; then
    read -r in cached out reasoning n <<<"$(stub_sum responses)"
    want="$((in - cached)) $cached $out $n"
    got=$(report_totals "$H" codex)
    echo "codex $CODEX_VERSION: stub answered $n requests: input $in (cached $cached), output $out (reasoning $reasoning)"
    echo "  stub:   $want"
    echo "  report: $got"
    [[ $n == ${#PROMPTS[@]} ]] || fail "codex made $n requests for ${#PROMPTS[@]} prompts"
    [[ "$got" == "$want" ]] || fail "codex: report differs from the stub's usage"
    checked=$((checked + 1))
  else
    echo "codex $CODEX_VERSION could not run here (see below); not checked"
    tail -n 5 "$T/codex.out"
  fi
else
  echo "npm could not install @openai/codex@$CODEX_VERSION; codex not checked"
fi

if install "@google/gemini-cli@$GEMINI_VERSION" gemini; then
  H=$T/gemini-home
  mkdir -p "$H/.gemini" "$T/gwork"
  echo '{"security":{"auth":{"selectedType":"gemini-api-key"}}}' >"$H/.gemini/settings.json"
  ok=1
  for p in "${PROMPTS[@]}"; do
    # -m: a fixed model, so no routing call (those are not in the chat logs).
    (cd "$T/gwork" && env -i PATH="$PATH" HOME="$H" GEMINI_API_KEY=stub GEMINI_CLI_TRUST_WORKSPACE=true \
      GOOGLE_GEMINI_BASE_URL="http://127.0.0.1:$PORT" \
      timeout 120 "$NPM/node_modules/.bin/gemini" -m gemini-2.5-pro -p "$p") >>"$T/gemini.out" 2>&1 || ok=0
  done
  if [[ $ok == 1 ]]; then
    read -r in cached out thoughts n <<<"$(stub_sum gemini-stream)"
    read -r _ _ _ _ aux <<<"$(stub_sum gemini)"
    want="$((in - cached)) $cached $((out + thoughts)) $n"
    got=$(report_totals "$H" gemini)
    echo "gemini-cli $GEMINI_VERSION: stub streamed $n answers: input $in (cached $cached), output $out + thoughts $thoughts; $aux other calls"
    echo "  stub:   $want"
    echo "  report: $got"
    [[ $aux == 0 ]] || fail "gemini made $aux calls outside the chat (not in its logs)"
    [[ "$got" == "$want" ]] || fail "gemini: report differs from the stub's usage"
    checked=$((checked + 1))
  else
    echo "gemini-cli $GEMINI_VERSION could not run here (see below); not checked"
    tail -n 5 "$T/gemini.out"
  fi
else
  echo "npm could not install @google/gemini-cli@$GEMINI_VERSION; gemini not checked"
fi

if install "opencode-ai@$OPENCODE_VERSION" opencode; then
  H=$T/opencode-home
  mkdir -p "$H/.config/opencode" "$T/owork"
  cat >"$H/.config/opencode/opencode.json" <<JSON
{"provider": {"stub": {"npm": "@ai-sdk/openai-compatible", "name": "stub",
  "options": {"baseURL": "http://127.0.0.1:$PORT/v1", "apiKey": "stub"},
  "models": {"stub-model": {"name": "stub-model"}}}},
 "model": "stub/stub-model", "autoupdate": false, "share": "disabled"}
JSON
  ok=1
  for p in "${PROMPTS[@]}"; do
    (cd "$T/owork" && env -i PATH="$PATH" HOME="$H" timeout 180 "$NPM/node_modules/.bin/opencode" run "$p") \
      >>"$T/opencode.out" 2>&1 || ok=0
  done
  if [[ $ok == 1 ]]; then
    read -r in cached out reasoning n <<<"$(stub_sum chat)"
    read -r _ _ _ _ titles <<<"$(stub_sum chat-title)"
    want="$((in - cached)) $cached $out $n"
    got=$(report_totals "$H" opencode)
    echo "opencode $OPENCODE_VERSION: stub answered $n requests: input $in (cached $cached), output $out (reasoning $reasoning); $titles title requests (not in OpenCode's database)"
    echo "  stub:   $want"
    echo "  report: $got"
    [[ "$got" == "$want" ]] || fail "opencode: report differs from the stub's usage"
    checked=$((checked + 1))
  else
    echo "opencode $OPENCODE_VERSION could not run here (see below); not checked"
    tail -n 5 "$T/opencode.out"
  fi
else
  echo "npm could not install opencode-ai@$OPENCODE_VERSION; opencode not checked"
fi

if [[ $checked == 0 ]]; then
  echo "SKIP: no real agent could be installed and run offline"
  exit 77
fi
echo "PASS ($checked agents)"
