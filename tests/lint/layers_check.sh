#!/usr/bin/env bash
# Layer check (ctest label "lint"): src/ keeps the layering of the code map
# in docs/ARCHITECTURE.md, which is the only place the rules are written:
# the rows of that table whose folder is `src/<layer>` give the layer's
# front-door headers and the layers it may include. A row may name a
# subfolder (`src/store/sqlite`), which is then a layer of its own; a
# subfolder without a row belongs to its parent. This script fails when
#  - a file in src/<layer>/ includes "<other>/<file>" where <other> is not in
#    the layer's "may include" column, or <file> is not a front door of
#    <other>;
#  - CMakeLists.txt links br_<layer> to br_<other> that it may not include,
#    or that none of its files includes (a link nobody uses);
#  - a folder of src/ has no row, or a row names no folder;
#  - a test includes a layer beyond those, except the ones the document's
#    "Tests (`*_test.cc`) may also include" line names;
#  - a header other than a test helper includes toml++ (common/toml_fwd.h
#    declares its table; only .cc files parse configuration).
set -euo pipefail
cd "${BURNRATE_SOURCE_DIR:?}"
exec python3 - <<'PY'
import os, re, sys

errors = []
layers = {}  # name ("store", "store/sqlite") -> (front doors, may include)
for line in open("docs/ARCHITECTURE.md", encoding="utf-8"):
    m = re.match(r"\|\s*`src/([\w/]+)`\s*\|([^|]*)\|([^|]*)\|", line)
    if not m:
        continue
    doors = set(re.findall(r"`([\w.]+\.h)`", m.group(2)))
    may = {w for w in re.split(r"[,\s]+", m.group(3).strip()) if w}
    layers[m.group(1)] = (doors, may)
if not layers:
    sys.exit("layers: no `src/<layer>` rows in docs/ARCHITECTURE.md's code map")
# "Tests (`*_test.cc`) may also include `a`, `b`." in the same document.
test_extra = set()
for line in open("docs/ARCHITECTURE.md", encoding="utf-8"):
    if line.startswith("Tests (`*_test.cc`) may also include"):
        test_extra = set(re.findall(r"`([\w/]+)`", line.split("include", 1)[1]))


def layer_of(path):
    """The layer a folder or header path under src/ belongs to: the longest
    row that is a prefix of it (a subfolder without a row of its own is part
    of its parent's layer)."""
    parts = path.split("/")
    for k in range(len(parts), 0, -1):
        if "/".join(parts[:k]) in layers:
            return "/".join(parts[:k])
    return None


folders = {d for d in os.listdir("src") if os.path.isdir(os.path.join("src", d))}
for d in sorted(folders - set(layers)):
    errors.append(f"src/{d}: no row in docs/ARCHITECTURE.md's code map")
for d in sorted(set(layers)):
    if not os.path.isdir(os.path.join("src", d)):
        errors.append(f"docs/ARCHITECTURE.md: row for src/{d}, which does not exist")
for name, (doors, may) in sorted(layers.items()):
    for other in sorted(may - set(layers)):
        errors.append(f"docs/ARCHITECTURE.md: {name} may include {other}, which is no layer")
    for door in sorted(doors):
        if not os.path.isfile(os.path.join("src", name, door)):
            errors.append(f"docs/ARCHITECTURE.md: front door src/{name}/{door} does not exist")

include = re.compile(r'^\s*#\s*include\s+"([\w/]+)/([\w.]+)"')
used = {name: set() for name in layers}
for root, _, files in sorted(os.walk("src")):
    name = layer_of(os.path.relpath(root, "src"))
    if name is None:
        continue
    for f in sorted(files):
        if not f.endswith((".h", ".cc")):
            continue
        path = os.path.join(root, f)
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            if (f.endswith(".h") and not f.endswith(("_test.h", "test_util.h"))
                    and re.match(r"\s*#\s*include\s+<toml\+\+/", line)):
                errors.append(f"{path}:{n}: toml++ in a header (include common/toml_fwd.h)")
            m = include.match(line)
            if not m:
                continue
            other = layer_of(m.group(1))
            if other is None or other == name:
                continue
            header = (m.group(1) + "/" + m.group(2))[len(other) + 1:]
            used[name].add(other)
            allowed = layers[name][1] | (test_extra if f.endswith("_test.cc") else set())
            if other not in allowed:
                errors.append(f"{path}:{n}: {name} may not include {other} ({other}/{header})")
            elif header not in layers[other][0]:
                errors.append(f"{path}:{n}: {other}/{header} is not a front door of {other}")

cmake = open("CMakeLists.txt", encoding="utf-8").read()
by_target = {name.replace("/", "_"): name for name in layers}
for m in re.finditer(r"^\s*burnrate_layer\(([\w/]+)([^)]*)\)", cmake, re.M):
    name, deps = m.group(1), re.findall(r"\bbr_(\w+)", m.group(2))
    if name not in layers:
        continue
    for t in deps:
        d = by_target.get(t, t)
        if d not in layers[name][1]:
            errors.append(f"CMakeLists.txt: br_{name} links br_{t}, which it may not include")
        elif d not in used[name]:
            errors.append(f"CMakeLists.txt: br_{t} is linked by br_{name}, none of whose files includes it")

for e in errors:
    print(e, file=sys.stderr)
if errors:
    sys.exit(f"layers: {len(errors)} violation(s) of docs/ARCHITECTURE.md's code map")
print(f"layers: {len(layers)} layers include only allowed front doors")
PY
