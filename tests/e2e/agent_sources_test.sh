#!/usr/bin/env bash
# End to end: `burnrate agent` follows Codex CLI, Gemini CLI and OpenCode
# logs found under $HOME (the trap fixtures of tests/data/agents plus an
# OpenCode database), while turns are appended, is killed with -9 and
# restarted; the server's totals then equal `burnrate report --source all`
# exactly. `ingest --source` of the same logs adds nothing, from this
# machine or from a second machine holding a copy (content-derived ids),
# while the second machine's own session counts once.
set -euo pipefail
BURNRATE=${BURNRATE:-build/burnrate}
SRC=${BURNRATE_SOURCE_DIR:-.}
T=$(mktemp -d /tmp/burnrate_agents_e2e.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  # The server writes its checkpoint on the way out: let it finish before
  # the directory goes.
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$T"/*.log >&2 || true; exit 1; }

H=$T/home
mkdir -p "$H/.local/share/opencode"
cp -r "$SRC/tests/data/agents/codex-traps" "$H/.codex"
cp -r "$SRC/tests/data/agents/gemini-traps" "$H/.gemini"
python3 - "$H/.local/share/opencode/opencode.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""CREATE TABLE session (id text PRIMARY KEY, project_id text NOT NULL, directory text NOT NULL);
CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, time_created integer NOT NULL,
  time_updated integer NOT NULL, data text NOT NULL);
INSERT INTO session VALUES ('ses_1', 'p', '/home/dev/api');""")
for i in range(1, 6):
    data = {"role": "assistant", "modelID": "claude-sonnet-4-5", "cost": 0,
            "tokens": {"input": 10 * i, "output": 20 * i, "reasoning": i, "cache": {"read": 100 * i, "write": 5 * i}},
            "time": {"created": 1795000000000 + i * 1000, "completed": 1795000000500 + i * 1000}}
    db.execute("INSERT INTO message VALUES (?, 'ses_1', ?, ?, ?)", ("msg_%d" % i, i, i, json.dumps(data)))
db.commit()
PY

KEY=$("$BURNRATE" keys create --db "$T/b.db" --role admin | tail -1)
"$BURNRATE" serve --db "$T/b.db" --listen 127.0.0.1:0 >"$T/serve.log" 2>&1 &
PIDS+=($!)
PORT=""
for _ in $(seq 100); do
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/serve.log" | head -1)
  [[ -n $PORT ]] && break
  sleep 0.1
done
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/healthz" >/dev/null || fail "server did not start"

# exec: in the background (start_agent) the subshell becomes the agent, so
# $! is the agent's pid and the kills below reach it (not an orphan left
# polling after the test).
run() { exec env -i PATH="$PATH" HOME="$H" USER=dev TZ=UTC "$@"; }
start_agent() {
  run "$BURNRATE" agent --server "$URL" --key "$KEY" --user dev@example.com --machine-id m-laptop \
    --state-dir "$T/state" --poll-ms 100 --batch 3 >>"$T/agent.log" 2>&1 &
  AGENT=$!
  PIDS+=($AGENT)
}
# codex_turn N: the parent thread's next turn (running total grows by N).
CODEX_FILE=$(ls "$H"/.codex/sessions/2026/11/20/*0000p.jsonl)
TOTAL_IN=1700 TOTAL_OUT=70
codex_turn() {
  TOTAL_IN=$((TOTAL_IN + $1)) TOTAL_OUT=$((TOTAL_OUT + 7))
  printf '{"timestamp":"2026-11-20T15:%02d:00.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":%d,"cached_input_tokens":400,"output_tokens":%d,"reasoning_output_tokens":5,"total_tokens":%d}}}}\n' \
    $(($1 % 60)) $TOTAL_IN $TOTAL_OUT $((TOTAL_IN + TOTAL_OUT)) >>"$CODEX_FILE"
}
GEMINI_FILE=$(ls "$H"/.gemini/tmp/3f1a/chats/session-*.jsonl)
gemini_msg() {
  printf '{"id":"e2e-%s","timestamp":"2026-11-22T10:00:00.000Z","type":"gemini","content":"ok","model":"gemini-2.5-pro","tokens":{"input":%d,"output":9,"cached":10,"thoughts":1,"tool":0,"total":%d}}\n' \
    "$1" $((100 + $1)) $((110 + $1)) >>"$GEMINI_FILE"
}

start_agent
for round in 1 2 3 4; do
  codex_turn $((round * 11))
  gemini_msg "$round"
  sleep 0.3
  if [[ $round == 2 ]]; then kill -9 "$AGENT"; codex_turn 5; start_agent; fi
done
sleep 0.5
kill -9 "$AGENT"
start_agent

REPORT=$(run "$BURNRATE" report daily --json --source all)
want=$(python3 -c 'import json,sys; t=json.loads(sys.argv[1])["totals"]; print(t["inputTokens"], t["outputTokens"], t["cacheReadTokens"], t["cacheCreationTokens"], t["requests"])' "$REPORT")
server_totals() {
  curl -sf -H "Authorization: Bearer $KEY" "$URL/v1/leaderboard?entity=user&window=all" |
    python3 -c 'import json,sys; e=[x for x in json.load(sys.stdin)["entries"] if x["id"]=="dev@example.com"]
e=e[0] if e else {"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0,"requests":0}
print(e["input_tokens"], e["output_tokens"], e["cache_read_tokens"], e["cache_write_tokens"], e["requests"])'
}
got=""
for _ in $(seq 100); do
  got=$(server_totals)
  [[ "$got" == "$want" ]] && break
  sleep 0.2
done
echo "report totals (all sources): $want"
echo "server totals:               $got"
[[ "$got" == "$want" ]] || fail "server totals differ from the report"
grep -q "following codex" "$T/agent.log" && grep -q "following gemini" "$T/agent.log" &&
  grep -q "following opencode" "$T/agent.log" || fail "the agent did not find every source"
kill "$AGENT"

# Re-import from this machine, and from a second machine holding a copy of
# the same Codex logs: nothing new.
for machine in m-laptop m-desktop; do
  OUT=$(run "$BURNRATE" ingest --source codex --server "$URL" --key "$KEY" --user dev@example.com --machine-id $machine)
  echo "$OUT"
  grep -q "accepted 0," <<<"$OUT" || fail "re-import from $machine accepted new events"
done
[[ "$(server_totals)" == "$want" ]] || fail "re-import changed the totals"

# The second machine's own session counts, once.
D=$T/desktop/sessions/2026/11/23
mkdir -p "$D"
cat >"$D/rollout-2026-11-23T08-00-00-desk.jsonl" <<'JL'
{"timestamp":"2026-11-23T08:00:00.000Z","type":"session_meta","payload":{"id":"desk-thread","cwd":"/home/dev/shop"}}
{"timestamp":"2026-11-23T08:00:01.000Z","type":"turn_context","payload":{"model":"gpt-5.1-codex"}}
{"timestamp":"2026-11-23T08:00:05.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":1000,"cached_input_tokens":200,"output_tokens":50,"total_tokens":1050}}}}
JL
for i in 1 2; do
  OUT=$(run "$BURNRATE" ingest --source codex --dir "$T/desktop" --server "$URL" --key "$KEY" --user dev@example.com --machine-id m-desktop)
  echo "$OUT"
done
grep -q "accepted 0, duplicates 1" <<<"$OUT" || fail "second import of the desktop session was not a duplicate"
read -r i o cr cw n <<<"$want"
want2="$((i + 800)) $((o + 50)) $((cr + 200)) $cw $((n + 1))"
for _ in $(seq 50); do [[ "$(server_totals)" == "$want2" ]] && break; sleep 0.2; done
[[ "$(server_totals)" == "$want2" ]] || fail "desktop session: got $(server_totals), want $want2"
echo "PASS"
