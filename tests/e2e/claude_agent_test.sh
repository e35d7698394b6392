#!/usr/bin/env bash
# End to end: `burnrate agent` follows a Claude Code transcript directory
# while lines are appended (some half-written), is killed with -9 and
# restarted, and the server's totals equal `burnrate report`'s totals
# exactly. Then `burnrate ingest --claude` re-imports the same files and
# nothing changes (stable event ids).
set -euo pipefail
BURNRATE=${BURNRATE:-build/burnrate}
T=$(mktemp -d /tmp/burnrate_claude_e2e.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  # The server writes its checkpoint on the way out: let it finish before
  # the directory goes.
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$T"/*.log >&2 || true; exit 1; }

KEY=$("$BURNRATE" keys create --db "$T/b.db" --role admin | tail -1)
# The server picks a free port and prints it (a port chosen here could be
# taken by a test running alongside before the server binds it).
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
[[ -n $PORT ]] && curl -sf "$URL/healthz" >/dev/null || fail "server did not start"

# append.py FILE FROM TO [HALF]: appends responses FROM..TO-1, each written as
# two content-block lines; with HALF, ends with the first half of one more line.
cat >"$T/append.py" <<'PY'
import json, os, sys, time
path, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
half = len(sys.argv) > 4
os.makedirs(os.path.dirname(path), exist_ok=True)
now = int(time.time()) - 7200
def line(i):
    ts = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + i * 7))
    return json.dumps({"parentUuid": None, "isSidechain": False, "sessionId": "s-" + os.path.basename(path),
        "message": {"id": "msg_%d" % i, "type": "message", "role": "assistant",
                    "model": ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805"][i % 2],
                    "content": [{"type": "text", "text": "x" * (i % 500)}],
                    "usage": {"input_tokens": i + 1, "output_tokens": 2 * i + 1,
                              "cache_creation_input_tokens": 3 * i, "cache_read_input_tokens": 100 + i,
                              "cache_creation": {"ephemeral_5m_input_tokens": 2 * i, "ephemeral_1h_input_tokens": i}}},
        "requestId": "req_%d" % i, "type": "assistant", "timestamp": ts}, separators=(",", ":"))
with open(path, "a") as f:
    # Complete a half line left by the previous call, if any.
    if os.path.exists(path + ".half"):
        rest = open(path + ".half").read()
        os.remove(path + ".half")
        f.write(rest + "\n")
    for i in range(lo, hi):
        l = line(i)
        f.write(l + "\n" + l + "\n")
    if half:
        l = line(hi)
        f.write(l[: len(l) // 2])
        open(path + ".half", "w").write(l[len(l) // 2:])
PY
A="$T/claude/projects/-home-dev-app/a.jsonl"
B="$T/claude/projects/-home-dev-lib/b.jsonl"
python3 "$T/append.py" "$A" 0 50
python3 "$T/append.py" "$B" 1000 1020

start_agent() {
  "$BURNRATE" agent --server "$URL" --key "$KEY" --dir "$T/claude" --user dev@example.com \
    --checkpoint "$T/agent.checkpoint" --poll-ms 100 --batch 7 >>"$T/agent.log" 2>&1 &
  AGENT=$!
  PIDS+=($AGENT)
}
start_agent
for round in 1 2 3 4 5; do
  python3 "$T/append.py" "$A" $((50 + round * 20)) $((70 + round * 20)) half
  python3 "$T/append.py" "$B" $((1020 + round * 5)) $((1025 + round * 5))
  sleep 0.15
  if [[ $round == 3 ]]; then kill -9 "$AGENT"; python3 "$T/append.py" "$A" 300 320; start_agent; fi
done
python3 "$T/append.py" "$A" 400 410  # completes the last half line too
sleep 0.3
kill -9 "$AGENT"
start_agent

# Totals from the files, without a server.
REPORT=$("$BURNRATE" report daily --json --dir "$T/claude" --tz UTC)
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
echo "report totals: $want"
echo "server totals: $got"
[[ "$got" == "$want" ]] || fail "server totals differ from the report"

# Re-import the same files with ingest --claude: every event is a duplicate.
kill "$AGENT"
OUT=$("$BURNRATE" ingest --claude "$T/claude" --server "$URL" --key "$KEY" --user dev@example.com)
echo "$OUT"
grep -q "accepted 0," <<<"$OUT" || fail "re-import accepted new events"
[[ "$(server_totals)" == "$want" ]] || fail "re-import changed the totals"
echo "PASS"
