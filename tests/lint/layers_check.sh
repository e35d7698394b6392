#!/usr/bin/env bash
# Layer check (ctest label "lint"): src/ keeps the layering of the code map
# in docs/ARCHITECTURE.md, which is the only place the rules are written:
# the rows of that table whose folder is `src/<layer>` give the layer's
# front-door headers and the layers it may include. This script fails when
#  - a file in src/<layer>/ includes "<other>/<file>" where <other> is not in
#    the layer's "may include" column, or <file> is not a front door of
#    <other>;
#  - CMakeLists.txt links br_<layer> to br_<other> that it may not include,
#    or that none of its files includes (a link nobody uses);
#  - a folder of src/ has no row, or a row names no folder;
#  - a header other than a test helper includes toml++ (common/toml_fwd.h
#    declares its table; only .cc files parse configuration).
set -euo pipefail
cd "${BURNRATE_SOURCE_DIR:?}"
exec python3 - <<'PY'
import os, re, sys

errors = []
layers = {}  # name -> (front doors, may include)
for line in open("docs/ARCHITECTURE.md", encoding="utf-8"):
    m = re.match(r"\|\s*`src/(\w+)`\s*\|([^|]*)\|([^|]*)\|", line)
    if not m:
        continue
    doors = set(re.findall(r"`([\w.]+\.h)`", m.group(2)))
    may = {w for w in re.split(r"[,\s]+", m.group(3).strip()) if w}
    layers[m.group(1)] = (doors, may)
if not layers:
    sys.exit("layers: no `src/<layer>` rows in docs/ARCHITECTURE.md's code map")

folders = {d for d in os.listdir("src") if os.path.isdir(os.path.join("src", d))}
for d in sorted(folders - set(layers)):
    errors.append(f"src/{d}: no row in docs/ARCHITECTURE.md's code map")
for d in sorted(set(layers) - folders):
    errors.append(f"docs/ARCHITECTURE.md: row for src/{d}, which does not exist")
for name, (doors, may) in sorted(layers.items()):
    for other in sorted(may - set(layers)):
        errors.append(f"docs/ARCHITECTURE.md: {name} may include {other}, which is no layer")
    for door in sorted(doors):
        if not os.path.isfile(os.path.join("src", name, door)):
            errors.append(f"docs/ARCHITECTURE.md: front door src/{name}/{door} does not exist")

include = re.compile(r'^\s*#\s*include\s+"(\w+)/([^"]+)"')
used = {name: set() for name in layers}
for name in sorted(set(layers) & folders):
    doors_may = layers[name][1]
    for f in sorted(os.listdir(os.path.join("src", name))):
        if not f.endswith((".h", ".cc")):
            continue
        path = os.path.join("src", name, f)
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            if (f.endswith(".h") and not f.endswith(("_test.h", "test_util.h"))
                    and re.match(r"\s*#\s*include\s+<toml\+\+/", line)):
                errors.append(f"{path}:{n}: toml++ in a header (include common/toml_fwd.h)")
            m = include.match(line)
            if not m or m.group(1) == name or m.group(1) not in layers:
                continue
            other, header = m.group(1), m.group(2)
            used[name].add(other)
            if other not in doors_may:
                errors.append(f"{path}:{n}: {name} may not include {other} ({other}/{header})")
            elif header not in layers[other][0]:
                errors.append(f"{path}:{n}: {other}/{header} is not a front door of {other}")

cmake = open("CMakeLists.txt", encoding="utf-8").read()
for m in re.finditer(r"^burnrate_layer\((\w+)([^)]*)\)", cmake, re.M):
    name, deps = m.group(1), re.findall(r"\bbr_(\w+)", m.group(2))
    if name not in layers:
        continue
    for d in deps:
        if d not in layers[name][1]:
            errors.append(f"CMakeLists.txt: br_{name} links br_{d}, which it may not include")
        elif d not in used[name]:
            errors.append(f"CMakeLists.txt: br_{name} links br_{d}, which none of its files includes")

for e in errors:
    print(e, file=sys.stderr)
if errors:
    sys.exit(f"layers: {len(errors)} violation(s) of docs/ARCHITECTURE.md's code map")
print(f"layers: {len(layers)} layers include only allowed front doors")
PY
