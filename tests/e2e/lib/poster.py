# A client of the failure drills (sourced by no one; run by the tests):
# posts batches of events with unique ids to POST /v1/events from THREADS
# threads until STOP_FILE exists, and records every answer.
#   poster.py BASE KEY PREFIX OUT STOP_FILE [THREADS] [BATCH]
# OUT gets one line per attempt: "<batch> <status> <retry-after or ->";
# status 0 means the connection failed. A batch answered 200 is
# acknowledged; its ids are PREFIX-<batch>-<i>. An unacknowledged batch is
# tried again (as a client that retries would), a new one follows an
# acknowledged one.
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

base, key, prefix, out, stop = sys.argv[1:6]
threads = int(sys.argv[6]) if len(sys.argv) > 6 else 4
batch_size = int(sys.argv[7]) if len(sys.argv) > 7 else 100
url = urllib.parse.urlparse(base)
lock = threading.Lock()
log = open(out, "a", buffering=1)


def body(batch):
    now = int(time.time() * 1000)
    lines = []
    for i in range(batch_size):
        n = batch * batch_size + i
        lines.append(json.dumps({"id": f"{prefix}-{batch}-{i}", "user": f"u{n % 20}", "team": f"t{n % 4}",
                                 "model": "claude-sonnet-4-5", "ts": now - (n % 600) * 1000,
                                 "input_tokens": 100 + n % 1000, "output_tokens": 10 + n % 97}))
    return "\n".join(lines) + "\n"


def run(worker):
    batch = worker * 1_000_000
    while not os.path.exists(stop):
        status, retry = 0, "-"
        try:
            c = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            c.request("POST", "/v1/events", body(batch),
                      {"Authorization": "Bearer " + key, "Content-Type": "application/x-ndjson"})
            r = c.getresponse()
            r.read()
            status, retry = r.status, r.getheader("Retry-After") or "-"
            c.close()
        except OSError:
            pass
        with lock:
            log.write(f"{batch} {status} {retry}\n")
        if status == 200:
            batch += 1
        else:
            time.sleep(0.05)


ts = [threading.Thread(target=run, args=(w,)) for w in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
