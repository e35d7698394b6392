#!/usr/bin/env bash
# End to end: governance through the real binary. Budgets from the config
# file, check/settle over HTTP, ingested usage counting against a budget,
# threshold and deny webhooks delivered to a local receiver once each (also
# across a restart, with the delivery log persisted), the policy admin API
# (versions survive a restart), the audit log, metrics.
source "$(dirname "$0")/lib.sh"

DB="$WORK/govern.db"
ADMIN=$(new_key "$DB" admin)
INGEST=$(new_key "$DB" ingest)
VIEWER=$(new_key "$DB" viewer)

# A webhook receiver on 127.0.0.1 that records bodies (one per line); it
# binds a port the kernel picks and writes it to hook.port.
python3 - "$WORK/hook.port" "$WORK/hooks.jsonl" >"$WORK/hook.log" 2>&1 <<'PY' &
import http.server, os, sys
port_file, out = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f: f.write(body + b"\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f: f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
PY
HOOK_PID=$!
trap 'kill $HOOK_PID 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 100); do [[ -s "$WORK/hook.port" ]] && break; sleep 0.05; done
HOOK_PORT=$(cat "$WORK/hook.port" 2>/dev/null) || fail "webhook receiver did not start"

cat >"$WORK/burnrate.toml" <<EOF2
[governance]
time_zone = "Europe/Berlin"
reservation_ttl = "1m"

[[governance.budget]]
id = "team-tokens"
scope = "team"
subject = "*"
limit_tokens = 10000
period = "month"
alert_at = [50, 100]

[[governance.rate_limit]]
id = "per-user"
scope = "user"
requests_per_min = 1000

[[governance.webhook]]
url = "http://127.0.0.1:$HOOK_PORT/hook"
format = "json"
EOF2

start_server "$DB" --config "$WORK/burnrate.toml"

# Check reserves; a second check that would overspend is denied.
expect_status 200 "$INGEST" POST /v1/check --data-binary '{"user":"alice","team":"core","model":"m","estimated_tokens":6000}'
check_json 'j["decision"] == "allow" and j["policy"] == "team-tokens" and j["remaining"] == 4000'
RES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reservation_id"])' "$WORK/body")
expect_status 200 "$INGEST" POST /v1/check --data-binary '{"user":"bob","team":"core","model":"m","estimated_tokens":5000}'
check_json 'j["decision"] == "deny" and j["policy"] == "team-tokens" and j["retry_after_ms"] > 0'
pass "check reserves atomically and denies what would overspend"

# Settling below the estimate frees the rest.
expect_status 200 "$INGEST" POST /v1/settle --data-binary "{\"reservation_id\":\"$RES\",\"tokens\":{\"input\":3000,\"output\":1000}}"
expect_status 404 "$INGEST" POST /v1/settle --data-binary "{\"reservation_id\":\"$RES\"}"
check_json 'j["field"] == "reservation_id"'
expect_status 400 "$INGEST" POST /v1/check --data-binary '{"user":"bob","estimated_tokens":-1}'
check_json 'j["field"] == "estimated_tokens"'
expect_status 403 "$VIEWER" POST /v1/check --data-binary '{"user":"bob"}'
pass "settle records the actual; bad input names the field; roles hold"

# Ingested usage counts: 4000 settled + 6000 ingested = the whole budget.
cat >"$WORK/usage.ndjson" <<EOF2
{"id":"g1","user":"carol","team":"core","model":"claude-sonnet-4-5","input_tokens":5000,"output_tokens":1000}
EOF2
expect_status 200 "$INGEST" POST /v1/events --data-binary @"$WORK/usage.ndjson"
ok=0
for i in $(seq 1 100); do
  http_status "$INGEST" POST /v1/check --data-binary '{"user":"dave","team":"core","model":"m","estimated_tokens":1}' >/dev/null
  if check_json 'j["decision"] == "deny"' 2>/dev/null; then ok=1; break; fi
  sleep 0.05
done
[[ $ok == 1 ]] || fail "ingested usage did not count against the budget"
expect_status 200 "$VIEWER" GET "/v1/allowance?user=dave&team=core"
check_json 'j["budgets"][0]["policy"] == "team-tokens" and j["budgets"][0]["remaining"] == 0'
pass "ingested usage counts against the budget; allowance shows it"

# Webhooks: 50% and 100% once each, and the first deny once.
for i in $(seq 1 100); do
  [[ -f "$WORK/hooks.jsonl" ]] && (( $(wc -l <"$WORK/hooks.jsonl") >= 3 )) && break
  sleep 0.05
done
python3 - "$WORK/hooks.jsonl" <<'PY' || fail "webhooks: $(cat "$WORK/hooks.jsonl" 2>/dev/null)"
import json, sys
hooks = [json.loads(l) for l in open(sys.argv[1])]
kinds = sorted((h["kind"], h["pct"]) for h in hooks)
assert kinds == [("deny", 100), ("threshold", 50), ("threshold", 100)], kinds
assert all(h["policy"] == "team-tokens" and h["subject"] == "team:core" for h in hooks), hooks
PY
pass "threshold and deny webhooks delivered once each"

# Policy admin API: create, update (version 2), audited; survives a restart.
expect_status 201 "$ADMIN" POST /v1/policies --data-binary '{"id":"eve-day","scope":"user","subject":"eve","limit_usd":1.5,"period":"day"}'
expect_status 200 "$ADMIN" PUT /v1/policies/eve-day --data-binary '{"id":"eve-day","scope":"user","subject":"eve","limit_usd":2.5,"period":"day"}'
check_json 'j["version"] == 2'
expect_status 403 "$ADMIN" PUT /v1/policies/team-tokens --data-binary '{"id":"team-tokens","limit_tokens":1}'
expect_status 403 "$VIEWER" POST /v1/policies --data-binary '{"id":"x","limit_tokens":1}'
stop_server
start_server "$DB" --config "$WORK/burnrate.toml"
# The restart replayed the ingested 6000 tokens (60% again): 50% must not
# fire a second time, and the delivery log survived.
sleep 0.5
(( $(wc -l <"$WORK/hooks.jsonl") == 3 )) || fail "a threshold fired again after the restart: $(cat "$WORK/hooks.jsonl")"
expect_status 200 "$ADMIN" GET "/v1/alerts/deliveries?state=delivered"
check_json 'len(j["deliveries"]) == 3 and all(d["attempts"] == 1 and d["status"] == 200 and d["format"] == "json" for d in j["deliveries"])'
expect_status 200 "$ADMIN" GET "/v1/alerts/deliveries?kind=deny"
check_json 'len(j["deliveries"]) == 1 and j["deliveries"][0]["subject"] == "team:core"'
expect_status 403 "$VIEWER" GET /v1/alerts/deliveries
pass "delivery log persisted; no threshold fires twice across a restart"
expect_status 200 "$VIEWER" GET /v1/policies/eve-day
check_json 'j["policy"]["version"] == 2 and j["policy"]["limit_usd"] == Decimal("2.5") and len(j["history"]) == 2'
pass "policy admin API: versioned, config policies read-only, persisted across restart"

# Audit log: the deny and the policy changes, filterable; admin only.
expect_status 403 "$VIEWER" GET /v1/audit
expect_status 200 "$ADMIN" GET "/v1/audit?action=deny&subject=user:bob"
check_json 'len(j["entries"]) == 1 and j["entries"][0]["detail"]["policy"] == "team-tokens"'
expect_status 200 "$ADMIN" GET "/v1/audit?action=policy.update"
check_json 'len(j["entries"]) == 1 and j["entries"][0]["subject"] == "policy:eve-day"'
expect_status 400 "$ADMIN" GET "/v1/audit?limit=0"
check_json 'j["field"] == "limit"'
pass "audit log records denials and policy changes with filters"

# Throttle hook over the admin API, and metrics without per-user labels.
expect_status 200 "$ADMIN" POST /v1/throttle --data-binary '{"user":"mallory","level":3,"reason":"e2e"}'
expect_status 200 "$INGEST" POST /v1/check --data-binary '{"user":"mallory","team":"red","estimated_tokens":1}'
check_json 'j["decision"] == "deny" and j["policy"] == "throttle:flagged"'
curl -fsS -H "Authorization: Bearer $VIEWER" "$BASE/metrics" >"$WORK/metrics" || fail "metrics"
grep -q 'burnrate_governance_denials_total{policy="throttle:flagged",team="red"} 1' "$WORK/metrics" || fail "denial metric: $(grep governance "$WORK/metrics")"
grep -q '^burnrate_governance_checks_total{decision="allow"}' "$WORK/metrics" || fail "checks metric"
if grep 'burnrate_budget_remaining\|burnrate_governance' "$WORK/metrics" | grep -q 'mallory'; then fail "per-user label in metrics"; fi
pass "throttle hook and bounded-cardinality metrics"
