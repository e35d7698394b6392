// Usage-over-time panels shared by the profile and group pages: a chart of
// tokens by kind (with cost on the right axis) and a by-model bar list.
import { useMemo } from 'preact/hooks';
import type { Usage } from '../lib/api';
import { humanize, money, moneyShort } from '../lib/format';
import { useSession } from '../lib/session';
import { BarList, Card, Stat } from './bits';
import { Chart, kColors, type ChartSeries } from './chart';
import { Empty } from './states';
import { densify } from '../lib/sum_usage';

export function UsageChart({ usage }: { usage: Usage }) {
  const { theme } = useSession();
  const { times, series } = useMemo(() => {
    const u = usage as Usage & { from?: string; to?: string };
    const s = densify(usage.series ?? [], u.from, u.to, usage.granularity);
    const times = s.map((p) => Math.floor(new Date(p.t).getTime() / 1000));
    const series: ChartSeries[] = [
      { label: 'Input', values: s.map((p) => p.input_tokens ?? 0), color: kColors.input, fill: true },
      { label: 'Output', values: s.map((p) => p.output_tokens ?? 0), color: kColors.output, fill: true },
      { label: 'Cache read', values: s.map((p) => p.cache_read_tokens ?? 0), color: kColors.cacheRead },
      { label: 'Cache write', values: s.map((p) => p.cache_write_tokens ?? 0), color: kColors.cacheWrite },
      { label: 'Cost', values: s.map((p) => p.cost_usd ?? 0), color: kColors.cost, axis: 'right', dash: true },
    ];
    return { times, series };
  }, [usage]);
  if ((usage.series ?? []).length === 0) {
    return <Empty title="No usage in this window">No usage events were recorded for this period.</Empty>;
  }
  return (
    <Chart times={times} series={series} unit={`tokens per ${usage.granularity || 'hour'}`} format={humanize}
           rightUnit="USD" rightFormat={moneyShort} theme={theme} testid="usage-chart" />
  );
}

export function UsageTotals({ usage }: { usage: Usage }) {
  const t = usage.totals ?? {};
  const total = t.total_tokens ??
    (t.input_tokens ?? 0) + (t.output_tokens ?? 0) + (t.cache_read_tokens ?? 0) + (t.cache_write_tokens ?? 0);
  return (
    <div class="stats">
      <Stat label="Tokens" value={humanize(total)} hint={`${total.toLocaleString()} tokens`} />
      <Stat label="Input" value={humanize(t.input_tokens)} />
      <Stat label="Output" value={humanize(t.output_tokens)} />
      <Stat label="Cache read" value={humanize(t.cache_read_tokens)} />
      <Stat label="Cost" value={money(t.cost_usd)} />
      <Stat label="Requests" value={humanize(t.requests)} />
    </div>
  );
}

export function ByModel({ usage }: { usage: Usage }) {
  const items = (usage.by_model ?? []).slice().sort((a, b) => b.total_tokens - a.total_tokens)
    .map((m) => ({ name: m.model, value: m.total_tokens }));
  return (
    <Card title="By model">
      {items.length ? <BarList items={items} format={humanize} unit="tokens" />
        : <Empty title="No models used in this window" />}
    </Card>
  );
}
