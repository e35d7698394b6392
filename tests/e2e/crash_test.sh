#!/usr/bin/env bash
# Crash test: sustained ingest from several concurrent clients while the
# server is killed with SIGKILL at random moments (at least 10 times) and
# restarted. Clients retry every unanswered batch with the same ids, as real
# clients do, until it is acknowledged. Then, on a server freshly recovered
# from one more kill -9:
#   - every acknowledged event is stored exactly once (and nothing else is);
#   - user and team leaderboards (tokens, requests, cost, outcomes) equal a
#     recomputation from the acknowledged events.
# Knobs: CRASH_KILLS (default 12), CRASH_CLIENTS (default 4), CRASH_SEED.
source "$(dirname "$0")/lib.sh"

DB="$WORK/crash.db"
INGEST=$(new_key "$DB" ingest)
VIEWER=$(new_key "$DB" viewer)

python3 - "$BURNRATE" "$DB" "$INGEST" "$VIEWER" "$WORK" <<'PY'
import http.client, json, os, random, re, signal, subprocess, sys, threading, time
from collections import defaultdict
from decimal import Decimal

binary, db, ingest_key, viewer_key, work = sys.argv[1:6]
kills = int(os.environ.get("CRASH_KILLS", "12"))
nclients = int(os.environ.get("CRASH_CLIENTS", "4"))
seed = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
print(f"crash_test: seed {seed}, {kills} kills, {nclients} clients", flush=True)
rng = random.Random(seed)
log = open(os.path.join(work, "server.log"), "ab")
t_start = time.time()

class Server:
    def __init__(self):
        self.proc, self.port = None, None

    def start(self):
        # The server picks a free port and prints it; a port chosen here could
        # be taken by a test running alongside before the server binds it.
        for attempt in range(20):
            seen = self.listening_lines()
            self.proc = subprocess.Popen([binary, "serve", "--db", db, "--listen", "127.0.0.1:0"],
                                         stdout=log, stderr=log)
            deadline = time.time() + 30
            while time.time() < deadline and self.proc.poll() is None:
                lines = self.listening_lines()
                if len(lines) > len(seen):
                    self.port = int(lines[-1])
                    try:
                        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                        c.request("GET", "/healthz")
                        if c.getresponse().status == 200:
                            return
                    except OSError:
                        pass
                time.sleep(0.02)
            self.kill9()
        sys.exit("FAIL: server did not start")

    @staticmethod
    def listening_lines():
        log.flush()
        with open(log.name, errors="replace") as f:
            return re.findall(r"listening on http://127\.0\.0\.1:(\d+)", f.read())

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

server = Server()
server.start()

USERS = [(f"user{i:02d}", f"team{i % 5}") for i in range(40)]
acked = {}            # id -> event (dict), every acknowledged event
acked_lock = threading.Lock()
stop = threading.Event()
stats = defaultdict(int)
errors = []

def send(conn_holder, body):
    """POSTs until a 200 answer arrives; returns the parsed answer."""
    while True:
        try:
            if conn_holder[0] is None:
                conn_holder[0] = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
            c = conn_holder[0]
            c.request("POST", "/v1/events", body=body,
                      headers={"Authorization": "Bearer " + ingest_key, "Content-Type": "application/x-ndjson"})
            r = c.getresponse()
            data = r.read()
            if r.status == 200:
                return json.loads(data)
            stats["non200"] += 1  # 503 while stopping: retry
        except (OSError, http.client.HTTPException):
            stats["retries"] += 1
        if conn_holder[0] is not None:
            conn_holder[0].close()
        conn_holder[0] = None
        time.sleep(0.02)

def line(e):
    # cost_usd is kept as its exact decimal text and sent as a JSON number.
    if "cost_usd" not in e:
        return json.dumps(e) + "\n"
    rest = {k: v for k, v in e.items() if k != "cost_usd"}
    return json.dumps(rest)[:-1] + ', "cost_usd": ' + e["cost_usd"] + "}\n"

def client(tid):
    r = random.Random(seed * 100 + tid)
    conn = [None]
    seq = 0
    history = []
    while not stop.is_set():
        if history and r.random() < 0.1:
            batch = r.choice(history)  # a client re-sending an answered batch
            resend = True
        else:
            batch = []
            for _ in range(r.randint(1, 120)):
                seq += 1
                user, team = r.choice(USERS)
                if r.random() < 0.05:
                    batch.append({"type": "outcome", "id": f"c{tid}-{seq}", "user": user, "team": team,
                                  "kind": "commit", "value": 1})
                else:
                    batch.append({"id": f"c{tid}-{seq}", "user": user, "team": team, "model": "claude-sonnet-4-5",
                                  "input_tokens": r.randint(0, 5000), "output_tokens": r.randint(0, 800),
                                  "cache_read_tokens": r.randint(0, 20000),
                                  "cost_usd": "%.6f" % (r.randint(0, 99999) / 1e6)})
            resend = False
        body = "".join(line(e) for e in batch)
        ans = send(conn, body)
        if ans["rejected"] or ans["accepted"] + ans["duplicates"] != len(batch):
            errors.append(f"bad answer {ans} for a batch of {len(batch)}")
        if resend and ans["accepted"] != 0:
            errors.append(f"a re-sent batch was accepted again: {ans}")
        with acked_lock:
            for e in batch:
                acked[e["id"]] = e
            stats["batches"] += 1
            stats["accepted"] += ans["accepted"]
            stats["duplicates"] += ans["duplicates"]
        if not resend:
            history.append(batch)
            history = history[-50:]

threads = [threading.Thread(target=client, args=(t,)) for t in range(nclients)]
for t in threads:
    t.start()
for k in range(kills):
    time.sleep(rng.uniform(0.2, 2.5))
    server.kill9()
    stats["kills"] += 1
    server.start()
time.sleep(1)
stop.set()
for t in threads:
    t.join(timeout=120)
    if t.is_alive():
        sys.exit("FAIL: a client did not finish")
# One more kill after the last acknowledgement, then verify a recovered server.
server.kill9()
stats["kills"] += 1
server.start()
print(f"crash_test: {dict(stats)} in {time.time() - t_start:.1f}s; {len(acked)} acknowledged events", flush=True)
if errors:
    sys.exit("FAIL: " + "; ".join(errors[:5]))
if stats["kills"] < 10:
    sys.exit("FAIL: fewer than 10 kills")

# 1. Exactly once, on disk, as `burnrate events` reads the file (read-only
#    while the server runs: WAL allows it).
dump = subprocess.run([binary, "events", "--db", db], capture_output=True, text=True)
if dump.returncode != 0:
    sys.exit(f"FAIL: burnrate events: {dump.stderr}")
stored_events = [json.loads(l) for l in dump.stdout.splitlines()]
counts = defaultdict(int)
for e in stored_events:
    counts[e["id"]] += 1
dups = [(i, n) for i, n in counts.items() if n > 1][:5]
if dups:
    sys.exit(f"FAIL: events stored more than once: {dups}")
stored = set(counts)
missing = set(acked) - stored
if missing:
    sys.exit(f"FAIL: {len(missing)} acknowledged events are missing, e.g. {sorted(missing)[:5]}")
extra = stored - set(acked)
if extra:
    sys.exit(f"FAIL: {len(extra)} stored events were never sent: {sorted(extra)[:5]}")
for e in stored_events:  # and stored as sent
    a = acked[e["id"]]
    fields = ("user", "team") + (("kind",) if a.get("type") == "outcome" else ("input_tokens", "output_tokens", "cache_read_tokens"))
    if any(e[f] != a[f] for f in fields) or ("cost_usd" in a and Decimal(a["cost_usd"]) != Decimal(str(e["cost_nanos"])) / 10**9):
        sys.exit(f"FAIL: stored event differs from the sent one: {e} vs {a}")
count = subprocess.run([binary, "events", "--db", db, "--count"], capture_output=True, text=True, check=True).stdout
if int(count) != len(stored_events):
    sys.exit(f"FAIL: events --count says {count.strip()}, the dump has {len(stored_events)}")
print(f"crash_test: all {len(acked)} acknowledged events stored exactly once", flush=True)

# 2. Aggregates equal a recomputation from the acknowledged events.
want = {"user": defaultdict(lambda: defaultdict(Decimal)), "team": defaultdict(lambda: defaultdict(Decimal))}
for e in acked.values():
    for entity, key in (("user", e["user"]), ("team", e["team"])):
        w = want[entity][key]
        if e.get("type") == "outcome":
            w["outcomes"] += 1
            continue
        w["input_tokens"] += e["input_tokens"]
        w["output_tokens"] += e["output_tokens"]
        w["cache_read_tokens"] += e["cache_read_tokens"]
        w["total_tokens"] += e["input_tokens"] + e["output_tokens"] + e["cache_read_tokens"]
        w["requests"] += 1
        w["cost_usd"] += Decimal(e["cost_usd"])

def board(entity):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.request("GET", f"/v1/leaderboard?entity={entity}&window=all&metric=tokens&limit=10000",
              headers={"Authorization": "Bearer " + viewer_key})
    r = c.getresponse()
    assert r.status == 200, r.read()
    return json.loads(r.read(), parse_float=Decimal)

for entity in ("user", "team"):
    got = {e["id"]: e for e in board(entity)["entries"]}
    if set(got) != set(want[entity]):
        sys.exit(f"FAIL: {entity} board ids differ: {sorted(set(got) ^ set(want[entity]))[:5]}")
    for key, w in want[entity].items():
        for field in ("input_tokens", "output_tokens", "cache_read_tokens", "total_tokens", "requests", "cost_usd", "outcomes"):
            if Decimal(got[key][field]) != w[field]:
                sys.exit(f"FAIL: {entity} {key} {field}: board {got[key][field]}, recomputed {w[field]}")
    ranks = [e["rank"] for e in sorted(got.values(), key=lambda e: e["rank"])]
    if ranks != list(range(1, len(got) + 1)):
        sys.exit(f"FAIL: {entity} ranks are not 1..n: {ranks}")
print("crash_test: user and team boards equal the recomputation", flush=True)
server.proc.send_signal(signal.SIGTERM)
server.proc.wait(timeout=30)
PY
echo "crash_test: passed"
