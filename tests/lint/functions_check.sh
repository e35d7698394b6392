#!/usr/bin/env bash
# Function length check (ctest label "lint"): no function in src/ (tests
# excluded) is longer than 80 lines unless the comment above it says why,
# starting with "long:". scripts/long-functions.sh lists them all.
set -euo pipefail
cd "${BURNRATE_SOURCE_DIR:?}"
out=$(bash scripts/long-functions.sh 80 2>/dev/null)
bad=$(grep -v '(long: commented)$' <<<"$out" || true)
if [[ -n "$bad" ]]; then
  echo "functions over 80 lines without a \"long:\" comment saying why (split them or say why):" >&2
  echo "$bad" >&2
  exit 1
fi
echo "functions: $(grep -c . <<<"$out" || true) over 80 lines, each with a \"long:\" comment"
