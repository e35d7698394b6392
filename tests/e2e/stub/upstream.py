#!/usr/bin/env python3
"""A stub LLM upstream for running real coding agents offline.

Speaks just enough of three APIs for one-turn text answers:
  - OpenAI Responses API: POST /v1/responses (stream: SSE ending in
    response.completed with usage), as Codex CLI calls it;
  - Gemini API: POST /v1beta/models/MODEL:streamGenerateContent?alt=sse
    (SSE chunks, usageMetadata on the last) and :generateContent, as
    Gemini CLI calls it;
  - OpenAI Chat Completions: POST /v1/chat/completions (stream: chunks, the
    last with usage, then [DONE]), as OpenCode's openai-compatible provider
    calls it; with --strict-openai-usage the usage chunk comes only when
    stream_options.include_usage asked for it, as OpenAI does;
  - Anthropic Messages: POST /v1/messages (stream: message_start with input
    and cache usage, content deltas, message_delta with the final output
    tokens; a tool_use block when the request offers tools and the model
    name contains "tool") and
    /v1/messages/count_tokens, as Claude Code and the SDKs call them, with
    a request-id header.
The model name picks a misbehaviour, for the gateway's tests: a model
containing "error" is answered 529 (Anthropic) or 500 (OpenAI) in the
provider's error shape; "slow" waits --slow-ms between events; "big" streams --big-mb MiB of text; "cut" closes
the stream after the first usage event; "malformed" sends an event that is
not JSON before the rest; "exact" answers usage equal to the gateway's
estimate (input = body bytes / 3 rounded up, output = max_tokens), so a
budget can be filled to the token. The credential the stub saw is logged ("auth").
Every answered usage is appended as one JSON line to --usage-log
({"api": ..., "model": ..., "input": ..., "cached": ..., "output": ...,
"reasoning": ...}), so a test can compare an agent's logs with what the
upstream really answered. Usage varies per request (a counter), so a
double count or a dropped request shows. Prints "listening on PORT".
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNTER = [0]


def next_usage():
    """The next request's usage and its number n, taken together under LOCK:
    reading COUNTER again after the lock is released can give two requests
    the same n, and so the same message and request id (a provider never
    does; the gateway then rightly counts the second as a copy of the first)."""
    with LOCK:
        COUNTER[0] += 1
        n = COUNTER[0]
    return {"input": 1000 + 37 * n, "cached": 200 + 11 * n, "output": 40 + 3 * n, "reasoning": 5 + n}, n


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("stub: " + (fmt % args) + "\n")

    def record(self, api, model, u):
        auth = self.headers.get("x-api-key") or self.headers.get("Authorization") or ""
        with LOCK, open(self.server.usage_log, "a") as f:
            f.write(json.dumps({"api": api, "model": model, "auth": auth, **u}) + "\n")

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        self.raw_len = len(raw)
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {}

    def send_json(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def sse(self, event, data):
        head = f"event: {event}\n" if event else ""
        self.wfile.write((head + "data: " + json.dumps(data) + "\n\n").encode())
        self.wfile.flush()

    def do_GET(self):
        if self.path.startswith("/v1/models"):
            return self.send_json(200, {"object": "list", "data": [], "models": []})
        self.send_json(404, {"error": {"message": "not found"}})

    def do_POST(self):
        path = self.path.split("?")[0]
        req = self.body()
        if path.endswith("/responses"):
            return self.openai_responses(req)
        if path.endswith("/chat/completions"):
            return self.chat_completions(req)
        if ":streamGenerateContent" in path:
            return self.gemini(path, stream=True)
        if ":generateContent" in path:
            return self.gemini(path, stream=False)
        if path.endswith("/messages/count_tokens"):
            return self.send_json(200, {"input_tokens": 42})
        if path.endswith("/messages"):
            return self.messages(req)
        if ":countTokens" in path:
            return self.send_json(200, {"totalTokens": 10})
        self.send_json(404, {"error": {"message": "not found: " + path}})

    def openai_responses(self, req):
        model = req.get("model", "gpt-stub")
        if "error" in model:
            return self.send_json(500, {"error": {"message": "stub failure", "type": "server_error", "param": None, "code": None}})
        u, n = next_usage()
        text = "Stub answer."
        rid = "resp_%d" % n
        usage = {
            "input_tokens": u["input"],
            "input_tokens_details": {"cached_tokens": u["cached"]},
            "output_tokens": u["output"],
            "output_tokens_details": {"reasoning_tokens": u["reasoning"]},
            "total_tokens": u["input"] + u["output"],
        }
        item = {"type": "message", "id": "msg_" + rid, "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}]}
        resp = {"id": rid, "object": "response", "model": model, "status": "in_progress", "output": []}
        if req.get("stream") is False:
            self.record("responses", model, u)
            return self.send_json(200, dict(resp, status="completed", output=[item], usage=usage))
        self.start_sse()
        self.sse("response.created", {"type": "response.created", "response": resp})
        self.sse("response.output_item.added",
                 {"type": "response.output_item.added", "output_index": 0, "item": dict(item, status="in_progress", content=[])})
        self.sse("response.output_text.delta",
                 {"type": "response.output_text.delta", "item_id": item["id"], "output_index": 0, "content_index": 0, "delta": text})
        self.sse("response.output_item.done", {"type": "response.output_item.done", "output_index": 0, "item": item})
        done = dict(resp, status="completed", output=[item], usage=usage)
        self.sse("response.completed", {"type": "response.completed", "response": done})
        self.record("responses", model, u)

    def pause(self, model):
        if "slow" in model:
            time.sleep(self.server.slow_ms / 1000.0)

    def messages(self, req):
        model = req.get("model", "claude-stub")
        if "error" in model:
            return self.send_json(529, {"type": "error", "error": {"type": "overloaded_error", "message": "stub overloaded"}})
        u, n = next_usage()
        u.update(cache_write=50 + n, cache_write_1h=10 + n, reasoning=0)
        if "exact" in model:  # usage equal to the gateway's estimate (body bytes / 3, max_tokens)
            u = {"input": -(-self.raw_len // 3), "cached": 0, "output": req.get("max_tokens", 0), "reasoning": 0,
                 "cache_write": 0, "cache_write_1h": 0}
        mid = "msg_stub_%d" % n
        rid = "req_stub_%d" % n
        usage = {"input_tokens": u["input"], "cache_read_input_tokens": u["cached"],
                 "cache_creation_input_tokens": u["cache_write"],
                 "cache_creation": {"ephemeral_5m_input_tokens": u["cache_write"] - u["cache_write_1h"],
                                    "ephemeral_1h_input_tokens": u["cache_write_1h"]},
                 "output_tokens": u["output"]}
        tool = bool(req.get("tools")) and "tool" in model  # agents always offer tools; answering them loops
        if tool:
            t = req["tools"][0]
            block = {"type": "tool_use", "id": "toolu_%d" % n, "name": t.get("name", "tool"), "input": {}}
        else:
            block = {"type": "text", "text": "Stub answer."}
        stop = "tool_use" if tool else "end_turn"
        if not req.get("stream"):
            data = json.dumps({"id": mid, "type": "message", "role": "assistant", "model": model,
                               "content": [block], "stop_reason": stop, "stop_sequence": None,
                               "usage": usage}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("request-id", rid)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return self.record("messages", model, dict(u, id=mid, request_id=rid))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("request-id", rid)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        start_usage = dict(usage, output_tokens=1)
        if "malformed" in model:
            self.wfile.write(b"event: message_start\ndata: {not json\n\n")
        self.sse("message_start", {"type": "message_start", "message": {
            "id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": start_usage}})
        if "cut" in model:
            self.record("messages", model, dict(u, output=1, id=mid, request_id=rid))
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.pause(model)
        if tool:
            self.sse("content_block_start", {"type": "content_block_start", "index": 0,
                                             "content_block": dict(block, input={})})
            self.sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                             "delta": {"type": "input_json_delta", "partial_json": "{}"}})
        else:
            self.sse("content_block_start", {"type": "content_block_start", "index": 0,
                                             "content_block": {"type": "text", "text": ""}})
            if "big" in model:  # --big-mb of text deltas as fast as the socket takes them
                chunk = "x" * 65536
                for _ in range(self.server.big_mb * 16):
                    self.sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                     "delta": {"type": "text_delta", "text": chunk}})
            for word in ["Stub ", "answer."]:
                self.sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                 "delta": {"type": "text_delta", "text": word}})
                self.pause(model)
        self.sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        self.sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                   "usage": {"output_tokens": u["output"]}})
        self.sse("message_stop", {"type": "message_stop"})
        self.record("messages", model, dict(u, id=mid, request_id=rid))

    def chat_completions(self, req):
        model = req.get("model", "stub-model")
        if "error" in model:
            return self.send_json(500, {"error": {"message": "stub failure", "type": "server_error", "param": None, "code": None}})
        u, n = next_usage()
        usage = {"prompt_tokens": u["input"], "completion_tokens": u["output"],
                 "total_tokens": u["input"] + u["output"],
                 "prompt_tokens_details": {"cached_tokens": u["cached"]},
                 "completion_tokens_details": {"reasoning_tokens": u["reasoning"]}}
        cid = "chatcmpl-%d" % n
        chunk = lambda delta, finish=None: {"id": cid, "object": "chat.completion.chunk", "created": 0, "model": model,
                                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if not req.get("stream"):
            self.record("chat", model, u)
            return self.send_json(200, {"id": cid, "object": "chat.completion", "model": model, "usage": usage,
                                        "choices": [{"index": 0, "finish_reason": "stop",
                                                     "message": {"role": "assistant", "content": "Stub answer."}}]})
        self.start_sse()
        self.sse(None, chunk({"role": "assistant", "content": "Stub answer."}))
        self.pause(model)
        asked = (req.get("stream_options") or {}).get("include_usage")
        if self.server.strict_usage:
            self.sse(None, chunk({}, "stop"))
            if asked:
                self.sse(None, {"id": cid, "object": "chat.completion.chunk", "created": 0, "model": model,
                                "choices": [], "usage": usage})
        else:
            self.sse(None, dict(chunk({}, "stop"), usage=usage))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        title = "You are a title generator" in json.dumps(req.get("messages", []))
        self.record("chat-title" if title else "chat", model, u)

    def gemini(self, path, stream):
        model = path.split("/models/")[-1].split(":")[0]
        u, _ = next_usage()
        meta = {"promptTokenCount": u["input"], "cachedContentTokenCount": u["cached"],
                "candidatesTokenCount": u["output"], "thoughtsTokenCount": u["reasoning"],
                "totalTokenCount": u["input"] + u["output"] + u["reasoning"]}
        final = {"candidates": [{"content": {"role": "model", "parts": [{"text": "Stub answer."}]},
                                 "finishReason": "STOP", "index": 0}],
                 "usageMetadata": meta, "modelVersion": model}
        self.record("gemini-stream" if stream else "gemini", model, u)
        if not stream:
            return self.send_json(200, final)
        self.start_sse()
        self.sse(None, final)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--usage-log", required=True)
    ap.add_argument("--slow-ms", type=int, default=300)
    ap.add_argument("--big-mb", type=int, default=32)
    ap.add_argument("--strict-openai-usage", action="store_true")
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (and --tls-key)")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.usage_log = a.usage_log
    srv.slow_ms = a.slow_ms
    srv.big_mb = a.big_mb
    srv.strict_usage = a.strict_openai_usage
    if a.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("listening on %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
