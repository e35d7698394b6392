#!/usr/bin/env bash
# Installs every Debian package burnrate needs to build, test and demo.
# Idempotent and non-interactive; a no-op (about a second) when all is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang clang-format libclang-rt-14-dev
  libboost-dev libboost-system-dev
  libsimdjson-dev libsqlite3-dev sqlite3 libfmt-dev libcli11-dev libtomlplusplus-dev
  libxxhash-dev libzstd-dev zlib1g-dev libpq-dev libhiredis-dev
  libhowardhinnant-date-dev libssl-dev tzdata
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql redis-server curl wrk python3 nginx-light
  prometheus  # for promtool only: tests/e2e/ops_artifacts_test.sh checks deploy/prometheus with it
)
if [[ "${BURNRATE_WITH_BROWSER:-1}" == 1 ]]; then
  PACKAGES+=(chromium nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # nodejs/npm may come from elsewhere on the machine; accept them if on PATH.
    case "$p" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
      # Only its promtool is wanted: a host with Prometheus installed some
      # other way (promtool on PATH) is left alone.
      prometheus) command -v promtool >/dev/null && continue ;;
    esac
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The prometheus package enables its own server; burnrate wants promtool
  # alone, so a server the install just started on a systemd host is stopped.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [[ -d /run/systemd/system ]]; then
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

# The zstd CLI: tests/e2e/hostile_ingest_test.sh makes zstd bombs with it.
if ! command -v zstd >/dev/null; then
  echo "install-deps: installing zstd"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends zstd >/dev/null
fi
