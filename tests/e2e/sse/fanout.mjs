// Opens N server-sent-event subscribers to /v1/stream/leaderboard, posts
// events, and measures, per subscriber, the time from the POST's
// acknowledgement to the first frame that shows the new event. No npm
// dependencies: plain node:http.
//
// Usage: node fanout.mjs <base-url> <api-key> [subscribers=200] [rounds=5]
// Prints a JSON summary; exits 1 if any frame is missing or later than 1 s.
import http from 'node:http';

const [base, key, nArg, roundsArg] = process.argv.slice(2);
const N = Number(nArg ?? 200);
const ROUNDS = Number(roundsArg ?? 5);
const LIMIT_MS = 1000;
const url = new URL(base);
const headers = { Authorization: `Bearer ${key}` };

function subscribe(i) {
  return new Promise((resolve, reject) => {
    const sub = { i, buf: '', frames: 0, waiters: [] };
    const req = http.get(
      { host: url.hostname, port: url.port, agent: false, headers,
        path: '/v1/stream/leaderboard?entity=user&window=24h&metric=tokens&limit=20' },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`subscriber ${i}: HTTP ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          sub.buf += chunk;
          let end;
          while ((end = sub.buf.indexOf('\n\n')) >= 0) {
            const frame = sub.buf.slice(0, end);
            sub.buf = sub.buf.slice(end + 2);
            const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
            sub.frames++;
            if (sub.frames === 1) resolve(sub);
            const now = performance.now();
            sub.waiters = sub.waiters.filter((w) => {
              if (!data.includes(w.marker)) return true;
              w.done(now);
              return false;
            });
          }
        });
      });
    req.on('error', reject);
    sub.req = req;
  });
}

function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: 'POST', path: '/v1/events', agent: false,
        headers: { ...headers, 'Content-Type': 'application/x-ndjson' } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => (res.statusCode === 200 && text.includes('"accepted":1') ? resolve(performance.now()) : reject(new Error(text))));
      });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

const t0 = performance.now();
const subs = await Promise.all(Array.from({ length: N }, (_, i) => subscribe(i)));
const connectMs = performance.now() - t0;
const latencies = [];
let missing = 0;
for (let r = 0; r < ROUNDS; r++) {
  const marker = `sse-probe-${Date.now()}-${r}`;
  // A large usage so the probe user enters the top 20 at once.
  const arrivals = subs.map((s) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 3000);
    s.waiters.push({ marker, done: (t) => { clearTimeout(timer); resolve(t); } });
  }));
  const line = JSON.stringify({ type: 'usage', id: marker, user: marker, model: 'claude-sonnet-4-5',
                                input_tokens: 40_000_000 + r, output_tokens: 1 });
  const acked = await post(line + '\n');
  for (const t of await Promise.all(arrivals)) {
    if (t === null) missing++;
    else latencies.push(Math.max(0, t - acked));
  }
}
for (const s of subs) s.req.destroy();
latencies.sort((a, b) => a - b);
const summary = {
  subscribers: N, rounds: ROUNDS, connect_ms: Math.round(connectMs), missing,
  p50_ms: Math.round(pct(latencies, 50)), p95_ms: Math.round(pct(latencies, 95)),
  p99_ms: Math.round(pct(latencies, 99)), max_ms: Math.round(latencies[latencies.length - 1] ?? -1),
};
console.log(JSON.stringify(summary));
process.exit(missing === 0 && summary.max_ms < LIMIT_MS ? 0 : 1);
