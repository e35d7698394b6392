// Organisation overview: tokens and cost per day, active users, value per
// token, estimated waste, top models.
import { useMemo } from 'preact/hooks';
import { type Overview } from '../lib/api';
import { humanize, money, moneyShort } from '../lib/format';
import { useSession } from '../lib/session';
import { useData } from '../lib/use_data';
import { BarList, Card, Stat } from '../components/bits';
import { Chart, kColors } from '../components/chart';
import { Async, Empty } from '../components/states';

// Outcomes per million tokens, per day (null when a day used no tokens).
export function valuePerToken(days: Overview['days']): Array<number | null> {
  return days.map((d) => (d.total_tokens > 0 ? (d.outcomes / d.total_tokens) * 1e6 : null));
}

export function OverviewPage() {
  const { api } = useSession();
  const ov = useData(() => api.overview(30), []);
  return (
    <div class="page" data-testid="overview">
      <div class="page-head"><h1>Overview</h1><span class="muted">last 30 days{ov.data?.timezone ? `, ${ov.data.timezone}` : ''}</span></div>
      <Async state={ov} feature="The overview" isEmpty={(d) => !d.days || d.days.length === 0}
             empty={<Empty title="No usage recorded yet">Send usage events to <code>POST /v1/events</code>, import Claude Code logs,
               or run <code>burnrate simulate</code> to see the organisation's trends here.</Empty>}>
        {(d) => <OverviewBody ov={d} />}
      </Async>
    </div>
  );
}

function OverviewBody({ ov }: { ov: Overview }) {
  const { theme } = useSession();
  const c = useMemo(() => {
    const days = ov.days;
    const times = days.map((d) => Math.floor(new Date(`${d.date.slice(0, 10)}T00:00:00Z`).getTime() / 1000));
    // The server sums the waste of flags that count (high confidence or
    // confirmed by a reviewer) per day; all zero means nothing to chart.
    const hasWaste = days.some((d) => d.wasted_tokens > 0);
    return {
      times,
      usage: [
        { label: 'Tokens', values: days.map((d) => d.total_tokens), color: kColors.input, fill: true },
        { label: 'Cost', values: days.map((d) => d.cost_usd), color: kColors.cost, axis: 'right' as const },
      ],
      users: [{ label: 'Active users', values: days.map((d) => d.active_users), color: kColors.users, fill: true }],
      value: [{ label: 'Outcomes per M tokens', values: valuePerToken(days), color: kColors.value }],
      waste: hasWaste ? [
        { label: 'Estimated waste', values: days.map((d) => d.wasted_tokens), color: kColors.waste, fill: true },
      ] : null,
      wasteTotal: days.reduce((s, d) => s + d.wasted_tokens, 0),
      tokenTotal: days.reduce((s, d) => s + d.total_tokens, 0),
      costTotal: days.reduce((s, d) => s + d.cost_usd, 0),
      outcomeTotal: days.reduce((s, d) => s + d.outcomes, 0),
      peakUsers: Math.max(0, ...days.map((d) => d.active_users)),
      hasWaste,
    };
  }, [ov]);
  const t = ov.totals ?? {};
  const models = (ov.top_models ?? []).map((m) => ({ name: m.model, value: m.total_tokens }));
  return (
    <>
      <div class="stats big">
        <Stat label="Tokens" value={humanize(t.total_tokens ?? c.tokenTotal)} />
        <Stat label="Cost" value={money(t.cost_usd ?? c.costTotal)} />
        <Stat label="Peak active users / day" value={humanize(c.peakUsers)} />
        <Stat label="Outcomes" value={humanize(t.outcomes ?? c.outcomeTotal)} />
        <Stat label="Estimated waste" value={`${humanize(t.wasted_tokens ?? c.wasteTotal)} tokens`}
              hint="tokens the farming detectors attribute to non-productive use" />
      </div>
      <Card title="Tokens and cost per day" wide testid="overview-usage">
        <Chart times={c.times} series={c.usage} unit="tokens / day" format={humanize} rightUnit="USD / day"
               rightFormat={moneyShort} bars theme={theme} />
      </Card>
      <div class="grid">
        <Card title="Active users per day">
          <Chart times={c.times} series={c.users} unit="users" format={humanize} theme={theme} height={200} />
        </Card>
        <Card title="Value per token">
          <Chart times={c.times} series={c.value} unit="outcomes / M tokens" format={(n) => humanize(Math.round(n * 100) / 100)}
                 theme={theme} height={200} />
        </Card>
        <Card title="Estimated waste per day (flagged farming)">
          {c.waste ? <Chart times={c.times} series={c.waste} unit="tokens / day" format={humanize} theme={theme} height={200} />
            : <Empty title="No waste estimate yet">The farming detectors have not reported wasted tokens for these days.</Empty>}
        </Card>
        <Card title="Top models">
          {models.length ? <BarList items={models} format={humanize} unit="tokens, 30 days" />
            : <Empty title="No model usage yet" />}
        </Card>
      </div>
    </>
  );
}
