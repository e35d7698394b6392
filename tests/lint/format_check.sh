#!/usr/bin/env bash
# Format check (ctest label "lint"): every C++ file of the tree is as
# clang-format leaves it with the repository's .clang-format. `make format`
# fixes what this reports.
set -euo pipefail
cd "${BURNRATE_SOURCE_DIR:?}"
if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files 'src/*.cc' 'src/*.h' 'bench/*.cc' 'fuzz/*.cc' 'tools/*.cc')
else
  mapfile -t files < <(find src bench fuzz tools -name '*.cc' -o -name '*.h' 2>/dev/null | sort)
fi
# One clang-format process for the whole tree (one per file took minutes
# on a loaded 2-core machine); --Werror makes any difference an error.
if ! out=$(clang-format --style=file --dry-run --Werror "${files[@]}" 2>&1); then
  printf '%s\n' "$out" | grep -o '^[^:]*:[0-9]*:[0-9]*: error' | cut -d: -f1 | sort -u |
    sed 's/^/not formatted (run `make format`): /' >&2
  exit 1
fi
echo "format: ${#files[@]} files as clang-format leaves them"
