#!/usr/bin/env bash
# Restart from an engine checkpoint plus the events after it (docs/
# ARCHITECTURE.md, "What is on disk"):
#   1. events, a checkpoint, more events (the tail), kill -9: after the
#      restart the boards equal those before the kill, the log says the
#      checkpoint was loaded, and they equal a full replay (no checkpoint);
#   2. a corrupt checkpoint (one byte flipped) and a stale half-written
#      .tmp are ignored with a log line: full replay, same boards;
#   3. kill -9 at random moments while checkpoints are written every second
#      under ingest: the restart (from whatever checkpoint survived) equals a
#      full replay of the same database.
source "$(dirname "$0")/lib.sh"

DB="$WORK/ckpt.db"
INGEST=$(new_key "$DB" ingest)
VIEWER=$(new_key "$DB" viewer)
printf '[store]\ncheckpoint_interval_seconds = 1\n' >"$WORK/fast.toml"
printf '[store]\ncheckpoint_interval_seconds = 0\n' >"$WORK/off.toml"

# events FIRST COUNT: NDJSON with ids FIRST.., over 30 users, 6 teams, 4
# projects, sessions and outcomes, spread over the last 40 days.
events() {
  python3 - "$1" "$2" <<'PY'
import json, sys, time
first, count = int(sys.argv[1]), int(sys.argv[2])
now = int(time.time() * 1000)
for i in range(first, first + count):
    u = i * 7919 % 30
    e = {"id": f"e{i}", "user": f"u{u}", "team": f"t{u % 6}", "project": f"p{i % 4}",
         "session": f"s{u}-{i // 50}", "ts": now - (i * 104729 % (40 * 86400)) * 1000}
    if i % 9 == 0:
        e.update(type="outcome", kind=["pull_request", "commit", "edit_accepted"][i % 3], value=1)
    else:
        e.update(model=["claude-sonnet-4-5", "gpt-5", "mystery-model"][i % 3],
                 input_tokens=100 + i % 1000, output_tokens=10 + i % 97, cache_read_tokens=i % 500)
    print(json.dumps(e))
PY
}

post() {  # post FIRST COUNT
  events "$1" "$2" >"$WORK/batch.ndjson"
  expect_status 200 "$INGEST" POST /v1/events -H 'Content-Type: application/x-ndjson' --data-binary @"$WORK/batch.ndjson"
}

# boards OUT: every entity x window x metric, without the fields that name
# the moment (generated_at, version) or the badge worker's state.
boards() {
  python3 - "$BASE" "$VIEWER" "$1" <<'PY'
import json, sys, urllib.request
base, key, out = sys.argv[1:4]
res = {}
for ent in ["user", "team", "org", "project", "model"]:
    for win in ["24h", "7d", "30d", "day", "week", "month", "all"]:
        for metric in ["tokens", "cost", "requests", "value"]:
            url = f"{base}/v1/leaderboard?entity={ent}&window={win}&metric={metric}&limit=1000"
            req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
            j = json.load(urllib.request.urlopen(req))
            for k in ["generated_at", "version"]:
                j.pop(k, None)
            for e in j.get("entries", []):
                e.pop("badges", None)
            res[f"{ent}/{win}/{metric}"] = j
json.dump(res, open(out, "w"), sort_keys=True, indent=1)
PY
}

same() {  # same A B WHAT
  cmp -s "$1" "$2" || { diff "$1" "$2" | head -20 >&2; fail "$3"; }
}

log_count() { grep -c "$1" "$WORK/server.log" || true; }

wait_for_checkpoint() {  # waits until a checkpoint.written line beyond N appears
  local before=$1 i
  for i in $(seq 1 100); do
    (( $(log_count checkpoint.written) > before )) && return 0
    sleep 0.1
  done
  fail "no checkpoint was written"
}

# Rolling windows move on the hour: each part compares boards taken within
# a few minutes, so it starts well inside an hour.
inside_hour() {
  local left=$(( 3600 - $(date +%s) % 3600 ))
  if (( left < 240 )); then sleep $((left + 2)); fi
}

# 1. checkpoint + tail after kill -9
inside_hour
start_server "$DB" --config "$WORK/fast.toml"
post 0 3000
n=$(log_count checkpoint.written)
wait_for_checkpoint "$n"
kill9_server
start_server "$DB" --config "$WORK/off.toml"  # no new checkpoint: the tail stays a tail
post 3000 2000
boards "$WORK/before.json"
grep -q '"u1"' "$WORK/before.json" || fail "boards are empty"
kill9_server
loaded=$(log_count checkpoint.loaded)
start_server "$DB" --config "$WORK/fast.toml"
(( $(log_count checkpoint.loaded) > loaded )) || fail "the checkpoint was not loaded"
boards "$WORK/after.json"
same "$WORK/before.json" "$WORK/after.json" "boards after checkpoint + tail differ from before the kill"
kill9_server
cp "$DB.checkpoint" "$WORK/saved.checkpoint"
rm -f "$DB.checkpoint"
start_server "$DB" --config "$WORK/off.toml"
boards "$WORK/full.json"
same "$WORK/before.json" "$WORK/full.json" "a full replay differs from the checkpoint restart"
stop_server
pass "checkpoint + tail after kill -9 equals the boards before the kill and a full replay"

# 2. a corrupt checkpoint and a stale .tmp are ignored
inside_hour
cp "$WORK/saved.checkpoint" "$DB.checkpoint"
python3 - "$DB.checkpoint" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x40
open(p, "wb").write(b)
PY
head -c 100 "$WORK/saved.checkpoint" >"$DB.checkpoint.tmp"
ignored=$(log_count checkpoint.ignored)
start_server "$DB" --config "$WORK/off.toml"
(( $(log_count checkpoint.ignored) > ignored )) || fail "a corrupt checkpoint was not reported"
grep checkpoint.ignored "$WORK/server.log" | tail -1 | grep -Eq "checksum mismatch|malformed state|does not decompress" || fail "wrong reason: $(grep checkpoint.ignored "$WORK/server.log" | tail -1)"
boards "$WORK/corrupt.json"
same "$WORK/before.json" "$WORK/corrupt.json" "boards after an ignored checkpoint differ"
stop_server
rm -f "$DB.checkpoint" "$DB.checkpoint.tmp"
pass "a corrupt checkpoint is ignored with a log line; full replay"

# 3. kill -9 at random moments while checkpoints are written
inside_hour
start_server "$DB" --config "$WORK/fast.toml"
first=5000
for round in 1 2 3 4 5; do
  for k in 1 2 3; do post "$first" 700; first=$((first + 700)); done
  sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
  kill9_server
  start_server "$DB" --config "$WORK/fast.toml"
done
kill9_server
[[ -f "$DB.checkpoint" ]] || fail "no checkpoint survived"
start_server "$DB" --config "$WORK/off.toml"
boards "$WORK/ckpt3.json"
kill9_server
rm -f "$DB.checkpoint"
start_server "$DB" --config "$WORK/off.toml"
boards "$WORK/full3.json"
stop_server
same "$WORK/ckpt3.json" "$WORK/full3.json" "after kills during checkpoint writes, the restart differs from a full replay"
pass "kill -9 during checkpoint writes: restart equals a full replay"
