#!/usr/bin/env bash
# make bench: every benchmark, with the figures docs/PERFORMANCE.md records.
# Results go to build/bench/*.json (one file per benchmark) and the console.
# Long runs are sized by env: BENCH_INGEST_EVENTS (2,000,000),
# BENCH_BOARD_USERS (100,000), BENCH_RESTART_EVENTS (50,000,000),
# BENCH_PROMPT_PAIRS (10), BENCH_ORG_DAY_EVENTS (40,000,000). `make bench-org`
# runs only the Meta-sized day: scripts/bench.sh BUILD org-day.
set -euo pipefail
BUILD=${1:-build}
OUT=$BUILD/bench
mkdir -p "$OUT"
DIR=${BENCH_DIR:-/tmp/burnrate-bench}
ONLY=${2:-}

if [[ $ONLY == org-day ]]; then
  echo "== a Meta-sized day: ${BENCH_ORG_DAY_EVENTS:-40000000} events, 85,000 users (bench/loadgen_org_day.cc)"
  "$BUILD/burnrate-loadgen" --mode org-day --events "${BENCH_ORG_DAY_EVENTS:-40000000}" --users 85000 \
    --batch 10000 --clients 4 --dir "$DIR" | tee "$OUT/org_day.json"
  exit 0
fi

echo "== Google Benchmark binaries"
for b in "$BUILD"/*_bench; do
  [[ -x $b ]] || continue
  name=$(basename "$b")
  echo "-- $name"
  "$b" --benchmark_min_time=0.2 --benchmark_out="$OUT/$name.json" --benchmark_out_format=json
done

# The benchmark of record first: an organisation's day (85,000 users,
# Zipf-like activity, ~900 teams, model mix, prompts on one event in ten,
# interleaved in time order), 8 clients, batches of 10,000.
echo "== ingest, organisation-shaped (85,000 users), over HTTP vs raw SQLite appends (same rows, same run)"
"$BUILD/burnrate-loadgen" --mode ingest --org --users 85000 --events "${BENCH_INGEST_EVENTS:-2000000}" --batch 10000 \
  --clients 8 --dir "$DIR" | tee "$OUT/ingest_org.json"

echo "== a Meta-sized day: ${BENCH_ORG_DAY_EVENTS:-40000000} events, ~2 T tokens, 85,000 users, governance + detection + badges, end state checked"
"$BUILD/burnrate-loadgen" --mode org-day --events "${BENCH_ORG_DAY_EVENTS:-40000000}" --users 85000 --batch 10000 \
  --clients 4 --dir "$DIR" | tee "$OUT/org_day.json"

echo "== the same import by plain curl --data-binary, 4 parallel clients (bench/curl_import.sh)"
bash bench/curl_import.sh "$BUILD" "${BENCH_INGEST_EVENTS:-2000000}" 4 | tee "$OUT/curl_import.json"

echo "== ingest, uniform stream (10,000 simulated users, day after day), over HTTP vs raw SQLite appends"
"$BUILD/burnrate-loadgen" --mode ingest --events "${BENCH_INGEST_EVENTS:-2000000}" --batch 10000 --clients 4 \
  --dir "$DIR" | tee "$OUT/ingest.json"

echo "== prompt features' cost on the ingest path: text dropped vs features computed, ${BENCH_PROMPT_PAIRS:-10} alternating pairs"
"$BUILD/burnrate-loadgen" --mode ingest --events 1000000 --batch 10000 --clients 8 --prompts \
  --repeat "${BENCH_PROMPT_PAIRS:-10}" --dir "$DIR" | tee "$OUT/prompt_features.json"

echo "== leaderboard at ${BENCH_BOARD_USERS:-100000} users, 30-day window"
"$BUILD/burnrate-loadgen" --mode board --users "${BENCH_BOARD_USERS:-100000}" --queries 5000 --dir "$DIR" |
  tee "$OUT/board.json"

echo "== restart with ${BENCH_RESTART_EVENTS:-50000000} stored events"
"$BUILD/burnrate-loadgen" --mode restart --events "${BENCH_RESTART_EVENTS:-50000000}" --dir "$DIR" |
  tee "$OUT/restart.json"

# Restart from a checkpoint: 85,000 users, arrivals over 90 days (the raw
# retention), at 50 M and 200 M stored events. Each size: one full replay
# (the baseline; it writes the checkpoint), then three restarts from the
# checkpoint, median reported. The first run builds the database (about
# 20 bytes per event on disk; check the free space for 200 M).
for n in ${BENCH_CHECKPOINT_EVENTS:-50000000 200000000}; do
  d="$DIR/restart-$n"
  echo "== restart with $n stored events, 85k users over 90 days: full replay, then from the checkpoint (x3)"
  echo "\$ $BUILD/burnrate-restartgen --events $n --dir $d --full; then 3x without --full"
  "$BUILD/burnrate-restartgen" --events "$n" --dir "$d" --full | tee "$OUT/restart-$n.json"
  for i in 1 2 3; do "$BUILD/burnrate-restartgen" --events "$n" --dir "$d" | tee -a "$OUT/restart-$n.json"; done
  python3 - "$OUT/restart-$n.json" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
full, ckpt = rows[0], rows[1:]
med = statistics.median(r["recovery_s"] for r in ckpt)
print(f'restart: {full["stored_events"]:,} events, {full["users"]:,} users: full replay {full["recovery_s"]:.1f} s, '
      f'from checkpoint {med:.1f} s (median of {len(ckpt)}; {med / full["recovery_s"]:.2f}x); '
      f'RSS after recovery {max(r["rss_after_recovery_mb"] for r in ckpt)} MB, checkpoint {full["checkpoint_file_mb"]:.0f} MB')
PY
done

if [[ -x bench/claude_vs_ccusage.sh && "${BENCH_SKIP_PEERS:-0}" != 1 ]]; then
  echo "== Claude Code logs: burnrate vs ccusage vs tokscale"
  BURNRATE="$BUILD/burnrate" bash bench/claude_vs_ccusage.sh | tee "$OUT/claude_vs_ccusage.txt"
fi

if [[ -x bench/agents_vs_ccusage.sh && "${BENCH_SKIP_PEERS:-0}" != 1 ]]; then
  echo "== Codex and Gemini CLI logs: burnrate vs @ccusage/codex"
  BURNRATE="$BUILD/burnrate" bash bench/agents_vs_ccusage.sh | tee "$OUT/agents_vs_ccusage.txt"
fi

if [[ -x bench/gateway_overhead.sh ]]; then
  echo "== metering gateway: wrk against the upstream directly, through nginx proxy_pass, through the gateway"
  BURNRATE="$BUILD/burnrate" bash bench/gateway_overhead.sh | tee "$OUT/gateway_overhead.txt" || true
  echo "== the same with [server] busy_poll_us = 100 (docs/config.md)"
  BUSY_POLL_US=100 BURNRATE="$BUILD/burnrate" bash bench/gateway_overhead.sh |
    tee "$OUT/gateway_overhead_busy_poll.txt" || true
fi
