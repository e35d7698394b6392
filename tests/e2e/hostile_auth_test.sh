#!/usr/bin/env bash
# Security issue #13, keys and privacy, attacked on the real binary:
# - a key revoked with `burnrate keys revoke --db` (another process) stops
#   working within 2 s; a revoked admin key cannot mint keys; its SSE stream
#   is closed; the delay is measured and printed;
# - whoami answers every role; ?key= is accepted only on the SSE stream;
# - a pseudonymous board cannot be searched by real id;
# - an acknowledged audit entry survives kill -9;
# - a full disk: commits fail with 503 and Retry-After, the log says so, /readyz says
#   degraded, and ingest resumes by itself once there is room (needs a small
#   tmpfs: skipped with a message where mount is not permitted).
source "$(dirname "$0")/lib.sh"

DB=$WORK/auth.db
ADMIN=$(new_key "$DB" admin)
VIEWER=$(new_key "$DB" viewer)
INGEST=$(new_key "$DB" ingest)
SELF=$(new_key "$DB" self --user ada@corp)
start_server "$DB" --pseudonymous

# --- whoami for every role, and where ?key= is accepted --------------------
for k in "$ADMIN" "$VIEWER" "$INGEST" "$SELF"; do
  expect_status 200 "$k" GET /v1/whoami
  check_json '"role" in j and j["principal"] != ""'
done
expect_status 401 "" GET /v1/whoami
expect_status 401 "" GET "/v1/leaderboard?key=$VIEWER"
expect_status 401 "" GET "/metrics?key=$ADMIN"
code=$(curl -sS -o /dev/null -m 2 -w '%{http_code}' "$BASE/v1/stream/leaderboard?key=$VIEWER" || true)
[[ "$code" == 200 ]] || fail "the SSE stream should take ?key=, got $code"
pass "whoami answers every role; ?key= only on the SSE stream"

# --- pseudonymous boards: no search by real id ------------------------------
printf '%s\n' \
  '{"id":"p1","user":"ada.lovelace@corp","model":"claude-sonnet-4-5","input_tokens":100,"output_tokens":10}' \
  '{"id":"p2","user":"grace.hopper@corp","model":"claude-sonnet-4-5","input_tokens":200,"output_tokens":10}' >"$WORK/p.ndjson"
expect_status 200 "$INGEST" POST /v1/events --data-binary @"$WORK/p.ndjson"
sleep 0.3
expect_status 200 "$VIEWER" GET "/v1/leaderboard?window=all"
check_json 'len(j["entries"]) == 2 and all("@" not in e["id"] for e in j["entries"])'
alias=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["entries"][0]["id"])' "$WORK/body")
for q in ada.lovelace ada lovelace @corp grace; do
  expect_status 200 "$VIEWER" GET "/v1/leaderboard?window=all&q=$q"
  check_json 'j["total_entries"] == 0 and j["entries"] == []'
done
expect_status 200 "$VIEWER" GET "/v1/leaderboard?window=all&q=${alias##*-}"
check_json "j['total_entries'] == 1 and j['entries'][0]['id'] == '$alias'"
pass "pseudonymous search matches aliases only ($alias)"

# --- revocation from another process ----------------------------------------
DOOMED=$(new_key "$DB" admin)
expect_status 201 "$DOOMED" POST "/v1/keys?role=viewer&label=before"
doomed_id=k_$(printf %s "$DOOMED" | sha256sum | cut -c1-12)
# The SSE stream of the doomed key, in the background: it must end.
curl -sS -N -m 10 -H "Authorization: Bearer $DOOMED" "$BASE/v1/stream/leaderboard" >"$WORK/sse.out" 2>/dev/null &
SSE_PID=$!
sleep 0.5
t0=$(date +%s.%N)
"$BURNRATE" keys revoke --db "$DB" "$doomed_id" >/dev/null
delay=""
for _ in $(seq 1 60); do
  code=$(http_status "$DOOMED" POST "/v1/keys?role=admin&label=after")
  if [[ "$code" == 401 ]]; then
    delay=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$t0" "$(date +%s.%N)")
    break
  fi
  [[ "$code" == 201 ]] || fail "unexpected $code while waiting for the revocation"
  sleep 0.05
done
[[ -n "$delay" ]] || fail "a key revoked with keys revoke --db still works after 3 s"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 2.0 else 1)" "$delay" || fail "revocation took ${delay}s (limit 2 s)"
for _ in $(seq 1 40); do kill -0 "$SSE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SSE_PID" 2>/dev/null && fail "the revoked key's SSE stream is still open"
grep -q "event: leaderboard" "$WORK/sse.out" || fail "the stream never sent a board"
expect_status 401 "$DOOMED" GET /v1/whoami
pass "keys revoke --db took effect in ${delay}s; the revoked key's stream was closed"

# --- an acknowledged audit entry survives kill -9 ---------------------------
expect_status 201 "$ADMIN" POST "/v1/keys?role=viewer&label=durable-audit-probe"
kill9_server
start_server "$DB" --pseudonymous
expect_status 200 "$ADMIN" GET "/v1/audit?limit=50"
grep -q "durable-audit-probe" "$WORK/body" || fail "the acknowledged key.create audit entry was lost by kill -9"
pass "acknowledged audit entries survive kill -9"
stop_server

# --- a full disk -------------------------------------------------------------
MNT=$WORK/small
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=24m tmpfs "$MNT" 2>/dev/null; then
  echo "skip - full-disk drill: cannot mount a tmpfs here (needs root)"
  exit 0
fi
trap 'umount -l "$MNT" 2>/dev/null || true; cleanup' EXIT
SMALL=$MNT/full.db
K=$(new_key "$SMALL" ingest)
start_server "$SMALL"
expect_status 200 "" GET /readyz
# Fill the disk, leaving no room for a commit.
dd if=/dev/zero of="$MNT/filler" bs=1M count=64 2>/dev/null || true
python3 - "$WORK/big.ndjson" <<'PY'
import sys, random
with open(sys.argv[1], "w") as f:
    for i in range(20000):
        f.write('{"id":"full-%d","user":"u%d","model":"claude-sonnet-4-5","input_tokens":%d,"output_tokens":7,"prompt":{"text":"%s"}}\n'
                % (i, i % 97, i + 1, "".join(random.choice("abcdefghij ") for _ in range(200))))
PY
failed=0
for i in 1 2 3; do
  code=$(curl -sS -D "$WORK/head" -o "$WORK/body" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $K" --data-binary @"$WORK/big.ndjson" "$BASE/v1/events")
  echo "full-disk post $i: $code $(head -c 200 "$WORK/body")"
  if [[ "$code" == 503 ]]; then
    grep -qi '^retry-after: [0-9]' "$WORK/head" || fail "a failed commit's 503 has no Retry-After"
    failed=$((failed + 1))
  fi
done
((failed > 0)) || fail "no commit failed on a full disk?"
expect_status 503 "" GET /readyz
check_json 'j["status"] == "degraded" and "commit" in j["error"]'
grep -q "event=ingest.commit_failed" "$WORK/server.log" || fail "the failed commits were not logged"
rm -f "$MNT/filler"
expect_status 200 "$K" POST /v1/events --data-binary @"$WORK/big.ndjson"
expect_status 200 "" GET /readyz
grep -q "event=ingest.commit_recovered" "$WORK/server.log" || fail "the recovery was not logged"
pass "full disk: $failed commits failed with 500, logged, /readyz degraded, then recovered"
stop_server
