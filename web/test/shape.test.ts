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
    expect(allowanceFraction({ used: 80, reserved: 10, limit: 100 })).toBe(0.9);
    expect(allowanceFraction({ used: 5 })).toBe(0);
    expect(valuePerToken([
      { date: 'd', total_tokens: 2e6, cost_usd: 0, active_users: 1, outcomes: 4, wasted_tokens: 0 },
      { date: 'e', total_tokens: 0, cost_usd: 0, active_users: 0, outcomes: 0, wasted_tokens: 0 },
    ])).toEqual([2, null]);
  });
});

import { densify, sumUsage } from '../src/lib/sum_usage';

describe('usage series helpers', () => {
  const pt = (t: string, n: number) => ({ t, input_tokens: n, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: n / 10, requests: 1 });
  it('densify fills quiet hours with zeros across the range', () => {
    const d = densify([pt('2026-11-25T01:00:00Z', 5), pt('2026-11-25T04:00:00Z', 7)],
                      '2026-11-25T00:30:00Z', '2026-11-25T05:10:00Z', 'hour');
    expect(d.map((p) => p.input_tokens)).toEqual([0, 5, 0, 0, 7, 0]);
    expect(d[0].t).toBe('2026-11-25T00:00:00.000Z');
  });
  it('densify refuses absurd ranges', () => {
    const s = [pt('2026-11-25T01:00:00Z', 5)];
    expect(densify(s, '1970-01-01T00:00:00Z', '2026-11-25T05:00:00Z', 'hour')).toBe(s);
  });
  it('sumUsage adds members point by point and merges models', () => {
    const a = { user: 'a', granularity: 'hour', series: [pt('T1', 1), pt('T2', 2)], totals: { input_tokens: 3 },
                by_model: [{ model: 'm', total_tokens: 3, cost_usd: 1 }] };
    const b = { user: 'b', granularity: 'hour', series: [pt('T2', 10)], totals: { input_tokens: 10 },
                by_model: [{ model: 'm', total_tokens: 10, cost_usd: 2 }, { model: 'n', total_tokens: 20, cost_usd: 0 }] };
    const s = sumUsage('team', [a, b]);
    expect(s.series.map((p) => p.input_tokens)).toEqual([1, 12]);
    expect(s.totals.input_tokens).toBe(13);
    expect(s.by_model).toEqual([{ model: 'n', total_tokens: 20, cost_usd: 0 }, { model: 'm', total_tokens: 13, cost_usd: 3 }]);
  });
});

import { policyLimit } from '../src/pages/budgets';
describe('policy limits', () => {
  it('reads budgets and rate limits', () => {
    expect(policyLimit({ kind: 'budget', limit_usd: 400, period: 'month' })).toBe('$400.00 per month');
    expect(policyLimit({ kind: 'budget', limit_tokens: 2e9, period: 'week' })).toBe('2 B tokens per week');
    expect(policyLimit({ kind: 'rate_limit', requests_per_min: 60, tokens_per_min: 100000, max_concurrent: 0 }))
      .toBe('60 req/min, 100 k tokens/min');
  });
  it('evidence numbers are rounded', () => {
    expect(describeValue({ exact_dup_rate: 0.9958333333, prompts: 240 })).toBe('Exact dup rate: 0.996 · Prompts: 240');
  });
});

import { outcomeEntries } from '../src/pages/profile';
describe('profile shapes', () => {
  it('outcomes by kind from a list or an object', () => {
    expect(outcomeEntries({ outcomes: [{ kind: 'commit', events: 3, amount: 3 }, { kind: 'lines_added', events: 2, amount: 120 }] }))
      .toEqual([['commit', 3], ['lines_added', 120]]);
    expect(outcomeEntries({ outcomes: { commit: 2, x: 'y' } })).toEqual([['commit', 2]]);
    expect(outcomeEntries({})).toEqual([]);
  });
});

import { badgeEvidence, indexBadges } from '../src/lib/badges';
describe('badge index', () => {
  it('joins awards to rule names, per entity', () => {
    const idx = indexBadges({
      rules: [{ id: 'token_legend', name: 'Token Legend', description: 'Top 1%' }],
      awards: [{ badge: 'token_legend', entity: 'user', subject: 'ada', awarded_at: 'T', evidence: { rank: 1 } },
               { badge: 'streak_5', entity: 'user', subject: 'ada' },
               { badge: 'token_legend', entity: 'team', subject: 'core' }],
    }, 'user');
    expect(idx.bySubject.get('ada')!.map((b) => b.name)).toEqual(['Token Legend', 'streak_5']);
    expect(idx.bySubject.has('core')).toBe(false);
  });
  it('drops bookkeeping from evidence', () => {
    expect(badgeEvidence({ rank: 1, from: 'a', to: 'b', evaluated_at: 'c' })).toEqual({ rank: 1 });
  });
});

