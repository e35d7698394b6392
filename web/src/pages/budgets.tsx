// Budgets and policies: the org quota split across projects, the users
// closest to a limit, the policy list, and recent denials from the audit log.
//
// The server answers allowances per subject (/v1/allowance?user=), so "who is
// near a limit" asks for the heaviest spenders of the month (the only users
// who can be near one) and sorts their budgets by share used.
import { listOf, type Json } from '../lib/api';
import { humanize, money, shortTime } from '../lib/format';
import { href } from '../lib/router';
import { useSession } from '../lib/session';
import { num, str } from '../lib/shape';
import { useData } from '../lib/use_data';
import { Card, Gauge } from '../components/bits';
import { Async, Empty } from '../components/states';
import { BudgetGauge } from './profile';

const kScanUsers = 25;
const kShowBudgets = 12;

export function allowanceFraction(a: Json): number {
  const used = (num(a, 'used') ?? 0) + (num(a, 'reserved') ?? 0);
  const limit = num(a, 'limit', 'allowance') ?? 0;
  return limit > 0 ? used / limit : 0;
}

export function BudgetsPage() {
  const { api } = useSession();
  const near = useData(async () => {
    const board = await api.leaderboard({ entity: 'user', window: 'month', metric: 'cost', limit: kScanUsers });
    const answers = await Promise.all(board.entries.map((e) => api.allowance({ user: e.id })));
    const seen = new Set<string>();
    const out: Json[] = [];
    for (const a of answers) {
      for (const b of listOf(a, 'budgets')) {
        const k = `${str(b, 'policy')}|${str(b, 'subject')}`;
        if (!seen.has(k)) { seen.add(k); out.push(b); }
      }
    }
    return out.sort((x, y) => allowanceFraction(y) - allowanceFraction(x));
  }, []);
  const quota = useData(() => api.quota(), []);
  const policies = useData(() => api.policies(), []);
  const denials = useData(() => api.audit({ action: 'deny', limit: 50 }), []);
  return (
    <div class="page" data-testid="budgets">
      <div class="page-head"><h1>Budgets and policies</h1></div>
      <Card title="Who is near a limit" wide testid="allowances">
        <Async state={near} feature="Allowances" isEmpty={(d) => d.length === 0}
               empty={<Empty title="No budgets apply to the heaviest spenders">Create a budget policy (tokens or USD, per user,
                 team or project) and the budgets of this month's top {kScanUsers} spenders appear here, fullest first.</Empty>}>
          {(d) => (
            <>
              <div class="gauges">
                {d.slice(0, kShowBudgets).map((b, i) => <BudgetGauge key={i} b={b} />)}
              </div>
              {d.length > kShowBudgets && <div class="muted small">{d.length - kShowBudgets} more budgets, all at or
                below {Math.round(allowanceFraction(d[kShowBudgets - 1]) * 100)}% used.</div>}
            </>
          )}
        </Async>
      </Card>
      <Card title="Org quota by project" wide testid="quota">
        <Async state={quota} feature="The org quota" isEmpty={(q) => listOf(q, 'projects').length === 0}
               empty={<Empty title="No org quota configured">A global budget split across projects by priority (weighted
                 max-min fairness) shows here once configured.</Empty>}>
          {(q) => {
            const unit = str(q, 'unit') ?? 'tokens';
            const fmt = /usd/i.test(unit) ? money : humanize;
            return (
              <>
                <div class="muted small">Capacity {fmt(num(q, 'capacity'))} {unit === 'tokens' ? 'tokens' : ''} for {str(q, 'org')},
                  {' '}{shortTime(str(q, 'period_start'))} – {shortTime(str(q, 'period_end'))}</div>
                <div class="gauges">
                  {listOf(q, 'projects').map((p, i) => (
                    <div key={i} title={str(p, 'why')}>
                      <Gauge label={`${str(p, 'project')} (weight ${num(p, 'weight') ?? 1})`} used={num(p, 'used') ?? 0}
                             limit={num(p, 'allowance') ?? 0} format={fmt} />
                    </div>
                  ))}
                </div>
              </>
            );
          }}
        </Async>
      </Card>
      <div class="grid">
        <Card title="Policies" testid="policies">
          <Async state={policies} feature="Policies" isEmpty={(d) => listOf(d, 'policies').length === 0}
                 empty={<Empty title="No policies">No budgets or rate limits are configured; every request is allowed.</Empty>}>
            {(d) => <PolicyTable rows={listOf(d, 'policies')} />}
          </Async>
        </Card>
        <Card title="Recent denials" testid="denials">
          <Async state={denials} feature="The audit log" isEmpty={(d) => listOf(d, 'entries').length === 0}
                 empty={<Empty title="No denials">No request was blocked recently.</Empty>}>
            {(d) => <DenialTable rows={listOf(d, 'entries')} />}
          </Async>
        </Card>
      </div>
      <p class="muted small">Budgets are enforced by <code>POST /v1/check</code> and the metering proxy; see <a href={href(['overview'])}>Overview</a> for spend trends.</p>
    </div>
  );
}

// Budgets say "limit per period"; rate limits say "per minute".
export function policyLimit(p: Json): string {
  if (str(p, 'kind') === 'rate_limit') {
    const parts = [];
    if (num(p, 'requests_per_min')) parts.push(`${humanize(num(p, 'requests_per_min'))} req/min`);
    if (num(p, 'tokens_per_min')) parts.push(`${humanize(num(p, 'tokens_per_min'))} tokens/min`);
    if (num(p, 'max_concurrent')) parts.push(`${num(p, 'max_concurrent')} concurrent`);
    return parts.join(', ') || '–';
  }
  const amount = num(p, 'limit_usd') !== undefined ? money(num(p, 'limit_usd')) : `${humanize(num(p, 'limit_tokens'))} tokens`;
  const per = str(p, 'period') === 'rolling' ? `per ${str(p, 'window') ?? 'window'}` : `per ${str(p, 'period') ?? 'month'}`;
  return `${amount} ${per}`;
}

function PolicyTable({ rows }: { rows: Json[] }) {
  return (
    <div class="table-scroll">
      <table class="table" data-testid="policy-table">
        <thead><tr><th>Policy</th><th>Applies to</th><th>Limit</th><th>Enforce</th></tr></thead>
        <tbody>{rows.map((p, i) => (
          <tr key={i}><td class="mono">{str(p, 'id')}</td>
            <td>{str(p, 'scope')} {str(p, 'subject') === '*' ? '(each)' : str(p, 'subject')}{str(p, 'model') ? ` · ${str(p, 'model')}` : ''}</td>
            <td>{policyLimit(p)}</td><td>{str(p, 'enforce') ?? (str(p, 'kind') === 'rate_limit' ? 'throttle' : '–')}</td></tr>
        ))}</tbody>
      </table>
    </div>
  );
}

function DenialTable({ rows }: { rows: Json[] }) {
  return (
    <div class="table-scroll">
      <table class="table" data-testid="denial-table">
        <thead><tr><th>When (UTC)</th><th>Subject</th><th>Reason</th></tr></thead>
        <tbody>{rows.map((e, i) => (
          <tr key={i}><td>{shortTime(str(e, 'ts'))}</td><td>{str(e, 'subject')}</td>
            <td class="wrap">{str(e, 'reason')}</td></tr>
        ))}</tbody>
      </table>
    </div>
  );
}
