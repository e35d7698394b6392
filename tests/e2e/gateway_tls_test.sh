#!/usr/bin/env bash
# The gateway to an https:// upstream (OpenSSL through Boost.Beast): the
# stub serves TLS with a certificate made here for 127.0.0.1; with it as
# ca_file JSON and streamed answers come through, and with another CA the
# handshake is refused (502 in Anthropic's shape, nothing counted).
source "$(dirname "$0")/lib.sh"
SRC=${BURNRATE_SOURCE_DIR:-.}
command -v openssl >/dev/null || { echo "skip: no openssl"; exit 77; }
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other" -keyout "$WORK/k2.pem" -out "$WORK/other.pem" >/dev/null 2>&1

python3 "$SRC/tests/e2e/stub/upstream.py" --usage-log "$WORK/usage.jsonl" --tls-cert "$WORK/cert.pem" \
  --tls-key "$WORK/key.pem" >"$WORK/stub.out" 2>"$WORK/stub.err" &
STUB_PID=$!
trap 'kill $STUB_PID 2>/dev/null || true; cleanup' EXIT
STUB=""
for _ in $(seq 200); do STUB=$(sed -n 's/^listening on //p' "$WORK/stub.out"); [[ -n $STUB ]] && break; sleep 0.05; done
[[ -n $STUB ]] || fail "stub did not start"

DB="$WORK/gw.db"
ADA=$(new_key "$DB" gateway --user ada@corp)
run() {  # run CA_FILE STREAM -> status, body in $WORK/body
  curl -sS -N -o "$WORK/body" -w '%{http_code}' -H "x-api-key: $ADA" -H 'content-type: application/json' \
    -d "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,\"stream\":$2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" \
    "$BASE/v1/messages"
}
cat >"$WORK/burnrate.toml" <<TOML
[gateway.anthropic]
base_url = "https://127.0.0.1:$STUB"
ca_file = "$WORK/cert.pem"
api_key = "sk-ant"
TOML
start_server "$DB" --config "$WORK/burnrate.toml"
[[ $(run x false) == 200 ]] || fail "https json: $(cat "$WORK/body")"
check_json 'j["usage"]["input_tokens"] > 0'
[[ $(run x true) == 200 ]] || fail "https stream"
grep -q message_stop "$WORK/body" || fail "https stream incomplete"
pass "https upstream with its CA: json and stream"
stop_server

sed -i "s|cert.pem|other.pem|" "$WORK/burnrate.toml"
start_server "$DB" --config "$WORK/burnrate.toml"
n=$(wc -l <"$WORK/usage.jsonl")
[[ $(run x false) == 502 ]] || fail "unverified upstream: want 502, got $(cat "$WORK/body")"
check_json 'j["error"]["type"] == "api_error" and "TLS" in j["error"]["message"]'
[[ $(wc -l <"$WORK/usage.jsonl") == "$n" ]] || fail "a request reached an unverified upstream"
pass "https upstream with a certificate from another CA: refused"
stop_server
