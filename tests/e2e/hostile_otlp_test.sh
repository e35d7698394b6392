#!/usr/bin/env bash
# End to end, issue #13 parts 6 and 8, against the real binary:
#  - an OTLP body with 80k attributes (4 MB) costs the server under 1 s of
#    CPU (about 0.25 s measured; 16 s when attributes were parsed in
#    quadratic time) and answers within 10 s of wall time even on a loaded
#    test machine, while /healthz stays responsive;
#  - a malformed intValue rejects its record in partialSuccess, the good
#    record beside it counts, and the corrected retry with the same
#    request_id counts (the id was not used up);
#  - a negative asInt is reported in partialSuccess, not silently dropped;
#  - POST /v1/settle naming an event_id and the ingested event with that id
#    count once against a budget in either order, also after a restart.
source "$(dirname "$0")/lib.sh"

DB="$WORK/hostile_otlp.db"
INGEST=$(new_key "$DB" ingest)
VIEWER=$(new_key "$DB" viewer)
cat >"$WORK/burnrate.toml" <<'EOF'
[governance]
reservation_ttl = "10m"

[[governance.budget]]
id = "team-tokens"
scope = "team"
subject = "*"
limit_tokens = 1000000
period = "month"
EOF
start_server "$DB" --config "$WORK/burnrate.toml"

NOW_NS=$(( $(date +%s) * 1000000000 ))
# The server's CPU time so far (user + system, all threads), in ms: a cost
# that does not depend on how loaded the test machine is, unlike wall time.
server_cpu_ms() {
  awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$SERVER_PID/stat"
}
otlp() {  # otlp metrics|logs FILE: posts an OTLP/HTTP JSON body; the answer goes to $WORK/body
  expect_status 200 "$INGEST" POST "/v1/otlp/v1/$1" -H 'Content-Type: application/json' -H 'Expect:' \
    --data-binary @"$2"
}

# --- 80k attributes on one point and on one record --------------------------
python3 - "$WORK" "$NOW_NS" <<'PY'
import json, sys
work, t = sys.argv[1], int(sys.argv[2]) - 60 * 10**9
attrs = [{"key": "user.email", "value": {"stringValue": "big@example.com"}},
         {"key": "session.id", "value": {"stringValue": "s-big"}},
         {"key": "type", "value": {"stringValue": "input"}},
         {"key": "model", "value": {"stringValue": "m"}}]
attrs += [{"key": "k%06d" % i, "value": {"stringValue": "v%06d" % i}} for i in range(80000)]
metrics = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "claude_code.token.usage",
    "sum": {"aggregationTemporality": 1, "dataPoints": [{"attributes": attrs,
        "startTimeUnixNano": str(t - 60 * 10**9), "timeUnixNano": str(t), "asInt": "5"}]}}]}]}]}
logs = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": str(t),
    "body": {"stringValue": "claude_code.api_request"},
    "attributes": attrs + [{"key": "request_id", "value": {"stringValue": "big-1"}}]}]}]}]}
for name, body in (("big_metrics", metrics), ("big_logs", logs)):
    with open(f"{work}/{name}.json", "w") as f:
        json.dump(body, f, separators=(",", ":"))
PY
for kind in metrics logs; do
  size=$(wc -c <"$WORK/big_$kind.json")
  (( size > 4000000 )) || fail "the 80k-attribute $kind body is only $size bytes"
  : >"$WORK/healthz.times"
  ( while :; do curl -sS -o /dev/null -w '%{time_total}\n' "$BASE/healthz" >>"$WORK/healthz.times"; sleep 0.02; done ) &
  PROBE=$!
  cpu0=$(server_cpu_ms)
  took=$(curl -sS -o "$WORK/body" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $INGEST" \
    -H 'Content-Type: application/json' -H 'Expect:' --data-binary @"$WORK/big_$kind.json" "$BASE/v1/otlp/v1/$kind")
  cpu1=$(server_cpu_ms)
  sleep 0.1
  kill "$PROBE"; wait "$PROBE" 2>/dev/null || true
  [[ ${took%% *} == 200 ]] || fail "80k attributes ($kind): $took: $(head -c 300 "$WORK/body")"
  check_json 'j["accepted"] == 1 and "partialSuccess" not in j'
  secs=${took#* } cpu=$(( cpu1 - cpu0 ))
  (( cpu < 1000 )) || fail "80k attributes ($kind, $size bytes) cost the server ${cpu} ms of CPU (bound: 1 s)"
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 10.0 else 1)" "$secs" ||
    fail "80k attributes ($kind, $size bytes) took ${secs}s (bound: 10 s)"
  worst=$(sort -g "$WORK/healthz.times" | tail -1)
  probes=$(wc -l <"$WORK/healthz.times")
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 0.5 else 1)" "$worst" ||
    fail "/healthz took ${worst}s while the 80k-attribute $kind body was parsed"
  pass "80k attributes ($kind, $size bytes): ${cpu} ms server CPU (< 1 s), ${secs}s wall (< 10 s); /healthz worst ${worst}s over $probes probes (< 0.5 s)"
done

# --- a malformed intValue rejects its record only; the retry counts ----------
record() {  # record REQUEST_ID INPUT_TOKENS_VALUE_JSON
  cat <<JSON
{"timeUnixNano":"$(( NOW_NS - 30000000000 ))","body":{"stringValue":"claude_code.api_request"},
 "attributes":[{"key":"user.email","value":{"stringValue":"otlp-bad@example.com"}},
  {"key":"session.id","value":{"stringValue":"s-bad"}},{"key":"model","value":{"stringValue":"m"}},
  {"key":"request_id","value":{"stringValue":"$1"}},{"key":"input_tokens","value":{"intValue":$2}}]}
JSON
}
logs_body() { echo "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[$(IFS=,; echo "$*")]}]}]}"; }
logs_body "$(record r-bad '"12x"')" "$(record r-float 1.5)" "$(record r-huge '"99999999999999999999"')" \
  "$(record r-good '"40"')" >"$WORK/bad.json"
otlp logs "$WORK/bad.json"
check_json 'j["accepted"] == 1 and j["partialSuccess"]["rejectedLogRecords"] == 3'
check_json 'all(s in j["partialSuccess"]["errorMessage"] for s in ["(input_tokens) intValue", "\"12x\"", "1.5", "out of int64 range"])'
pass "a malformed intValue rejects only its record, named in partialSuccess"
logs_body "$(record r-bad '"12"')" "$(record r-float 3)" "$(record r-huge '"5"')" >"$WORK/fixed.json"
otlp logs "$WORK/fixed.json"
check_json 'j["accepted"] == 3 and j["duplicates"] == 0 and "partialSuccess" not in j'
otlp logs "$WORK/fixed.json"
check_json 'j["accepted"] == 0 and j["duplicates"] == 3'
pass "the corrected retry with the same request_ids counts (no id was used up), once"

# --- a negative asInt is reported --------------------------------------------
point() {  # point TYPE VALUE
  cat <<JSON
{"attributes":[{"key":"user.email","value":{"stringValue":"otlp-neg@example.com"}},
  {"key":"session.id","value":{"stringValue":"s-neg"}},{"key":"type","value":{"stringValue":"$1"}},
  {"key":"model","value":{"stringValue":"m"}}],
 "startTimeUnixNano":"$(( NOW_NS - 120000000000 ))","timeUnixNano":"$(( NOW_NS - 60000000000 ))",$2}
JSON
}
cat >"$WORK/neg.json" <<JSON
{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"claude_code.token.usage","sum":{"aggregationTemporality":1,
 "dataPoints":[$(point output '"asInt":"-700"'),$(point cacheRead '"asDouble":-2.5'),$(point input '"asInt":"9"')]}}]}]}]}
JSON
otlp metrics "$WORK/neg.json"
check_json 'j["accepted"] == 1 and j["partialSuccess"]["rejectedDataPoints"] == 2'
check_json '"must not be negative, got -700" in j["partialSuccess"]["errorMessage"] and "-2.5" in j["partialSuccess"]["errorMessage"]'
pass "negative asInt and asDouble are reported in partialSuccess"

# --- settle + event with the same id count once, in either order --------------
used() {  # the team budget's use as the allowance shows it
  expect_status 200 "$VIEWER" GET "/v1/allowance?user=gov&team=gteam"
  python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["budgets"][0]; print(b["limit"] - b["remaining"])' "$WORK/body"
}
wait_used() {  # wait_used N: until the budget shows N used (ingestion applies asynchronously)
  local got=""
  for _ in $(seq 1 100); do
    got=$(used)
    [[ "$got" == "$1" ]] && return 0
    sleep 0.05
  done
  fail "team budget: want $1 used, got $got"
}
event() {  # event ID OUTPUT_TOKENS
  echo "{\"id\":\"$1\",\"user\":\"gov\",\"team\":\"gteam\",\"model\":\"m\",\"output_tokens\":$2}" >"$WORK/ev.ndjson"
  expect_status 200 "$INGEST" POST /v1/events --data-binary @"$WORK/ev.ndjson"
}
settle() {  # settle EVENT_ID OUTPUT_TOKENS
  expect_status 200 "$INGEST" POST /v1/check \
    --data-binary '{"user":"gov","team":"gteam","model":"m","estimated_tokens":1000}'
  local res
  res=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reservation_id"])' "$WORK/body")
  expect_status 200 "$INGEST" POST /v1/settle \
    --data-binary "{\"reservation_id\":\"$res\",\"event_id\":\"$1\",\"tokens\":{\"output\":$2}}"
}
event g-seed 1200
wait_used 1200
event g-first 700
wait_used 1900
settle g-first 700
[[ $(used) == 1900 ]] || fail "event then settle counted twice: $(used) used"
pass "event then settle with its event_id: counted once (1200 -> 1900)"
settle g-second 700
wait_used 2600
event g-second 700
event g-marker 1  # applied after g-second: once it shows, g-second was seen
wait_used 2601
pass "settle then event with the same id: counted once (1900 -> 2600)"
kill9_server
start_server "$DB" --config "$WORK/burnrate.toml"
wait_used 2601
pass "after a kill -9 and restart the replayed events count once (2601)"
settle g-first 700
settle g-second 700
[[ $(used) == 2601 ]] || fail "a settle after the restart counted an ingested event again: $(used)"
pass "settles after the restart naming ingested events do not count them again"
stop_server
