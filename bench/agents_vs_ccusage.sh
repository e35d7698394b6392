#!/usr/bin/env bash
# The new readers on generated corpora, in one run: burnrate report
# --source codex vs @ccusage/codex 18.0.11 on the same Codex CLI corpus, and
# burnrate report --source gemini on a Gemini CLI corpus, plus
# `cat > /dev/null` as the floor.
#
#   SIZE_MB=500 BURNRATE=build/burnrate bash bench/agents_vs_ccusage.sh
#
# The corpora come from bench/agents_corpus.py, which also prints the totals
# a correct reader finds (sub-agent replays and repeated totals counted
# once); burnrate must equal them (exit 1 otherwise); the peer's totals are
# printed as they are. Each tool runs RUNS times after one read of the
# corpus (page cache warm); the table has the median wall clock and the peak RSS
# (/usr/bin/time -v). PEERS=0 skips the npm install and the peer.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SIZE_MB=${SIZE_MB:-500}
BURNRATE=${BURNRATE:-$HERE/../build/burnrate}
WORK=${WORK:-/tmp/burnrate_agents_bench}
RUNS=${RUNS:-3}
PEERS=${PEERS:-1}
export TZ=UTC
mkdir -p "$WORK"
NPM="$WORK/npm"

if [[ $PEERS == 1 && ! -x "$NPM/node_modules/.bin/ccusage-codex" ]]; then
  echo "installing @ccusage/codex@18.0.11 into $NPM" >&2
  mkdir -p "$NPM"
  (cd "$NPM" && npm init -y >/dev/null && npm install --no-audit --no-fund @ccusage/codex@18.0.11 >/dev/null) ||
    { echo "npm could not install @ccusage/codex; peer skipped" >&2; PEERS=0; }
fi

for kind in codex gemini; do
  C="$WORK/$kind-$SIZE_MB"
  if [[ ! -f "$C.expected.json" ]]; then
    rm -rf "$C"
    python3 "$HERE/agents_corpus.py" $kind "$C" "$SIZE_MB" >"$C.expected.json.tmp"
    mv "$C.expected.json.tmp" "$C.expected.json"
  fi
done

# measure NAME CMD...: runs CMD RUNS times; prints "median_seconds max_rss_mb" and keeps the last stdout.
measure() {
  local name=$1
  shift
  local times=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
    times+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")")
    r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    ((r > rss)) && rss=$r
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")" "$((rss / 1024))"
}

totals_burnrate() {
  python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["inputTokens"], t["cacheReadTokens"], t["outputTokens"])' "$1"
}
expected() {
  python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print(t["input"], t["cache_read"], t["output"])' "$1"
}

status=0
echo "| corpus | tool | wall (median of $RUNS) | peak RSS | input (uncached) | cache read | output | correct |"
echo "|---|---|---|---|---|---|---|---|"
for kind in codex gemini; do
  C="$WORK/$kind-$SIZE_MB"
  MB=$(du -sm "$C" | cut -f1)
  want=$(expected "$C.expected.json")
  find "$C" -type f -exec cat {} + >/dev/null  # warm the page cache once
  read -r s m <<<"$(measure cat bash -c "find '$C' -type f -exec cat {} + >/dev/null")"
  echo "| $kind $MB MB | cat > /dev/null | ${s} s | ${m} MB | | | | |"
  read -r s m <<<"$(measure burnrate "$BURNRATE" report --source $kind --dir "$C" --json)"
  got=$(totals_burnrate "$WORK/burnrate.out")
  ok=yes
  [[ "$got" == "$want" ]] || { ok="NO (want $want)"; status=1; }
  read -r i c o <<<"$got"
  echo "| $kind $MB MB | burnrate report --source $kind | ${s} s | ${m} MB | $i | $c | $o | $ok |"
  if [[ $kind == codex && $PEERS == 1 ]]; then
    read -r s m <<<"$(measure ccusage env CODEX_HOME="$C" "$NPM/node_modules/.bin/ccusage-codex" daily --json --offline)"
    read -r i c o <<<"$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["inputTokens"]-t["cachedInputTokens"], t["cachedInputTokens"], t["outputTokens"])' "$WORK/ccusage.out")"
    ok=yes
    [[ "$i $c $o" == "$want" ]] || ok="no: counts sub-agent replays"
    echo "| $kind $MB MB | @ccusage/codex 18.0.11 daily | ${s} s | ${m} MB | $i | $c | $o | $ok |"
  fi
done
exit $status
