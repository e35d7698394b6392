import { describe, expect, it } from 'vitest';
import { href, parseHash } from '../src/lib/router';

describe('hash routes', () => {
  it('round-trips path and query, with escaping', () => {
    const h = href(['users', 'a b/c'], { window: '7d', q: '', x: undefined });
    expect(h).toBe('#/users/a%20b%2Fc?window=7d');
    expect(parseHash(h)).toEqual({ path: ['users', 'a b/c'], query: { window: '7d' } });
  });
  it('handles empty and malformed hashes', () => {
    expect(parseHash('')).toEqual({ path: [], query: {} });
    expect(parseHash('#/leaderboard?q=%E0%A4%A&entity=team')).toEqual({ path: ['leaderboard'], query: { entity: 'team' } });
  });
});
