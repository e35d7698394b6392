#!/usr/bin/env bash
# burnrate simulate --personas: a labelled organisation (legitimate personas
# and farmers) as NDJSON with prompt text, and its ground truth (--labels).
# Ingested by a real server that re-scores detection every second, the review
# queue must name farmers and no legitimate user.
source "$(dirname "$0")/lib.sh"

"$BURNRATE" simulate --personas --users 400 --days 2 --seed 3 --farm-share 0.2 --bot-farm-size 6 \
  --out "$WORK/ev.ndjson" --labels "$WORK/labels.ndjson" >"$WORK/sim.out"
[[ $(wc -l <"$WORK/labels.ndjson") -eq 400 ]] || fail "expected 400 labels: $(wc -l <"$WORK/labels.ndjson")"
grep -q '"label":"farm"' "$WORK/labels.ndjson" || fail "no farmers among the labels"
grep -q '"prompt":{"text":' "$WORK/ev.ndjson" || fail "events carry no prompt text"
pass "simulate --personas wrote $(wc -l <"$WORK/ev.ndjson") events and 400 labels"

# Declared batch jobs are exempt, as the labels say.
python3 - "$WORK/labels.ndjson" >"$WORK/b.toml" <<'PY'
import json, sys
exempt = [u["user"] for u in map(json.loads, open(sys.argv[1])) if u["exempt"]]
print("[detection]\nscore_interval_seconds = 1\nexempt = [%s]" % ", ".join(json.dumps(u) for u in exempt))
PY
DB=$WORK/b.db
KEY=$(new_key "$DB" admin)
start_server "$DB" --config "$WORK/b.toml"
"$BURNRATE" ingest --server "$BASE" --key "$KEY" "$WORK/ev.ndjson" >"$WORK/ingest.out" || fail "ingest: $(cat "$WORK/ingest.out")"
grep -q "rejected 0" "$WORK/ingest.out" || fail "ingest rejected events: $(tail -3 "$WORK/ingest.out")"

# Scoring runs for today and yesterday every second: yesterday is the last
# simulated day. Wait until the queue stops growing.
prev=-1
for _ in $(seq 1 60); do
  code=$(http_status "$KEY" GET "/v1/flags?window=3d")
  n=$(grep -o '"user"' "$WORK/body" | wc -l || true)  # an empty queue is not an error yet
  [[ $code == 200 && $n -gt 0 && $n -eq $prev ]] && break
  prev=$n
  sleep 1
done
# One day of scores is a review queue, not a verdict: a newcomer who repeats
# questions may appear for a day (eval-detection counts users flagged on two
# days), but never with high confidence, and farmers make up the queue.
python3 - "$WORK/labels.ndjson" "$WORK/body" <<'PY' || fail "flags do not match the labels"
import json, sys
labels = {u["user"]: u for u in map(json.loads, open(sys.argv[1]))}
flags = [f for f in json.load(open(sys.argv[2]))["flags"] if f["flagged"]]
farm = {u for u, l in labels.items() if l["label"] == "farm"}
flagged = {f["user"] for f in flags}
legit = [f for f in flags if f["user"] not in farm]
print(f"{len(flagged)} users flagged, {len(flagged & farm)} of {len(farm)} farmers, "
      f"legit: {[(f['user'], labels[f['user']]['persona'], f['score']) for f in legit]}")
ok = (len(flagged & farm) >= len(farm) // 2 and len(legit) <= 0.02 * (len(labels) - len(farm))
      and all(not f["high_confidence"] for f in legit))
sys.exit(0 if ok else 1)
PY
pass "the review queue is the farmers' (legitimate users at most 2%, none with high confidence)"
stop_server
echo "simulate_personas_test: ok"
