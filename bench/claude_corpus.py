#!/usr/bin/env python3
"""Generates a synthetic Claude Code transcript corpus for benchmarks.

Usage: claude_corpus.py OUT_DIR SIZE_MB [SEED]

Writes OUT_DIR/projects/<project>/<session>.jsonl (and sub-agent files
agent-*.jsonl) shaped like real transcripts: user prompts, assistant
responses written once per content block (same message.id + requestId, so
readers must de-duplicate), long tool results, resumed sessions that copy
earlier lines into a new file (cross-file duplicates), old-format lines
without requestId but with costUSD, <synthetic> and API-error lines with zero
usage, 5m/1h cache writes, a few malformed lines and truncated last lines.
Deterministic for a given seed.
"""
import json
import os
import random
import sys

MODELS = [("claude-sonnet-4-5-20250929", 70), ("claude-opus-4-1-20250805", 15),
          ("claude-haiku-4-5-20251001", 15)]
WORDS = ("the of and to in is for that with on as it be this are by from or at an "
         "function return const let var class struct int void include import def "
         "error value file test build make run check update fix refactor module "
         "request response token cache model user assistant server client").split()


def text_pool(rng, n):
    out = []
    for _ in range(n):
        ws = [rng.choice(WORDS) for _ in range(rng.randint(200, 400))]
        s = " ".join(ws)
        s = s.replace(" fix ", ' fix \\"quoted\\" ').replace(" run ", " run\\n")
        out.append(s)
    return out


class Gen:
    def __init__(self, root, seed):
        self.rng = random.Random(seed)
        self.root = root
        self.pool = text_pool(self.rng, 64)
        self.msg_counter = 0
        self.bytes = 0

    def text(self, n):
        parts, have = [], 0
        while have < n:
            p = self.rng.choice(self.pool)
            parts.append(p)
            have += len(p)
        s = " ".join(parts)[:n]
        return s.rstrip("\\")

    def ts(self, ms):
        sec, milli = divmod(ms, 1000)
        import time
        t = time.gmtime(sec)
        return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t.tm_year, t.tm_mon, t.tm_mday,
                                                        t.tm_hour, t.tm_min, t.tm_sec, milli)

    def model(self):
        r = self.rng.randint(1, 100)
        acc = 0
        for m, w in MODELS:
            acc += w
            if r <= acc:
                return m
        return MODELS[0][0]

    def common(self, session, ms, sidechain, cwd):
        return ('{"parentUuid":"%08x-0000-4000-8000-000000000000","isSidechain":%s,"userType":"external",'
                '"cwd":"%s","sessionId":"%s","version":"2.1.81","gitBranch":"main",'
                % (self.rng.getrandbits(32), "true" if sidechain else "false", cwd, session))

    def user_line(self, session, ms, sidechain, cwd, n):
        return (self.common(session, ms, sidechain, cwd) +
                '"type":"user","message":{"role":"user","content":"%s"},"uuid":"u%d","timestamp":"%s"}'
                % (self.text(n), self.rng.getrandbits(48), self.ts(ms)))

    def tool_result_line(self, session, ms, sidechain, cwd, n):
        return (self.common(session, ms, sidechain, cwd) +
                '"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_%d",'
                '"type":"tool_result","content":"%s"}]},"uuid":"u%d","timestamp":"%s"}'
                % (self.rng.getrandbits(40), self.text(n), self.rng.getrandbits(48), self.ts(ms)))

    def assistant_lines(self, session, ms, sidechain, cwd):
        rng = self.rng
        self.msg_counter += 1
        mid = "msg_%016x%06d" % (rng.getrandbits(64), self.msg_counter)
        rid = "req_%016x%06d" % (rng.getrandbits(64), self.msg_counter)
        kind = rng.random()
        model = self.model()
        inp, out = rng.randint(1, 60), rng.randint(5, 4000)
        cr, cw = rng.randint(5000, 150000), rng.choice([0, 0, rng.randint(100, 20000)])
        w1h = rng.choice([0, 0, 0, cw // 2, cw])
        extra = ""
        if kind < 0.01:  # synthetic: zero usage
            model, inp, out, cr, cw, w1h = "<synthetic>", 0, 0, 0, 0, 0
        elif kind < 0.015:  # API error message: zero usage
            model, inp, out, cr, cw, w1h = "<synthetic>", 0, 0, 0, 0, 0
            extra = ',"isApiErrorMessage":true'
        elif kind < 0.045:  # old format: no requestId, costUSD present
            rid = None
            extra = ',"costUSD":%.6f' % (rng.random() * 0.3)
        usage = ('{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,'
                 '"output_tokens":%d,"service_tier":"standard","cache_creation":'
                 '{"ephemeral_1h_input_tokens":%d,"ephemeral_5m_input_tokens":%d}}'
                 % (inp, cw, cr, out, w1h, cw - w1h))
        lines = []
        blocks = rng.choice([1, 1, 2, 2, 3, 4])
        for b in range(blocks):
            if b == blocks - 1 and rng.random() < 0.5:
                content = ('[{"type":"tool_use","id":"toolu_%d","name":"Bash","input":{"command":"%s"}}]'
                           % (rng.getrandbits(40), self.text(rng.randint(20, 200))))
            else:
                content = '[{"type":"text","text":"%s"}]' % self.text(rng.randint(100, 6000))
            line = (self.common(session, ms, sidechain, cwd) +
                    '"message":{"id":"%s","type":"message","role":"assistant","model":"%s",'
                    '"content":%s,"stop_reason":null,"stop_sequence":null,"usage":%s}'
                    % (mid, model, content, usage))
            if rid:
                line += ',"requestId":"%s"' % rid
            line += ',"type":"assistant","uuid":"a%d","timestamp":"%s"%s}' % (
                rng.getrandbits(48), self.ts(ms + b * 40), extra)
            lines.append(line)
        return lines

    def session(self, project, start_ms, sidechain=False, prefix_lines=None, name=None):
        rng = self.rng
        sid = "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                               rng.getrandbits(12), rng.getrandbits(12),
                                               rng.getrandbits(48))
        cwd = "/home/dev/src/" + project.split("-")[-1]
        lines = list(prefix_lines or [])
        ms = start_ms
        for _ in range(int(rng.paretovariate(1.3) * 8)):
            lines.append(self.user_line(sid, ms, sidechain, cwd, rng.randint(30, 1500)))
            for _ in range(rng.randint(1, 6)):
                ms += rng.randint(2000, 90000)
                lines.extend(self.assistant_lines(sid, ms, sidechain, cwd))
                if rng.random() < 0.6:
                    lines.append(self.tool_result_line(sid, ms + 500, sidechain, cwd,
                                                       rng.choice([200, 2000, 8000, 30000])))
            ms += rng.randint(10000, 600000)
        if rng.random() < 0.02:  # a malformed line in the middle
            i = rng.randint(0, len(lines) - 1)
            lines[i] = lines[i][: len(lines[i]) // 2] + lines[i][len(lines[i]) // 2 + 7:]
        body = "\n".join(lines) + "\n"
        if rng.random() < 0.05:  # truncated last line (crash mid-write)
            last = self.assistant_lines(sid, ms, sidechain, cwd)[0]
            body += last[: len(last) // 2]
        d = os.path.join(self.root, "projects", project)
        os.makedirs(d, exist_ok=True)
        fname = name or (sid + ".jsonl")
        with open(os.path.join(d, fname), "w") as f:
            f.write(body)
        self.bytes += len(body)
        return lines


def main():
    root, size_mb = sys.argv[1], float(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    g = Gen(root, seed)
    target = int(size_mb * 1024 * 1024)
    projects = ["-home-dev-src-" + p for p in
                ["api", "web", "infra", "ml", "docs", "cli", "mobile", "data", "auth", "billing",
                 "search", "payments"]]
    base_ms = 1772323200000  # 2026-03-01T00:00:00Z
    prev = {}
    while g.bytes < target:
        p = g.rng.choice(projects)
        start = base_ms + g.rng.randint(0, 60 * 86400) * 1000
        prefix = None
        if p in prev and g.rng.random() < 0.15:  # resumed session: copies earlier lines
            old = prev[p]
            prefix = old[: g.rng.randint(1, max(1, len(old) // 2))]
        lines = g.session(p, start, prefix_lines=prefix)
        prev[p] = lines
        if g.rng.random() < 0.2:  # a sub-agent transcript with its own responses
            g.session(p, start + 60000, sidechain=True,
                      name="agent-%08x.jsonl" % g.rng.getrandbits(32))
    print("wrote %.1f MB to %s" % (g.bytes / 1048576, root))


if __name__ == "__main__":
    main()
