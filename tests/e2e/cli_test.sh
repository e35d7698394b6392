#!/usr/bin/env bash
# End to end: the CLI. simulate --out, ingest FILE into a db (bad lines
# reported as file:line, good ones kept), ingest into a server across
# chunks, top --db and --server, keys list/revoke, --help everywhere.
source "$(dirname "$0")/lib.sh"

B="$BURNRATE"
DB="$WORK/cli.db"

# --help on every subcommand.
for sub in "" serve keys "keys create" "keys list" "keys revoke" ingest top simulate events; do
  # shellcheck disable=SC2086
  "$B" $sub --help >"$WORK/help" 2>&1 || fail "burnrate $sub --help failed"
  grep -q "Usage" "$WORK/help" || fail "burnrate $sub --help prints no usage"
done
pass "--help on every subcommand"

# simulate --out writes valid NDJSON events.
"$B" simulate --users 15 --days 2 --seed 7 --out "$WORK/sim.ndjson" >"$WORK/out" || fail "simulate failed"
N=$(wc -l <"$WORK/sim.ndjson")
grep -q "wrote $N events" "$WORK/out" || fail "simulate said: $(cat "$WORK/out"), file has $N lines"
(( N > 100 )) || fail "simulate wrote only $N events"
python3 - "$WORK/sim.ndjson" <<'PY' || fail "simulate output is not valid events"
import json, sys
users, ids, kinds = set(), set(), set()
for n, line in enumerate(open(sys.argv[1]), 1):
    e = json.loads(line)
    assert e["id"] not in ids, f"line {n}: duplicate id"
    ids.add(e["id"])
    users.add(e["user"])
    kinds.add(e.get("type", "usage"))
    if e.get("type", "usage") == "usage":
        assert e["model"] and all(isinstance(e.get(k, 0), int) and e.get(k, 0) >= 0 for k in
                                  ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")), line
assert 1 < len(users) <= 15, users
assert "usage" in kinds
PY
"$B" simulate --users 5 --days 1 >/dev/null 2>&1 && fail "simulate without --out or --server succeeded"
pass "simulate --out ($N events)"
# A write that fails (a full disk) is an error, said once, not "wrote N events".
rc=0
"$B" simulate --users 15 --days 2 --seed 7 --out /dev/full >"$WORK/out" 2>"$WORK/err" || rc=$?
[[ $rc == 1 ]] || fail "simulate to a full disk exited $rc, want 1"
grep -q "/dev/full: write failed" "$WORK/err" || fail "simulate to a full disk said: $(cat "$WORK/err")"
[[ $(wc -l <"$WORK/err") == 1 ]] || fail "simulate repeated its write error: $(cat "$WORK/err")"
! grep -q "wrote" "$WORK/out" || fail "simulate reported success after a failed write"
pass "simulate reports a failed write once and exits 1"

# ingest FILE --db: bad lines are reported as file:line; good lines kept.
head -n 50 "$WORK/sim.ndjson" >"$WORK/mixed.ndjson"
echo '{"id":"bad-a","user":"u","model":"m","input_tokens":-1}' >>"$WORK/mixed.ndjson"   # line 51
echo 'this is not json' >>"$WORK/mixed.ndjson"                                         # line 52
sed -n 51,60p "$WORK/sim.ndjson" >>"$WORK/mixed.ndjson"                                 # lines 53-62
echo '{"id":"bad-b","user":"u"}' >>"$WORK/mixed.ndjson"                                # line 63
set +e
"$B" ingest "$WORK/mixed.ndjson" --db "$DB" --chunk 7 >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
[[ $rc -eq 3 ]] || fail "ingest with rejected lines: exit $rc, want 3; $(cat "$WORK/err")"
grep -q "accepted 60, duplicates 0, rejected 3" "$WORK/out" || fail "ingest said: $(cat "$WORK/out")"
grep -q "mixed.ndjson:51: input_tokens must not be negative" "$WORK/err" || fail "no file:line for line 51: $(cat "$WORK/err")"
grep -q "mixed.ndjson:52: line is not valid JSON" "$WORK/err" || fail "no file:line for line 52: $(cat "$WORK/err")"
grep -q "mixed.ndjson:63: model is required" "$WORK/err" || fail "no file:line for line 63: $(cat "$WORK/err")"
pass "ingest --db reports file:line and keeps good lines"

# The whole file: the first 60 are duplicates now.
"$B" ingest "$WORK/sim.ndjson" --db "$DB" >"$WORK/out" 2>"$WORK/err" || fail "ingest sim: $(cat "$WORK/err")"
grep -q "accepted $((N - 60)), duplicates 60, rejected 0" "$WORK/out" || fail "ingest said: $(cat "$WORK/out")"

# events --db: every stored event once, as NDJSON that parses, with what
# the server added (received, cost); --count agrees; a missing file fails.
"$B" events --db "$DB" >"$WORK/events.ndjson" 2>"$WORK/err" || fail "events: $(cat "$WORK/err")"
python3 - "$WORK/sim.ndjson" "$WORK/events.ndjson" <<'PY' || fail "events output differs from what was ingested"
import json, sys
sent = {e["id"]: e for e in map(json.loads, open(sys.argv[1]))}
got = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == len(sent) == len({e["id"] for e in got}), (len(got), len(sent))
for e in got:
    s = sent[e["id"]]
    assert e["user"] == s["user"] and e["received"] > 0, e
    if e.get("type") != "outcome":
        assert e["model"] == s["model"] and e["input_tokens"] == s.get("input_tokens", 0), (e, s)
        assert e["cost_nanos"] >= 0 and "cost_usd" in e, e
PY
[[ "$("$B" events --db "$DB" --count)" == "$N" ]] || fail "events --count: $("$B" events --db "$DB" --count), want $N"
# --count with --received-from counts what the dump since then prints.
MID=$(python3 -c 'import json,sys; r=sorted(json.loads(l)["received"] for l in open(sys.argv[1])); print(r[len(r)//2])' "$WORK/events.ndjson")
WANT=$("$B" events --db "$DB" --received-from "$MID" | wc -l)
[[ "$("$B" events --db "$DB" --count --received-from "$MID")" == "$WANT" ]] || fail "events --count --received-from $MID: want $WANT"
"$B" events --db "$WORK/no-such.db" >/dev/null 2>"$WORK/err" && fail "events on a missing file succeeded"
grep -q "no database file" "$WORK/err" || fail "events on a missing file said: $(cat "$WORK/err")"
[[ ! -e "$WORK/no-such.db" ]] || fail "events created a database file"
pass "events --db prints every stored event once"

# events output ingests again unchanged, prompt features included (the text
# itself is never stored: its derived features travel as hex fingerprints).
NOW_MS=$(date +%s%3N)
cat >"$WORK/prompts.ndjson" <<NDJSON
{"id":"p1","ts":$NOW_MS,"user":"ada","model":"claude-sonnet-4-5","input_tokens":10,"prompt":{"text":"Please refactor the retry loop in the payment client and keep the public API unchanged."}}
{"id":"p2","ts":$NOW_MS,"user":"ada","model":"claude-sonnet-4-5","input_tokens":10,"prompt":{"text":"again again again again again again again again again again again again again again"}}
NDJSON
"$B" ingest "$WORK/prompts.ndjson" --db "$WORK/p1.db" >/dev/null 2>"$WORK/err" || fail "ingest prompts: $(cat "$WORK/err")"
"$B" events --db "$WORK/p1.db" >"$WORK/p1.ndjson" || fail "events p1"
"$B" ingest "$WORK/p1.ndjson" --db "$WORK/p2.db" >/dev/null 2>"$WORK/err" || fail "re-ingest events output: $(cat "$WORK/err")"
"$B" events --db "$WORK/p2.db" >"$WORK/p2.ndjson" || fail "events p2"
python3 - "$WORK/p1.ndjson" "$WORK/p2.ndjson" <<'PY' || fail "prompt features did not survive events -> ingest"
import json, sys
a = {e["id"]: e for e in map(json.loads, open(sys.argv[1]))}
b = {e["id"]: e for e in map(json.loads, open(sys.argv[2]))}
assert sorted(a) == sorted(b) == ["p1", "p2"], (a, b)
for k in a:
    pa, pb = a[k]["prompt"], b[k]["prompt"]
    assert pa == pb and len(pa["simhash"]) == 16 and pa["length"] > 0, (pa, pb)
    assert a[k]["input_tokens"] == b[k]["input_tokens"] and a[k]["cost_nanos"] == b[k]["cost_nanos"], (a[k], b[k])
assert a["p1"]["prompt"]["exact_hash"] != a["p2"]["prompt"]["exact_hash"]
PY
pass "events output ingests again with its prompt features"
pass "ingest --db de-duplicates across runs"

# top --db: a ranked table of the simulated users.
"$B" top --db "$DB" --window all --limit 5 >"$WORK/top" 2>"$WORK/err" || fail "top --db: $(cat "$WORK/err")"
python3 - "$WORK/sim.ndjson" "$WORK/top" <<'PY' || fail "top --db is not the expected ranking: $(cat "$WORK/top")"
import json, sys
from collections import Counter
tokens = Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("type", "usage") == "usage":
        tokens[e["user"]] += sum(e.get(k, 0) for k in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"))
table = open(sys.argv[2]).read()
top = [u for u, _ in sorted(tokens.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
pos = [table.find(u) for u in top]
assert all(p >= 0 for p in pos), (top, table)
assert pos == sorted(pos), (top, table)
assert top[0] in table.splitlines()[[i for i, l in enumerate(table.splitlines()) if top[0] in l][0]]
PY
grep -q "top users by tokens over all" "$WORK/top" || fail "top has no title: $(head -3 "$WORK/top")"
set +e
"$B" top --db "$DB" --window fortnight >/dev/null 2>"$WORK/err"; rc=$?
set -e
[[ $rc -ne 0 ]] && grep -q "window" "$WORK/err" || fail "top with a bad window: exit $rc, $(cat "$WORK/err")"
pass "top --db"

# ingest FILE --server: line numbers stay right across chunks.
ADMIN=$(new_key "$DB" admin)
VIEWER=$(new_key "$DB" viewer)
"$B" keys list --db "$DB" >"$WORK/keys"
grep -q "admin" "$WORK/keys" && grep -q "viewer" "$WORK/keys" || fail "keys list: $(cat "$WORK/keys")"
grep -q "br_" "$WORK/keys" && fail "keys list shows secrets"
start_server "$DB"
printf '{"id":"s1","user":"zed","model":"gpt-5","input_tokens":5}\n{"id":"s2","user":"zed","model":"gpt-5","input_tokens":-5}\n{"id":"s3","user":"zed","model":"gpt-5","input_tokens":5}\n{"id":"s4","user":"zed","model":"gpt-5","ts":"soon"}\n{"id":"s1","user":"zed","model":"gpt-5","input_tokens":5}\n{"id":"s6","user":"zed","model":"gpt-5","prompt":5}\n' >"$WORK/srv.ndjson"
set +e
"$B" ingest "$WORK/srv.ndjson" --server "$BASE" --key "$ADMIN" --chunk 2 >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
[[ $rc -eq 3 ]] || fail "ingest --server: exit $rc: $(cat "$WORK/err")"
grep -q "accepted 2, duplicates 1, rejected 3" "$WORK/out" || fail "ingest --server said: $(cat "$WORK/out")"
grep -q "srv.ndjson:2: input_tokens must not be negative" "$WORK/err" || fail "ingest --server: $(cat "$WORK/err")"
grep -q "srv.ndjson:4: ts must be" "$WORK/err" || fail "ingest --server line 4: $(cat "$WORK/err")"
# A message with quotes in it arrives whole (the answer is read as JSON).
grep -qF 'srv.ndjson:6: prompt must be an object: {"text": ...} or precomputed features' "$WORK/err" ||
  fail "ingest --server line 6: $(cat "$WORK/err")"
set +e
"$B" ingest "$WORK/srv.ndjson" --server "$BASE" --key "$VIEWER" >"$WORK/out" 2>"$WORK/err"; rc=$?
set -e
[[ $rc -ne 0 ]] && grep -q "403" "$WORK/err" || fail "ingest with a viewer key: exit $rc: $(cat "$WORK/err")"
pass "ingest --server with chunks, and a key without the role is refused"

# top --server.
sleep 0.3
"$B" top --server "$BASE" --key "$VIEWER" --window 24h --entity user >"$WORK/top" 2>"$WORK/err" || fail "top --server: $(cat "$WORK/err")"
grep -q "zed" "$WORK/top" || fail "top --server: $(cat "$WORK/top")"
pass "top --server"

# keys revoke.
ID=$(grep viewer "$WORK/keys" | grep -o 'k_[0-9a-f]*' | head -1)
"$B" keys revoke --db "$DB" "$ID" >/dev/null || fail "keys revoke $ID"
stop_server
start_server "$DB"
expect_status 401 "$VIEWER" GET /metrics
pass "keys revoke"
stop_server

# Usage errors exit non-zero with a message.
set +e
"$B" ingest "$WORK/srv.ndjson" >/dev/null 2>"$WORK/err"; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "exactly one of" "$WORK/err" || fail "ingest without a target: exit $rc: $(cat "$WORK/err")"
set +e
"$B" ingest "$WORK/nonexistent.ndjson" --db "$DB" >/dev/null 2>"$WORK/err"; rc=$?
set -e
[[ $rc -ne 0 ]] && grep -q "nonexistent.ndjson" "$WORK/err" || fail "ingest of a missing file: exit $rc: $(cat "$WORK/err")"

# A missing file is reported and the files after it are still ingested in full.
printf '{"id":"m1","user":"u","model":"m"}\n{"id":"m2","user":"u","model":"m"}\n' >"$WORK/after.ndjson"
set +e
"$B" ingest "$WORK/missing.ndjson" "$WORK/after.ndjson" --db "$WORK/after.db" >"$WORK/out" 2>"$WORK/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "cannot open .*missing.ndjson" "$WORK/err" || fail "missing file: exit $rc: $(cat "$WORK/err")"
if grep -q "accepted 2," "$WORK/out"; then
  pass "a missing file does not stop the others"
else
  fail "files after a missing one lost data: $(cat "$WORK/out")"
fi
echo "cli_test: all passed"
