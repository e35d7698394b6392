#!/usr/bin/env bash
# Runs every suite: release build (unit, end-to-end, benchmark smoke), the
# unit suite under ASan/UBSan, and a short run of each fuzz target. Prints a
# closing "N passed, N failed" line over all of them.
set -uo pipefail
BUILD=${1:-build}
ASAN=${2:-build-asan}
FUZZ=${3:-build-fuzz}
JOBS=$(nproc)
passed=0
failed=0

run_suite() {  # name, build dir, extra ctest args...
  local name=$1 dir=$2
  shift 2
  echo "=== $name ==="
  local log
  log=$(mktemp)
  (cd "$dir" && ctest --output-on-failure --timeout 900 -j "$JOBS" "$@") 2>&1 | tee "$log"
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  if [[ -z "$line" ]]; then
    echo "$name: ctest printed no summary" >&2
    failed=$((failed + 1))
  else
    local total fail
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    fail=$(sed -E 's/.*tests passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
    passed=$((passed + total - fail))
    failed=$((failed + fail))
  fi
  rm -f "$log"
}

run_suite "release" "$BUILD"
run_suite "asan+ubsan (unit)" "$ASAN" -LE e2e
run_suite "fuzz smoke" "$FUZZ" -L fuzz

echo "total: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
