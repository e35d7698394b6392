#!/usr/bin/env bash
# Hostile clients against the dashboard's file server (issue 13, part 1):
# the real binary, once with the dashboard compiled in and once with
# --web-dir (development) on a directory holding symlinks out of it. Every
# path an attacker would try (//etc/passwd, //proc/self/environ, the
# database through //proc/self/cwd, "..", percent-encoded and backslash
# variants, NUL, symlink escapes) must answer 404 or 400 with a JSON error
# and never the file. "/" serves the dashboard (or the page that says how to
# build it) without a key.
source "$(dirname "$0")/lib.sh"

OUT=$WORK/outside
mkdir -p "$OUT/sub"
SECRET="hostile-static-secret-$$"
echo "$SECRET" > "$OUT/secret.txt"
echo "$SECRET" > "$OUT/sub/secret.txt"
echo "$SECRET" > "$WORK/secret.txt"
# The server runs in $WORK, next to its database, so //proc/self/cwd/<db> names it.
cd "$WORK"
"$BURNRATE" keys create --db "$WORK/burnrate.db" --role admin --label e2e >/dev/null

ATTACKS=(
  //etc/passwd ///etc/passwd //proc/self/environ //proc/self/cwd/burnrate.db //proc/self/cwd/secret.txt
  /../../etc/passwd /../../../../../../../../etc/passwd /assets/../../etc/passwd /../secret.txt
  /%2e%2e/%2e%2e/etc/passwd /%2E%2E/secret.txt /..%2f..%2fetc%2fpasswd /%2fetc%2fpasswd /%2f%2fetc/passwd
  /..%5c..%5cetc%5cpasswd /%5cetc%5cpasswd /index.html%00 /%00/etc/passwd /%252e%252e/%252e%252e/etc/passwd
  /%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd /./etc/passwd /. /.. /./ /.env /.git/config /assets/
  "/..;/etc/passwd" /proc/self/environ/
)
# Symlinks out of the --web-dir root. The embedded files have none: there
# these are plain names with no file behind them, which get the app (a
# client-side route) and must leak nothing either.
LINKS=(/link.txt /assets/out/secret.txt /assets/out/sub/secret.txt /assets/rel.js /passwd /environ /etc/passwd /zero)

# check_refused PATH: a raw request for PATH is 404 or 400 with a JSON error
# and none of the protected content.
check_refused() {
  local path=$1 code
  code=$(curl -sS --path-as-is -o "$WORK/body" -w '%{http_code}' "$BASE$path")
  [[ "$code" == 404 || "$code" == 400 ]] || fail "GET $path: want 404 or 400, got $code: $(head -c 200 "$WORK/body")"
  no_leak "$path"
  # The server's JSON error shape, {"error":"...",...} (no python per path:
  # this runs a few hundred times).
  grep -q '^{"error":"' "$WORK/body" || fail "GET $path: the answer is not a JSON error: $(head -c 200 "$WORK/body")"
}

# no_leak WHAT: $WORK/body holds nothing from a file outside the root.
no_leak() {
  if grep -aqE "$SECRET|root:.*:0:0:|SQLite format 3|PATH=|HOME=" "$WORK/body"; then
    fail "GET $1 leaked a file: $(head -c 200 "$WORK/body")"
  fi
}

# raw_request TARGET: sends one request line as is (curl would normalise some
# targets, and cannot send a NUL or a bare backslash), body to $WORK/body.
raw_request() {
  local target=$1 reply
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  # In a subshell: a server that closes early gives SIGPIPE to it, not to the test.
  (printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$target" >&3) 2>/dev/null || true
  reply=$({ cat <&3 | tr -d '\0'; } 2>/dev/null || true)
  exec 3<&- 3>&-
  printf '%s' "${reply#*$'\r\n\r\n'}" > "$WORK/body"
  RAW_STATUS=$(printf '%s' "$reply" | head -1 | cut -d' ' -f2)
}

attack_all() {
  local mode=$1 p
  for p in "${ATTACKS[@]}"; do check_refused "$p"; done
  for p in "${LINKS[@]}"; do
    if [[ "$mode" == embedded && "$p" != /assets/* ]]; then
      curl -sS --path-as-is -o "$WORK/body" "$BASE$p"
      no_leak "$p"
    else
      check_refused "$p"
    fi
  done
  for p in '/..\..\etc\passwd' '/\etc\passwd' '//etc/passwd' 'http://127.0.0.1//etc/passwd' '/index.html?x=/../../etc/passwd'; do
    raw_request "$p"
    no_leak "raw $p"
    if [[ "$p" == *'?'* ]]; then continue; fi  # the query never reaches the file name
    [[ "$RAW_STATUS" == 404 || "$RAW_STATUS" == 400 ]] || fail "raw GET $p: want 404 or 400, got $RAW_STATUS"
  done
  # A path with a NUL byte in the request line: refused by the HTTP parser
  # (the connection may just close) or by the file server; never served.
  # The server may close while the line is still being written (SIGPIPE to the subshell).
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  (printf 'GET /index.html\0/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3) 2>/dev/null || true
  { cat <&3 | tr -d '\0' > "$WORK/body"; } 2>/dev/null || true
  exec 3<&- 3>&-
  no_leak "NUL in the request line"
  # A very long path.
  check_refused "/$(printf 'a/%.0s' $(seq 2000))x"
  check_refused "$(printf '/..%.0s' $(seq 600))/etc/passwd"
  pass "$mode: ${#ATTACKS[@]} traversal paths, ${#LINKS[@]} symlink escapes, raw and NUL requests refused with JSON errors"
  curl -fsS -o /dev/null "$BASE/healthz" || fail "$mode: the server did not survive the attacks"
}

# 1. The dashboard compiled into the binary: no flag, no key.
start_server "$WORK/burnrate.db"
code=$(curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$BASE/")
[[ "$code" == 200 ]] || fail "GET / without a key: want 200, got $code"
grep -qi '^content-type: text/html' "$WORK/headers" || fail "GET /: not HTML"
if grep -q 'make web' "$WORK/body"; then
  pass "embedded: / says how to build the dashboard (this binary was built without web/dist)"
else
  grep -q '/assets/' "$WORK/body" || fail "GET /: neither the dashboard nor the how-to-build page: $(head -c 300 "$WORK/body")"
  asset=$(grep -o '/assets/[A-Za-z0-9_.-]*\.js' "$WORK/body" | head -1)
  [[ -n "$asset" ]] || fail "GET /: the dashboard names no script"
  expect_status 200 "" GET "$asset"
  pass "embedded: / serves the compiled-in dashboard and its script $asset without a key"
fi
attack_all embedded
stop_server

# 2. --web-dir (development), on a root with symlinks pointing out of it.
WEB=$WORK/web
mkdir -p "$WEB/assets"
echo '<!doctype html><title>dev dashboard</title><script src="/assets/app.js"></script>' > "$WEB/index.html"
echo 'console.log("dev")' > "$WEB/assets/app.js"
ln -s "$OUT/secret.txt" "$WEB/link.txt"
ln -s "$OUT" "$WEB/assets/out"
ln -s ../../outside/secret.txt "$WEB/assets/rel.js"
ln -s /etc/passwd "$WEB/passwd"
ln -s /proc/self/environ "$WEB/environ"
ln -s /etc "$WEB/etc"
ln -s /dev/zero "$WEB/zero"
start_server "$WORK/burnrate.db" --web-dir "$WEB"
expect_status 200 "" GET /
grep -q 'dev dashboard' "$WORK/body" || fail "--web-dir: / is not the directory's index.html"
expect_status 200 "" GET /assets/app.js
attack_all "--web-dir"
# A symlink that stays beneath the root is still served.
ln -s app.js "$WEB/assets/alias.js"
expect_status 200 "" GET /assets/alias.js
grep -q 'console.log("dev")' "$WORK/body" || fail "--web-dir: a link inside the root is not served"
pass "--web-dir: links inside the root are served, links out are not"
stop_server
