#!/usr/bin/env bash
# make cluster-demo: the scale-out topology of docs/scale-out.md on one
# machine, with no root daemons. PostgreSQL (initdb + pg_ctl) and Redis on a
# temporary directory, loopback only; three `burnrate serve` nodes on that
# PostgreSQL sharing governance limits through that Redis; nginx in front
# (an upstream of the three, keepalive). A simulated organisation is loaded
# through nginx, as `make demo` does. Ctrl-C (or SIGTERM) stops everything
# and deletes the directory.
#   scripts/cluster-demo.sh [BUILD] [PORT]
# Environment: CLUSTER_DEMO_USERS / CLUSTER_DEMO_DAYS (1000 / 14) size the
# simulated history; CLUSTER_DEMO_EXIT=1 stops everything once it is ready
# (a check that it comes up); CLUSTER_DEMO_DIR keeps the directory there.
set -euo pipefail
BUILD=${1:-build}
PORT=${2:-8080}
BIN=$(cd "$(dirname "$BUILD/burnrate")" && pwd)/burnrate
USERS=${CLUSTER_DEMO_USERS:-1000}
DAYS=${CLUSTER_DEMO_DAYS:-14}
[[ -x $BIN ]] || { echo "no $BIN: make build first" >&2; exit 1; }
for d in /usr/lib/postgresql/{17,16,15,14}/bin; do [[ -x $d/initdb ]] && { PG_BIN=$d; break; }; done
[[ -n ${PG_BIN:-} ]] || { echo "PostgreSQL server binaries missing (scripts/install-deps.sh)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server missing (scripts/install-deps.sh)" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || { echo "nginx missing (scripts/install-deps.sh)" >&2; exit 1; }

DIR=${CLUSTER_DEMO_DIR:-$(mktemp -d /tmp/burnrate-cluster.XXXXXX)}
mkdir -p "$DIR"
chmod 755 "$DIR"
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

NODES=() REDIS="" NGINX_UP="" LIVE="" PG_UP=""
stop_all() {
  set +e
  trap - EXIT INT TERM
  echo "stopping the cluster demo..."
  [[ -n $LIVE ]] && kill "$LIVE" 2>/dev/null
  [[ -n $NGINX_UP ]] && "$NGINX" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -s quit 2>/dev/null
  for n in "${NODES[@]}"; do kill -TERM "$n" 2>/dev/null; done
  for n in "${NODES[@]}"; do wait "$n" 2>/dev/null; done
  [[ -n $REDIS ]] && kill "$REDIS" 2>/dev/null
  [[ -n $PG_UP ]] && as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null 2>&1
  wait 2>/dev/null
  [[ -z ${CLUSTER_DEMO_DIR:-} ]] && rm -rf "$DIR"
  echo "stopped."
}
trap 'stop_all; exit 0' INT TERM
trap 'stop_all' EXIT

# PostgreSQL: as `nobody` when run as root (initdb refuses root).
mkdir -p "$DIR/pg"
[[ $(id -u) -eq 0 ]] && chown nobody: "$DIR/pg"
PG_PORT=$(free_port)
as_pg "$PG_BIN/initdb" -D "$DIR/pg/data" -U burnrate --auth=trust -E UTF8 >"$DIR/pg/initdb.log" 2>&1 ||
  { cat "$DIR/pg/initdb.log" >&2; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg" start >/dev/null ||
  { cat "$DIR/pg/server.log" >&2; exit 1; }
PG_UP=1
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U burnrate burnrate
DB="postgresql://burnrate@127.0.0.1:$PG_PORT/burnrate"

# Redis: in memory only (governance counters; docs/governance.md).
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" >"$DIR/redis.log" 2>&1 &
REDIS=$!
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done

KEY=$("$BIN" keys create --db "$DB" --role admin --label cluster-demo)
VIEWER=$("$BIN" keys create --db "$DB" --role viewer --label cluster-demo-viewer)
"$BIN" simulate --personas --users 300 --days 2 --seed 7 --out "$DIR/personas.ndjson" --labels "$DIR/labels.ndjson" >/dev/null
EXEMPT=$(grep '"exempt":true' "$DIR/labels.ndjson" | sed 's/.*"user":"\([^"]*\)".*/"\1"/' | paste -sd, - || true)

# Three nodes: one PostgreSQL, one Redis, a checkpoint file each.
NODE_PORTS=()
for i in 1 2 3; do
  cat >"$DIR/node$i.toml" <<EOF
[store]
url = "$DB"
checkpoint_path = "$DIR/node$i.checkpoint"

[governance]
limit_store = "redis://127.0.0.1:$REDIS_PORT/0"

[[governance.budget]]
id = "team-month"
scope = "team"
subject = "*"
limit_usd = 50000.0
period = "month"
enforce = "soft"

[detection]
exempt = [$EXEMPT]
EOF
  "$BIN" serve --config "$DIR/node$i.toml" --listen 127.0.0.1:0 >"$DIR/node$i.log" 2>&1 &
  NODES+=($!)
done
for i in 1 2 3; do
  p=""
  for _ in $(seq 300); do
    p=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$DIR/node$i.log" | head -1)
    [[ -n $p ]] && curl -fsS -o /dev/null "http://127.0.0.1:$p/healthz" 2>/dev/null && break
    p=""
    sleep 0.1
  done
  [[ -n $p ]] || { tail -20 "$DIR/node$i.log" >&2; echo "node $i did not start" >&2; exit 1; }
  NODE_PORTS+=("$p")
done

# nginx: an upstream of the three nodes, kept-alive connections to them,
# streams (SSE) unbuffered, bodies up to the server's 256 MiB.
mkdir -p "$DIR/nginx/logs" "$DIR/nginx/tmp"
[[ $(id -u) -eq 0 ]] && chown -R nobody: "$DIR/nginx/tmp"
{
  [[ $(id -u) -eq 0 ]] && echo "user nobody nogroup;"
  cat <<EOF
worker_processes 2;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $DIR/nginx/tmp/body;
  proxy_temp_path $DIR/nginx/tmp/proxy;
  fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
  uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
  scgi_temp_path $DIR/nginx/tmp/scgi;
  upstream burnrate {
    server 127.0.0.1:${NODE_PORTS[0]} max_fails=1 fail_timeout=2s;
    server 127.0.0.1:${NODE_PORTS[1]} max_fails=1 fail_timeout=2s;
    server 127.0.0.1:${NODE_PORTS[2]} max_fails=1 fail_timeout=2s;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$PORT;
    client_max_body_size 256m;
    client_body_buffer_size 1m;
    location / {
      proxy_pass http://burnrate;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_buffering off;
      proxy_read_timeout 1h;
      # A node that is down or answers 503 (its database away): the next one.
      proxy_next_upstream error timeout http_503 non_idempotent;
    }
  }
}
EOF
} >"$DIR/nginx/nginx.conf"
"$NGINX" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -t >"$DIR/nginx/test.log" 2>&1 || { cat "$DIR/nginx/test.log" >&2; exit 1; }
"$NGINX" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" 2>>"$DIR/nginx/logs/error.log"
NGINX_UP=1
URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && break; sleep 0.05; done
curl -fsS -o /dev/null "$URL/healthz" || { echo "nginx does not answer on $URL" >&2; exit 1; }

echo "simulating $USERS users over $DAYS days, and 300 labelled personas over 2, through nginx..."
"$BIN" simulate --users "$USERS" --days "$DAYS" --seed 7 --server "$URL" --key "$KEY"
"$BIN" ingest "$DIR/personas.ndjson" --server "$URL" --key "$KEY" >/dev/null
"$BIN" simulate --users "$USERS" --days 0 --seed 7 --server "$URL" --key "$KEY" --live >"$DIR/live.log" 2>&1 &
LIVE=$!
cat <<MSG

burnrate cluster demo is running: nginx on $URL in front of three nodes
(127.0.0.1:${NODE_PORTS[0]}, :${NODE_PORTS[1]}, :${NODE_PORTS[2]}), PostgreSQL on :$PG_PORT, Redis on :$REDIS_PORT.
  Dashboard:  $URL/   (log in with a key below)
  Admin key:  $KEY
  Viewer key: $VIEWER
  API:        curl -H "Authorization: Bearer $VIEWER" "$URL/v1/leaderboard?window=7d&metric=cost"
  Database:   $DB   (burnrate events --db $DB --count)
  Logs:       $DIR/node{1,2,3}.log, $DIR/pg/server.log, $DIR/nginx/logs/error.log
Each node's boards show the history present at its start plus the events it
took itself (nodes do not yet follow each other's appends: docs/scale-out.md).
Live events keep arriving. Press Ctrl-C to stop.
MSG
[[ ${CLUSTER_DEMO_EXIT:-0} == 1 ]] && exit 0
while true; do
  for n in "${NODES[@]}"; do kill -0 "$n" 2>/dev/null || { echo "a node exited (see $DIR/node*.log)" >&2; exit 1; }; done
  sleep 1
done
