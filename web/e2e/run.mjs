// End-to-end test of the dashboard: real `burnrate serve` seeded by
// `burnrate simulate`, driven by Debian's chromium through playwright-core.
//
// Steps: log in, switch windows / metrics / entities, search, open a profile,
// post an event and see the live board update within 2 s, confirm a flag as
// admin, see a viewer denied the review queue. A screenshot of every page
// goes to $SCREENSHOTS (default build/screenshots). Exits non-zero on the
// first failed step and prints PASS/FAIL per step.
//
// Env: BURNRATE (binary, default build/burnrate), WEB_DIR (default web/dist),
// CHROMIUM (default /usr/bin/chromium), SCREENSHOTS, E2E_USERS (default 200),
// E2E_KEEP=1 to keep the temp dir, E2E_PERF_USERS=100000 to add that many
// users through POST /v1/events and measure scrolling the whole board.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BURNRATE = resolve(process.env.BURNRATE ?? join(repo, 'build', 'burnrate'));
const WEB_DIR = resolve(process.env.WEB_DIR ?? join(repo, 'web', 'dist'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = resolve(process.env.SCREENSHOTS ?? join(repo, 'build', 'screenshots'));
const USERS = process.env.E2E_USERS ?? '200';
const PERF_USERS = Number(process.env.E2E_PERF_USERS ?? '0');
const tmp = mkdtempSync(join(tmpdir(), 'burnrate-web-e2e-'));
const db = join(tmp, 'x.db');
mkdirSync(SHOTS, { recursive: true });

let server = null;
let browserCtx = null;
const results = [];
const timings = {};

function log(...a) { console.log('[web-e2e]', ...a); }

// The server picks its own port (--listen 127.0.0.1:0) and prints it: a port
// found free here and bound later could be taken in between by another test.
async function listeningPort(log, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server printed no port after ${ms} ms:\n${log().slice(-2000)}`);
}

function createKey(role) {
  const out = execFileSync(BURNRATE, ['keys', 'create', '--db', db, '--role', role, '--label', `e2e-${role}`],
                           { encoding: 'utf8' });
  // The key is printed on stdout; take the last token that looks like one.
  const tokens = out.split(/\s+/).filter((t) => t.length >= 16);
  if (!tokens.length) throw new Error(`keys create printed no key: ${out}`);
  return tokens[tokens.length - 1];
}

async function waitReady(base, key, ms = 20000) {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    try {
      const r = await fetch(`${base}/v1/whoami`, { headers: { Authorization: `Bearer ${key}` } });
      if (r.ok) return;
      last = `${r.status}`;
    } catch (e) { last = e.message; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready after ${ms} ms (${last})`);
}

async function api(base, key, path, init = {}) {
  const r = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: r.status, body };
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true, ms: Date.now() - t0, note });
    log(`PASS ${name} (${Date.now() - t0} ms)${note ? ` — ${note}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - t0, note: e.message });
    log(`FAIL ${name}: ${e.stack ?? e.message}`);
    throw e;
  }
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

async function shot(page, name) {
  await page.waitForTimeout(150);  // let charts and flashes settle
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function rows(page) {
  return page.$$eval('[data-testid=board-row]', (els) => els.map((e) => ({
    id: e.getAttribute('data-id'), rank: Number(e.getAttribute('data-rank')),
    metric: e.querySelector('[data-testid=metric-value]')?.textContent ?? '',
  })));
}

async function waitRows(page) {
  await page.waitForSelector('[data-testid=board-row]', { timeout: 10000 });
}

async function login(page, base, key) {
  await page.goto(`${base}/`);
  await page.waitForSelector('[data-testid=login]');
  await page.fill('#key', key);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=role]', { timeout: 10000 });
}

async function main() {
  log(`binary ${BURNRATE}, web ${WEB_DIR}, tmp ${tmp}`);
  const admin = createKey('admin');
  const viewer = createKey('viewer');
  const ingest = createKey('ingest');

  // Badges are evaluated every 2 s instead of 30 s so the profile shows them.
  const config = join(tmp, 'burnrate.toml');
  writeFileSync(config, '[badge_evaluation]\ninterval_seconds = 2\n');
  server = spawn(BURNRATE, ['serve', '--config', config, '--db', db, '--listen', '127.0.0.1:0', '--web-dir', WEB_DIR],
                 { stdio: ['ignore', 'pipe', 'pipe'] });
  let serverLog = '';
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  server.on('exit', (code) => { if (code !== null && code !== 0) log(`server exited ${code}:\n${serverLog.slice(-2000)}`); });
  const base = `http://127.0.0.1:${await listeningPort(() => serverLog)}`;
  await waitReady(base, admin);

  await step('governance: budgets before seeding, so usage counts against them', async () => {
    const policies = [
      { id: 'e2e-user-month-usd', scope: 'user', limit_usd: 400, period: 'month', enforce: 'soft' },
      { id: 'e2e-team-week-tokens', scope: 'team', subject: 'team-5', limit_tokens: 2_000_000_000, period: 'week' },
      { id: 'e2e-tiny', scope: 'user', subject: 'zz-denied', limit_tokens: 10, period: 'day', enforce: 'hard' },
    ];
    for (const p of policies) {
      const r = await api(base, admin, '/v1/policies', { method: 'POST', body: JSON.stringify(p),
                                                         headers: { 'Content-Type': 'application/json' } });
      assert(r.status === 201 || r.status === 200, `POST /v1/policies ${p.id}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    return `${policies.length} policies`;
  });

  await step(`seed: simulate --users ${USERS} --days 7`, async () => {
    const t0 = Date.now();
    execFileSync(BURNRATE, ['simulate', '--users', USERS, '--days', '7', '--seed', '1', '--server', base, '--key', admin],
                 { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300000 });
    timings.seed_ms = Date.now() - t0;
    const b = await api(base, admin, '/v1/leaderboard?entity=user&window=7d&metric=tokens&limit=5');
    assert(b.status === 200 && b.body.total_entries > 0, `board empty after seeding: ${JSON.stringify(b.body).slice(0, 200)}`);
    return `${b.body.total_entries} users on the 7d board`;
  });

  await step('seed: a prompt farmer and a denied request', async () => {
    // 240 identical prompts every 30 s with no outcomes: the repetitive-prompts
    // detector flags this (scoring runs every minute).
    const now = Date.now();
    const lines = Array.from({ length: 240 }, (_, i) => JSON.stringify({
      id: `e2e-farm-${i}`, ts: new Date(now - (240 - i) * 30_000).toISOString(), user: 'zz-farmer', team: 'team-1',
      model: 'claude-sonnet-4-5', input_tokens: 20_000, output_tokens: 8_000, session: 'farm-1',
      prompt: { text: 'Keep writing. Write ten thousand more words about anything at all, do not stop.' } }));
    const r = await api(base, ingest, '/v1/events', { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' },
                                                      body: lines.join('\n') + '\n' });
    assert(r.status === 200 && r.body.accepted === 240, `farmer events: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    const c = await api(base, admin, '/v1/check', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'zz-denied', model: 'claude-sonnet-4-5', estimated_tokens: 1000 }) });
    assert(c.body.decision === 'deny', `check for zz-denied: ${JSON.stringify(c.body)}`);
  });

  const userDir = mkdtempSync(join(tmp, 'chromium-'));
  browserCtx = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
    colorScheme: 'dark',  // the dashboard follows the OS theme until the user picks one
  });
  const page = browserCtx.pages()[0] ?? await browserCtx.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await step('login page and first load size', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('[data-testid=login]');
    await shot(page, '01-login');
    const res = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((r) => r.name.endsWith('.js')).map((r) => ({ name: r.name, transfer: r.transferSize, body: r.encodedBodySize })));
    timings.first_load_js_bytes = res.reduce((s, r) => s + r.body, 0);
    return `JS over the wire ${(timings.first_load_js_bytes / 1024).toFixed(1)} KB (server compression as served)`;
  });

  await step('bad key is refused with a message', async () => {
    await page.fill('#key', 'not-a-key');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
  });

  await step('log in as admin and see the leaderboard', async () => {
    await page.fill('#key', admin);
    const t0 = Date.now();
    await page.click('button[type=submit]');
    await waitRows(page);
    timings.login_to_rows_ms = Date.now() - t0;
    const role = await page.textContent('[data-testid=role]');
    assert(role === 'admin', `role shows ${role}`);
    const r = await rows(page);
    assert(r[0].rank === 1, `first row rank ${r[0].rank}`);
    await shot(page, '02-leaderboard-users-7d-tokens');
    return `${r.length} rows rendered, first ${r[0].id}`;
  });

  for (const [window, metric] of [['24h', 'tokens'], ['30d', 'cost'], ['all', 'requests'], ['7d', 'value']]) {
    await step(`switch to window ${window}, metric ${metric}`, async () => {
      await page.click(`[data-testid=window] button[data-value="${window}"]`);
      await page.click(`[data-testid=metric] button[data-value="${metric}"]`);
      await page.waitForFunction(([w, m]) => location.hash.includes(`window=${w}`) && location.hash.includes(`metric=${m}`),
                                 [window, metric]);
      const want = await api(base, admin, `/v1/leaderboard?entity=user&window=${window}&metric=${metric}&limit=3`);
      assert(want.status === 200, `API ${want.status}`);
      if (want.body.entries.length === 0) {
        await page.waitForSelector('[data-testid=empty]');
        return 'empty window, explained';
      }
      await page.waitForFunction((id) => document.querySelector('[data-testid=board-row]')?.getAttribute('data-id') === id,
                                 want.body.entries[0].id, { timeout: 5000 });
      const r = await rows(page);
      if (metric === 'cost') assert(r[0].metric.startsWith('$'), `cost shown as ${r[0].metric}`);
      await shot(page, `03-leaderboard-${window}-${metric}`);
      return `top ${r[0].id} = ${r[0].metric}`;
    });
  }

  await step('search by name', async () => {
    await page.click('[data-testid=metric] button[data-value="tokens"]');
    await waitRows(page);
    const r = await rows(page);
    const target = r[Math.min(4, r.length - 1)].id;
    const needle = target.split('@')[0];  // e.g. "user41": matches user41, user410...
    await page.fill('[data-testid=search]', needle);
    await page.waitForFunction((n) => location.hash.includes(`q=${encodeURIComponent(n)}`), needle);
    await page.waitForFunction((n) => {
      const ids = [...document.querySelectorAll('[data-testid=board-row]')].map((e) => e.getAttribute('data-id'));
      return ids.length > 0 && ids.every((id) => id.includes(n));
    }, needle, { timeout: 5000 });
    const matched = (await rows(page)).length;
    const total = await page.textContent('[data-testid=total]');
    assert(matched < r.length || r.length < 10, `search for ${needle} did not narrow the board`);
    assert((await page.getAttribute('[data-testid=live-status]', 'data-state')) === 'off', 'live stays on while searching');
    await shot(page, '04-leaderboard-search');
    await page.fill('[data-testid=search]', '');
    await page.waitForFunction(() => !location.hash.includes('q='));
    return `"${needle}" matched ${matched} rows (${total})`;
  });

  await step('team and org boards', async () => {
    for (const entity of ['team', 'org', 'model']) {
      await page.click(`[data-testid=entity] button[data-value="${entity}"]`);
      await page.waitForFunction((e) => location.hash.includes(`entity=${e}`), entity);
      await waitRows(page);
      await shot(page, `05-leaderboard-${entity}s`);
    }
    await page.click('[data-testid=board-row] .c-name a');  // the top model's page
    await page.waitForSelector('[data-testid=group]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=group] .state.loading'), null, { timeout: 10000 });
    await shot(page, '05-model');
    await page.goto(`${base}/#/leaderboard?entity=team&window=7d`);
    await waitRows(page);
    await page.click('[data-testid=board-row] .c-name a');
    await page.waitForSelector('[data-testid=group]');
    await page.waitForSelector('[data-testid=members] table, [data-testid=members] [data-testid=empty]', { timeout: 10000 });
    await page.waitForSelector('[data-testid=group-trend] canvas, [data-testid=group-trend] .state:not(.loading)', { timeout: 10000 });
    await shot(page, '06-team');
  });

  await step('open a profile', async () => {
    await page.goto(`${base}/#/leaderboard?entity=user&window=30d&metric=tokens`);
    await waitRows(page);
    // Token Legend (top 1% of 30 days) is awarded within seconds of seeding.
    await page.waitForSelector('[data-testid=board-row] .badge', { timeout: 10000 });
    await shot(page, '07-leaderboard-badges');
    const first = (await rows(page))[0].id;
    await page.click(`[data-testid=board-row][data-id="${first}"] .c-name a`);
    await page.waitForSelector('[data-testid=profile]');
    await page.waitForSelector('[data-testid=usage-chart] canvas', { timeout: 10000 });
    const text = await page.textContent('[data-testid=profile]');
    assert(/tokens per hour/.test(text), 'chart has no unit label');
    await page.waitForSelector('[data-testid=badges] .badge', { timeout: 5000 });
    await page.waitForSelector('[data-testid=ranks]');
    await page.waitForSelector('[data-testid=budgets-gauges] [data-testid=gauge]');
    await shot(page, '07-profile');
    return first;
  });

  await step('live update arrives within 2 s of posting an event', async () => {
    await page.goto(`${base}/#/leaderboard?entity=user&window=24h&metric=tokens`);
    await waitRows(page);
    await page.waitForSelector('[data-testid=live-status][data-state=live]', { timeout: 10000 });
    const top = await api(base, admin, '/v1/leaderboard?entity=user&window=24h&metric=tokens&limit=1');
    // One request's tokens are capped (50 M), so a few events take the top spot.
    const need = (top.body.entries[0]?.total_tokens ?? 0) + 1_000_000;
    // At most 1.5 M input tokens per event: more than a model's context is
    // implausible usage, which detection flags (and this user is honest).
    const n = Math.max(1, Math.ceil(need / 1_500_000));
    const stamp = Date.now();
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({
      id: `e2e-live-${stamp}-${i}`, ts: new Date().toISOString(), user: 'zz-live-e2e', team: 'e2e',
      model: 'claude-sonnet-4-5', input_tokens: Math.ceil(need / n), output_tokens: 1000 }));
    const t0 = Date.now();
    const post = await api(base, ingest, '/v1/events', {
      method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body: lines.join('\n') + '\n' });
    assert(post.status >= 200 && post.status < 300 && post.body.accepted === n,
           `POST /v1/events ${post.status} ${JSON.stringify(post.body)}`);
    await page.waitForSelector('[data-testid=board-row][data-id="zz-live-e2e"]', { timeout: 2000 });
    timings.live_update_ms = Date.now() - t0;
    const rank = await page.getAttribute('[data-testid=board-row][data-id="zz-live-e2e"]', 'data-rank');
    assert(rank === '1', `live user at rank ${rank}`);
    await shot(page, '08-leaderboard-live');
    return `row appeared ${timings.live_update_ms} ms after POST`;
  });

  await step('overview and budgets pages', async () => {
    await page.goto(`${base}/#/overview`);
    await page.waitForSelector('[data-testid=overview] canvas, [data-testid=overview] .state', { timeout: 10000 });
    await shot(page, '09-overview');
    await page.goto(`${base}/#/budgets`);
    await page.waitForSelector('[data-testid=allowances] .gauge, [data-testid=allowances] .state:not(.loading)', { timeout: 10000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid=budgets] .state.loading'), null, { timeout: 10000 });
    assert(await page.$('[data-testid=allowances] [data-testid=gauge]'), 'no budget gauges for the top spenders');
    assert((await page.textContent('[data-testid=denials]')).includes('zz-denied'), 'the denial is not listed');
    await shot(page, '10-budgets');
  });

  await step('admin confirms a flag with a note', async () => {
    await page.goto(`${base}/#/review`);
    await page.waitForSelector('[data-testid=review]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=review] .state.loading'), null, { timeout: 10000 });
    // Detection scores today every minute: wait for the farmer's flag.
    const t0 = Date.now();
    let id;
    for (;;) {
      const f = await api(base, admin, '/v1/flags?window=1d&user=zz-farmer');
      assert(f.status === 200, `GET /v1/flags ${f.status} ${JSON.stringify(f.body)}`);
      id = (f.body.flags ?? []).find((x) => x.flagged && x.state === 'open')?.id;
      if (id) break;
      assert(Date.now() - t0 < 100_000, 'no flag for zz-farmer after 100 s');
      await new Promise((r) => setTimeout(r, 2000));
    }
    timings.flag_wait_ms = Date.now() - t0;
    // A reload, not two hash changes: those can coalesce into one render
    // that keeps the page (and its empty list) mounted.
    await page.reload();
    // The farmer's card: other users may be flagged too.
    const sel = `[data-testid=flag][data-id="${id}"][data-status=open]`;
    await page.waitForSelector(sel, { timeout: 10000 });
    await shot(page, '11-review');
    const card = await page.$(sel);
    await card.$eval('input.note', (el) => el.focus());
    await page.keyboard.type('e2e: scripted idle loop');
    await (await card.$('[data-testid=confirm]')).click();
    await page.waitForSelector(`[data-testid=flag][data-id="${id}"][data-status=confirmed]`, { timeout: 5000 });
    await shot(page, '12-review-confirmed');
    const after = await api(base, admin, '/v1/flags?window=30d');
    // One audit entry per flag event: `flag.confirmed`, or governance's `flag`
    // throttle change carrying "confirmed" when the review moved the throttle.
    const audit = await api(base, admin, '/v1/audit?subject=user:zz-farmer');
    const list = Array.isArray(after.body) ? after.body : (after.body.flags ?? after.body.items ?? []);
    const f = list.find((x) => String(x.id) === id);
    assert(f && /confirm/i.test(f.status ?? f.state ?? ''), `flag ${id} not confirmed on the server: ${JSON.stringify(f)}`);
    const confirmations = (audit.body.entries ?? []).filter(
      (e) => e.actor !== 'detect' && (e.action === 'flag.confirmed' || (e.action === 'flag' && /confirmed/.test(e.reason ?? ''))));
    assert(confirmations.length === 1, `want one audit entry for the confirmation: ${JSON.stringify(audit.body).slice(0, 400)}`);
    return `flag ${id} confirmed (waited ${timings.flag_wait_ms} ms for scoring)`;
  });

  await step('light theme and narrow screen', async () => {
    await page.goto(`${base}/#/leaderboard?entity=user&window=7d&metric=tokens`);
    await waitRows(page);
    const before = await page.evaluate(() => document.documentElement.dataset.theme);
    assert(before === 'dark', `theme before toggling: ${before}`);
    await page.click('[data-testid=theme]');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    await shot(page, '13-leaderboard-light');
    await page.goto(`${base}/#/overview`);
    await page.waitForSelector('[data-testid=overview] canvas, [data-testid=overview] .state:not(.loading)', { timeout: 10000 });
    await shot(page, '14-overview-light');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/#/leaderboard?entity=user&window=7d&metric=cost`);
    await waitRows(page);
    await shot(page, '15-leaderboard-mobile');
    await page.click('[data-testid=theme]');
    await page.setViewportSize({ width: 1400, height: 900 });
  });

  await step('scrolling the board renders only visible rows', async () => {
    await page.goto(`${base}/#/leaderboard?entity=user&window=7d&metric=tokens`);
    await waitRows(page);
    const m = await page.evaluate(async () => {
      const el = document.querySelector('.board');
      const frames = [];
      let last = performance.now();
      for (let i = 0; i < 60; i++) {
        el.scrollTop = (el.scrollHeight - el.clientHeight) * (i / 59);
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        frames.push(now - last);
        last = now;
      }
      frames.sort((a, b) => a - b);
      return { rowsInDom: document.querySelectorAll('[data-testid=board-row], .board-row.placeholder').length,
               p50: frames[30], p95: frames[57], max: frames[59] };
    });
    timings.scroll = m;
    assert(m.rowsInDom < 80, `${m.rowsInDom} rows in the DOM`);
    return `frame p50 ${m.p50.toFixed(1)} ms, p95 ${m.p95.toFixed(1)} ms, ${m.rowsInDom} rows in DOM`;
  });

  await step('viewer is denied the review queue', async () => {
    const vpage = await browserCtx.newPage();  // new tab: its own sessionStorage
    vpage.on('pageerror', (e) => pageErrors.push(e.message));
    await login(vpage, base, viewer);
    assert((await vpage.textContent('[data-testid=role]')) === 'viewer', 'not logged in as viewer');
    await vpage.goto(`${base}/#/review`);
    await vpage.waitForSelector('[data-testid=denied]');
    await shot(vpage, '16-viewer-review-denied');
    const r = await api(base, viewer, '/v1/flags/1/confirm', { method: 'POST', body: '{"note":"x"}',
                                                              headers: { 'Content-Type': 'application/json' } });
    assert(r.status === 403, `viewer POST confirm answered ${r.status}`);
    await vpage.goto(`${base}/#/leaderboard`);
    await waitRows(vpage);
    await vpage.close();
    return `server answered the viewer's confirm with ${r.status}`;
  });

  if (PERF_USERS > 0) await perfSteps(page, base, ingest, admin);

  await step('no uncaught errors in the page', async () => {
    assert(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
  });
}

// Adds PERF_USERS users through the real ingest path (one usage event each,
// NDJSON batches of 5,000), then scrolls the full board in the browser and
// records frame times and long tasks.
async function perfSteps(page, base, ingest, admin) {
  await step(`perf: ingest ${PERF_USERS} extra users`, async () => {
    const t0 = Date.now();
    const now = Date.now();
    for (let b = 0; b < PERF_USERS; b += 5000) {
      const lines = [];
      for (let i = b; i < Math.min(PERF_USERS, b + 5000); i++) {
        lines.push(JSON.stringify({ id: `perf-${i}`, ts: now - (i % 3600) * 1000, user: `perf-user-${String(i).padStart(6, '0')}`,
                                    team: `perf-team-${i % 500}`, model: 'claude-sonnet-4-5',
                                    input_tokens: 1000 + ((i * 7919) % 100000), output_tokens: 100 + (i % 977) }));
      }
      const r = await api(base, ingest, '/v1/events', { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' },
                                                        body: lines.join('\n') + '\n' });
      assert(r.status >= 200 && r.status < 300 && r.body.accepted + r.body.duplicates === lines.length,
             `POST /v1/events batch ${b}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    timings.perf_ingest_ms = Date.now() - t0;
    // The engine applies acknowledged events on its own thread: wait for it.
    let q;
    for (;;) {
      q = await api(base, admin, '/v1/leaderboard?entity=user&window=24h&metric=tokens&limit=1');
      if (q.body.total_entries >= PERF_USERS) break;
      assert(Date.now() - t0 < 180_000, `board has ${q.body.total_entries} users after 180 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    timings.perf_applied_ms = Date.now() - t0;
    const t1 = Date.now();
    await api(base, admin, '/v1/leaderboard?entity=user&window=24h&metric=tokens&limit=100&offset=50000');
    timings.perf_board_page_ms = Date.now() - t1;
    return `${q.body.total_entries} users on the 24h board; ingest ${timings.perf_ingest_ms} ms`;
  });

  await step(`perf: scroll a ${PERF_USERS}-user board`, async () => {
    await page.goto(`${base}/#/leaderboard?entity=user&window=24h&metric=tokens`);
    await waitRows(page);
    const m = await page.evaluate(async () => {
      const long = [];
      const po = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
      try { po.observe({ type: 'longtask', buffered: false }); } catch { /* not supported */ }
      const el = document.querySelector('.board');
      const frames = [];
      const max = el.scrollHeight - el.clientHeight;
      let last = performance.now();
      // Steady scroll: 240 frames at 2,000 px/frame, then 60 random jumps.
      for (let i = 0; i < 300; i++) {
        el.scrollTop = i < 240 ? i * 2000 : Math.floor(Math.random() * max);
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        frames.push(now - last);
        last = now;
      }
      // Deep row resolves from the server.
      el.scrollTop = Math.floor(max * 0.73);
      const t0 = performance.now();
      while (!document.querySelector('[data-testid=board-row]') || document.querySelector('.board-row.placeholder')) {
        await new Promise((r) => setTimeout(r, 5));
        if (performance.now() - t0 > 5000) break;
      }
      const deepLoadMs = performance.now() - t0;
      po.disconnect();
      frames.sort((a, b) => a - b);
      const pick = (q) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))];
      return { frames: frames.length, p50: pick(0.5), p95: pick(0.95), p99: pick(0.99), max: frames[frames.length - 1],
               over50: frames.filter((f) => f > 50).length, longTasks: long.length, longestTask: Math.max(0, ...long),
               rowsInDom: document.querySelectorAll('.board-row').length, deepLoadMs, scrollHeight: el.scrollHeight };
    });
    timings.perf_scroll = m;
    await shot(page, '17-leaderboard-100k-deep');
    assert(m.rowsInDom < 80, `${m.rowsInDom} rows in the DOM`);
    return `frames p50 ${m.p50.toFixed(1)} / p95 ${m.p95.toFixed(1)} / max ${m.max.toFixed(1)} ms, ` +
           `${m.over50} frames > 50 ms, ${m.longTasks} long tasks, deep page ${m.deepLoadMs.toFixed(0)} ms`;
  });
}

let code = 0;
try {
  await main();
} catch (e) {
  code = 1;
  if (!results.length || results[results.length - 1].ok) log(`FAIL setup: ${e.stack ?? e.message}`);
} finally {
  await browserCtx?.close().catch(() => {});
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => { server.on('exit', r); setTimeout(r, 3000); });
  }
  writeFileSync(join(SHOTS, 'results.json'), JSON.stringify({ results, timings }, null, 2));
  if (!process.env.E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
  const failed = results.filter((r) => !r.ok).length;
  log(`${results.length - failed} passed, ${failed} failed; screenshots in ${SHOTS}`);
  log(`timings ${JSON.stringify(timings)}`);
}
process.exit(code);
