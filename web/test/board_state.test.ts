import { describe, expect, it } from 'vitest';
import type { Leaderboard, LeaderboardEntry } from '../src/lib/api';
import { boardParams, entityPath, metricValue, RowCache, visibleRange } from '../src/lib/board_state';

function entry(rank: number, id = `u${rank}`, tokens = 1000 - rank): LeaderboardEntry {
  return {
    rank, prev_rank: rank, id, input_tokens: tokens, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0,
    total_tokens: tokens, cost_usd: tokens / 100, requests: 1, outcomes: 0, value: 0, efficiency: 0,
    wasted_tokens: 10, badges: [],
  };
}

function board(offset: number, n: number, total: number): Leaderboard {
  return {
    entity: 'user', window: '7d', metric: 'tokens', total_entries: total,
    entries: Array.from({ length: n }, (_, i) => entry(offset + i + 1)),
  };
}

describe('RowCache', () => {
  it('asks for the pages covering the visible rows, once', () => {
    const c = new RowCache(100);
    expect(c.missing(0, 1)).toEqual([0]);
    c.markPending(0);
    expect(c.missing(0, 1)).toEqual([]);
    c.setPage(0, board(0, 100, 100_000));
    expect(c.total).toBe(100_000);
    expect(c.row(0)?.id).toBe('u1');
    expect(c.row(99)?.id).toBe('u100');
    expect(c.row(100)).toBeUndefined();
    expect(c.missing(50, 250)).toEqual([1, 2]);
    expect(c.missing(99_950, 100_000)).toEqual([999]);
  });

  it('never asks for pages past the end of the board', () => {
    const c = new RowCache(100);
    c.setPage(0, board(0, 50, 50));
    expect(c.missing(0, 60)).toEqual([]);
  });

  it('a short page ends the list even if total_entries counts the whole board', () => {
    const c = new RowCache(100);
    c.setPage(0, board(0, 11, 20_000));
    expect(c.total).toBe(11);
    expect(c.missing(0, 50)).toEqual([]);
  });

  it('retries a failed page', () => {
    const c = new RowCache(100);
    c.markPending(3);
    c.failPage(3);
    c.total = 1000;
    expect(c.missing(300, 310)).toEqual([3]);
  });

  it('applies a live snapshot: replaces the top, drops stale pages, reports changes', () => {
    const c = new RowCache(100);
    c.setPage(0, board(0, 100, 1000));
    c.setPage(5, board(500, 100, 1000));
    const live = board(0, 100, 1001);
    // u7 jumps to the top; u1 gains tokens.
    live.entries[0] = { ...entry(1, 'u7', 5000), prev_rank: 7 };
    live.entries[6] = { ...entry(7, 'u1', 990) };
    const changed = c.applyLive(live);
    expect(changed.has('u7')).toBe(true);
    expect(changed.has('u1')).toBe(true);
    expect(changed.has('u2')).toBe(false);
    expect(c.row(0)?.id).toBe('u7');
    expect(c.total).toBe(1001);
    expect(c.row(500)).toBeUndefined();  // every rank below may have moved
    expect(c.missing(500, 510)).toEqual([5]);
  });
});

describe('visibleRange', () => {
  it('renders only what fits plus overscan', () => {
    expect(visibleRange(0, 440, 44, 100_000, 10)).toEqual({ start: 0, end: 21 });
    const r = visibleRange(44 * 50_000, 440, 44, 100_000, 10);
    expect(r.start).toBe(49_990);
    expect(r.end).toBe(50_021);
  });
  it('clamps to the board', () => {
    expect(visibleRange(44 * 99_999, 440, 44, 100_000, 10)).toEqual({ start: 99_989, end: 100_000 });
    expect(visibleRange(-50, 440, 44, 5, 10)).toEqual({ start: 0, end: 5 });
    expect(visibleRange(0, 440, 44, 0, 10)).toEqual({ start: 0, end: 0 });
  });
});

describe('boardParams', () => {
  it('defaults and rejects unknown values', () => {
    expect(boardParams({})).toEqual({ entity: 'user', window: '7d', metric: 'tokens', q: '' });
    expect(boardParams({ entity: 'team', window: '30d', metric: 'cost', q: 'ali' }))
      .toEqual({ entity: 'team', window: '30d', metric: 'cost', q: 'ali' });
    expect(boardParams({ entity: 'planet', window: '3y', metric: '<script>' }))
      .toEqual({ entity: 'user', window: '7d', metric: 'tokens', q: '' });
  });
});

describe('metricValue and entityPath', () => {
  it('honest volume subtracts flagged waste and never goes negative', () => {
    const e = entry(1);
    expect(metricValue('honest', e)).toBe(e.total_tokens - 10);
    expect(metricValue('honest', { ...e, wasted_tokens: 1e9 })).toBe(0);
    expect(metricValue('cost', e)).toBe(e.cost_usd);
  });
  it('links users to profiles and groups to group pages', () => {
    expect(entityPath('user', 'alice')).toEqual(['users', 'alice']);
    expect(entityPath('team', 'infra')).toEqual(['teams', 'infra']);
  });
});
