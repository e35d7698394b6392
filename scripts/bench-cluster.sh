#!/usr/bin/env bash
# Durable ingest throughput on PostgreSQL (docs/PERFORMANCE.md, "Two nodes
# on one PostgreSQL"), with the single-node SQLite figure in the same run:
#   1. burnrate-loadgen --mode ingest (SQLite: raw rows, blocks, one node over HTTP);
#   2. one `burnrate serve` on a fresh PostgreSQL database, loadgen --targets;
#   3. two nodes on another fresh database of the same server, clients spread
#      over both, loadgen --targets: the total.
# For 2 and 3: CPU per event of PostgreSQL and of the nodes, and the nodes'
# by thread name (both nodes summed).
# PostgreSQL runs from Debian's binaries on a directory under DIR with its
# defaults (synchronous_commit on, fsync on), loopback only.
#   flock /tmp/burnrate-bench.lock scripts/bench-cluster.sh [BUILD] [EVENTS] [DIR]
set -euo pipefail
BUILD=${1:-build}
EVENTS=${2:-1000000}
DIR=${3:-/tmp/burnrate-bench-cluster}
BIN=$BUILD/burnrate
LOADGEN=$BUILD/burnrate-loadgen
for d in /usr/lib/postgresql/{17,16,15,14}/bin; do [[ -x $d/initdb ]] && { PG_BIN=$d; break; }; done
rm -rf "$DIR"
mkdir -p "$DIR/pg"
chmod 755 "$DIR"
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi; }
[[ $(id -u) -eq 0 ]] && chown nobody: "$DIR/pg"
NODES=()
stop() {
  set +e
  for n in "${NODES[@]}"; do kill -TERM "$n" 2>/dev/null; wait "$n" 2>/dev/null; done
  NODES=()
}
trap 'stop; as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null 2>&1; rm -rf "$DIR"' EXIT
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$PG_BIN/initdb" -D "$DIR/pg/data" -U burnrate --auth=trust -E UTF8 >"$DIR/pg/initdb.log" 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg" start >/dev/null

node() {  # node DB LOG: starts a node, sets NODE_URL
  "$BIN" serve --db "$1" --listen 127.0.0.1:0 >"$2" 2>&1 &
  NODES+=($!)
  local p=""
  for _ in $(seq 600); do
    p=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$2" | head -1)
    [[ -n $p ]] && break
    sleep 0.1
  done
  [[ -n $p ]] || { cat "$2" >&2; exit 1; }
  NODE_URL="http://127.0.0.1:$p"
}

# cpu_seconds PID...: user+system CPU of these processes and their children
# still running (the PostgreSQL backends of the nodes' connections).
cpu_seconds() {
  python3 - "$@" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
pids = set(sys.argv[1:])
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if f[1] in sys.argv[1:]:
            pids.add(p)
total = 0
for p in pids:
    try:
        f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        total += int(f[11]) + int(f[12])
    except OSError:
        pass
print(total / tick)
PY
}
# thread_cpu PID...: user+system CPU seconds of these processes' threads,
# summed by thread name (br-applier, br-committer, br-tail, ...), as JSON.
thread_cpu() {
  python3 - "$@" <<'PY'
import json, os, sys
tick, out = os.sysconf("SC_CLK_TCK"), {}
for pid in sys.argv[1:]:
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            s = open(f"/proc/{pid}/task/{t}/stat").read()
        except OSError:
            continue
        name, f = s[s.index("(") + 1:s.rindex(")")], s.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0) + (int(f[11]) + int(f[12])) / tick
print(json.dumps(out))
PY
}
PM=$(head -1 "$DIR/pg/data/postmaster.pid")
echo "# uptime: $(uptime)"
echo "# 1. SQLite, one node (the loadgen's own server)"
"$LOADGEN" --mode ingest --events "$EVENTS" --batch 10000 --clients 8 --dir "$DIR/sqlite"
rm -rf "$DIR/sqlite"
for n in 1 2; do
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U burnrate "bench$n"
  DB="postgresql://burnrate@127.0.0.1:$PG_PORT/bench$n"
  KEY=$("$BIN" keys create --db "$DB" --role ingest --label bench)
  node "$DB" "$DIR/node1_$n.log"
  URLS=$NODE_URL
  if [[ $n == 2 ]]; then node "$DB" "$DIR/node2_$n.log"; URLS="$URLS,$NODE_URL"; fi
  echo "# $((n + 1)). PostgreSQL, $n node(s): $URLS"
  PG0=$(cpu_seconds "$PM") N0=$(cpu_seconds "${NODES[@]}") T0=$(thread_cpu "${NODES[@]}")
  "$LOADGEN" --mode ingest --events "$EVENTS" --batch 10000 --clients 8 --targets "$URLS" --key "$KEY"
  PG1=$(cpu_seconds "$PM") N1=$(cpu_seconds "${NODES[@]}") T1=$(thread_cpu "${NODES[@]}")
  python3 -c "import sys; pg, n, ev = float(sys.argv[2]) - float(sys.argv[1]), float(sys.argv[4]) - float(sys.argv[3]), int(sys.argv[5]); print(f'# CPU per event: PostgreSQL {pg / ev * 1e6:.2f} us, burnrate nodes {n / ev * 1e6:.2f} us (PostgreSQL {pg:.1f} s, nodes {n:.1f} s)')" "$PG0" "$PG1" "$N0" "$N1" "$EVENTS"
  python3 -c "import json, sys; a, b, ev = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]); print('# nodes CPU per event by thread: ' + ', '.join(f'{k} {(b[k] - a.get(k, 0)) / ev * 1e6:.2f} us' for k in sorted(b, key=lambda k: a.get(k, 0) - b[k]) if b[k] - a.get(k, 0) > 0))" "$T0" "$T1" "$EVENTS"
  "$BIN" events --db "$DB" --count | sed 's/^/# stored: /'
  stop
done
echo "# uptime: $(uptime)"
