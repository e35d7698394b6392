#!/usr/bin/env bash
# make bench: every benchmark, with the figures docs/PERFORMANCE.md records.
# Results go to build/bench/*.json (one file per benchmark) and the console.
# Long runs are sized by env: BENCH_INGEST_EVENTS (2,000,000),
# BENCH_BOARD_USERS (100,000), BENCH_RESTART_EVENTS (50,000,000),
# BENCH_PROMPT_PAIRS (10).
set -euo pipefail
BUILD=${1:-build}
OUT=$BUILD/bench
mkdir -p "$OUT"
DIR=${BENCH_DIR:-/tmp/burnrate-bench}

echo "== Google Benchmark binaries"
for b in "$BUILD"/*_bench; do
  [[ -x $b ]] || continue
  name=$(basename "$b")
  echo "-- $name"
  "$b" --benchmark_min_time=0.2 --benchmark_out="$OUT/$name.json" --benchmark_out_format=json
done

echo "== ingest over HTTP vs raw SQLite appends (same rows, same run)"
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
fi
