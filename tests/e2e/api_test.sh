#!/usr/bin/env bash
# End to end: the real binary, real HTTP, a real SQLite file. Keys and
# roles, per-line ingest answers, compressed bodies, leaderboards, usage
# series, metrics, health checks, and persistence across a restart.
source "$(dirname "$0")/lib.sh"

DB="$WORK/api.db"
ADMIN=$(new_key "$DB" admin)
INGEST=$(new_key "$DB" ingest)
VIEWER=$(new_key "$DB" viewer)
SELF=$(new_key "$DB" self --user alice)
[[ "$ADMIN" == br_* ]] || fail "keys create printed '$ADMIN'"
"$BURNRATE" keys create --db "$DB" --role root >/dev/null 2>&1 && fail "keys create accepted role root"

# Keys are stored hashed: the secret is not in the database, its SHA-256 is.
python3 - "$DB" "$ADMIN" <<'PY' || fail "keys are not stored hashed"
import hashlib, sqlite3, sys
db, key = sys.argv[1], sys.argv[2]
rows = sqlite3.connect(db).execute("SELECT hash, role FROM api_keys").fetchall()
assert len(rows) == 4, rows
assert (hashlib.sha256(key.encode()).hexdigest(), "admin") in rows, rows
assert key.encode() not in open(db, "rb").read()
PY
pass "keys create prints a key once and stores it hashed"

start_server "$DB"

# Health checks need no key; everything else does.
expect_status 200 "" GET /healthz
expect_status 200 "" GET /readyz
for p in /metrics /v1/leaderboard /v1/users/alice/usage /v1/keys; do
  expect_status 401 "" GET "$p"
  check_json '"error" in j'
done
expect_status 401 "br_0000" GET /v1/leaderboard
expect_status 401 "" POST /v1/events --data-binary '{}'
pass "health checks are open, the rest needs a key (401)"

# Roles: 403 when the key's role does not allow the endpoint.
expect_status 403 "$VIEWER" POST /v1/events --data-binary '{}'
expect_status 403 "$INGEST" GET /v1/leaderboard
expect_status 403 "$INGEST" GET /metrics
expect_status 403 "$VIEWER" GET /v1/keys
expect_status 403 "$SELF" GET /metrics
expect_status 200 "$VIEWER" GET /metrics
expect_status 200 "$SELF" GET /v1/leaderboard
pass "roles give 403"

# Ingest: per-line answers; good lines around bad ones are kept.
NOW=$(python3 -c 'import time; print(int(time.time()*1000))')
cat >"$WORK/batch1.ndjson" <<EOF2
{"id":"a1","user":"alice","team":"platform","model":"claude-sonnet-4-5","input_tokens":1000,"output_tokens":100,"cost_usd":0.5}
{"id":"b1","user":"bob","team":"web","model":"gpt-5","input_tokens":3000,"output_tokens":300,"cache_read_tokens":50}
{"id":"bad1","user":"carol","model":"gpt-5","input_tokens":-3}
not json

{"id":"bad2","user":"carol","model":"gpt-5","ts":"2099-01-01T00:00:00Z"}
{"id":"a2","user":"alice","team":"platform","model":"claude-sonnet-4-5","input_tokens":500,"ts":$NOW}
{"id":"a1","user":"alice","team":"platform","model":"claude-sonnet-4-5","input_tokens":1000}
{"id":"bad3","user":"carol"}
{"id":"bad4","user":"carol","model":"gpt-5","output_tokens":1.5}
{"type":"outcome","id":"o1","user":"alice","kind":"pull_request","value":1}
EOF2
expect_status 200 "$INGEST" POST /v1/events -H 'Content-Type: application/x-ndjson' --data-binary @"$WORK/batch1.ndjson"
check_json 'j["accepted"] == 4 and j["duplicates"] == 1'
check_json '[(r["line"], r.get("field")) for r in j["rejected"]] == [(3, "input_tokens"), (4, None), (6, "ts"), (9, "model"), (10, "output_tokens")]'
check_json 'all(r["error"] for r in j["rejected"])'
pass "events: accepted, duplicates, rejected with line and field"

# Re-sending the same batch accepts nothing new.
expect_status 200 "$INGEST" POST /v1/events --data-binary @"$WORK/batch1.ndjson"
check_json 'j["accepted"] == 0 and j["duplicates"] == 5 and len(j["rejected"]) == 5'
pass "idempotent retries"

# gzip and zstd bodies.
printf '{"id":"g1","user":"dave","team":"web","model":"gpt-5","input_tokens":7000}\n{"id":"g2","user":"dave","team":"web","model":"gpt-5","input_tokens":1}\n' | gzip -c >"$WORK/g.gz"
expect_status 200 "$INGEST" POST /v1/events -H 'Content-Encoding: gzip' --data-binary @"$WORK/g.gz"
check_json 'j["accepted"] == 2 and j["rejected"] == []'
printf '{"id":"z1","user":"erin","team":"platform","model":"claude-haiku-4-5","input_tokens":20}\n' | zstd -q -c >"$WORK/z.zst"
expect_status 200 "$INGEST" POST /v1/events -H 'Content-Encoding: zstd' --data-binary @"$WORK/z.zst"
check_json 'j["accepted"] == 1'
expect_status 400 "$INGEST" POST /v1/events -H 'Content-Encoding: gzip' --data-binary 'plain text'
check_json 'j["field"] == "Content-Encoding"'
expect_status 415 "$INGEST" POST /v1/events -H 'Content-Encoding: br' --data-binary 'x'
pass "gzip and zstd bodies; bad encodings are 400/415"

# Leaderboards. Expected totals: alice 1100 + 500, bob 3350, dave 7001, erin 20.
# alice keeps team platform although her outcome event names no team.
sleep 0.3  # boards are at most board_refresh_ms (250 ms) stale
expect_status 200 "$VIEWER" GET '/v1/leaderboard?entity=user&window=24h&metric=tokens'
check_json '[e["id"] for e in j["entries"]] == ["dave", "bob", "alice", "erin"]'
check_json '[e["rank"] for e in j["entries"]] == [1, 2, 3, 4] and j["total_entries"] == 4'
check_json '[e["total_tokens"] for e in j["entries"]] == [7001, 3350, 1600, 20]'
check_json 'j["entries"][1]["cache_read_tokens"] == 50 and j["entries"][1]["input_tokens"] == 3000'
check_json 'j["entries"][2]["team"] == "platform" and j["entries"][2]["requests"] == 2'
check_json 'all(e["prev_rank"] is None for e in j["entries"])'
check_json 'j["entries"][0]["percentile"] == 100'
# alice: $0.50 given + 500 input tokens of Sonnet 4.5 at $3/M = $0.0015.
check_json 'j["entries"][2]["cost_usd"] == Decimal("0.5015")'
expect_status 200 "$VIEWER" GET '/v1/leaderboard?entity=team&window=7d&metric=tokens'
check_json '[(e["id"], e["total_tokens"]) for e in j["entries"]] == [("web", 10351), ("platform", 1620)]'
expect_status 200 "$VIEWER" GET '/v1/leaderboard?entity=model&window=all&metric=requests&limit=1'
check_json 'len(j["entries"]) == 1 and j["entries"][0]["id"] == "gpt-5" and j["entries"][0]["requests"] == 3'
expect_status 200 "$VIEWER" GET '/v1/leaderboard?entity=user&window=month&metric=cost&limit=2&offset=1'
check_json '[e["rank"] for e in j["entries"]] == [2, 3]'
expect_status 400 "$VIEWER" GET '/v1/leaderboard?entity=planet'
check_json 'j["field"] == "entity"'
expect_status 400 "$VIEWER" GET '/v1/leaderboard?limit=-1'
check_json 'j["field"] == "limit"'
pass "leaderboards rank users, teams and models"

# Usage series.
expect_status 200 "$VIEWER" GET '/v1/users/alice/usage?granularity=hour'
check_json 'j["totals"]["input_tokens"] == 1500 and j["totals"]["outcomes"] == 1 and j["team"] == "platform"'
check_json 'sum(p["input_tokens"] for p in j["series"]) == 1500 and len(j["series"]) >= 1'
expect_status 200 "$VIEWER" GET '/v1/users/alice/usage?granularity=day'
check_json 'len(j["series"]) in (1, 2) and j["totals"]["total_tokens"] == 1600'
expect_status 200 "$SELF" GET /v1/users/alice/usage
expect_status 403 "$SELF" GET /v1/users/bob/usage
expect_status 404 "$VIEWER" GET /v1/users/nobody/usage
expect_status 400 "$VIEWER" GET '/v1/users/alice/usage?granularity=week'
check_json 'j["field"] == "granularity"'
pass "usage series"

# Metrics: Prometheus text, no per-user labels.
expect_status 200 "$VIEWER" GET /metrics
grep -q '^burnrate_events_accepted_total 7$' "$WORK/body" || fail "metrics: $(grep accepted "$WORK/body")"
grep -q '^burnrate_events_rejected_total 10$' "$WORK/body" || fail "metrics: $(grep rejected "$WORK/body")"
grep -q '^burnrate_entities{kind="user"} 4$' "$WORK/body" || fail "metrics: entities"
grep -q 'alice\|bob\|dave' "$WORK/body" && fail "metrics carry user names"
python3 - "$WORK/body" <<'PY' || fail "metrics are not valid Prometheus text"
import re, sys
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
        continue
    assert re.fullmatch(r'[a-z_:][a-z0-9_:]*(\{[a-z_]+="(?:[^"\\]|\\.)*"(,[a-z_]+="(?:[^"\\]|\\.)*")*\})? -?[0-9.e+]+', line), line
PY
pass "metrics"

# Unknown endpoint 404, wrong method 405.
expect_status 404 "$VIEWER" GET /v1/nope
expect_status 405 "$ADMIN" PUT /v1/events

# Revoking a key over the API takes effect at once.
expect_status 201 "$ADMIN" POST /v1/keys --data 'role=viewer&label=temp'
TEMP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$WORK/body")
expect_status 200 "$TEMP" GET /metrics
TEMP_ID=$("$BURNRATE" keys list --db "$DB" | grep temp | grep -o 'k_[0-9a-f]*' | head -1)
[[ -n "$TEMP_ID" ]] || fail "keys list does not show the new key"
expect_status 200 "$ADMIN" DELETE "/v1/keys/$TEMP_ID"
expect_status 401 "$TEMP" GET /metrics
pass "keys over the API, revocation"

# A restart keeps everything, including the de-duplication window.
stop_server
start_server "$DB"
expect_status 200 "$INGEST" POST /v1/events --data-binary @"$WORK/batch1.ndjson"
check_json 'j["accepted"] == 0 and j["duplicates"] == 5'
expect_status 200 "$VIEWER" GET '/v1/leaderboard?entity=user&window=24h&metric=tokens'
check_json '[e["total_tokens"] for e in j["entries"]] == [7001, 3350, 1600, 20]'
expect_status 401 "$TEMP" GET /metrics
pass "restart keeps events, duplicates and revocations"

stop_server
echo "api_test: all passed"
