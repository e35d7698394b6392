// The API client against a tiny in-process mock of the server's answers.
import { describe, expect, it } from 'vitest';
import { Api, ApiError, listOf, query } from '../src/lib/api';

function mockFetch(routes: Record<string, { status?: number; body: unknown }>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const path = url.split('?')[0];
    const r = routes[path];
    if (!r) return new Response(JSON.stringify({ error: 'not found' }), { status: 404 });
    return new Response(typeof r.body === 'string' ? r.body : JSON.stringify(r.body), { status: r.status ?? 200 });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

describe('Api', () => {
  it('sends the key as a bearer token and builds queries', async () => {
    const m = mockFetch({ '/v1/leaderboard': { body: { entries: [], total_entries: 0 } } });
    const api = new Api('k123', '', m.fn);
    await api.leaderboard({ entity: 'user', window: '7d', metric: 'cost', limit: 100, offset: 200, q: '' });
    expect(m.calls[0].url).toBe('/v1/leaderboard?entity=user&window=7d&metric=cost&limit=100&offset=200');
    expect((m.calls[0].init.headers as Record<string, string>).Authorization).toBe('Bearer k123');
  });

  it('turns error bodies into ApiError with status and field', async () => {
    const m = mockFetch({ '/v1/whoami': { status: 401, body: { error: 'bad key', field: 'authorization' } } });
    const err = await new Api('x', '', m.fn).whoami().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(401);
    expect(err.denied).toBe(true);
    expect(err.message).toBe('bad key');
    expect(err.field).toBe('authorization');
  });

  it('reports 404 as notFound, non-JSON as an error, network failure as status 0', async () => {
    const m = mockFetch({ '/v1/overview': { body: '<html>' } });
    const api = new Api('x', '', m.fn);
    expect((await api.policies().catch((e) => e)).notFound).toBe(true);
    expect((await api.overview().catch((e) => e)).message).toMatch(/did not answer JSON/);
    const down = new Api('x', '', (async () => { throw new TypeError('Failed to fetch'); }) as unknown as typeof fetch);
    const e = await down.whoami().catch((x) => x);
    expect(e.status).toBe(0);
    expect(e.message).toMatch(/cannot reach/);
  });

  it('posts review notes as JSON and puts the key in the SSE URL', async () => {
    const m = mockFetch({ '/v1/flags/f1/confirm': { body: { ok: true } } });
    const api = new Api('s3cret', '', m.fn);
    await api.reviewFlag('f1', 'confirm', 'scripted loop');
    expect(m.calls[0].init.method).toBe('POST');
    expect(m.calls[0].init.body).toBe('{"note":"scripted loop"}');
    expect(api.streamUrl({ entity: 'user', window: '24h', metric: 'tokens' }))
      .toBe('/v1/stream/leaderboard?entity=user&window=24h&metric=tokens&key=s3cret');
  });
});

describe('listOf and query', () => {
  it('accepts bare arrays and wrapped lists', () => {
    expect(listOf([1, 2])).toEqual([1, 2]);
    expect(listOf({ flags: [1] }, 'flags')).toEqual([1]);
    expect(listOf({ items: [2] }, 'flags')).toEqual([2]);
    expect(listOf({ nothing: 1 }, 'flags')).toEqual([]);
    expect(listOf(null)).toEqual([]);
  });
  it('skips empty parameters and escapes values', () => {
    expect(query({ a: 'x y', b: '', c: undefined, d: 0 })).toBe('?a=x%20y&d=0');
    expect(query({})).toBe('');
  });
});
