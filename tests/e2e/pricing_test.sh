#!/usr/bin/env bash
# End to end: honest pricing (docs/pricing.md) through the real binary. A
# model missing from the price table (claude-opus-5-5, Claude Code
# 2.1.328's default) is priced from its family and marked estimated on the
# board; a model of no known family is counted and listed, not hidden; a
# hard USD budget denies on the estimate; /metrics and GET /v1/prices show
# both; SIGHUP and POST /v1/prices/reload swap in a new price file for new
# events, and a bad file keeps the old prices with a clear error.
source "$(dirname "$0")/lib.sh"

DB="$WORK/pricing.db"
ADMIN=$(new_key "$DB" admin)
INGEST=$(new_key "$DB" ingest)
VIEWER=$(new_key "$DB" viewer)

# The price file starts as the LiteLLM fixture (no claude-opus-5-5 in it).
PRICES="$WORK/prices.json"
cp "$BURNRATE_SOURCE_DIR/tests/data/prices/litellm_claude_prices.json" "$PRICES"

cat >"$WORK/burnrate.toml" <<EOF2
[[governance.budget]]
id = "usd-day"
scope = "user"
limit_usd = 3.0
period = "day"
enforce = "hard"
EOF2

start_server "$DB" --config "$WORK/burnrate.toml" --prices "$PRICES"

# 100k output tokens of claude-opus-5-5 at claude-opus-4-8's $25/M = $2.50;
# 7,000 tokens of a model of no known family; 1,000 output of opus-4-5 ($0.025).
cat >"$WORK/batch.ndjson" <<EOF2
{"id":"e1","user":"ada","model":"claude-opus-5-5","output_tokens":100000}
{"id":"e2","user":"bo","model":"totally-unknown-model","input_tokens":5000,"output_tokens":2000}
{"id":"e3","user":"cy","model":"claude-opus-4-5","output_tokens":1000}
EOF2
expect_status 200 "$INGEST" POST /v1/events --data-binary @"$WORK/batch.ndjson"
check_json 'j["accepted"] == 3'

board_ok=0
for _ in $(seq 1 50); do
  expect_status 200 "$VIEWER" GET "/v1/leaderboard?entity=user&window=24h&metric=cost"
  if python3 -c 'import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1]))["entries"]) == 3 else 1)' "$WORK/body"; then
    board_ok=1; break
  fi
  sleep 0.1
done
(( board_ok )) || fail "board did not show the three users: $(head -c 400 "$WORK/body")"
check_json '{e["id"]: (e["cost_usd"], e["cost_estimated"], e["cost_unpriced"]) for e in j["entries"]} == {"ada": (Decimal("2.5"), True, False), "bo": (0, False, True), "cy": (Decimal("0.025"), False, False)}'
pass "the board prices claude-opus-5-5 from its family (non-zero, marked estimated) and marks unpriced usage"

# A hard USD budget counts the estimate: ada has $0.50 left, so a request
# estimated at 100k output of claude-opus-5-5 ($2.50) is denied.
expect_status 200 "$INGEST" POST /v1/check --data-binary '{"user":"ada","model":"claude-opus-5-5","estimated_tokens":100000}'
check_json 'j["decision"] == "deny" and j["policy"] == "usd-day"'
expect_status 200 "$INGEST" POST /v1/check --data-binary '{"user":"ada","model":"claude-opus-5-5","estimated_tokens":10000}'
check_json 'j["decision"] == "allow" and j["remaining"] == Decimal("0.25")'
pass "a hard USD budget counts the estimated cost and denies"

expect_status 200 "$VIEWER" GET /metrics
grep -q '^burnrate_unpriced_tokens_total{model="claude-opus-5-5"} 100000$' "$WORK/body" || fail "metric for claude-opus-5-5: $(grep unpriced "$WORK/body")"
grep -q '^burnrate_unpriced_tokens_total{model="totally-unknown-model"} 7000$' "$WORK/body" || fail "metric for the unknown model"
grep -q '^burnrate_estimated_cost_usd_total{model="claude-opus-5-5"} 2.500000000$' "$WORK/body" || fail "estimated cost metric"
pass "/metrics counts unpriced tokens and the estimated cost by model"

expect_status 403 "$INGEST" GET /v1/prices
expect_status 200 "$VIEWER" GET /v1/prices
check_json 'j["file"] == "'"$PRICES"'" and j["tested"] == "2026-12-04" and j["count"] > 41 and j["generation"] == 2'
check_json '{u["model"]: (u["tokens"], u["pricing"], u["priced_as"]) for u in j["unpriced"]} == {"claude-opus-5-5": (100000, "estimated", "claude-opus-4-8"), "totally-unknown-model": (7000, "unpriced", None)}'
pass "GET /v1/prices shows the table in use and the models seen without an exact price"

# SIGHUP with a new file (models.dev format) that prices claude-opus-5-5
# exactly: new events use it, old ones keep their cost.
cat >"$PRICES" <<'EOF2'
{"claude-opus-5-5": {"cost": {"input": 6, "output": 30, "cache_read": 0.6, "cache_write": 7.5}}}
EOF2
kill -HUP "$SERVER_PID"
reloaded=0
for _ in $(seq 1 100); do
  grep -q "prices reloaded from $PRICES" "$WORK/server.log" && { reloaded=1; break; }
  sleep 0.05
done
(( reloaded )) || fail "no reload after SIGHUP: $(tail -5 "$WORK/server.log")"
expect_status 200 "$INGEST" POST /v1/events --data-binary '{"id":"e4","user":"dee","model":"claude-opus-5-5","output_tokens":100000}'
check_json 'j["accepted"] == 1'
for _ in $(seq 1 50); do
  expect_status 200 "$VIEWER" GET "/v1/leaderboard?entity=user&window=24h&metric=cost"
  grep -q '"id":"dee"' "$WORK/body" && break
  sleep 0.1
done
check_json '{e["id"]: (e["cost_usd"], e["cost_estimated"]) for e in j["entries"] if e["id"] in ("ada", "dee")} == {"ada": (Decimal("2.5"), True), "dee": (Decimal("3"), False)}'
expect_status 200 "$VIEWER" GET /v1/prices
check_json 'j["generation"] == 3 and j["count"] > 20 and [u for u in j["unpriced"] if u["model"] == "claude-opus-5-5"][0]["pricing"] == "exact"'
pass "SIGHUP reloads the price file: new events are priced with it, old ones keep their cost"

# A bad file: the admin endpoint names the file and the problem, SIGHUP logs
# it, and the prices in use stay.
printf '{"claude-opus-5-5": {"cost": ' >"$PRICES"
expect_status 400 "$ADMIN" POST /v1/prices/reload
check_json 'j["field"] == "file" and "'"$PRICES"'" in j["error"] and "not valid JSON" in j["error"]'
expect_status 403 "$VIEWER" POST /v1/prices/reload
kill -HUP "$SERVER_PID"
for _ in $(seq 1 100); do grep -q "price reload failed" "$WORK/server.log" && break; sleep 0.05; done
grep -q "price reload failed, keeping the current prices: $PRICES" "$WORK/server.log" || fail "SIGHUP with a bad file did not log: $(tail -3 "$WORK/server.log")"
expect_status 200 "$INGEST" POST /v1/events --data-binary '{"id":"e5","user":"eli","model":"claude-opus-5-5","output_tokens":100000}'
for _ in $(seq 1 50); do
  expect_status 200 "$VIEWER" GET "/v1/leaderboard?entity=user&window=24h&metric=cost"
  grep -q '"id":"eli"' "$WORK/body" && break
  sleep 0.1
done
check_json '[e["cost_usd"] for e in j["entries"] if e["id"] == "eli"] == [Decimal("3")]'
expect_status 200 "$VIEWER" GET /v1/prices
check_json 'j["generation"] == 3 and "not valid JSON" in j["last_reload_error"]'
# A good file again through the admin endpoint.
cp "$BURNRATE_SOURCE_DIR/tests/data/prices/models_dev_excerpt.json" "$PRICES"
expect_status 200 "$ADMIN" POST /v1/prices/reload
check_json 'j["reloaded"] is True and j["generation"] == 4'
pass "a bad price file keeps the old prices with a clear error; the admin endpoint reloads"

# The cost basis survives a restart (it is stored with each event).
stop_server
start_server "$DB" --config "$WORK/burnrate.toml" --prices "$PRICES"
expect_status 200 "$VIEWER" GET "/v1/leaderboard?entity=user&window=24h&metric=cost"
check_json '{e["id"]: e["cost_estimated"] for e in j["entries"] if e["id"] in ("ada", "dee")} == {"ada": True, "dee": False}'
expect_status 200 "$VIEWER" GET /metrics
grep -q '^burnrate_unpriced_tokens_total{model="claude-opus-5-5"} 100000$' "$WORK/body" || fail "metric after restart"
pass "estimated marks and unpriced totals survive a restart"
stop_server
