# A PostgreSQL server of the test's own (sourced after lib.sh): initdb and
# pg_ctl on a directory under $WORK, listening on 127.0.0.1 on a free port,
# stopped when the test exits. As `nobody` (runuser) when the test runs as
# root, since initdb refuses root. Exits 77 (skipped, with the reason)
# where PostgreSQL's server binaries are not installed.
#   pg_start  -> sets PG_URL (postgresql://burnrate@127.0.0.1:PORT/burnrate)
PG_BIN=""
for d in /usr/lib/postgresql/{17,16,15,14}/bin; do
  [[ -x "$d/initdb" ]] && { PG_BIN=$d; break; }
done
PG_DIR="$WORK/pg"

pg_as() { if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi; }

pg_stop() {
  [[ -f "$PG_DIR/data/postmaster.pid" ]] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
}
trap 'pg_stop; cleanup' EXIT

pg_start() {
  [[ -n "$PG_BIN" ]] || { echo "SKIP: PostgreSQL server binaries not found (scripts/install-deps.sh installs postgresql)"; exit 77; }
  mkdir -p "$PG_DIR"
  chmod 755 "$WORK"
  [[ $(id -u) -eq 0 ]] && chown nobody: "$PG_DIR"
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U burnrate --auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; fail "initdb failed"; }
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR" start >/dev/null ||
    { cat "$PG_DIR/server.log" >&2; fail "pg_ctl start failed"; }
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U burnrate burnrate
  PG_URL="postgresql://burnrate@127.0.0.1:$PG_PORT/burnrate"
}
