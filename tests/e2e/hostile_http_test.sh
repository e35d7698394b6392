#!/usr/bin/env bash
# End to end: hostile HTTP clients against the real binary (issue #13, parts
# 5 and 7). curl's default "Expect: 100-continue" costs no second; a big
# upload without a key is refused before its body; idle connections up to
# the cap neither lock out new clients nor live past the header timeout; a
# slowloris client is cut off; malformed requests get 400/431/501 with a
# JSON body; at the open-file limit the server does not spin.
source "$(dirname "$0")/lib.sh"

DB="$WORK/hostile.db"

# Raw-socket helpers, in Python (curl cannot misbehave on purpose).
cat >"$WORK/raw.py" <<'PY'
import json, socket, sys, time

def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s

def read_all(s, limit=10):
    """Reads until the server closes; returns (bytes, seconds until the close)."""
    t0, got = time.monotonic(), b""
    s.settimeout(limit)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (socket.timeout, ConnectionResetError):
        pass
    return got, time.monotonic() - t0

def status_and_body(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), lines[1:], body

def cmd_malformed(port):
    cases = [
        ("garbage", b"GARBAGE\r\n\r\n", 400),
        ("space in a field name", b"GET /healthz HTTP/1.1\r\nBad Name: y\r\n\r\n", 400),
        ("head over 64 KiB", b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n", 431),
        ("xchunked + Content-Length",
         b"POST /v1/events HTTP/1.1\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello", 400),
        ("chunked + Content-Length",
         b"POST /v1/events HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", 400),
        ("Transfer-Encoding gzip", b"POST /v1/events HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nhello", 501),
        ("two Content-Lengths",
         b"POST /v1/events HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
        ("absolute-form target", b"GET http://evil/healthz HTTP/1.1\r\n\r\n", 400),
    ]
    for what, data, want in cases:
        s = connect(port)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        resp, waited = read_all(s)
        status, headers, body = status_and_body(resp)
        assert status == want, f"{what}: want {want}, got {resp[:200]!r}"
        assert "Connection: close" in headers, f"{what}: {headers}"
        err = json.loads(body)["error"]
        assert err, what
        assert waited < 2, f"{what}: closed after {waited:.1f}s"
        print(f"  {what}: {status} {err!r}")

def cmd_idle_cap(port, cap, header_timeout_s):
    opened = time.monotonic()
    idle = [connect(port) for _ in range(cap)]
    time.sleep(0.3)  # all accepted
    t0 = time.monotonic()
    s = connect(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    resp, _ = read_all(s, 5)
    took = time.monotonic() - t0
    status, _, body = status_and_body(resp) if resp else (0, [], b"")
    assert status in (200, 503), f"/healthz with {cap} idle connections: {resp[:200]!r}"
    assert took < 1, f"/healthz with {cap} idle connections took {took:.2f}s"
    if status == 503:
        assert "error" in json.loads(body)
    print(f"  /healthz with {cap} idle connections open: {status} in {took * 1000:.0f} ms")
    # The idle connections are closed at the header timeout.
    for c in idle:
        got, _ = read_all(c, header_timeout_s + 5)
        assert got == b"", got[:100]
    lived = time.monotonic() - opened
    assert header_timeout_s - 0.2 < lived < header_timeout_s + 1.5, f"idle connections lived {lived:.1f}s"
    print(f"  {cap} idle connections closed {lived:.1f}s after they opened (header timeout {header_timeout_s}s)")

def cmd_slowloris(port, header_timeout_s):
    s = connect(port)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 50 + b"\r\n\r\n"
    t0 = time.monotonic()
    s.settimeout(0.01)
    for b in head:
        try:
            s.sendall(bytes([b]))
            if s.recv(1) == b"":
                break  # closed
        except socket.timeout:
            pass
        except (BrokenPipeError, ConnectionResetError):
            break
        time.sleep(1)
    took = time.monotonic() - t0
    assert took < header_timeout_s + 2, f"slowloris lasted {took:.1f}s"
    print(f"  one byte a second: cut off after {took:.1f}s (header timeout {header_timeout_s}s)")

def cmd_hold(port, n, seconds):
    """Opens n connections (as many as the server accepts) and holds them."""
    held = []
    for _ in range(n):
        try:
            held.append(connect(port))
        except OSError:
            pass
    print(f"  opened {len(held)} of {n} connections", flush=True)
    time.sleep(seconds)

cmd = sys.argv[1]
args = [float(a) if "." in a else int(a) for a in sys.argv[2:]]
globals()["cmd_" + cmd](*args)
PY
raw() { python3 "$WORK/raw.py" "$@"; }

# ---- (a) curl's default Expect: 100-continue costs no second ---------------
# The same ~200k events, each upload into a fresh database, once with curl's
# default Expect header (curl waits up to 1 s for "100 Continue") and once
# without.
"$BURNRATE" simulate --users 200 --days 7 --seed 1 --out "$WORK/a.ndjson" >/dev/null
NA=$(wc -l <"$WORK/a.ndjson")
MB=$(( $(wc -c <"$WORK/a.ndjson") / 1000000 ))
upload() {  # upload DB [curl args...]: prints seconds; curl's trace goes to $WORK/trace
  local db=$1; shift
  local key
  key=$(new_key "$db" ingest)
  start_server "$db"
  curl -sS -v --trace-time -o "$WORK/body" -w '%{time_total}' -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/x-ndjson' --data-binary @"$WORK/a.ndjson" "$@" "$BASE/v1/events" 2>"$WORK/trace"
  check_json "j['accepted'] == $NA"
  stop_server
}
T_EXPECT=$(upload "$WORK/expect.db")
CONTINUE_MS=$(python3 - "$WORK/trace" <<'PY'
import re, sys
def secs(line):
    h, m, s = line.split()[0].split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)
lines = open(sys.argv[1], errors="replace").read().splitlines()
sent = [secs(l) for l in lines if re.match(r"^[0-9:.]+ > Expect: 100-continue", l)]
got = [secs(l) for l in lines if re.match(r"^[0-9:.]+ < HTTP/1.1 100 Continue", l)]
if not sent or not got:
    sys.exit("no Expect sent or no 100 Continue received")
print(f"{(got[0] - sent[0]) * 1000:.0f}")
PY
) || fail "curl's trace: $(grep -E '^[0-9:.]+ [<>] ' "$WORK/trace" | head -20)"
T_PLAIN=$(upload "$WORK/plain.db" -H 'Expect:')
grep -q 'Expect: 100-continue' "$WORK/trace" && fail "curl sent Expect despite -H 'Expect:'"
echo "  $NA events ($MB MB): ${T_EXPECT}s with curl's default Expect (100 Continue after ${CONTINUE_MS} ms)," \
  "${T_PLAIN}s with -H 'Expect:'"
(( CONTINUE_MS < 500 )) || fail "100 Continue came ${CONTINUE_MS} ms after the head"
python3 -c "import sys; e, p = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if e < p + 1 else 1)" \
  "$T_EXPECT" "$T_PLAIN" || fail "upload with Expect took ${T_EXPECT}s, without ${T_PLAIN}s"
pass "curl --data-binary with the default Expect header gets 100 Continue at once and is not 1 s slower"

start_server "$DB" --max-connections 50 --header-timeout-ms 1500

# ---- (b) a big body without a key is refused before it is read -------------
for variant in default no-expect; do
  extra=()
  [[ $variant == no-expect ]] && extra=(-H 'Expect:')
  t=$(curl -sS -o "$WORK/body" -w '%{http_code} %{time_total} %{size_upload}' \
    --data-binary @"$WORK/a.ndjson" "${extra[@]}" "$BASE/v1/events" 2>/dev/null || true)
  read -r code secs sent <<<"$t"
  [[ $code == 401 ]] || fail "$variant: no key, want 401, got '$t'"
  check_json '"API key" in j["error"]'
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1 else 1)" "$secs" ||
    fail "$variant: the 401 took ${secs}s"
  echo "  $variant Expect: 401 in ${secs}s after sending $sent of $(wc -c <"$WORK/a.ndjson") bytes"
done
pass "a $MB MB upload without a key gets 401 at once, before its body"

# ---- (c) idle connections up to the cap; closed at the header timeout ------
raw idle_cap "$PORT" 50 1.5
expect_status 200 "" GET /healthz
pass "50 idle connections (the cap): a new client is answered at once; the idle ones close at the header timeout"

# ---- (d) slowloris -----------------------------------------------------------
raw slowloris "$PORT" 1.5
pass "a client sending one header byte a second is cut off"

# ---- (e) malformed requests ----------------------------------------------------
raw malformed "$PORT"
expect_status 200 "" GET /healthz
pass "malformed and ambiguous requests get 400/431/501 with a JSON body and Connection: close"
stop_server

# ---- (f) no spinning at the open-file limit ----------------------------------
cat >"$WORK/ulimited" <<EOF
#!/usr/bin/env bash
ulimit -n 64
exec "$BURNRATE" "\$@"
EOF
chmod +x "$WORK/ulimited"
FROM=$(( $(wc -l <"$WORK/server.log") + 1 ))
BURNRATE="$WORK/ulimited" start_server "$DB"
LOWERED=$(tail -n +"$FROM" "$WORK/server.log" | grep "max_connections lowered from 4096" || true)
[[ -n $LOWERED ]] || fail "the cap was not lowered: $(tail -3 "$WORK/server.log")"
echo "  $LOWERED"
raw hold "$PORT" 80 4 &
HOLDER=$!
sleep 1.5
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
c0=$(cpu_ticks)
sleep 2
c1=$(cpu_ticks)
HZ=$(getconf CLK_TCK)
SHARE=$(python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]) / 2 * 100:.1f}')" "$c0" "$c1" "$HZ")
echo "  server CPU with 80 connections under ulimit -n 64: ${SHARE}% of one core over 2 s"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 20 else 1)" "$SHARE" || fail "server spins: ${SHARE}% CPU"
wait "$HOLDER"
code=""
for _ in $(seq 1 40); do
  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz" 2>/dev/null || true)
  [[ $code == 200 ]] && break
  sleep 0.25
done
[[ $code == 200 ]] || fail "after the connections closed, /healthz answers '$code'"
pass "at the open-file limit the server does not spin (${SHARE}% CPU) and serves again afterwards"
stop_server
