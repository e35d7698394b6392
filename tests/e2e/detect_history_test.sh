#!/usr/bin/env bash
# Every day is scored: 30 days of history imported through `burnrate ingest`
# into a running server are rescored from the stored events once they
# settle, so flags appear on old days, not only today and yesterday. The
# admin rescore route and the offline `burnrate detect --db` do the same on
# demand.
source "$(dirname "$0")/lib.sh"

"$BURNRATE" simulate --personas --users 60 --days 30 --seed 5 --farm-share 0.25 --bot-farm-size 5 \
  --out "$WORK/ev.ndjson" --labels "$WORK/labels.ndjson" >"$WORK/sim.out"
pass "simulate wrote $(wc -l <"$WORK/ev.ndjson") events over 30 days"

python3 - "$WORK/labels.ndjson" >"$WORK/b.toml" <<'PY'
import json, sys
exempt = [u["user"] for u in map(json.loads, open(sys.argv[1])) if u["exempt"]]
print("[detection]\nscore_interval_seconds = 1\nrescore_settle_seconds = 2\nexempt = [%s]"
      % ", ".join(json.dumps(u) for u in exempt))
PY
DB=$WORK/b.db
KEY=$(new_key "$DB" admin)
VIEW=$(new_key "$DB" viewer)
start_server "$DB" --config "$WORK/b.toml"
"$BURNRATE" ingest --server "$BASE" --key "$KEY" "$WORK/ev.ndjson" >"$WORK/ingest.out" || fail "ingest: $(cat "$WORK/ingest.out")"
grep -q "rejected 0" "$WORK/ingest.out" || fail "ingest rejected events: $(tail -3 "$WORK/ingest.out")"

# The days the import covers (UTC dates of its events): each finished day
# must get flags (today, still open, may hold minutes of events).
python3 - "$WORK/ev.ndjson" >"$WORK/days" <<'PY'
import json, sys, datetime
days = set()
for line in open(sys.argv[1]):
    ts = json.loads(line)["ts"]
    t = datetime.datetime.fromtimestamp(ts / 1000, datetime.timezone.utc) if isinstance(ts, (int, float)) \
        else datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    days.add(t.date().isoformat())
today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
print("\n".join(sorted(d for d in days if d < today)))
PY
want=$(wc -l <"$WORK/days")
[[ $want -ge 30 ]] || fail "the import covers $want finished days, not 30"
# Count the distinct dates with flags until every imported day has some.
dates() { python3 -c 'import json,sys; print(len({f["date"] for f in json.load(open(sys.argv[1]))["flags"] if f["flagged"]}))' "$WORK/body"; }
for _ in $(seq 1 120); do
  code=$(http_status "$KEY" GET "/v1/flags?window=32d")
  n=$([[ $code == 200 ]] && dates || echo 0)
  [[ $n -ge $want ]] && break
  sleep 1
done
python3 - "$WORK/labels.ndjson" "$WORK/body" "$WORK/days" <<'PY' || fail "old days were not scored"
import json, sys, datetime
labels = {u["user"]: u for u in map(json.loads, open(sys.argv[1]))}
flags = [f for f in json.load(open(sys.argv[2]))["flags"] if f["flagged"]]
days = set(open(sys.argv[3]).read().split())
today = datetime.datetime.now(datetime.timezone.utc).date()
flagged_days = {f["date"] for f in flags}
old = {d for d in flagged_days if datetime.date.fromisoformat(d) < today - datetime.timedelta(days=1)}
farm = {u for u, l in labels.items() if l["label"] == "farm"}
legit_hc = [f for f in flags if f["user"] not in farm and f["high_confidence"]]
missing = sorted(days - flagged_days)
print(f"flags on {len(days & flagged_days)} of the {len(days)} finished imported days ({len(old)} older than yesterday); "
      f"{len({f['user'] for f in flags} & farm)} of {len(farm)} farmers; missing days: {missing}; "
      f"legitimate at high confidence: {legit_hc}")
sys.exit(0 if not missing and not legit_hc else 1)
PY
pass "flags on every imported day without asking, none of a legitimate user at high confidence"

# On demand: the admin route rescores a range and says what it found.
first=$(python3 -c 'import datetime; print(datetime.date.today() - datetime.timedelta(days=20))')
expect_status 200 "$KEY" POST "/v1/flags/rescore?from=$first&to=$first"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["days"]; sys.exit(0 if len(d)==1 and d[0]["flagged"]>0 else 1)' \
  "$WORK/body" || fail "rescore route: $(cat "$WORK/body")"
expect_status 400 "$KEY" POST "/v1/flags/rescore?from=$first&to=2000-01-01"
grep -q '"field":"to"' "$WORK/body" || fail "a reversed range names the field: $(cat "$WORK/body")"
expect_status 403 "$VIEW" POST "/v1/flags/rescore?from=$first&to=$first"
pass "POST /v1/flags/rescore scores a range (admin only, 400 naming the field for a bad range)"
stop_server

# Offline, on the database file.
"$BURNRATE" detect --db "$DB" --from "$first" --to "$first" >"$WORK/detect.out" || fail "detect: $(cat "$WORK/detect.out")"
grep -q "^$first: .* users scored, [1-9][0-9]* flagged" "$WORK/detect.out" || fail "detect --db: $(cat "$WORK/detect.out")"
if "$BURNRATE" detect --db "$WORK/missing.db" --from "$first" --to "$first" 2>"$WORK/err"; then fail "a missing file succeeded"; fi
grep -q "no database file" "$WORK/err" || fail "missing file message: $(cat "$WORK/err")"
pass "burnrate detect --db scores a stored day offline"
echo "detect_history_test: ok"
