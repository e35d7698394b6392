#!/usr/bin/env python3
"""Generates a synthetic Codex CLI or Gemini CLI log corpus for benchmarks.

  python3 bench/agents_corpus.py codex  OUT_DIR SIZE_MB [SEED]
  python3 bench/agents_corpus.py gemini OUT_DIR SIZE_MB [SEED]

Codex: OUT_DIR/sessions/YYYY/MM/DD/rollout-*.jsonl shaped like Codex CLI
0.171 rollouts (session_meta, turn_context, response_item messages, tool
calls and reasoning with text of realistic length, event_msg token_count
with running totals and last usage, repeated totals, rate-limit-only
records). One session in ten is a sub-agent whose file first replays its
parent's records, as Codex does. Gemini: OUT_DIR/tmp/<hash>/chats/
session-*.jsonl shaped like Gemini CLI 0.61 (metadata, user and gemini
messages appended again when their tokens arrive, $set updates).
Prints the expected totals as JSON on stdout: what a correct reader counts
(replays and repeats once), so a benchmark can check every tool.
"""
import json
import os
import random
import sys

WORDS = ("the a function returns value file test build error fix update config module import "
         "class method variable string list index parse read write server client request").split()


def text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def dumps(o):
    return json.dumps(o, separators=(",", ":"))


def codex(out, size, rng):
    total = {"in": 0, "cached": 0, "out": 0}
    written = 0
    sid = 0
    parents = []
    while written < size:
        sid += 1
        day = 1 + sid % 28
        d = os.path.join(out, "sessions", "2026", "11", "%02d" % day)
        os.makedirs(d, exist_ok=True)
        tid = "019a%04x-0000-7000-8000-%012x" % (sid % 65536, sid)
        lines = []
        ts = lambda m: "2026-11-%02dT%02d:%02d:%02d.000Z" % (day, 8 + m // 3600 % 12, m // 60 % 60, m % 60)
        run = {"in": 0, "cached": 0, "out": 0, "r": 0}
        replayed = None
        if parents and rng.random() < 0.1:
            replayed = rng.choice(parents)
            lines.append(dumps({"timestamp": ts(0), "type": "session_meta", "payload": {
                "id": tid, "cwd": "/home/dev/proj%d" % (sid % 7), "cli_version": "0.171.0",
                "source": {"subagent": {"thread_spawn": {"parent_thread_id": replayed[0], "depth": 1}}}}}))
            lines.extend(replayed[1])  # the parent's records, copied
            run = dict(replayed[2])
        else:
            lines.append(dumps({"timestamp": ts(0), "type": "session_meta", "payload": {
                "id": tid, "cwd": "/home/dev/proj%d" % (sid % 7), "cli_version": "0.171.0", "source": "cli",
                "instructions": text(rng, 400)}}))
        model = rng.choice(["gpt-5.5", "gpt-5.1-codex", "gpt-5.1-codex-max"])
        own = []
        for turn in range(rng.randint(5, 40)):
            m = 60 * turn + 30
            own.append(dumps({"timestamp": ts(m), "type": "turn_context", "payload": {"cwd": "/home/dev", "model": model,
                              "approval_policy": "on-request", "sandbox_policy": {"mode": "workspace-write"}}}))
            own.append(dumps({"timestamp": ts(m), "type": "response_item", "payload": {"type": "message", "role": "user",
                              "content": [{"type": "input_text", "text": text(rng, rng.randint(10, 200))}]}}))
            for _ in range(rng.randint(1, 6)):
                own.append(dumps({"timestamp": ts(m + 1), "type": "response_item", "payload": {"type": "reasoning",
                                  "summary": [], "encrypted_content": "g" * rng.randint(500, 4000)}}))
                own.append(dumps({"timestamp": ts(m + 2), "type": "response_item", "payload": {"type": "function_call",
                                  "name": "exec_command", "arguments": dumps({"cmd": text(rng, 8)}), "call_id": "c%d" % turn}}))
                own.append(dumps({"timestamp": ts(m + 3), "type": "response_item", "payload": {"type": "function_call_output",
                                  "call_id": "c%d" % turn, "output": text(rng, rng.randint(50, 1500))}}))
                i = rng.randint(2000, 60000)
                c = rng.randint(0, i)
                o = rng.randint(10, 3000)
                r = rng.randint(0, o)
                run = {"in": run["in"] + i, "cached": run["cached"] + c, "out": run["out"] + o, "r": run["r"] + r}
                usage = lambda u: {"input_tokens": u[0], "cached_input_tokens": u[1], "cache_write_input_tokens": 0,
                                   "output_tokens": u[2], "reasoning_output_tokens": u[3], "total_tokens": u[0] + u[2]}
                rec = dumps({"timestamp": ts(m + 4), "type": "event_msg", "payload": {"type": "token_count", "info": {
                    "total_token_usage": usage((run["in"], run["cached"], run["out"], run["r"])),
                    "last_token_usage": usage((i, c, o, r)), "model_context_window": 258400},
                    "rate_limits": {"primary": {"used_percent": 1.0, "window_minutes": 300}}}})
                own.append(rec)
                if rng.random() < 0.2:
                    own.append(rec.replace(ts(m + 4), ts(m + 5)))  # the same total again
                total["in"] += i - c
                total["cached"] += c
                total["out"] += o
            own.append(dumps({"timestamp": ts(m + 6), "type": "event_msg", "payload": {"type": "token_count", "info": None,
                              "rate_limits": {"primary": {"used_percent": 2.0}}}}))
            own.append(dumps({"timestamp": ts(m + 7), "type": "response_item", "payload": {"type": "message", "role": "assistant",
                              "content": [{"type": "output_text", "text": text(rng, rng.randint(20, 400))}]}}))
        lines.extend(own)
        body = "\n".join(lines) + "\n"
        with open(os.path.join(d, "rollout-2026-11-%02dT08-00-00-%s.jsonl" % (day, tid)), "w") as f:
            f.write(body)
        written += len(body)
        if replayed is None and len(parents) < 50:
            parents.append((tid, lines[:], dict(run)))
    return {"input": total["in"], "cache_read": total["cached"], "output": total["out"], "files": sid}


def gemini(out, size, rng):
    total = {"in": 0, "cached": 0, "out": 0}
    written = 0
    sid = 0
    while written < size:
        sid += 1
        proj = "%064x" % (sid % 9)
        d = os.path.join(out, "tmp", proj, "chats")
        os.makedirs(d, exist_ok=True)
        day = 1 + sid % 28
        ts = lambda m: "2026-11-%02dT%02d:%02d:%02d.000Z" % (day, 8 + m // 3600 % 12, m // 60 % 60, m % 60)
        session = "%08x-0000-4000-8000-%012x" % (sid, sid)
        lines = [dumps({"sessionId": session, "projectHash": proj, "startTime": ts(0), "lastUpdated": ts(0), "kind": "main"})]
        for turn in range(rng.randint(5, 40)):
            m = 60 * turn + 30
            lines.append(dumps({"id": "u%d-%d" % (sid, turn), "timestamp": ts(m), "type": "user",
                                "content": [{"text": text(rng, rng.randint(10, 200))}]}))
            mid = "g%d-%d" % (sid, turn)
            msg = {"id": mid, "timestamp": ts(m + 1), "type": "gemini", "content": text(rng, rng.randint(50, 800)),
                   "thoughts": [{"subject": "plan", "description": text(rng, 60)}], "model": "gemini-2.5-pro"}
            lines.append(dumps(msg))
            i = rng.randint(2000, 60000)
            c = rng.randint(0, i)
            o = rng.randint(10, 3000)
            th = rng.randint(0, 500)
            msg["tokens"] = {"input": i, "output": o, "cached": c, "thoughts": th, "tool": 0, "total": i + o + th}
            lines.append(dumps(msg))  # appended again with its tokens
            if rng.random() < 0.5:
                msg["toolCalls"] = [{"id": "t%d" % turn, "name": "read_file", "args": {"path": text(rng, 3)},
                                     "result": [{"text": text(rng, rng.randint(50, 1500))}], "status": "success"}]
                lines.append(dumps(msg))  # and again with its tool calls
            lines.append(dumps({"$set": {"lastUpdated": ts(m + 2)}}))
            total["in"] += i - c
            total["cached"] += c
            total["out"] += o + th
        body = "\n".join(lines) + "\n"
        with open(os.path.join(d, "session-2026-11-%02dT08-00-%08x.jsonl" % (day, sid)), "w") as f:
            f.write(body)
        written += len(body)
    return {"input": total["in"], "cache_read": total["cached"], "output": total["out"], "files": sid}


def main():
    kind, out, size_mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    gen = {"codex": codex, "gemini": gemini}[kind]
    print(json.dumps(gen(out, int(size_mb * 1024 * 1024), rng)))


if __name__ == "__main__":
    main()
