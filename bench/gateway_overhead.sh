#!/usr/bin/env bash
# The gateway's added latency and throughput, measured with wrk in one run
# against four paths to the same upstream (issue #16):
#   1. the upstream directly,
#   2. through nginx proxy_pass (keep-alive upstream connections), served by
#      the upstream's own nginx worker ("nginx"),
#   3. through nginx proxy_pass as a process of its own ("nginx_own"), as a
#      proxy in front of a remote provider runs,
#   4. through burnrate's gateway (key check, governance check and settle,
#      usage read and one usage event ingested per request).
# Why both nginx paths: in path 2 the proxy and its upstream are one worker
# process, so a request hands over between processes twice (client to
# nginx, nginx to client), as on the direct path; on paths 3 and 4 four
# times (client, proxy, upstream, proxy, client). Each hand-over wakes a
# process, which costs this VM tens of microseconds of CPU at one
# connection (docs/PERFORMANCE.md, "Metering gateway", 2026-12-07); path 2
# is the historical figure, path 3 the like-for-like one.
# The upstream is nginx answering POST /v1/messages with a fixed Anthropic
# message (usage included, a fresh id per request): the Python stub of the
# e2e tests answers a few thousand requests a second and would measure
# itself. Each path runs REPEAT times (default 3), interleaved; the median
# p50 and req/s are printed, and the added p50 of both nginx paths and the gateway
# over the direct path; then the time to the first streamed byte of a
# streaming chat request on each path (TTFB_N per path, default 300).
# The CPU time the nginx workers and burnrate spent per request is printed
# too (other load on the machine moves it as well, through context
# switches and cache misses, but less than req/s and latency).
# SERVER_THREADS sets [server] threads (default 1: one event loop, as
# nginx runs one worker); BURNRATE_TASKSET (e.g. "taskset -c 1") pins
# burnrate to a core.
# GATEWAY_THREADS sets [gateway] threads (default 0: the upstream runs on
# the HTTP server's threads; binaries before 2026-12-05 need 1 or more).
# IO_PRIORITY (auto, realtime, normal) sets [server] io_priority; unset, the
# server's default (auto since 2026-12-07; older binaries refuse the key).
# BUSY_POLL_US sets [server] busy_poll_us (the I/O thread polls that long
# before it sleeps); unset, the default (off; older binaries refuse the key).
# Then the same four paths below saturation: for each number of
# connections in LAT_CONNS (default "1 4"), wrk -t1 -c<n>, LAT_DURATION
# each (default 2s), the four paths interleaved, LAT_REPEAT rounds
# (default 3); each round prints its own gateway/nginx ratio of added p50,
# and the medians follow. With CONNS connections kept busy, a request's
# latency is mostly its wait behind the others (Little's law: p50 ~ CONNS /
# req/s), so the saturated added p50 follows throughput: the added-p50
# targets (<= 0.3 ms, <= 1.5x nginx's) are read at these lower loads, the
# req/s target at CONNS. (wrk2, for a fixed request rate, is not packaged
# by Debian.)
# Needs nginx and wrk (scripts/install-deps.sh).
set -euo pipefail
BURNRATE=${BURNRATE:-build/burnrate}
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-32}
command -v nginx >/dev/null || { echo "gateway_overhead: nginx not installed (scripts/install-deps.sh)"; exit 77; }
command -v wrk >/dev/null || { echo "gateway_overhead: wrk not installed"; exit 77; }
source "$(dirname "$0")/gateway_stub.sh"
T=$(mktemp -d /tmp/burnrate_gw_bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_stub_nginx "$T"
  stop_proxy_nginx "$T"
  sleep 0.2
  rm -rf "$T"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP=$(free_port); PROXY=$(free_port); OWN=$(free_port)
start_stub_nginx "$T" "$UP" "$PROXY"
start_proxy_nginx "$T" "$UP" "$OWN"

DB=$T/gw.db
KEY=$("$BURNRATE" keys create --db "$DB" --role gateway --user bench@corp --team bench | tail -1)
IO_PRIORITY_LINE=""
[[ -n ${IO_PRIORITY:-} ]] && IO_PRIORITY_LINE="io_priority = \"$IO_PRIORITY\""
BUSY_POLL_LINE=""
[[ -n ${BUSY_POLL_US:-} ]] && BUSY_POLL_LINE="busy_poll_us = $BUSY_POLL_US"
cat >"$T/burnrate.toml" <<TOML
[server]
threads = ${SERVER_THREADS:-1}
$IO_PRIORITY_LINE
$BUSY_POLL_LINE
[gateway]
threads = ${GATEWAY_THREADS:-0}
[gateway.anthropic]
base_url = "http://127.0.0.1:$UP"
api_key = "sk-bench"
[gateway.openai]
base_url = "http://127.0.0.1:$UP"
api_key = "sk-bench"
TOML
${BURNRATE_TASKSET:-} "$BURNRATE" serve --db "$DB" --listen 127.0.0.1:0 --config "$T/burnrate.toml" >"$T/server.log" 2>&1 &
GW_PID=$!
PIDS+=($GW_PID)
GW=""
for _ in $(seq 200); do
  GW=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/server.log" | head -1)
  [[ -n $GW ]] && curl -fsS -o /dev/null "http://127.0.0.1:$GW/healthz" 2>/dev/null && break
  sleep 0.05
done
[[ -n $GW ]] || { cat "$T/server.log"; exit 1; }

cat >"$T/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Say ok."}]}'
wrk.headers["content-type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.headers["x-api-key"] = "$KEY"
LUA
# A check that each path answers as the upstream does.
for p in $UP $PROXY $OWN $GW; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "x-api-key: $KEY" -H 'content-type: application/json' \
    -d '{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[]}' "http://127.0.0.1:$p/v1/messages")
  [[ $code == 200 ]] || { echo "port $p answered $code"; exit 1; }
done

# CPU time (user + system, clock ticks of 10 ms) of the nginx workers and of
# burnrate so far: divided by the requests of a run, the CPU each path costs
# per request.
NGINX_WORKER=$(pgrep -P "$(cat "$T/nginx.pid")" | head -1)
OWN_WORKER=$(pgrep -P "$(cat "$T/proxy/nginx.pid")" | head -1)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() {  # run PORT [THREADS CONNS DURATION] -> "p50_ms req_s requests nginx_ticks proxy_ticks"
  local n0 b0
  # The proxy's process: the own nginx's worker, or burnrate (none on the
  # direct and same-worker paths).
  n0=$(ticks "$NGINX_WORKER"); b0=$(( $(ticks "$GW_PID") + $(ticks "$OWN_WORKER") ))
  wrk -t"${2:-2}" -c"${3:-$CONNS}" -d"${4:-$DURATION}" --latency -s "$T/post.lua" "http://127.0.0.1:$1/v1/messages" >"$T/wrk.txt"
  python3 - "$T/wrk.txt" "$(( $(ticks "$NGINX_WORKER") - n0 ))" "$(( $(ticks "$GW_PID") + $(ticks "$OWN_WORKER") - b0 ))" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", t, re.M)
v = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
n = int(re.search(r"(\d+) requests in", t).group(1))
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
if errs: sys.exit("non-2xx answers: " + errs.group(1))
print(f"{v:.4f} {rps:.0f} {n} {sys.argv[2]} {sys.argv[3]}")
PY
}
declare -A P50 RPS CPU
PATHS="direct nginx nginx_own gateway"
port_of() { case $1 in direct) echo "$UP" ;; nginx) echo "$PROXY" ;; nginx_own) echo "$OWN" ;; gateway) echo "$GW" ;; esac; }
for i in $(seq "$REPEAT"); do
  for name in $PATHS; do
    read -r p r n nt bt < <(run "$(port_of $name)")
    # CPU microseconds per request: the upstream's nginx worker (and the
    # proxy on the nginx path) plus the proxy's own process (nginx_own's
    # worker, or burnrate).
    cpu=$(python3 -c "print(round(($nt + $bt) * 1e4 / $n, 2))")
    P50[$name]+="$p "; RPS[$name]+="$r "; CPU[$name]+="$cpu "
    declare "RUN_P50_$name=$p" "RUN_RPS_$name=$r"
    echo "run $i $name: p50 ${p} ms, ${r} req/s, ${n} requests, upstream nginx ${nt} + proxy ${bt} ticks: ${cpu} us CPU/request"
  done
  # This round's own ratios (the paths ran back to back).
  python3 -c "
d, n, o, g = $RUN_P50_direct, $RUN_P50_nginx, $RUN_P50_nginx_own, $RUN_P50_gateway
rn, ro, rg = $RUN_RPS_nginx, $RUN_RPS_nginx_own, $RUN_RPS_gateway
r = lambda a: '%.2f' % ((g - d) / (a - d)) if a > d else 'n/a'
print('run $i ratios: gateway/nginx req/s %.2f, gateway/nginx_own req/s %.2f, gateway/nginx added p50 %s, gateway/nginx_own added p50 %s' % (rg / rn, rg / ro, r(n), r(o)))"
done
python3 - "${P50[direct]}" "${P50[nginx]}" "${P50[nginx_own]}" "${P50[gateway]}" \
  "${RPS[direct]}" "${RPS[nginx]}" "${RPS[nginx_own]}" "${RPS[gateway]}" \
  "${CPU[direct]}" "${CPU[nginx]}" "${CPU[nginx_own]}" "${CPU[gateway]}" <<'PY'
import statistics, sys, json
f = lambda s: statistics.median(map(float, s.split()))
d, n, o, g, rd, rn, ro, rg, cd, cn, co, cg = map(f, sys.argv[1:])
ratio = lambda a: round((g - d) / (a - d), 2) if a > d else None
out = {"p50_ms": {"direct": d, "nginx": n, "nginx_own": o, "gateway": g},
       "req_per_s": {"direct": rd, "nginx": rn, "nginx_own": ro, "gateway": rg},
       "gateway_req_per_s_over_nginx": round(rg / rn, 2),
       "gateway_req_per_s_over_nginx_own": round(rg / ro, 2),
       "added_p50_ms": {"nginx": round(n - d, 4), "nginx_own": round(o - d, 4),
                        "gateway": round(g - d, 4)},
       "gateway_added_over_nginx_added": ratio(n),
       "gateway_added_over_nginx_own_added": ratio(o),
       # CPU per request the proxy itself adds (the upstream's share, the
       # direct path's, taken off).
       "cpu_us_per_request": {"direct": cd, "nginx": cn, "nginx_own": co, "gateway": cg},
       "added_cpu_us_per_request": {"nginx": round(cn - cd, 2), "nginx_own": round(co - cd, 2),
                                    "gateway": round(cg - cd, 2)}}
print(json.dumps(out))
PY
# Below saturation: LAT_CONNS connections, the four paths interleaved.
for c in ${LAT_CONNS:-1 4}; do
  L50_direct=""; L50_nginx=""; L50_nginx_own=""; L50_gateway=""
  for i in $(seq "${LAT_REPEAT:-3}"); do
    for name in $PATHS; do
      read -r p r _ _ _ < <(run "$(port_of $name)" 1 "$c" "${LAT_DURATION:-2s}")
      declare "L50_$name+=$p " "RUN_P50_$name=$p"
      echo "$c connection(s), run $i $name: p50 ${p} ms, ${r} req/s"
    done
    python3 -c "
d, n, o, g = $RUN_P50_direct, $RUN_P50_nginx, $RUN_P50_nginx_own, $RUN_P50_gateway
r = lambda a: '%.2f' % ((g - d) / (a - d)) if a > d else 'n/a'
print('$c connection(s), run $i: added p50 nginx %.4f ms, nginx_own %.4f ms, gateway %.4f ms, gateway/nginx %s, gateway/nginx_own %s' % (n - d, o - d, g - d, r(n), r(o)))"
  done
  python3 - "$c" "$L50_direct" "$L50_nginx" "$L50_nginx_own" "$L50_gateway" <<'PY'
import statistics, sys, json
c = sys.argv[1]
d, n, o, g = (statistics.median(map(float, a.split())) for a in sys.argv[2:])
ratio = lambda a: round((g - d) / (a - d), 2) if a > d else None
print(json.dumps({"connections": int(c),
                  "p50_ms": {"direct": d, "nginx": n, "nginx_own": o, "gateway": g},
                  "added_p50_ms": {"nginx": round(n - d, 4), "nginx_own": round(o - d, 4),
                                   "gateway": round(g - d, 4)},
                  "gateway_added_over_nginx_added": ratio(n),
                  "gateway_added_over_nginx_own_added": ratio(o)}))
PY
done
# Time to the first streamed byte: a streaming chat request on a fresh
# connection each time (as an agent's stream is), from the request's last
# byte sent to the first byte of the first event received, TTFB_N times per
# path, interleaved; medians. The connection is made before the clock starts.
cat >"$T/ttfb.py" <<'PY'
import socket, statistics, sys, time, json
key, n, ports = sys.argv[1], int(sys.argv[2]), dict(a.split("=") for a in sys.argv[3:])
body = b'{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Say ok."}]}'
head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (key, len(body))).encode() + body
def once(port):
    s = socket.create_connection(("127.0.0.1", int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.perf_counter(); s.sendall(head); got = b""
    while b"data:" not in got.split(b"\r\n\r\n", 1)[-1] or b"\r\n\r\n" not in got:
        chunk = s.recv(65536)
        if not chunk: raise SystemExit("port %s closed before the first event" % port)
        got += chunk
    dt = time.perf_counter() - t0
    s.close()
    return dt * 1e3
res = {k: [] for k in ports}
for _ in range(n):
    for k, p in ports.items(): res[k].append(once(p))
med = {k: round(statistics.median(v), 4) for k, v in res.items()}
print(json.dumps({"ttfb_median_ms": med,
                  "ttfb_added_ms": {k: round(med[k] - med["direct"], 4) for k in med if k != "direct"}}))
PY
python3 "$T/ttfb.py" "$KEY" "${TTFB_N:-300}" direct=$UP nginx=$PROXY nginx_own=$OWN gateway=$GW
[[ -n "${BENCH_HOLD:-}" ]] && { echo "gateway on $GW key $KEY"; sleep "$BENCH_HOLD"; }
