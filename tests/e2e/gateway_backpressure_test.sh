#!/usr/bin/env bash
# Back-pressure (issue #16): a streamed answer for a client that stops
# reading must not be buffered without bound. The stub streams 48 MiB as
# fast as its socket takes it; the client reads the head, then nothing for
# a few seconds. Meanwhile the gateway's resident memory must grow by far
# less than the stream (it stops reading the upstream once 1 MiB waits for
# the client); then the client reads on and gets the whole stream, and the
# usage is counted.
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
BIG_MB=48
python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" --big-mb "$BIG_MB" \
  >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
trap 'kill $STUB_PID 2>/dev/null || true; cleanup' EXIT
STUB=""
for _ in $(seq 100); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

DB="$WORK/gw.db"
ADMIN=$(new_key "$DB" admin)
ADA=$(new_key "$DB" gateway --user ada@corp --team compilers)
cat >"$WORK/burnrate.toml" <<TOML
[gateway.anthropic]
base_url = "http://127.0.0.1:$STUB"
api_key = "sk-ant"
TOML
start_server "$DB" --config "$WORK/burnrate.toml"

python3 - "$PORT" "$ADA" "$SERVER_PID" "$BIG_MB" <<'PY' || fail "back-pressure"
import socket, sys, time
port, key, pid, big = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
def rss_kb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1])
body = b'{"model":"claude-big","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # a slow client's small window
s.connect(("127.0.0.1", port))
before = rss_kb()
s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-api-key: " +
          key.encode() + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
got = s.recv(65536)
assert got.startswith(b"HTTP/1.1 200"), got[:200]
peak = before
for _ in range(30):  # 3 s without reading
    time.sleep(0.1)
    peak = max(peak, rss_kb())
grew_mb = (peak - before) / 1024
print(f"gateway RSS {before / 1024:.1f} MiB before, peak {peak / 1024:.1f} MiB while the client read nothing (+{grew_mb:.1f} MiB of a {big} MiB stream)")
assert grew_mb < 12, f"the gateway buffered {grew_mb:.1f} MiB for a client that read nothing"
total = len(got)
while True:
    chunk = s.recv(1 << 20)
    if not chunk: break
    total += len(chunk)
    got = got[-200:] + chunk
assert b"message_stop" in got, got[-300:]
assert total > big * (1 << 20), total
print(f"then the client read the whole stream: {total / (1 << 20):.1f} MiB")
PY
want=$(python3 -c 'import json,sys; u=json.loads(open(sys.argv[1]).readline()); print(u["input"], u["output"])' "$WORK/usage.jsonl")
got=""
for _ in $(seq 100); do
  http_status "$ADMIN" GET "/v1/users/ada@corp/usage" >/dev/null
  got=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["input_tokens"], t["output_tokens"])' "$WORK/body" 2>/dev/null || true)
  [[ "$got" == "$want" ]] && break
  sleep 0.1
done
[[ "$got" == "$want" ]] || fail "board $got, stub answered $want"
pass "a client that stops reading holds the upstream back (bounded memory); its whole stream and usage arrive after"
stop_server
