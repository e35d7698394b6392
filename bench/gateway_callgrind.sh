#!/usr/bin/env bash
# Instructions per gateway request on the HTTP I/O thread, by callgrind
# (docs/PERFORMANCE.md, "Metering gateway"): BURNRATE's gateway runs under
# valgrind with one server thread and nginx as the upstream; N1 and then N2
# keep-alive POST /v1/messages over 4 connections; the inclusive count of
# the I/O loop (asio's scheduler::run) at N2 minus at N1, divided by
# N2 - N1, is printed. Instruction counts barely move with the machine's
# load, unlike wall-clock figures.
#   bash bench/gateway_callgrind.sh [BURNRATE] [N1] [N2]
# Needs valgrind and nginx.
set -euo pipefail
B=$(readlink -f "${1:-build/burnrate}"); N1=${2:-400}; N2=${3:-2400}
command -v valgrind >/dev/null || { echo "gateway_callgrind: valgrind not installed"; exit 77; }
command -v nginx >/dev/null || { echo "gateway_callgrind: nginx not installed"; exit 77; }
source "$(dirname "$0")/gateway_stub.sh"
W=$(mktemp -d /tmp/burnrate_gw_cg.XXXXXX)
trap '[[ $(type -t cleanup) == function ]] && cleanup; rm -rf "$W"' EXIT
count() {  # count N OUT -> inclusive Ir of scheduler::run
local BURNRATE=$B N=$1 OUT=$2
T=$(mktemp -d "$W/run.XXXXXX")
cleanup() { [[ -n ${GW_PID:-} ]] && kill $GW_PID 2>/dev/null; stop_stub_nginx "$T"; sleep 0.3; rm -rf "$T"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP=$(free_port)
start_stub_nginx "$T" "$UP"
DB=$T/gw.db
KEY=$("$BURNRATE" keys create --db "$DB" --role gateway --user bench@corp --team bench | tail -1)
cat >"$T/b.toml" <<TOML
[server]
threads = 1
[gateway.anthropic]
base_url = "http://127.0.0.1:$UP"
api_key = "sk-bench"
TOML
valgrind --tool=callgrind --callgrind-out-file=$OUT "$BURNRATE" serve --db "$DB" --listen 127.0.0.1:0 --config "$T/b.toml" >"$T/server.log" 2>&1 &
GW_PID=$!
GW=""
for _ in $(seq 600); do
  GW=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.log" | head -1)
  [[ -n $GW ]] && break; sleep 0.1
done
[[ -n $GW ]] || { cat $T/server.log; exit 1; }
python3 - "$GW" "$KEY" "$N" <<'PY'
import http.client, sys, threading
port, key, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = b'{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Say ok."}]}'
hdr = {"content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": key}
def w(k):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(k):
        c.request("POST", "/v1/messages", body, hdr); r = c.getresponse(); r.read()
        assert r.status == 200, r.status
ts = [threading.Thread(target=w, args=(n // 4,)) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
PY
sleep 0.5
kill -TERM $GW_PID; wait $GW_PID || true; GW_PID=

cleanup
callgrind_annotate --inclusive=yes --threshold=100 "$OUT" 2>/dev/null |
  awk '!done && /scheduler::run\(boost::system::error_code&\)/ { gsub(",", "", $1); print $1; done = 1 }'
}
a=$(count "$N1" "$W/a.out")
b=$(count "$N2" "$W/b.out")
python3 -c "print('gateway I/O thread: %.1fk instructions per request' % (($b - $a) / ($N2 - $N1) / 1e3))"
