// Adds several usage answers point by point (same range and granularity):
// the group pages' fallback when the server has no /v1/teams/{id}/usage.
import type { Usage, UsagePoint } from './api';

const kKeys = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_usd', 'requests'] as const;

export function sumUsage(id: string, parts: Usage[]): Usage & { from?: string; to?: string } {
  const byT = new Map<string, UsagePoint>();
  const models = new Map<string, { model: string; total_tokens: number; cost_usd: number }>();
  const totals: Record<string, number> = {};
  for (const u of parts) {
    for (const p of u.series ?? []) {
      const acc = byT.get(p.t) ?? { t: p.t, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: 0, requests: 0 };
      for (const k of kKeys) acc[k] += p[k] ?? 0;
      byT.set(p.t, acc);
    }
    for (const [k, v] of Object.entries(u.totals ?? {})) if (typeof v === 'number') totals[k] = (totals[k] ?? 0) + v;
    for (const m of u.by_model ?? []) {
      const acc = models.get(m.model) ?? { model: m.model, total_tokens: 0, cost_usd: 0 };
      acc.total_tokens += m.total_tokens ?? 0;
      acc.cost_usd += m.cost_usd ?? 0;
      models.set(m.model, acc);
    }
  }
  const series = [...byT.values()].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  const first = parts[0] as (Usage & { from?: string; to?: string }) | undefined;
  return {
    user: id, granularity: first?.granularity ?? 'hour', series, totals, from: first?.from, to: first?.to,
    by_model: [...models.values()].sort((a, b) => b.total_tokens - a.total_tokens),
  };
}

// The server lists only the hours (or days) that had usage. Charts need the
// empty ones too, or a line would bridge a quiet night as if it were busy:
// returns one point per step from `from` to `to`, zeros where nothing was used.
export function densify(series: UsagePoint[], fromIso: string | undefined, toIso: string | undefined,
                        granularity: string): UsagePoint[] {
  const step = granularity === 'day' ? 86_400_000 : 3_600_000;
  const known = new Map<number, UsagePoint>();
  for (const p of series) known.set(Math.floor(new Date(p.t).getTime() / step) * step, p);
  const times = [...known.keys()];
  let from = fromIso ? Date.parse(fromIso) : Math.min(...times);
  let to = toIso ? Date.parse(toIso) : Math.max(...times);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return series;
  from = Math.floor(from / step) * step;
  to = Math.floor(to / step) * step;
  if ((to - from) / step > 10_000) return series;  // refuse to invent a huge axis
  const out: UsagePoint[] = [];
  for (let t = from; t <= to; t += step) {
    out.push(known.get(t) ?? { t: new Date(t).toISOString(), input_tokens: 0, output_tokens: 0, cache_read_tokens: 0,
                                cache_write_tokens: 0, cost_usd: 0, requests: 0 });
  }
  return out;
}
