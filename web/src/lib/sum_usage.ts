// Adds several usage answers point by point (same range and granularity):
// the group pages' fallback when the server has no /v1/teams/{id}/usage.
import type { Usage, UsagePoint } from './api';

const kKeys = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_usd', 'requests'] as const;

export function sumUsage(id: string, parts: Usage[]): Usage {
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
  return {
    user: id, granularity: parts[0]?.granularity ?? 'hour', series, totals,
    by_model: [...models.values()].sort((a, b) => b.total_tokens - a.total_tokens),
  };
}
