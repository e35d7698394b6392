#!/usr/bin/env bash
# Three nodes on one PostgreSQL tail the shared event log (docs/scale-out.md,
# "Tailing the shared log"), against a server this test starts itself:
#   1. the same events, with overlapping duplicates, are posted to all three
#      nodes at once (every chunk to two nodes, every fourth to all three);
#      every post is acknowledged;
#   2. every node's org board then equals the sum sent, once (each node saw
#      only part of the events itself: the rest came by its tail, and ids it
#      lost to another node were not counted), and its lag gauge is 0;
#   3. `burnrate events --db postgresql://…` lists every acknowledged id
#      exactly once;
#   4. a small batch posted to one node shows on the other two within 1 s.
# SHARED_LOG_EVENTS (default 1,000,000) sets how many distinct events.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib/postgres.sh"
pg_start

N=${SHARED_LOG_EVENTS:-1000000}
CHUNK=20000
INGEST=$(new_key "$PG_URL" ingest)
VIEWER=$(new_key "$PG_URL" viewer)

BASES=() PIDS=()
for i in 0 1 2; do
  start_server "$PG_URL"
  BASES+=("$BASE") PIDS+=("$SERVER_PID")
  mv "$WORK/server.log" "$WORK/node$i.log"
  SERVER_PID="" PORT=""
done
stop_nodes() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  pg_stop
  cleanup
}
trap stop_nodes EXIT

# Chunks of CHUNK events with ids e0..e(N-1); prints the sum of tokens.
WANT=$(python3 - "$WORK" "$N" "$CHUNK" <<'PY'
import sys, time
work, n, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
now = int(time.time() * 1000)
total = 0
for c in range(0, (n + chunk - 1) // chunk):
    with open(f"{work}/chunk{c}.ndjson", "w") as f:
        for i in range(c * chunk, min(n, (c + 1) * chunk)):
            inp, out = 100 + i % 1000, 10 + i % 97
            total += inp + out
            f.write('{"id":"e%d","user":"u%d","team":"t%d","org":"acme","model":"claude-sonnet-4-5",'
                    '"ts":%d,"input_tokens":%d,"output_tokens":%d}\n'
                    % (i, i % 5000, i % 40, now - (i % 3600) * 1000, inp, out))
print(total)
PY
)
CHUNKS=$(( (N + CHUNK - 1) / CHUNK ))

# post_chunks NODE: posts, in chunk order, every chunk c with c%3 == NODE or
# (c+1)%3 == NODE (two nodes each), and every fourth chunk to all three.
post_chunks() {
  local node=$1 c
  for ((c = 0; c < CHUNKS; c++)); do
    if (( c % 3 == node || (c + 1) % 3 == node || c % 4 == 0 )); then
      curl -fsS -o /dev/null -H "Authorization: Bearer $INGEST" -H 'Content-Type: application/x-ndjson' \
        --data-binary @"$WORK/chunk$c.ndjson" "${BASES[$node]}/v1/events" ||
        { echo "post of chunk $c to node $node failed" >&2; return 1; }
    fi
  done
}

org_total() {  # org_total BASE: the org board's total tokens over all time
  curl -fsS -H "Authorization: Bearer $VIEWER" "$1/v1/leaderboard?entity=org&window=all&metric=tokens&limit=10" |
    python3 -c 'import json,sys; print(sum(e["total_tokens"] for e in json.load(sys.stdin)["entries"]))'
}

# 1. All three nodes at once.
T0=$(date +%s.%N)
POSTS=()
for i in 0 1 2; do post_chunks "$i" & POSTS+=($!); done
for p in "${POSTS[@]}"; do wait "$p" || fail "a post to one of the three nodes failed"; done
T1=$(date +%s.%N)
pass "$N events in $CHUNKS chunks posted to three nodes at once, each chunk to two or three of them, all acknowledged ($(python3 -c "print(f'{$T1-$T0:.1f}')") s)"

# 2. Every node's org board equals the sum sent, once.
for i in 0 1 2; do
  got=""
  for _ in $(seq 1 300); do
    got=$(org_total "${BASES[$i]}")
    [[ "$got" == "$WANT" ]] && break
    sleep 0.1
  done
  [[ "$got" == "$WANT" ]] || fail "node $i: org board $got tokens, want $WANT"
done
T2=$(date +%s.%N)
pass "every node's org board is $WANT tokens, the sum sent once ($(python3 -c "print(f'{$T2-$T1:.2f}')") s after the last acknowledgement)"
for i in 0 1 2; do
  m=$(curl -fsS -H "Authorization: Bearer $VIEWER" "${BASES[$i]}/metrics")
  grep -qx 'burnrate_store_log_lag_blocks 0' <<<"$m" || fail "node $i: lag gauge not 0: $(grep log_lag <<<"$m")"
  grep -q '^burnrate_store_log_lag_seconds ' <<<"$m" || fail "node $i: no lag age gauge"
  t=$(sed -n 's/^burnrate_store_log_tailed_events_total //p' <<<"$m")
  (( t > 0 )) || fail "node $i tailed no events"
done
pass "lag gauges are 0 on every node; each node tailed events of the others"

# 3. Every acknowledged id exactly once in PostgreSQL.
"$BURNRATE" events --db "$PG_URL" | python3 -c '
import json, sys
n = int(sys.argv[1])
ids = [json.loads(l)["id"] for l in sys.stdin if l.strip()]
assert len(ids) == n, (len(ids), n)
assert set(ids) == {f"e{i}" for i in range(n)}, "ids differ"
' "$N" || fail "burnrate events: ids not each exactly once"
pass "burnrate events --db postgresql://… lists each of the $N ids exactly once"

# 4. One node's acknowledgement, on the others within 1 s.
printf '{"id":"probe","user":"p","team":"t0","org":"acme","model":"claude-sonnet-4-5","ts":%s,"input_tokens":1000,"output_tokens":0}\n' "$(date +%s%3N)" >"$WORK/probe.ndjson"
curl -fsS -o /dev/null -H "Authorization: Bearer $INGEST" --data-binary @"$WORK/probe.ndjson" "${BASES[0]}/v1/events"
ACK=$EPOCHREALTIME
for i in 1 2; do
  # curl alone in the loop (no python: its start-up alone is 0.25 s here).
  until curl -fsS -H "Authorization: Bearer $VIEWER" \
      "${BASES[$i]}/v1/leaderboard?entity=org&window=all&metric=tokens&limit=10" |
      grep -q "\"total_tokens\":$((WANT + 1000))[,}]"; do
    (( ${EPOCHREALTIME/./} - ${ACK/./} < 1000000 )) || fail "node $i did not show the probe within 1 s"
    sleep 0.02
  done
  SEEN[$i]=$(( (${EPOCHREALTIME/./} - ${ACK/./}) / 1000 ))
done
pass "an event acknowledged by node 0 is on node 1 after ${SEEN[1]} ms and on node 2 after ${SEEN[2]} ms (within 1 s)"
