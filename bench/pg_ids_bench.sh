#!/usr/bin/env bash
# PostgreSQL's CPU per event id for the ways of keeping `event_ids`
# (docs/PERFORMANCE.md, "Two nodes on one PostgreSQL", 2026-12-06): 1 M ids
# shaped like burnrate-loadgen's ("org-7-<n>"), 100 statements of 10,000
# sorted ids (one append each), into a fresh table per variant; prints the
# backend's CPU (utime+stime from /proc) per variant.
#   bench/pg_ids_bench.sh [DIR]
set -euo pipefail
DIR=${1:-/tmp/burnrate-pg-ids}
for d in /usr/lib/postgresql/{17,16,15,14}/bin; do [[ -x $d/initdb ]] && { PG_BIN=$d; break; }; done
rm -rf "$DIR"; mkdir -p "$DIR/pg"; chmod 755 "$DIR"
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi; }
[[ $(id -u) -eq 0 ]] && chown nobody: "$DIR/pg"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$PG_BIN/initdb" -D "$DIR/pg/data" -U burnrate --auth=trust -E UTF8 >"$DIR/pg/initdb.log" 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR/pg" start >/dev/null
trap 'as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null 2>&1; rm -rf "$DIR"' EXIT
python3 - "$DIR" <<'PY'
import sys
d, N, B = sys.argv[1], 1000000, 10000
with open(f"{d}/unnest.sql", "w") as u, open(f"{d}/copy.sql", "w") as c:
    for s in range(0, N, B):
        ids = sorted(f"org-7-{n}" for n in range(s, s + B))
        rec = [1733400000000 + s + i for i in range(B)]
        u.write("INSERT INTO event_ids (id, received) SELECT * FROM unnest('{%s}'::text[], "
                "'{%s}'::bigint[]) ON CONFLICT DO NOTHING RETURNING id;\n"
                % (",".join('"' + x + '"' for x in ids), ",".join(map(str, rec))))
        c.write("COPY event_ids FROM STDIN;\n" +
                "".join(f"{x}\t{r}\n" for x, r in zip(ids, rec)) + "\\.\n")
PY
PSQL=("$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U burnrate -q -X)
run() {  # run NAME FILE DDL
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS x" -c "CREATE DATABASE x" >/dev/null 2>&1
  "${PSQL[@]}" -d x -c "$3" >/dev/null
  local stat
  stat=$( (echo "SELECT pg_backend_pid() AS bp \gset"; cat "$2"; echo '\setenv BP :bp'
           echo '\! cat /proc/$BP/stat') | "${PSQL[@]}" -d x 2>&1 | grep '^[0-9]* (postgres' || true)
  python3 -c "import os,sys; f=sys.argv[2].rsplit(')',1)[1].split(); print(f'{sys.argv[1]}: {(int(f[11])+int(f[12]))/os.sysconf(\"SC_CLK_TCK\"):.2f} s backend CPU per 1 M ids')" "$1" "$stat"
}
echo "# uptime: $(uptime)"
OLD='CREATE TABLE event_ids (id TEXT PRIMARY KEY, received BIGINT NOT NULL); CREATE INDEX ON event_ids (received);'
NEW='CREATE TABLE event_ids (id TEXT COLLATE "C" PRIMARY KEY, received BIGINT NOT NULL); CREATE INDEX ON event_ids USING brin (received);'
run "before: unnest + ON CONFLICT, text key, B-tree on received" "$DIR/unnest.sql" "$OLD"
run "COPY, text key, B-tree on received" "$DIR/copy.sql" "$OLD"
run "COPY, COLLATE \"C\" key, B-tree on received" "$DIR/copy.sql" "${NEW/USING brin /}"
run "now: COPY, COLLATE \"C\" key, BRIN on received" "$DIR/copy.sql" "$NEW"
run "COPY, COLLATE \"C\" key, no index on received" "$DIR/copy.sql" "${NEW%%CREATE INDEX*}"
run "COPY, heap only (no key)" "$DIR/copy.sql" 'CREATE TABLE event_ids (id TEXT, received BIGINT NOT NULL);'
echo "# uptime: $(uptime)"
