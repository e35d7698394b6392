// A user's profile: usage over time by token kind, by model, sessions,
// outcomes and efficiency, badges with evidence, budget gauges, and flags.
// The usage endpoint drives the page; the profile, flags and allowances
// endpoints add panels when the server provides them.
import { useMemo } from 'preact/hooks';
import type { Json } from '../lib/api';
import { ApiError, listOf } from '../lib/api';
import { badgeEvidence, indexBadges, type BadgeIndex } from '../lib/badges';
import { humanize, money, shortTime } from '../lib/format';
import { href, navigate } from '../lib/router';
import { useSession } from '../lib/session';
import { arr, describe, labelOf, num, obj, str, windowRange } from '../lib/shape';
import { useData } from '../lib/use_data';
import { BadgeChip, Card, Gauge, RankArrow, Stat } from '../components/bits';
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
  const badgeRules = useData(() => api.badges({ user: id, limit: 100 }), [id]);
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
          {(u) => <>{profile.data && <RanksRow p={profile.data} window={window} />}<UsageTotals usage={u} /><UsageChart usage={u} /></>}
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
        <ProfilePanels state={profile} badges={badgeRules.data ? indexBadges(badgeRules.data, 'user') : null} />
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

function ProfilePanels({ state, badges }: { state: ReturnType<typeof useData<Json>>; badges: BadgeIndex | null }) {
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
        <BadgesCard p={p} index={badges} />
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

// Outcomes by kind from the profile: [{kind, events, amount}] or {kind: n}.
export function outcomeEntries(p: Json): Array<[string, number]> {
  const list = arr(p, 'outcomes');
  if (list.length) return list.map((o) => [str(o, 'kind') ?? '?', num(o, 'amount', 'events') ?? 0] as [string, number]);
  const o = obj(p, 'outcomes', 'outcomes_by_kind');
  return o ? Object.entries(o).filter(([, v]) => typeof v === 'number') as Array<[string, number]> : [];
}

function OutcomesCard({ p, totals }: { p: Json; totals: Json }) {
  const eff = num(p, 'efficiency') ?? efficiencyOf(totals);  // unshrunk; the board's rank uses the shrunk value
  const value = num(p, 'value') ?? num(totals, 'value');
  const count = num(totals, 'outcomes');
  const entries = outcomeEntries(p);
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

function BadgesCard({ p, index }: { p: Json; index: BadgeIndex | null }) {
  // Prefer /v1/badges (it carries the rules' display names); fall back to the profile's awards.
  const named = index?.bySubject.get(str(p, 'id') ?? '') ?? [];
  const badges: Json[] = named.length ? named as Json[] : arr(p, 'badges');
  return (
    <Card title="Badges" testid="badges">
      {badges.length ? (
        <ul class="evidence-list">
          {badges.map((b, i) => (
            <li key={i}>
              <BadgeChip badge={typeof b === 'string' ? b : { name: str(b, 'name', 'id', 'badge') ?? 'badge', ...b }} />
              {typeof b === 'object' && <span class="muted small"> {str(b, 'awarded_at') ? `awarded ${shortTime(str(b, 'awarded_at'))}` : ''}</span>}
              {typeof b === 'object' && str(b, 'description') && <span class="muted small"> · {str(b, 'description')}</span>}
              {typeof b === 'object' && b.evidence !== undefined && <div class="evidence">{describe(badgeEvidence(b.evidence))}</div>}
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
  const subject = (str(b, 'subject') ?? '').replace(/^user:/, '');
  return <Gauge label={subject || (str(b, 'policy') ?? 'budget')}
                detail={`${str(b, 'policy', 'name', 'id') ?? 'budget'} · ${str(b, 'enforce') ?? ''}${period ? ` · ${period}` : ''}`}
                used={(num(b, 'used') ?? 0) + (num(b, 'reserved') ?? 0)} limit={num(b, 'limit') ?? 0}
                format={isMoney ? money : humanize} />;
}

function SessionsCard({ p }: { p: Json }) {
  const sessions = arr(p, 'longest_sessions', 'recent_sessions', 'sessions');
  const count = num(p, 'session_count', 'sessions');
  const streak = obj(p, 'streak');
  return (
    <Card title="Sessions" testid="sessions">
      <div class="stats">
        {count !== undefined && <Stat label="Sessions" value={humanize(count)} />}
        {streak && <Stat label="Streak (days in a row)" value={humanize(num(streak, 'days') ?? 0)}
                         hint={str(streak, 'first_day') ? `${str(streak, 'first_day')} – ${str(streak, 'last_day')}` : undefined} />}
      </div>
      {sessions.length ? (
        <table class="table"><thead><tr><th>Longest sessions</th><th>Started (UTC)</th><th class="num">Hours</th></tr></thead>
          <tbody>{sessions.slice(0, 10).map((x, i) => (
            <tr key={i}><td class="mono" title={str(x, 'session', 'id', 'session_id')}>{(str(x, 'session', 'id', 'session_id') ?? '').slice(0, 16)}</td>
              <td>{shortTime(str(x, 'start', 'started_at', 'first'))}</td>
              <td class="num">{(num(x, 'hours') ?? 0).toFixed(1)}</td></tr>))}</tbody></table>
      ) : count === undefined && <Empty title="No sessions recorded" />}
    </Card>
  );
}

// Ranks of this user in the selected window: {tokens: {rank, prev_rank, percentile}, ...}.
export function RanksRow({ p, window }: { p: Json; window: string }) {
  const w = obj(obj(p, 'windows') ?? {}, window);
  const ranks = obj(w ?? {}, 'ranks');
  if (!ranks) return null;
  const items = Object.entries(ranks).filter(([, r]) => r && typeof r === 'object') as Array<[string, Json]>;
  if (!items.length) return null;
  return (
    <div class="stats ranks" data-testid="ranks">
      {items.map(([metric, r]) => (
        <div class="stat" key={metric}>
          <div class="stat-value">#{num(r, 'rank')} <RankArrow rank={num(r, 'rank') ?? 0} prev={r.prev_rank} /></div>
          <div class="stat-label">{labelOf(metric)} · top {Math.max(1, Math.ceil(100 - (num(r, 'percentile') ?? 0)))}%</div>
        </div>
      ))}
    </div>
  );
}
