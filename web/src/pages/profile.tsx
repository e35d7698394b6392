// A user's profile: usage over time by token kind, by model, sessions,
// outcomes and efficiency, badges with evidence, budget gauges, and flags.
// The usage endpoint drives the page; the profile, flags and allowances
// endpoints add panels when the server provides them.
import { useMemo } from 'preact/hooks';
import type { Json } from '../lib/api';
import { ApiError, listOf } from '../lib/api';
import { humanize, money, shortTime } from '../lib/format';
import { href, navigate } from '../lib/router';
import { useSession } from '../lib/session';
import { arr, describe, labelOf, num, obj, str, windowRange } from '../lib/shape';
import { useData } from '../lib/use_data';
import { BadgeChip, Card, Gauge, Stat } from '../components/bits';
import { Async, Empty } from '../components/states';
import { ByModel, UsageChart, UsageTotals } from '../components/usage';
import { FlagCard } from './review';

const kProfileWindows = ['24h', '7d', '30d'];

export function ProfilePage({ id, query }: { id: string; query: Record<string, string> }) {
  const { api } = useSession();
  const window = kProfileWindows.includes(query.window) ? query.window : '7d';
  const range = useMemo(() => windowRange(window, Date.now()), [window, id]);
  const usage = useData(() => api.usage(id, range), [id, range]);
  const profile = useData(() => api.profile('users', id), [id]);
  const flags = useData(() => api.flags({ user: id, window: '30d' }), [id]);
  const allowance = useData(() => api.allowance({ user: id }), [id]);
  if (!id) return <Empty title="No user given">Open a user from the <a href={href(['leaderboard'])}>leaderboard</a>.</Empty>;
  const p = profile.data ?? (usage.data as unknown as Json | undefined);
  return (
    <div class="page" data-testid="profile">
      <div class="page-head">
        <h1>{id}</h1>
        {p && str(p, 'team') && <a class="chip" href={href(['teams', str(p, 'team')!])}>team {str(p, 'team')}</a>}
        {p && str(p, 'org') && <a class="chip" href={href(['orgs', str(p, 'org')!])}>org {str(p, 'org')}</a>}
        <div class="segmented small" role="group" aria-label="Window">
          {kProfileWindows.map((w) => (
            <button key={w} class={w === window ? 'on' : ''} aria-pressed={w === window}
                    onClick={() => navigate(['users', id], { window: w })}>{w}</button>
          ))}
        </div>
      </div>
      <Card title={`Usage over time (${window}, UTC)`} wide>
        <Async state={usage} feature="Usage">
          {(u) => <><UsageTotals usage={u} /><UsageChart usage={u} /></>}
        </Async>
      </Card>
      <div class="grid">
        <Async state={usage} feature="Usage by model">{(u) => <ByModel usage={u} />}</Async>
        <Async state={usage} feature="Outcomes">{(u) => <OutcomesCard p={profile.data ?? {}} totals={u.totals as Json} />}</Async>
        <Card title="Budgets" testid="budgets-gauges">
          <Async state={allowance} feature="Budgets" isEmpty={(d) => listOf(d, 'budgets').length === 0}
                 empty={<Empty title="No budget applies">No per-user, team or project budget covers this user.</Empty>}>
            {(d) => <>{listOf(d, 'budgets').map((b, i) => <BudgetGauge key={i} b={b} />)}</>}
          </Async>
        </Card>
        <ProfilePanels state={profile} />
        <Card title="Flags" testid="profile-flags">
          <Async state={flags} feature="Flags" isEmpty={(d) => flaggedOf(d).length === 0}
                 empty={<Empty title="No flags">No farming detector flagged this user in the last 30 days.</Empty>}>
            {(d) => <div class="stack">{flaggedOf(d).map((f) => <FlagCard key={str(f, 'id')} flag={f} compact />)}</div>}
          </Async>
        </Card>
      </div>
    </div>
  );
}

function ProfilePanels({ state }: { state: ReturnType<typeof useData<Json>> }) {
  if (state.error instanceof ApiError && state.error.notFound) {
    return (
      <Card title="Badges and sessions">
        <Empty title="Not provided by this server">Badges (with their evidence) and sessions appear here when the server
          answers <code>GET /v1/users/&#123;id&#125;</code>.</Empty>
      </Card>
    );
  }
  return (
    <Async state={state} feature="Profile details">
      {(p) => <>
        <BadgesCard p={p} />
        <SessionsCard p={p} />
      </>}
    </Async>
  );
}

// Efficiency as the board defines it, unshrunk: value per million tokens.
export function efficiencyOf(t: Json): number | undefined {
  const tokens = num(t, 'total_tokens') ?? 0;
  const value = num(t, 'value');
  return tokens > 0 && value !== undefined ? value / (tokens / 1e6) : undefined;
}

function OutcomesCard({ p, totals }: { p: Json; totals: Json }) {
  const outcomes = obj(p, 'outcomes', 'outcomes_by_kind');
  const eff = num(p, 'efficiency') ?? efficiencyOf(totals);
  const value = num(p, 'value') ?? num(totals, 'value');
  const count = num(totals, 'outcomes');
  const entries = outcomes ? Object.entries(outcomes).filter(([, v]) => typeof v === 'number') : [];
  return (
    <Card title="Outcomes and efficiency">
      <div class="stats">
        <Stat label="Efficiency (value / M tokens)" value={eff === undefined ? '–' : humanize(Math.round(eff * 100) / 100)} />
        <Stat label="Value (weighted outcomes)" value={humanize(value === undefined ? undefined : Math.round(value * 10) / 10)} />
        <Stat label="Outcomes" value={humanize(count)} />
      </div>
      {entries.length ? (
        <table class="kv"><tbody>{entries.map(([k, v]) => <tr key={k}><th>{labelOf(k)}</th><td>{humanize(v as number)}</td></tr>)}</tbody></table>
      ) : !count ? <Empty title="No outcomes recorded">Commits, pull requests and accepted edits count as outcomes once reported.</Empty>
        : <div class="muted small">Outcomes by kind are not broken down by this server.</div>}
    </Card>
  );
}

function BadgesCard({ p }: { p: Json }) {
  const badges = arr(p, 'badges');
  return (
    <Card title="Badges" testid="badges">
      {badges.length ? (
        <ul class="evidence-list">
          {badges.map((b, i) => (
            <li key={i}>
              <BadgeChip badge={typeof b === 'string' ? b : { name: str(b, 'name', 'id', 'badge') ?? 'badge', ...b }} />
              {typeof b === 'object' && <span class="muted small"> {str(b, 'awarded_at') ? `awarded ${shortTime(str(b, 'awarded_at'))}` : ''}</span>}
              {typeof b === 'object' && b.evidence !== undefined && <div class="evidence">{describe(b.evidence)}</div>}
            </li>
          ))}
        </ul>
      ) : <Empty title="No badges yet">Badges are awarded by rules (volume, streaks, efficiency) with the evidence shown here.</Empty>}
    </Card>
  );
}

function flaggedOf(d: Json): Json[] {
  return listOf(d, 'flags').filter((f) => f.flagged !== false);
}

// One budget from /v1/allowance: used (+ reserved) of its limit.
export function BudgetGauge({ b }: { b: Json }) {
  const unit = str(b, 'unit') ?? 'tokens';
  const isMoney = /usd|cost|money/i.test(unit);
  const period = str(b, 'resets_at') === 'rolling' ? 'rolling' : str(b, 'resets_at') ? `resets ${shortTime(str(b, 'resets_at'))}` : '';
  return <Gauge label={`${str(b, 'policy', 'name', 'id') ?? 'budget'} · ${str(b, 'subject') ?? ''} · ${str(b, 'enforce') ?? ''} ${period}`}
                used={(num(b, 'used') ?? 0) + (num(b, 'reserved') ?? 0)} limit={num(b, 'limit') ?? 0}
                format={isMoney ? money : humanize} />;
}

function SessionsCard({ p }: { p: Json }) {
  const sessions = arr(p, 'sessions', 'recent_sessions');
  const count = num(p, 'session_count', 'sessions');
  return (
    <Card title="Sessions">
      {sessions.length ? (
        <table class="table"><thead><tr><th>Session</th><th>Started (UTC)</th><th class="num">Tokens</th><th class="num">Requests</th><th class="num">Cost</th></tr></thead>
          <tbody>{sessions.slice(0, 20).map((s, i) => (
            <tr key={i}><td class="mono">{(str(s, 'id', 'session', 'session_id') ?? '').slice(0, 12)}</td>
              <td>{shortTime(str(s, 'start', 'started_at', 'first'))}</td>
              <td class="num">{humanize(num(s, 'total_tokens', 'tokens'))}</td>
              <td class="num">{humanize(num(s, 'requests'))}</td>
              <td class="num">{money(num(s, 'cost_usd'))}</td></tr>))}</tbody></table>
      ) : count !== undefined ? <div class="stats"><Stat label="Sessions" value={humanize(count)} /></div>
        : <Empty title="No sessions recorded" />}
    </Card>
  );
}
