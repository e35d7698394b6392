// Pages rendered in jsdom against a tiny mock of the API: rows appear, a
// 404 endpoint becomes an explained empty state, viewers are denied review.
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from '../src/lib/api';
import { SessionContext } from '../src/lib/session';
import { LeaderboardPage } from '../src/pages/leaderboard';
import { BudgetsPage } from '../src/pages/budgets';
import { ReviewPage } from '../src/pages/review';

function mockApi(routes: Record<string, (url: URL) => unknown>) {
  const fn = (async (u: string) => {
    const url = new URL(u, 'http://x');
    const h = routes[url.pathname];
    if (!h) return new Response('{"error":"no route"}', { status: 404 });
    return new Response(JSON.stringify(h(url)), { status: 200 });
  }) as unknown as typeof fetch;
  return new Api('k', '', fn);
}

const root = document.createElement('div');
document.body.appendChild(root);
afterEach(() => render(null, root));

async function until(check: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out; DOM: ${root.innerHTML.slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function mount(node: preact.ComponentChild, api: Api, role = 'viewer') {
  render(<SessionContext.Provider value={{ api, who: { role, principal: 'p' }, theme: 'dark' }}>{node}</SessionContext.Provider>, root);
}

describe('LeaderboardPage', () => {
  it('renders the first page of a 100,000-row board with only the visible rows in the DOM', async () => {
    const seen: string[] = [];
    const api = mockApi({
      '/v1/leaderboard': (url) => {
        seen.push(url.search);
        const off = Number(url.searchParams.get('offset') ?? 0);
        return {
          entity: 'user', window: '7d', metric: 'tokens', total_entries: 100_000,
          entries: Array.from({ length: 100 }, (_, i) => ({
            rank: off + i + 1, prev_rank: i === 0 ? null : off + i + 3, id: `user${off + i + 1}`, team: 't1',
            total_tokens: 2.1e12 - i, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0,
            cost_usd: 12_300, requests: 5, outcomes: 1, value: 1, efficiency: 0.5, wasted_tokens: 0, badges: ['Token Legend'],
          })),
        };
      },
    });
    mount(<LeaderboardPage query={{ metric: 'cost' }} />, api);
    await until(() => root.querySelectorAll('[data-testid=board-row]').length > 0);
    const rows = root.querySelectorAll('[data-testid=board-row]');
    expect(rows.length).toBeLessThan(60);  // virtualised: not 100, not 100,000
    expect(rows[0].getAttribute('data-id')).toBe('user1');
    expect(rows[0].textContent).toContain('new');
    expect(rows[1].textContent).toContain('▲2');
    expect(rows[0].querySelector('[data-testid=metric-value]')!.textContent).toBe('$12.3 k');
    expect(rows[0].textContent).toContain('2.1 T');
    expect(rows[0].textContent).toContain('Token Legend');
    expect(root.querySelector('[data-testid=total]')!.textContent).toBe('100 k users');
    expect(seen[0]).toContain('metric=cost');
    expect(seen[0]).toContain('offset=0');
  });

  it('shows where each row\'s tokens came from in its tokens cell', async () => {
    const api = mockApi({
      '/v1/leaderboard': () => ({
        entity: 'user', window: '7d', metric: 'tokens', total_entries: 2,
        entries: [
          { rank: 1, prev_rank: null, id: 'gina', total_tokens: 1550, input_tokens: 0, output_tokens: 0,
            cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: 1, requests: 3, outcomes: 0, value: 0,
            efficiency: 0, wasted_tokens: 0, badges: [], tokens_by_source: { gateway: 1500, otlp: 0, logs: 50, ndjson: 0 } },
          { rank: 2, prev_rank: null, id: 'old', total_tokens: 10, input_tokens: 0, output_tokens: 0,
            cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: 1, requests: 1, outcomes: 0, value: 0,
            efficiency: 0, wasted_tokens: 0, badges: [] },
        ],
      }),
    });
    mount(<LeaderboardPage query={{}} />, api);
    await until(() => root.querySelectorAll('[data-testid=board-row]').length === 2);
    const cells = root.querySelectorAll('[data-testid=tokens]');
    expect(cells[0].getAttribute('title')).toBe('1,550 tokens — by source: gateway 1.5 k, uploaded logs 50');
    expect(cells[1].getAttribute('title')).toBe('10 tokens');  // a server without the split
  });

  it('explains an empty board', async () => {
    const api = mockApi({ '/v1/leaderboard': () => ({ total_entries: 0, entries: [] }) });
    mount(<LeaderboardPage query={{ window: '24h' }} />, api);
    await until(() => root.querySelector('[data-testid=empty]') !== null);
    expect(root.textContent).toContain('No users on the board for last 24 h');
  });
});

describe('BudgetsPage', () => {
  it('shows explained states when governance endpoints are missing', async () => {
    mount(<BudgetsPage />, mockApi({}));
    await until(() => root.querySelectorAll('[data-testid=empty]').length === 4);
    expect(root.textContent).toContain('Allowances is not available on this server');
  });

  it('shows the top spenders\' budgets, fullest first, without duplicates', async () => {
    const budgets: Record<string, unknown[]> = {
      alice: [{ policy: 'user-day', subject: 'user:alice', unit: 'tokens', enforce: 'hard', limit: 100, used: 10, reserved: 0, resets_at: 'rolling' },
              { policy: 'team-usd', subject: 'team:infra', unit: 'usd', enforce: 'soft', limit: 100, used: 90, reserved: 5, resets_at: '2026-12-01T00:00:00Z' }],
      bob: [{ policy: 'team-usd', subject: 'team:infra', unit: 'usd', enforce: 'soft', limit: 100, used: 90, reserved: 5, resets_at: '2026-12-01T00:00:00Z' }],
    };
    mount(<BudgetsPage />, mockApi({
      '/v1/leaderboard': () => ({ total_entries: 2, entries: [{ rank: 1, id: 'alice' }, { rank: 2, id: 'bob' }] }),
      '/v1/allowance': (url) => ({ budgets: budgets[url.searchParams.get('user') ?? ''] ?? [] }),
    }));
    await until(() => root.querySelectorAll('[data-testid=allowances] [data-testid=gauge]').length === 2);
    const g = root.querySelectorAll('[data-testid=allowances] [data-testid=gauge]');
    expect(g[0].textContent).toContain('team-usd');
    expect(g[0].className).toContain('near');
    expect(g[0].textContent).toContain('$95.00 of $100.00');
    expect(g[0].querySelector('.gauge-pct')!.textContent).toBe('95%');
    expect(g[1].textContent).toContain('user-day');
  });
});

describe('ReviewPage', () => {
  it('denies viewers without asking the server', async () => {
    mount(<ReviewPage />, mockApi({}), 'viewer');
    await until(() => root.querySelector('[data-testid=denied]') !== null);
    expect(root.textContent).toContain('for administrators');
  });

  it('lists open flags with evidence for admins', async () => {
    mount(<ReviewPage />, mockApi({
      '/v1/flags': () => ({ flags: [
        { id: 'f1', user: 'bob', date: '2026-11-24', score: 91, flagged: true, state: 'open', tokens: 5e6, wasted_tokens: 4e6,
          reasons: [{ detector: 'idle_loop', score: 90, summary: 'same prompt every 30 s', evidence: { repeats: 480 } }] },
        { id: 'f2', user: 'carol', date: '2026-11-24', score: 12, flagged: false, state: 'open', reasons: [] }] }),
    }), 'admin');
    await until(() => root.querySelector('[data-testid=flag]') !== null);
    expect(root.textContent).toContain('Idle loop');
    expect(root.textContent).toContain('Repeats: 480');
    expect(root.textContent).toContain('same prompt every 30 s');
    expect(root.textContent).toContain('score 91 / 100');
    expect(root.textContent).not.toContain('carol');  // scored but not flagged
    expect(root.querySelector('[data-testid=confirm]')).not.toBeNull();
  });
});
