// Budgets and policies: allowances (who is near a limit), the policy list,
// and recent denials from the audit log. Policies and the audit log need an
// admin key; viewers get the allowances and an explanation for the rest.
import { listOf, type Json } from '../lib/api';
import { humanize, money } from '../lib/format';
import { href } from '../lib/router';
import { useSession } from '../lib/session';
import { num, str } from '../lib/shape';
import { useData } from '../lib/use_data';
import { Card, Gauge } from '../components/bits';
import { AutoTable } from '../components/auto_table';
import { Async, Empty } from '../components/states';

export function allowanceFraction(a: Json): number {
  const used = num(a, 'used', 'spent', 'used_tokens', 'used_usd') ?? 0;
  const limit = num(a, 'limit', 'hard', 'limit_tokens', 'limit_usd', 'soft') ?? 0;
  return limit > 0 ? used / limit : 0;
}

export function BudgetsPage() {
  const { api } = useSession();
  const allowances = useData(() => api.allowances(), []);
  const policies = useData(() => api.policies(), []);
  const denials = useData(() => api.audit({ action: 'deny', limit: 50 }), []);
  return (
    <div class="page" data-testid="budgets">
      <div class="page-head"><h1>Budgets and policies</h1></div>
      <Card title="Who is near a limit" wide testid="allowances">
        <Async state={allowances} feature="Allowances" isEmpty={(d) => listOf(d, 'allowances').length === 0}
               empty={<Empty title="No budgets defined">Create a budget policy (tokens or USD, per user, team or project) and the
                 allowances and how much of each is used appear here.</Empty>}>
          {(d) => {
            const rows = listOf(d, 'allowances').slice().sort((a, b) => allowanceFraction(b) - allowanceFraction(a));
            return (
              <div class="gauges">
                {rows.slice(0, 30).map((a, i) => {
                  const unit = str(a, 'unit', 'kind') ?? (num(a, 'limit_usd') !== undefined ? 'usd' : 'tokens');
                  const subject = str(a, 'subject', 'user', 'team', 'project', 'scope', 'id') ?? '?';
                  return <Gauge key={i} label={`${subject} · ${str(a, 'period') ?? ''} ${unit}`}
                                used={num(a, 'used', 'spent', 'used_tokens', 'used_usd') ?? 0}
                                limit={num(a, 'limit', 'hard', 'limit_tokens', 'limit_usd', 'soft') ?? 0}
                                format={/usd|money|cost/i.test(unit) ? money : humanize} />;
                })}
                {rows.length > 30 && <div class="muted small">and {rows.length - 30} more below 30 (sorted by share used)</div>}
              </div>
            );
          }}
        </Async>
      </Card>
      <div class="grid">
        <Card title="Policies" testid="policies">
          <Async state={policies} feature="Policies" isEmpty={(d) => listOf(d, 'policies').length === 0}
                 empty={<Empty title="No policies">No budgets or rate limits are configured; every request is allowed.</Empty>}>
            {(d) => <AutoTable rows={listOf(d, 'policies')} />}
          </Async>
        </Card>
        <Card title="Recent denials" testid="denials">
          <Async state={denials} feature="The audit log" isEmpty={(d) => listOf(d, 'entries', 'audit', 'events').length === 0}
                 empty={<Empty title="No denials">No request was blocked or throttled recently.</Empty>}>
            {(d) => <AutoTable rows={listOf(d, 'entries', 'audit', 'events')} />}
          </Async>
        </Card>
      </div>
      <p class="muted small">Budgets are enforced by <code>POST /v1/check</code> and the metering proxy; see <a href={href(['overview'])}>Overview</a> for spend trends.</p>
    </div>
  );
}
