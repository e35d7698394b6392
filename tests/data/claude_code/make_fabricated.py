#!/usr/bin/env python3
"""Writes fabricated/…jsonl from honest/…jsonl: the same transcript with its
usage inflated the way a spoofed leaderboard upload does it (output tokens
x100, two responses at 400,000 output tokens). Run from this directory; the output is committed."""
import json
import os

SRC = "honest/-home-dev-app/0f4c2d1e-honest.jsonl"
DST = "fabricated/-home-dev-app/0f4c2d1e-fabricated.jsonl"
os.makedirs(os.path.dirname(DST), exist_ok=True)
n = 0
with open(SRC) as f, open(DST, "w") as out:
    for line in f:
        d = json.loads(line)
        u = d.get("message", {}).get("usage")
        if u is not None:
            n += 1
            u["output_tokens"] = 400000 if n in (3, 9) else u["output_tokens"] * 100
        out.write(json.dumps(d, separators=(",", ":")) + "\n")
