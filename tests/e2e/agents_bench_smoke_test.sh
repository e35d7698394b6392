#!/usr/bin/env bash
# Benchmark smoke: bench/agents_vs_ccusage.sh on a tiny corpus (2 MB per
# source, one run, no peer) must finish and burnrate's totals must equal the
# generator's. The real run (500 MB, with the peer) is in docs/PERFORMANCE.md.
set -euo pipefail
SRC=${BURNRATE_SOURCE_DIR:-.}
W=$(mktemp -d /tmp/burnrate_agents_bench_smoke.XXXXXX)
trap 'rm -rf "$W"' EXIT
OUT=$(WORK=$W SIZE_MB=2 RUNS=1 PEERS=0 BURNRATE=${BURNRATE:-build/burnrate} bash "$SRC/bench/agents_vs_ccusage.sh")
echo "$OUT"
[[ $(grep -c '| yes |' <<<"$OUT") == 2 ]] || { echo "FAIL: burnrate totals differ from the corpus"; exit 1; }
echo PASS
