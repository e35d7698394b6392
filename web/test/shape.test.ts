import { describe, expect, it } from 'vitest';
import { describe as describeValue, labelOf, num, str, windowRange } from '../src/lib/shape';
import { allowanceFraction } from '../src/pages/budgets';
import { valuePerToken } from '../src/pages/overview';
import { flagStatus } from '../src/pages/review';

describe('shape readers', () => {
  it('take the first field that fits', () => {
    expect(num({ used_tokens: '12', used: 'x' }, 'used', 'used_tokens')).toBe(12);
    expect(num({}, 'a')).toBeUndefined();
    expect(str({ user_id: 'bob' }, 'user', 'user_id')).toBe('bob');
  });
  it('label and describe evidence', () => {
    expect(labelOf('cache_read_tokens')).toBe('Cache read tokens');
    expect(describeValue({ prompt_entropy: 0.4, repeats: 120 })).toBe('Prompt entropy: 0.4 · Repeats: 120');
    expect(describeValue(['a', 1])).toBe('a, 1');
  });
  it('windowRange picks hourly points up to a week', () => {
    const r = windowRange('24h', Date.UTC(2026, 10, 25, 12));
    expect(r).toEqual({ from: '2026-11-24T12:00:00.000Z', to: '2026-11-25T12:00:00.000Z', granularity: 'hour' });
    expect(windowRange('30d', 0).granularity).toBe('day');
  });
});

describe('page state helpers', () => {
  it('flag status normalises server spellings', () => {
    expect(flagStatus({ status: 'CONFIRMED' })).toBe('confirmed');
    expect(flagStatus({ state: 'dismiss' })).toBe('dismissed');
    expect(flagStatus({})).toBe('open');
  });
  it('allowance fraction and value per token', () => {
    expect(allowanceFraction({ used: 80, limit: 100 })).toBe(0.8);
    expect(allowanceFraction({ used: 5 })).toBe(0);
    expect(valuePerToken([
      { date: 'd', total_tokens: 2e6, cost_usd: 0, active_users: 1, outcomes: 4 },
      { date: 'e', total_tokens: 0, cost_usd: 0, active_users: 0, outcomes: 0 },
    ])).toEqual([2, null]);
  });
});
