#!/usr/bin/env bash
# Lists functions in src/ (tests excluded) longer than N lines (default 80),
# longest first, as "lines file:line name". A function counts from the line
# that opens its body to the line that closes it; lambdas count inside the
# function that holds them. Heuristic (brace matching on lines with strings,
# characters and comments removed), for finding what to split, not a parser.
# A function whose preceding comment contains "long:" (saying why it is
# long) is listed with that mark.
# Usage: scripts/long-functions.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "${1:-80}" <<'PY'
import glob, re, sys

limit = int(sys.argv[1])
strip = re.compile(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|//.*$')
head = re.compile(r'^(?:[\w:<>,*&~\[\] ]+\s)?[\w:~<>]+(?:::[\w~<>]+)*\s*\([^;]*$|^\S.*\)\s*(const)?\s*(override)?\s*(->\s*[\w:<>]+\s*)?\{\s*$')
rows = []
for path in sorted(glob.glob("src/*/*.cc") + glob.glob("src/*/*.h")):
    if re.search(r"_test(_util)?\.(cc|h)$|test_util\.h$", path):
        continue
    lines = open(path, encoding="utf-8").read().split("\n")
    depth, start, name, in_block = 0, None, "", False
    for i, raw in enumerate(lines):
        line = raw
        if in_block:
            if "*/" not in line:
                continue
            line, in_block = line.split("*/", 1)[1], False
        line = strip.sub("", line)
        if "/*" in line and "*/" not in line:
            line, in_block = line.split("/*", 1)[0], True
        opens, closes = line.count("{"), line.count("}")
        # A function starts where a top-level (namespace or class member
        # level) line opens a body after a parameter list.
        if start is None and opens > closes and ")" in line and not re.match(
                r"\s*(namespace|class|struct|enum|union|extern|if|for|while|switch)\b", line):
            # the signature may start a few lines above
            sig = raw.strip()
            j = i
            while "(" not in sig and j > 0:
                j -= 1
                sig = lines[j].strip() + " " + sig
            m = re.search(r"([\w:~]+(?:<[^()]*>)?)\s*\(", sig)
            name = m.group(1) if m else sig[:40]
            why = any("long:" in lines[k] for k in range(max(0, j - 6), j))
            start, base, mark = i, depth, " (long: commented)" if why else ""
        depth += opens - closes
        if start is not None and depth <= base:
            n = i - start + 1
            if n > limit:
                rows.append((n, f"{path}:{start + 1}", name + mark))
            start = None
rows.sort(reverse=True)
for n, where, name in rows:
    print(f"{n:5d} {where} {name}")
print(f"{len(rows)} function(s) over {limit} lines", file=sys.stderr)
PY
