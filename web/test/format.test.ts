import { describe, expect, it } from 'vitest';
import { ago, formatMetric, humanize, money, percent, rankChange, shortTime, tokens } from '../src/lib/format';

describe('humanize', () => {
  it('uses k, M, B, T with at most three significant digits', () => {
    expect(humanize(0)).toBe('0');
    expect(humanize(950)).toBe('950');
    expect(humanize(999)).toBe('999');
    expect(humanize(1000)).toBe('1 k');
    expect(humanize(12_345)).toBe('12.3 k');
    expect(humanize(123_456)).toBe('123 k');
    expect(humanize(2_100_000_000_000)).toBe('2.1 T');
    expect(humanize(281_000_000_000)).toBe('281 B');
    expect(humanize(60e12)).toBe('60 T');
    expect(humanize(1_500_000)).toBe('1.5 M');
  });
  it('rounds up across a unit boundary instead of printing 1000 k', () => {
    expect(humanize(999_960)).toBe('1 M');
    expect(humanize(999_950_000)).toBe('1 B');
  });
  it('keeps one decimal for small fractional values and handles negatives', () => {
    expect(humanize(2.5)).toBe('2.5');
    expect(humanize(-12_300)).toBe('-12.3 k');
  });
  it('shows a dash for missing or non-finite numbers', () => {
    expect(humanize(undefined)).toBe('–');
    expect(humanize(null)).toBe('–');
    expect(humanize(NaN)).toBe('–');
    expect(humanize(Infinity)).toBe('–');
  });
  it('tokens() adds the unit', () => {
    expect(tokens(2.1e12)).toBe('2.1 T tokens');
  });
});

describe('money', () => {
  it('prints cents below $1,000 and humanises above', () => {
    expect(money(0)).toBe('$0');
    expect(money(0.42)).toBe('$0.42');
    expect(money(999.99)).toBe('$999.99');
    expect(money(12_300)).toBe('$12.3 k');
    expect(money(1_234_567)).toBe('$1.2 M');
  });
  it('marks tiny non-zero amounts and negatives', () => {
    expect(money(0.004)).toBe('<$0.01');
    expect(money(-5)).toBe('-$5.00');
    expect(money(undefined)).toBe('–');
  });
});

describe('rankChange', () => {
  it('says up, down, same and new', () => {
    expect(rankChange(3, 7)).toEqual({ kind: 'up', delta: 4, text: '▲4', label: 'up 4 from #7' });
    expect(rankChange(7, 3)).toEqual({ kind: 'down', delta: 4, text: '▼4', label: 'down 4 from #3' });
    expect(rankChange(5, 5).kind).toBe('same');
    expect(rankChange(1, null)).toEqual({ kind: 'new', text: 'new', label: 'new on the board' });
    expect(rankChange(1, undefined).kind).toBe('new');
    expect(rankChange(4, 0).kind).toBe('new');  // the engine's "not ranked before"
  });
});

describe('other formats', () => {
  it('percent', () => {
    expect(percent(0.834)).toBe('83%');
    expect(percent(0.834, 1)).toBe('83.4%');
    expect(percent(undefined)).toBe('–');
  });
  it('formatMetric picks the unit from the metric', () => {
    expect(formatMetric('cost', 12_300)).toBe('$12.3 k');
    expect(formatMetric('tokens', 2.1e12)).toBe('2.1 T');
    expect(formatMetric('efficiency', 3.14159)).toBe('3.1');
  });
  it('shortTime is UTC and tolerates bad input', () => {
    expect(shortTime('2026-11-25T09:05:00Z')).toBe('25 Nov 09:05');
    expect(shortTime('')).toBe('–');
    expect(shortTime('yesterday')).toBe('yesterday');
  });
  it('ago', () => {
    expect(ago(1000, 1500)).toBe('just now');
    expect(ago(0, 30_000)).toBe('30 s ago');
    expect(ago(0, 180_000)).toBe('3 min ago');
    expect(ago(0, 7_200_000)).toBe('2 h ago');
    expect(ago(0, 3 * 86_400_000)).toBe('3 d ago');
  });
});

import { moneyShort } from '../src/lib/format';
describe('moneyShort', () => {
  it('drops cents for chart axes', () => {
    expect(moneyShort(500)).toBe('$500');
    expect(moneyShort(1500)).toBe('$1.5 k');
    expect(moneyShort(0.5)).toBe('$0.5');
  });
});
