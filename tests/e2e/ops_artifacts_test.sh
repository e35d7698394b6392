#!/usr/bin/env bash
# The operations artifacts under deploy/ (docs/scale-out.md, "Monitoring"
# and "Running under systemd"):
#  - deploy/grafana/burnrate.json is valid JSON, a dashboard whose every
#    panel has a query, and whose queries parse as PromQL (promtool, through
#    a generated rule file);
#  - deploy/prometheus/burnrate-rules.yml passes `promtool check rules` and
#    its unit tests (`promtool test rules burnrate-rules.test.yml`);
#  - every burnrate_* metric named by the dashboard or the rules is exported
#    by a live `burnrate serve` (a simulated organisation, a gateway request
#    through the stub upstream, a denied request, an unpriced model): a
#    sample line on /metrics, scraped with a viewer key;
#  - deploy/systemd/*.service pass `systemd-analyze verify`.
# Without promtool (Debian package prometheus; scripts/install-deps.sh) or
# systemd-analyze, the checks that need them are skipped with the reason,
# and the test ends as skipped (77) after running everything else.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
DASH="$SRC/deploy/grafana/burnrate.json"
RULES="$SRC/deploy/prometheus/burnrate-rules.yml"
skipped=()

# 1. The dashboard: JSON, panels, queries; its metric names to a file.
python3 - "$DASH" "$WORK/dash_names" "$WORK/dash_rules.yml" <<'PY' || fail "dashboard check"
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d.get("uid") and d.get("title"), "dashboard without uid or title"
panels = [p for p in d["panels"] if p["type"] != "row"]
assert len(panels) >= 10, f"only {len(panels)} panels"
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), "duplicate panel ids"
exprs = []
for p in panels:
    assert p.get("targets"), f"panel {p['title']!r} has no query"
    for t in p["targets"]:
        assert "burnrate_" in t["expr"] or "up{" in t["expr"], f"{p['title']!r}: {t['expr']} names no burnrate metric"
        exprs.append(t["expr"])
    g = p["gridPos"]
    assert 0 <= g["x"] and g["x"] + g["w"] <= 24, f"panel {p['title']!r} is off the grid"
for v in d["templating"]["list"]:
    q = v.get("query")
    if isinstance(q, dict): exprs.append(q["query"])
names = set()
for e in exprs: names.update(re.findall(r"\bburnrate_[a-z0-9_]+", e))
open(sys.argv[2], "w").write("\n".join(sorted(names)) + "\n")
# The queries as recording rules, for promtool's PromQL parser: Grafana's
# variables replaced by what they expand to.
subst = {"$__rate_interval": "1m", "$instance": ".*", "$job": "burnrate"}
with open(sys.argv[3], "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        if e.startswith("label_values("): continue
        for k, v in subst.items(): e = e.replace(k, v)
        f.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(e)}\n")
print(f"dashboard: {len(panels)} panels, {len(exprs)} queries, {len(names)} metric names")
PY
grep -o '\bburnrate_[a-z0-9_]*' "$RULES" | sort -u >"$WORK/rule_names"
(( $(wc -l <"$WORK/rule_names") >= 8 )) || fail "the rules name only $(wc -l <"$WORK/rule_names") metrics"
pass "dashboard JSON is valid: $(wc -l <"$WORK/dash_names") metric names; rules name $(wc -l <"$WORK/rule_names")"

# 2. promtool: the rules, their unit tests, the dashboard's PromQL.
if command -v promtool >/dev/null; then
  promtool check rules "$RULES" >"$WORK/promtool.out" 2>&1 || { cat "$WORK/promtool.out" >&2; fail "promtool check rules"; }
  (cd "$(dirname "$RULES")" && promtool test rules burnrate-rules.test.yml) >"$WORK/promtool.out" 2>&1 ||
    { cat "$WORK/promtool.out" >&2; fail "promtool test rules"; }
  promtool check rules "$WORK/dash_rules.yml" >"$WORK/promtool.out" 2>&1 ||
    { cat "$WORK/promtool.out" >&2; fail "a dashboard query is not valid PromQL"; }
  pass "promtool: rules valid, rule unit tests pass, $(grep -c 'record:' "$WORK/dash_rules.yml") dashboard queries parse"
else
  skipped+=("promtool is not installed (Debian package prometheus; scripts/install-deps.sh installs it): rules and PromQL not checked")
fi

# 3. A live server exports every name.
python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
trap 'kill $STUB_PID 2>/dev/null || true; cleanup' EXIT
STUB=""
for _ in $(seq 100); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"
DB="$WORK/ops.db"
ADMIN=$(new_key "$DB" admin)
VIEWER=$(new_key "$DB" viewer)
ADA=$(new_key "$DB" gateway --user ada@corp --team compilers)
BOB=$(new_key "$DB" gateway --user bob@corp --team tiny)
cat >"$WORK/burnrate.toml" <<TOML
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant-provider-secret"

[[governance.budget]]
id = "tiny-team"
scope = "team"
subject = "tiny"
limit_tokens = 3000
period = "day"
TOML
start_server "$DB" --config "$WORK/burnrate.toml"
"$BURNRATE" simulate --users 40 --days 1 --seed 3 --server "$BASE" --key "$ADMIN" >"$WORK/sim.out" 2>&1 ||
  fail "simulate: $(tail -3 "$WORK/sim.out")"
expect_status 200 "$ADMIN" POST /v1/events -H 'content-type: application/x-ndjson' \
  --data-binary '{"id":"ops-unpriced-1","user":"ada","model":"totally-unknown-model","input_tokens":5000,"output_tokens":2000}'
# The same id again with other usage: a conflicting duplicate.
expect_status 200 "$ADMIN" POST /v1/events -H 'content-type: application/x-ndjson' \
  --data-binary '{"id":"ops-unpriced-1","user":"ada","model":"totally-unknown-model","input_tokens":9000,"output_tokens":2000}'
msg='{"model":"claude-sonnet-4-5","max_tokens":100,"stream":false,"messages":[{"role":"user","content":"hello"}]}'
big='{"model":"claude-sonnet-4-5","max_tokens":5000,"messages":[{"role":"user","content":"hi"}]}'
anthropic() { curl -sS -o "$WORK/body" -w '%{http_code}' -H "x-api-key: $1" -H 'anthropic-version: 2023-06-01' \
  -H 'content-type: application/json' -d "$2" "$BASE/v1/messages"; }
[[ $(anthropic "$ADA" "$msg") == 200 ]] || fail "gateway request: $(cat "$WORK/body")"
[[ $(anthropic "$BOB" "$big") == 429 ]] || fail "over-budget gateway request: want 429, got $(cat "$WORK/body")"
# One ingest answer of each class the rules divide by (a 4xx: a bad encoding).
expect_status 415 "$ADMIN" POST /v1/events -H 'content-encoding: br' --data-binary 'x'
expect_status 200 "$VIEWER" GET /metrics
cp "$WORK/body" "$WORK/metrics"
missing=()
while read -r name; do
  [[ -z $name ]] && continue
  grep -qE "^${name}(\{| )" "$WORK/metrics" || missing+=("$name")
done < <(sort -u "$WORK/dash_names" "$WORK/rule_names")
((${#missing[@]} == 0)) || fail "named by deploy/ but not on /metrics: ${missing[*]}"
grep -q '^burnrate_http_ingest_responses_total{code="4xx"} 1$' "$WORK/metrics" ||
  fail "the 415 was not counted: $(grep ingest_responses "$WORK/metrics")"
n2xx=$(sed -n 's/^burnrate_http_ingest_responses_total{code="2xx"} //p' "$WORK/metrics")
(( n2xx >= 3 )) || fail "2xx ingest answers counted $n2xx"
pass "every one of $(sort -u "$WORK/dash_names" "$WORK/rule_names" | wc -l) metric names has a sample on a live /metrics"
stop_server

# 4. systemd units.
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$WORK/units"
  for unit in "$SRC"/deploy/systemd/*.service; do
    # verify checks that ExecStart's binary exists: point it at this build.
    sed "s#/usr/local/bin/burnrate#$BURNRATE#" "$unit" >"$WORK/units/$(basename "$unit")"
    if ! systemd-analyze verify --man=no "$WORK/units/$(basename "$unit")" >"$WORK/verify.out" 2>&1 ||
      [[ -s "$WORK/verify.out" ]]; then
      cat "$WORK/verify.out" >&2
      fail "systemd-analyze verify $(basename "$unit")"
    fi
  done
  pass "systemd-analyze verify: $(ls "$SRC"/deploy/systemd/*.service | wc -l) units"
else
  skipped+=("systemd-analyze is not installed: unit files not verified")
fi

if ((${#skipped[@]})); then
  printf 'SKIP: %s\n' "${skipped[@]}"
  exit 77
fi
