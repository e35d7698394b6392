#!/usr/bin/env bash
# Implausible usage: a Claude Code transcript edited to inflate its usage
# (tests/data/claude_code/fabricated, output tokens x100 and two responses
# at 400,000 output tokens) is flagged with a reason that says what is
# impossible; the unedited transcript is not. `burnrate detect --config`
# scores with the server's [detection] settings.
source "$(dirname "$0")/lib.sh"

# The transcripts are of 2026-03-21; moved to 10 days ago (within the raw
# retention, older than yesterday) on a copy.
DAY=$(python3 -c 'import datetime; print(datetime.date.today() - datetime.timedelta(days=10))')
DATA=$WORK/claude_code
cp -r "$BURNRATE_SOURCE_DIR/tests/data/claude_code" "$DATA"
find "$DATA" -name '*.jsonl' -exec sed -i "s/\"2026-03-21T/\"${DAY}T/g" {} +
# The edited copy keeps the message and request ids, so after the honest
# upload it would be all duplicates (an edited re-upload cannot inflate a
# user's count). Here the two are different people's: other ids.
sed -i 's/"msg_01Hx/"msg_01Hy/; s/"req_011C/"req_011D/' "$DATA"/honest/*/*.jsonl
DB=$WORK/p.db
KEY=$(new_key "$DB" admin)
printf '[detection]\nscore_interval_seconds = 1\n' >"$WORK/p.toml"
start_server "$DB" --config "$WORK/p.toml"
for who in honest fabricated; do
  "$BURNRATE" ingest --claude "$DATA/$who" --server "$BASE" --key "$KEY" --user "$who@example.com" \
    >"$WORK/ingest.$who" 2>&1 || fail "ingest $who: $(cat "$WORK/ingest.$who")"
done
expect_status 200 "$KEY" POST "/v1/flags/rescore?from=$DAY&to=$DAY"
expect_status 200 "$KEY" GET "/v1/flags?date=$DAY"
python3 - "$WORK/body" <<'PY' || fail "flags: $(cat "$WORK/body")"
import json, sys
flags = {f["user"]: f for f in json.load(open(sys.argv[1]))["flags"] if f["flagged"]}
assert "honest@example.com" not in flags, flags.get("honest@example.com")
f = flags["fabricated@example.com"]
r = [r for r in f["reasons"] if r["detector"] == "implausible_usage"][0]
print(r["summary"])
assert "output_per_request" in r["summary"] and "400000" in r["summary"], r["summary"]
assert f["high_confidence"], f
PY
pass "the fabricated transcript is flagged implausible_usage (high confidence), the honest one is not"
stop_server

# Offline scoring takes the server's config: a user exempt there is exempt here.
"$BURNRATE" detect --db "$DB" --from "$DAY" --to "$DAY" >"$WORK/d1" || fail "detect: $(cat "$WORK/d1")"
grep -q "fabricated@example.com score 100 high-confidence .*implausible_usage" "$WORK/d1" || fail "detect: $(cat "$WORK/d1")"
printf '[detection]\nexempt = ["fabricated@example.com"]\n' >"$WORK/exempt.toml"
"$BURNRATE" detect --db "$DB" --from "$DAY" --to "$DAY" --config "$WORK/exempt.toml" >"$WORK/d2" || fail "detect: $(cat "$WORK/d2")"
grep -q "^$DAY: 2 users scored, 0 flagged, 1 retracted" "$WORK/d2" || fail "detect --config: $(cat "$WORK/d2")"
printf '[detection]\nimplausible_max_output = "x"\n' >"$WORK/bad.toml"
if "$BURNRATE" detect --db "$DB" --from "$DAY" --to "$DAY" --config "$WORK/bad.toml" 2>"$WORK/err"; then fail "a bad config succeeded"; fi
grep -q "bad.toml: detection.implausible_max_output must be a number" "$WORK/err" || fail "bad config: $(cat "$WORK/err")"
pass "burnrate detect --config scores with the server's [detection] settings"

# An edited re-upload: the honest transcript first, then the fabricated copy
# with the same message and request ids. Its events are duplicates (nothing
# more is counted) but conflicting ones: /metrics counts them and the
# uploader's day is flagged implausible_usage naming the ids, for review
# (one kind of evidence: not high confidence).
ORIG=$WORK/claude_code_orig
cp -r "$BURNRATE_SOURCE_DIR/tests/data/claude_code" "$ORIG"
find "$ORIG" -name '*.jsonl' -exec sed -i "s/\"2026-03-21T/\"${DAY}T/g" {} +
DB2=$WORK/p2.db
KEY2=$(new_key "$DB2" admin)
start_server "$DB2" --config "$WORK/p.toml"
"$BURNRATE" ingest --claude "$ORIG/honest" --server "$BASE" --key "$KEY2" --user "editor@example.com" \
  >"$WORK/ingest.orig" 2>&1 || fail "ingest honest: $(cat "$WORK/ingest.orig")"
"$BURNRATE" ingest --claude "$ORIG/fabricated" --server "$BASE" --key "$KEY2" --user "editor@example.com" \
  >"$WORK/ingest.edit" 2>&1 || fail "ingest edited: $(cat "$WORK/ingest.edit")"
expect_status 200 "$KEY2" GET /metrics
N=$(sed -n 's/^burnrate_conflicting_duplicates_total{source="claude_code"} //p' "$WORK/body")
[[ -n $N && $N -gt 0 ]] || fail "no conflicting duplicates counted: $(grep -i conflict "$WORK/body")"
expect_status 200 "$KEY2" POST "/v1/flags/rescore?from=$DAY&to=$DAY"
expect_status 200 "$KEY2" GET "/v1/flags?date=$DAY"
python3 - "$WORK/body" "$N" <<'PY' || fail "flags: $(cat "$WORK/body")"
import json, sys
flags = {f["user"]: f for f in json.load(open(sys.argv[1]))["flags"] if f["flagged"]}
f = flags["editor@example.com"]
r = [r for r in f["reasons"] if r["detector"] == "implausible_usage"][0]
print(r["summary"])
assert f"{sys.argv[2]} conflicting_duplicate (ids reported again by their source with other usage: cc-" in r["summary"], r["summary"]
assert not f["high_confidence"], f
PY
stop_server
pass "an edited re-upload with the same ids is counted and flagged as conflicting duplicates"
echo "plausibility_test: ok"
