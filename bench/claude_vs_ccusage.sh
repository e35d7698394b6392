#!/usr/bin/env bash
# Side-by-side: burnrate report vs ccusage 17.2.1 vs tokscale 1.4.3 on the
# same synthetic Claude Code corpus, plus `cat > /dev/null` as the floor.
#
#   SIZE_MB=500 BURNRATE=build/burnrate bash bench/claude_vs_ccusage.sh
#
# Installs the peers from npm into a temporary folder (offline runs after
# that: ccusage --offline, tokscale with a prepared pricing cache), generates
# the corpus (bench/claude_corpus.py), warms the page cache, runs each tool
# with /usr/bin/time -v (wall clock and peak RSS of the whole process), checks
# that the four token totals are equal, and prints a Markdown table.
# Exit status 1 when totals differ.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SIZE_MB=${SIZE_MB:-500}
BURNRATE=${BURNRATE:-$HERE/../build/burnrate}
WORK=${WORK:-/tmp/burnrate_claude_bench}
RUNS=${RUNS:-3}
export TZ=UTC
mkdir -p "$WORK"
NPM="$WORK/npm"
CORPUS="$WORK/corpus-$SIZE_MB"

if [[ ! -x "$NPM/node_modules/.bin/ccusage" || ! -x "$NPM/node_modules/.bin/tokscale" ]]; then
  echo "installing ccusage@17.2.1, tokscale@1.4.3, @oven/bun-linux-x64@1.4.4 into $NPM" >&2
  mkdir -p "$NPM"
  (cd "$NPM" && npm init -y >/dev/null &&
    npm install --no-audit --no-fund ccusage@17.2.1 tokscale@1.4.3 @oven/bun-linux-x64@1.4.4 >/dev/null)
fi
export PATH="$NPM/node_modules/@oven/bun-linux-x64/bin:$PATH"

if [[ ! -f "$CORPUS/.done" ]]; then
  rm -rf "$CORPUS"
  python3 "$HERE/claude_corpus.py" "$CORPUS" "$SIZE_MB" 42 >&2
  touch "$CORPUS/.done"
fi

# tokscale reads $HOME/.claude/projects and, offline, a pricing cache.
TKHOME="$WORK/tokscale-home"
mkdir -p "$TKHOME/.claude" "$TKHOME/.cache/tokscale"
ln -sfn "$CORPUS/projects" "$TKHOME/.claude/projects"
python3 - "$TKHOME/.cache/tokscale" "$HERE/../tests/data/prices/litellm_claude_prices.json" <<'PY'
import json, os, sys, time
out, src = sys.argv[1], sys.argv[2]
fields = ("input_cost_per_token", "output_cost_per_token",
          "cache_creation_input_token_cost", "cache_read_input_token_cost")
data = {k: {f: v[f] for f in fields if f in v} for k, v in json.load(open(src)).items()
        if isinstance(v, dict) and "input_cost_per_token" in v}
now = int(time.time())
json.dump({"timestamp": now, "data": data}, open(os.path.join(out, "pricing-litellm.json"), "w"))
json.dump({"timestamp": now, "data": {}}, open(os.path.join(out, "pricing-openrouter.json"), "w"))
PY

BYTES=$(find "$CORPUS/projects" -name '*.jsonl' -printf '%s\n' | awk '{s+=$1} END {print s}')
FILES=$(find "$CORPUS/projects" -name '*.jsonl' | wc -l)
find "$CORPUS/projects" -name '*.jsonl' -print0 | xargs -0 cat >/dev/null  # warm the page cache

# run NAME OUTFILE CMD...: best wall time of $RUNS (1 for the slow peers), peak RSS.
declare -A WALL RSS CPU
run() {
  local name=$1 out=$2 runs=$3
  shift 3
  local best="" rss=0 cpu=""
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$out" 2>"$WORK/$name.err" || {
      echo "$name failed:" >&2; cat "$WORK/$name.err" >&2; exit 1; }
    local w r c
    w=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
    r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    c=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$WORK/time.txt")
    if [[ -z "$best" ]] || awk "BEGIN{exit !($w < $best)}"; then best=$w; cpu=$c; fi
    ((r > rss)) && rss=$r
  done
  WALL[$name]=$best
  RSS[$name]=$rss
  CPU[$name]=$cpu
}

run cat /dev/null "$RUNS" bash -c "find '$CORPUS/projects' -name '*.jsonl' -print0 | xargs -0 cat"
run burnrate "$WORK/burnrate.json" "$RUNS" "$BURNRATE" report daily --json --dir "$CORPUS"
run ccusage "$WORK/ccusage.json" 1 env CLAUDE_CONFIG_DIR="$CORPUS" \
  "$NPM/node_modules/.bin/ccusage" daily --json --offline
run tokscale "$WORK/tokscale.json" "$RUNS" env HOME="$TKHOME" \
  "$NPM/node_modules/.bin/tokscale" models --json --claude --no-spinner

python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
b = json.load(open(w + "/burnrate.json"))["totals"]
c = json.load(open(w + "/ccusage.json"))["totals"]
t = json.load(open(w + "/tokscale.json"))
rows = {
    "burnrate": (b["inputTokens"], b["outputTokens"], b["cacheCreationTokens"], b["cacheReadTokens"]),
    "ccusage": (c["inputTokens"], c["outputTokens"], c["cacheCreationTokens"], c["cacheReadTokens"]),
    "tokscale": (t["totalInput"], t["totalOutput"], t["totalCacheWrite"], t["totalCacheRead"]),
}
for k, v in rows.items():
    print("totals %-9s input=%d output=%d cache_write=%d cache_read=%d" % ((k,) + v))
ok = len(set(rows.values())) == 1
print("token totals equal:", "yes" if ok else "NO")
day = lambda d: (d["inputTokens"], d["outputTokens"], d["cacheCreationTokens"], d["cacheReadTokens"])
bd = {d["date"]: day(d) for d in json.load(open(w + "/burnrate.json"))["daily"]}
cd = {d["date"]: day(d) for d in json.load(open(w + "/ccusage.json"))["daily"]}
days_ok = bd == cd
print("daily rows equal to ccusage (%d days):" % len(cd), "yes" if days_ok else "NO")
ok = ok and days_ok
sys.exit(0 if ok else 1)
PY
STATUS=$?

echo
echo "Corpus: $FILES files, $((BYTES / 1048576)) MiB, $(nproc) cores, TZ=UTC, page cache warm, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| tool | wall (s) | wall vs burnrate | CPU user+sys (s) | CPU vs burnrate | peak RSS (MiB) |"
echo "|---|---:|---:|---:|---:|---:|"
for n in cat burnrate tokscale ccusage; do
  ratio=$(awk "BEGIN{printf \"%.1fx\", ${WALL[$n]} / ${WALL[burnrate]}}")
  cratio=$(awk "BEGIN{printf \"%.1fx\", ${CPU[$n]} / ${CPU[burnrate]}}")
  echo "| $n | ${WALL[$n]} | $ratio | ${CPU[$n]} | $cratio | $((RSS[$n] / 1024)) |"
done
exit $STATUS
