// Client-side state of a leaderboard that may hold 100,000 rows.
//
// The server pages the board (limit/offset), so the client never holds it
// all: RowCache keeps fixed-size pages keyed by page number and says which
// pages the visible slice still needs. A live SSE snapshot (the top 100)
// replaces page 0 and invalidates the rest, because every rank below may
// have shifted; the visible pages are then fetched again lazily. The
// scroller renders only the rows in visibleRange(), so DOM size stays
// constant however long the board is.
import type { Leaderboard, LeaderboardEntry } from './api';

export const kPageSize = 100;

export class RowCache {
  total = 0;
  generatedAt = '';
  private pages = new Map<number, LeaderboardEntry[]>();
  private pending = new Set<number>();

  constructor(public pageSize = kPageSize) {}

  row(i: number): LeaderboardEntry | undefined {
    const p = this.pages.get(Math.floor(i / this.pageSize));
    return p ? p[i % this.pageSize] : undefined;
  }

  // Pages covering rows [start, end) that are neither loaded nor in flight.
  missing(start: number, end: number): number[] {
    const out: number[] = [];
    if (end <= start) return out;
    const last = Math.min(end, Math.max(this.total, 1)) - 1;
    for (let p = Math.floor(start / this.pageSize); p <= Math.floor(last / this.pageSize); p++) {
      if (!this.pages.has(p) && !this.pending.has(p)) out.push(p);
    }
    return out;
  }

  markPending(p: number) { this.pending.add(p); }

  setPage(p: number, board: Leaderboard) {
    this.pending.delete(p);
    const entries = board.entries ?? [];
    this.pages.set(p, entries);
    this.total = board.total_entries ?? entries.length;
    // A short page is the end of the list, whatever total_entries says (a
    // search may report the whole board's size rather than the matches).
    if (entries.length < this.pageSize) this.total = p * this.pageSize + entries.length;
    if (board.generated_at) this.generatedAt = board.generated_at;
  }

  failPage(p: number) { this.pending.delete(p); }

  // Applies a live snapshot of the top of the board. Returns the ids whose
  // rank or numbers changed, so the view can flash them.
  applyLive(board: Leaderboard): Set<string> {
    const before = new Map<string, LeaderboardEntry>();
    for (const e of this.pages.get(0) ?? []) before.set(e.id, e);
    const changed = new Set<string>();
    // The first snapshot is not a change: nothing to compare it with.
    for (const e of before.size ? board.entries ?? [] : []) {
      const old = before.get(e.id);
      if (!old || old.rank !== e.rank || old.total_tokens !== e.total_tokens || old.cost_usd !== e.cost_usd ||
          old.requests !== e.requests || old.value !== e.value) {
        changed.add(e.id);
      }
    }
    this.pages.clear();
    this.pending.clear();
    const entries = board.entries ?? [];
    for (let p = 0; p * this.pageSize < entries.length; p++) {
      this.pages.set(p, entries.slice(p * this.pageSize, (p + 1) * this.pageSize));
    }
    this.total = Math.max(board.total_entries ?? 0, entries.length);
    if (board.generated_at) this.generatedAt = board.generated_at;
    return changed;
  }

  reset() {
    this.pages.clear();
    this.pending.clear();
    this.total = 0;
  }
}

// Rows to render for a scroll position: [start, end) plus `overscan` rows
// either side, clamped to the board.
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 10) {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(viewport / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + count + overscan);
  return { start, end: Math.max(start, end) };
}

export interface BoardParams {
  entity: string;
  window: string;
  metric: string;
  q: string;
}

export const kEntities = ['user', 'team', 'org', 'project', 'model'] as const;
export const kWindows = ['24h', '7d', '30d', 'day', 'week', 'month', 'all'] as const;
export const kMetrics = ['tokens', 'cost', 'requests', 'value', 'efficiency', 'honest'] as const;

export const kWindowLabels: Record<string, string> = {
  '24h': 'Last 24 h', '7d': 'Last 7 days', '30d': 'Last 30 days', day: 'Today', week: 'This week',
  month: 'This month', all: 'All time',
};

// Reads board parameters from the route's query, falling back to defaults
// for anything missing or unknown (a hand-edited URL must not break the page).
export function boardParams(q: Record<string, string>): BoardParams {
  const pick = (v: string | undefined, allowed: readonly string[], d: string) =>
    v && allowed.includes(v) ? v : d;
  return {
    entity: pick(q.entity, kEntities, 'user'),
    window: pick(q.window, kWindows, '7d'),
    metric: pick(q.metric, kMetrics, 'tokens'),
    q: (q.q ?? '').slice(0, 100),
  };
}

// The number a board is ranked by, for one entry.
export function metricValue(metric: string, e: LeaderboardEntry): number {
  switch (metric) {
    case 'cost': return e.cost_usd;
    case 'requests': return e.requests;
    case 'value': return e.value;
    case 'efficiency': return e.efficiency;
    case 'honest': return Math.max(0, (e.total_tokens ?? 0) - (e.wasted_tokens ?? 0));
    default: return e.total_tokens;
  }
}

// Route for an entity's page: users have profiles, the rest group pages.
export function entityPath(entity: string, id: string): string[] {
  const kind = entity === 'user' ? 'users' : `${entity}s`;
  return [kind, id];
}
