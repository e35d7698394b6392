#!/usr/bin/env python3
"""Writes honest/…jsonl: a Claude Code session transcript in the format
Claude Code 2.x writes under ~/.claude/projects (the line shape of
src/claude/claude_fixture_test.h and docs/claude-code.md: a user line, then
assistant lines with message.id, requestId, message.usage and timestamp).
Hand-made, not recorded: 30 responses over 25 minutes with the token sizes
of an ordinary agentic session (output 40-900 tokens, a growing cached
context). Deterministic; the output is committed."""
import json
import os
import random

r = random.Random(15)
DST = "honest/-home-dev-app/0f4c2d1e-honest.jsonl"
os.makedirs(os.path.dirname(DST), exist_ok=True)
session = "0f4c2d1e-7a3b-4c55-9e21-5d8f6a0b1c23"
t = 1774101600.0  # 2026-03-21T14:00:00Z
context = 18000
with open(DST, "w") as out:
    def ts(x):
        import datetime
        return datetime.datetime.fromtimestamp(x, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
            "%03dZ" % int((x % 1) * 1000)
    out.write(json.dumps({"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/home/dev/app",
                          "sessionId": session, "version": "2.1.81", "type": "user",
                          "message": {"role": "user", "content": "Add a retry with backoff to the uploader and test it"},
                          "uuid": "u-0", "timestamp": ts(t)}, separators=(",", ":")) + "\n")
    for i in range(1, 31):
        t += r.uniform(15, 80)
        output = r.randint(40, 900)
        context += r.randint(300, 3000)
        line = {"parentUuid": "u-%d" % (i - 1), "isSidechain": False, "userType": "external", "cwd": "/home/dev/app",
                "sessionId": session, "version": "2.1.81", "gitBranch": "main",
                "message": {"id": "msg_01Hx%020d" % i, "type": "message", "role": "assistant",
                            "model": "claude-sonnet-4-5-20250929",
                            "content": [{"type": "text", "text": "Step %d." % i}], "stop_reason": "tool_use",
                            "usage": {"input_tokens": r.randint(3, 12), "cache_creation_input_tokens": r.randint(200, 2500),
                                      "cache_read_input_tokens": context, "output_tokens": output,
                                      "service_tier": "standard"}},
                "requestId": "req_011C%020d" % i, "type": "assistant", "uuid": "a-%d" % i, "timestamp": ts(t)}
        out.write(json.dumps(line, separators=(",", ":")) + "\n")
