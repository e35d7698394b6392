#!/usr/bin/env bash
# Benchmark smoke (ctest label "bench"): every benchmark of `make bench` runs
# briefly on tiny inputs and must produce well-formed results, so a broken
# benchmark is found by `make test`, not on the day its figure is needed.
# Timings are not checked; docs/PERFORMANCE.md has the real runs.
#   bench_smoke.sh gbench BINARY       a Google Benchmark binary
#   bench_smoke.sh loadgen MODE        burnrate-loadgen: ingest | org | prompts | board | restart | org-day
#   bench_smoke.sh restartgen          burnrate-restartgen: full replay, then from the checkpoint
#   bench_smoke.sh curl_import         bench/curl_import.sh: curl with its defaults, then without Expect
set -euo pipefail
kind=$1 what=${2:-}
BIN=${BURNRATE_BINARY_DIR:?}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

case $kind in
gbench)
  "$BIN/$what" --benchmark_min_time=0.01 --benchmark_format=json >"$WORK/out.json"
  python3 - "$WORK/out.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
assert runs, "no benchmark ran"
for r in runs:
    assert not r.get("error_occurred"), f'{r["name"]}: {r.get("error_message")}'
    assert r["iterations"] > 0 and r["real_time"] > 0, r["name"]
print(f"{len(runs)} benchmarks ran")
PY
  ;;
loadgen)
  case $what in
  ingest) args=(--mode ingest --events 20000 --batch 2000 --clients 2) ;;
  org) args=(--mode ingest --org --users 3000 --events 20000 --batch 2000 --clients 2) ;;
  prompts) args=(--mode ingest --events 20000 --batch 2000 --clients 2 --prompts --repeat 1) ;;
  board) args=(--mode board --users 2000 --queries 200) ;;
  restart) args=(--mode restart --events 20000) ;;
  org-day) args=(--mode org-day --users 3000 --events 60000 --batch 2000 --clients 2) ;;
  *) echo "unknown loadgen mode $what" >&2; exit 2 ;;
  esac
  "$BIN/burnrate-loadgen" "${args[@]}" --dir "$WORK/data" | grep '^{' >"$WORK/out.ndjson"
  python3 - "$WORK/out.ndjson" "$what" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mode = sys.argv[2]
by = lambda b: [r for r in rows if r["bench"] == b]
if mode in ("ingest", "prompts", "org"):
    runs = by("ingest")
    assert runs, "no ingest result"
    for r in runs:
        assert r["accepted"] == r["events"] == 20000, r
        assert r["shape"] == ("organisation" if mode == "org" else "uniform"), r
        if mode == "org":
            assert 1000 < r["users"] <= 3000, r  # Zipf-like: most of the 3,000 users appear
        assert r["http_events_per_s"] > 0 and r["raw_sqlite_events_per_s"] > 0, r
        assert set(r["server_cpu_us_per_event_by_thread"]) >= {"br-http", "br-committer", "br-applier"}, r
    if mode == "prompts":
        assert sorted(r["prompt_features"] for r in runs) == [False, True], "want one run dropping text, one computing features"
        (cost,) = by("prompt_features_cost")
        assert cost["median_dropped_events_per_s"] > 0 and cost["median_features_events_per_s"] > 0, cost
        assert -1 < cost["throughput_cut_median"] < 1, cost
elif mode == "board":
    (r,) = by("board")
    assert r["users"] == 2000 and 0 < r["inproc_p50_us"] <= r["inproc_p99_us"] and r["http_p50_us"] > 0, r
elif mode == "org-day":
    (r,) = by("org_day")
    assert r["ok"] and r["accepted"] == r["events"] == 60000 and r["failed_requests"] == 0, r
    assert r["board_ok"] and r["board_top10_ok"] and r["budgets_ok"] and r["flags_ok"], r
    assert 1000 < r["users"] <= 3000 and r["tokens"] > 0 and r["board_org_tokens"] == r["tokens"], r
    assert r["events_per_s"] > 0 and r["peak_rss_mb"] > 0, r
elif mode == "restart":
    (r,) = by("restart")
    assert r["events"] == r["dedup_ids"] == r["detection_events"] == 20000, r
print(f"loadgen {mode}: {len(rows)} result lines")
PY
  ;;
curl_import)
  # 20,000 events in two 10,000-event files, two curl clients.
  SRC=$(cd "$(dirname "$0")/.." && pwd)
  bash "$SRC/bench/curl_import.sh" "$BIN" 20000 2 >"$WORK/default.json"
  NO_EXPECT=1 bash "$SRC/bench/curl_import.sh" "$BIN" 20000 2 >"$WORK/off.json"
  python3 - "$WORK/default.json" "$WORK/off.json" <<'PY'
import json, sys
for path, expect in zip(sys.argv[1:], ("curl default", "off")):
    (r,) = [json.loads(l) for l in open(path) if l.startswith("{")]
    assert r["accepted"] == r["events"] == 20000 and r["expect_header"] == expect, r
    assert r["events_per_s"] > 0, r
print("curl_import: both runs accepted every event")
PY
  ;;
restartgen)
  # 200,000 events of 2,000 users over 10 days: a full replay writes the
  # checkpoint; the next start loads it, applies no tail, same totals.
  args=(--events 200000 --users 2000 --days 10 --dir "$WORK/data")
  "$BIN/burnrate-restartgen" "${args[@]}" --full 2>/dev/null | grep '^{' >"$WORK/full.json"
  "$BIN/burnrate-restartgen" "${args[@]}" 2>/dev/null | grep '^{' >"$WORK/ckpt.json"
  python3 - "$WORK/full.json" "$WORK/ckpt.json" <<'PY'
import json, sys
full, ckpt = (json.load(open(p)) for p in sys.argv[1:3])
assert full["from_checkpoint"] is False and full["engine_tail_events"] == 200000, full
assert full["checkpoint_file_mb"] > 0, full
assert ckpt["from_checkpoint"] is True and ckpt["engine_tail_events"] == 0, ckpt
assert ckpt["stored_events"] == full["stored_events"] == 200000 and ckpt["users"] == full["users"], (full, ckpt)
assert ckpt["dedup_ids"] == full["dedup_ids"] > 0, (full, ckpt)
print("restartgen: full replay and checkpoint restart agree")
PY
  ;;
*)
  echo "usage: bench_smoke.sh gbench BINARY | loadgen MODE | restartgen" >&2
  exit 2
  ;;
esac
