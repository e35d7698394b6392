#!/usr/bin/env bash
# End to end: one Codex CLI request reaching burnrate by two paths counts
# once. The fixture tests/data/agents/codex-0.171.0-otlp holds the rollouts
# and the OTLP log bodies the real Codex CLI 0.171.0 wrote and sent for the
# same two requests. For each order (OTLP first, then `burnrate ingest
# --source codex`; and the reverse) a fresh server must show exactly the
# stub's usage: two requests, input 2,703 - 609 cached, 137 output. Then the
# real Copilot CLI 1.0.102 spans count their chat spans once, retries
# included, and its token metrics add nothing.
set -euo pipefail
BURNRATE=${BURNRATE:-build/burnrate}
SRC=${BURNRATE_SOURCE_DIR:-.}
FX=$SRC/tests/data/agents/codex-0.171.0-otlp
T=$(mktemp -d /tmp/burnrate_agent_otlp.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  # The server writes its checkpoint on the way out: let it finish before
  # the directory goes.
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$T"/*.log >&2 || true; exit 1; }

start() {  # start NAME: a server on its own database; sets URL and KEY
  KEY=$("$BURNRATE" keys create --db "$T/$1.db" --role admin | tail -1)
  "$BURNRATE" serve --db "$T/$1.db" --listen 127.0.0.1:0 >"$T/$1.log" 2>&1 &
  PIDS+=($!)
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/$1.log" | head -1)
    [[ -n $port ]] && break
    sleep 0.1
  done
  URL=http://127.0.0.1:$port
  for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf "$URL/healthz" >/dev/null || fail "server $1 did not start"
}
post() {  # post SIGNAL FILE: prints the answer
  curl -sf -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
    --data-binary @"$2" "$URL/v1/otlp/v1/$1"
}
send_otlp() { for f in "$FX"/otlp/logs-*.json; do post logs "$f" >>"$T/otlp.out"; echo >>"$T/otlp.out"; done; }
send_logs() {
  env -i PATH="$PATH" HOME="$T/nohome" TZ=UTC "$BURNRATE" ingest --source codex --dir "$FX" \
    --server "$URL" --key "$KEY" --user alice@example.com --machine-id m-laptop
}
# "user input cache_read output requests" for every user on the board.
totals() {
  curl -sf -H "Authorization: Bearer $KEY" "$URL/v1/leaderboard?entity=user&window=all" |
    python3 -c '
import json, sys
for e in sorted(json.load(sys.stdin)["entries"], key=lambda e: e["id"]):
    print(e["id"], e["input_tokens"], e["cache_read_tokens"], e["output_tokens"], e["requests"])'
}
wait_for() {  # wait_for WANT
  local got=""
  for _ in $(seq 50); do got=$(totals); [[ "$got" == "$1" ]] && break; sleep 0.2; done
  echo "$got"
}

WANT="alice@example.com 2094 609 137 2"  # (1333-299)+(1370-310), 299+310, 67+70
for order in otlp-first logs-first; do
  start "$order"
  if [[ $order == otlp-first ]]; then send_otlp; OUT=$(send_logs); else OUT=$(send_logs); send_otlp; fi
  got=$(wait_for "$WANT")
  echo "$order: board: $got"
  echo "  ingest: $OUT"
  [[ "$got" == "$WANT" ]] || fail "$order: board shows '$got', want '$WANT'"
  if [[ $order == otlp-first ]]; then
    grep -q "accepted 0," <<<"$OUT" || fail "ingest after OTLP accepted new events: $OUT"
  else
    # Both responses are duplicates; what is accepted are the zero-token
    # codex.user_prompt events (prompt length, for detection).
    dups=$(python3 -c 'import json,sys; print(sum(json.loads(l)["duplicates"] for l in open(sys.argv[1]) if l.strip()))' "$T/otlp.out")
    [[ $dups == 2 ]] || fail "OTLP after ingest: $dups duplicates, want 2: $(cat "$T/otlp.out")"
  fi
  rm -f "$T/otlp.out"
done

# Copilot CLI: spans (sent twice: an exporter retry) and metrics.
C=$SRC/tests/data/otlp/copilot-cli-1.0.102
start copilot
for f in "$C"/traces-1.json "$C"/traces-2.json "$C"/traces-1.json; do post traces "$f" >>"$T/copilot.out"; echo >>"$T/copilot.out"; done
for f in "$C"/metrics-*.json; do post metrics "$f" >>"$T/copilot.out"; echo >>"$T/copilot.out"; done
WANT="bob@example.com 2198 653 149 2"  # (1407-321)+(1444-332), 321+332, 73+76
got=$(wait_for "$WANT")
echo "copilot: board: $got"
[[ "$got" == "$WANT" ]] || fail "copilot: board shows '$got', want '$WANT'; answers: $(cat "$T/copilot.out")"
echo "ok - one request, two paths, counted once; Copilot spans counted once"
