#!/usr/bin/env bash
# OTLP end to end with the real OpenTelemetry JS SDK: tests/e2e/otel/send.mjs
# exports Claude Code-named metrics (DELTA and CUMULATIVE) and log records
# (api_request, user_prompt) over OTLP/HTTP JSON to a running burnrate; the
# user board must then show exactly the totals it sent, with no double count
# for the session that sent both metrics and api_request records.
set -euo pipefail
ROOT=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BURNRATE=${BURNRATE:-$ROOT/build/burnrate}
source "$ROOT/tests/e2e/lib/serve.sh"
WORK=$(mktemp -d)
trap 'stop_server; rm -rf "$WORK"' EXIT

# The SDK, from the lock file (offline once installed).
(cd "$ROOT/tests/e2e/otel" && { [ -d node_modules/@opentelemetry/sdk-metrics ] || npm ci --no-audit --no-fund --silent; })

cat >"$WORK/burnrate.toml" <<'TOML'
[badge_evaluation]
interval_seconds = 0.2
rank_snapshot_seconds = 0.2

[outcomes.weights]
pull_request = 10
TOML
start_server "$WORK" --config "$WORK/burnrate.toml" --db "$WORK/b.db" --listen 127.0.0.1:0

# Encodings other than JSON are refused with 415 and a hint.
code=$(curl -s -o "$WORK/415.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/x-protobuf' --data-binary 'x' "$BASE/v1/otlp/v1/metrics")
[ "$code" = 415 ] || { echo "protobuf: expected 415, got $code" >&2; exit 1; }
grep -q 'http/json' "$WORK/415.json"
# A body whose structure is wrong is a 400 naming the path.
code=$(curl -s -o "$WORK/400.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' \
  --data '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"claude_code.commit.count","sum":{"dataPoints":{}}}]}]}]}' \
  "$BASE/v1/otlp/v1/metrics")
[ "$code" = 400 ] || { echo "bad body: expected 400, got $code" >&2; exit 1; }
grep -q '"field":"resourceMetrics\[0\].scopeMetrics\[0\].metrics\[0\].sum.dataPoints"' "$WORK/400.json" ||
  { cat "$WORK/400.json" >&2; exit 1; }
# A malformed value rejects only its point, in partialSuccess with its path.
code=$(curl -s -o "$WORK/partial.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' \
  --data '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"claude_code.commit.count","sum":{"dataPoints":[{"timeUnixNano":"1","asInt":"x"}]}}]}]}]}' \
  "$BASE/v1/otlp/v1/metrics")
[ "$code" = 200 ] || { echo "bad value: expected 200, got $code" >&2; exit 1; }
grep -q '"rejectedDataPoints":1,"errorMessage":"claude_code.commit.count: resourceMetrics\[0\].scopeMetrics\[0\].metrics\[0\].sum.dataPoints\[0\].asInt must be an int64' "$WORK/partial.json" ||
  { cat "$WORK/partial.json" >&2; exit 1; }

node "$ROOT/tests/e2e/otel/send.mjs" "$BASE" "$KEY" >"$WORK/expected.json"

# Boards are snapshots rebuilt within board_refresh_ms; wait for all events.
for _ in $(seq 1 50); do
  api GET '/v1/leaderboard?entity=user&window=all&metric=tokens&limit=100' >"$WORK/board.json"
  grep -q 'cumulative@example.com' "$WORK/board.json" && grep -q 'logs@example.com' "$WORK/board.json" && break
  sleep 0.1
done

node --input-type=module - "$WORK/expected.json" "$WORK/board.json" <<'JS'
import { readFileSync } from 'node:fs';
const [expFile, boardFile] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expFile, 'utf8'));
const board = JSON.parse(readFileSync(boardFile, 'utf8'));
const weights = { pull_request: 10, commit: 3, lines_added: 0.01, lines_removed: 0.01, edit_accepted: 0.5, edit_rejected: 0 };
let failed = 0;
const check = (user, what, got, want) => {
  const ok = Math.abs(got - want) < 1e-6;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${user} ${what}: got ${got}, want ${want}`);
  if (!ok) failed++;
};
for (const [user, e] of Object.entries(expected)) {
  const row = board.entries.find((r) => r.id === user);
  if (!row) { console.log(`FAIL ${user} missing from the board`); failed++; continue; }
  check(user, 'input_tokens', row.input_tokens, e.input);
  check(user, 'output_tokens', row.output_tokens, e.output);
  check(user, 'cache_read_tokens', row.cache_read_tokens, e.cache_read);
  check(user, 'cache_write_tokens', row.cache_write_tokens, e.cache_write);
  check(user, 'cost_usd', row.cost_usd, e.cost_usd);
  check(user, 'requests', row.requests, e.requests);
  const value = Object.entries(e.outcomes).reduce((s, [k, n]) => s + n * weights[k], 0);
  check(user, 'value', row.value, value);
  check(user, 'team', row.team === 'otel-team' ? 1 : 0, 1);
  check(user, 'org', row.org === 'otel-org' ? 1 : 0, 1);
}
if (Object.keys(expected).length !== 3) { console.log('FAIL expected three users'); failed++; }
console.log(failed ? `${failed} failed` : 'all totals match');
process.exit(failed ? 1 : 0);
JS
# The user_prompt records: the redacted one keeps its length only, the one
# with text its features (read back from the database, beside the server).
"$BURNRATE" events --db "$WORK/b.db" | grep '"model":"(prompt)"' >"$WORK/prompts.ndjson"
[ "$(wc -l <"$WORK/prompts.ndjson")" = 2 ] || { cat "$WORK/prompts.ndjson" >&2; exit 1; }
grep '"length":420' "$WORK/prompts.ndjson" | grep -q '"simhash":"0000000000000000"' || { echo "redacted prompt got features" >&2; cat "$WORK/prompts.ndjson" >&2; exit 1; }
grep '"length":59' "$WORK/prompts.ndjson" | grep -v '"simhash":"0000000000000000"' | grep -q '"compress_ratio":[1-9]' ||
  { echo "prompt text gave no features" >&2; cat "$WORK/prompts.ndjson" >&2; exit 1; }

# Profiles and badges from the same data (badges are re-evaluated every 0.2 s here).
for _ in $(seq 1 100); do
  api GET '/v1/users/delta@example.com' >"$WORK/profile.json"
  grep -q '"badge":"shipper"' "$WORK/profile.json" && grep -q '"rank_history":\[{' "$WORK/profile.json" && break
  sleep 0.1
done
api GET '/v1/teams/otel-team' >"$WORK/team.json"
api GET '/v1/badges' >"$WORK/badges.json"
api GET '/v1/leaderboard?entity=user&window=week&metric=value' >"$WORK/value.json"
node --input-type=module - "$WORK/profile.json" "$WORK/team.json" "$WORK/badges.json" "$WORK/value.json" <<'JS'
import { readFileSync } from 'node:fs';
const [p, t, b, v] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const fail = (m) => { console.log('FAIL ' + m); process.exit(1); };
const row = v.entries.find((e) => e.id === 'delta@example.com');
if (!row?.badges?.some((x) => x.id === 'shipper' && x.name === 'Shipper')) fail('board row badges ' + JSON.stringify(row));
if (!p.recent_sessions?.length && p.session_count !== 1) fail('sessions ' + JSON.stringify(p.session_count));
const all = p.windows.all;
if (all.edits_accepted !== 3 || all.edits_rejected !== 1 || Math.abs(all.edit_acceptance - 0.75) > 1e-9) fail('edit decisions ' + JSON.stringify(all));
const kinds = p.outcomes;
const want = { commit: 2, lines_added: 120, lines_removed: 30, edit_accepted: 3, pull_request: 1, edit_rejected: 1 };
for (const [k, v] of Object.entries(want)) if (kinds[k] !== v) fail(`outcome ${k}: ${kinds[k]} != ${v}`);
if (!all.cost_per_outcome_usd) fail('cost_per_outcome_usd missing');
if (p.windows['7d'].ranks.value?.rank !== 1) fail('value rank ' + JSON.stringify(p.windows['7d'].ranks));
if (!p.badges.some((a) => a.badge === 'shipper')) fail('delta user should hold Shipper: ' + JSON.stringify(p.badges));
if (p.rank_history.length === 0) fail('no rank history');
if (t.members.length !== 3) fail('team members ' + JSON.stringify(t.members));
if (!b.rules.some((r) => r.id === 'token_legend') || !b.awards.some((a) => a.subject === 'delta@example.com')) fail('badges list');
console.log('profiles and badges ok');
JS
# Bad parameters and unknown ids are clear errors.
code=$(curl -s -o "$WORK/e.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" "$BASE/v1/badges?limit=abc")
[ "$code" = 400 ] && grep -q '"field":"limit"' "$WORK/e.json" || { echo "limit=abc: $code $(cat "$WORK/e.json")" >&2; exit 1; }
code=$(curl -s -o "$WORK/e.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" "$BASE/v1/users/nobody@example.com")
[ "$code" = 404 ] || { echo "unknown user: expected 404, got $code" >&2; exit 1; }
echo "otlp_js_test: ok"
