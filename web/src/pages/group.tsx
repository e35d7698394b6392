// Team, org, project and model pages: the group's own board row (rank,
// tokens, cost, estimated waste), its spend trend and models, and (teams and
// orgs) its members from the user board.
//
// The trend comes from /v1/{kind}/{id}/usage when the server has it; for
// teams and orgs without it, from the sum of the members' usage (labelled so).
import { useMemo } from 'preact/hooks';
import type { LeaderboardEntry, Usage } from '../lib/api';
import { ApiError } from '../lib/api';
import { humanize, money } from '../lib/format';
import { href, navigate } from '../lib/router';
import { useSession } from '../lib/session';
import { windowRange } from '../lib/shape';
import { sumUsage } from '../lib/sum_usage';
import { useData } from '../lib/use_data';
import { Card, RankArrow, Stat } from '../components/bits';
import { Async, Empty } from '../components/states';
import { ByModel, UsageChart } from '../components/usage';

const kKindEntity: Record<string, string> = { teams: 'team', orgs: 'org', projects: 'project', models: 'model' };
const kMemberScan = 1000;
const kMemberSum = 25;
const kWindows = ['24h', '7d', '30d'];

export function GroupPage({ kind, id, query }: { kind: string; id: string; query: Record<string, string> }) {
  const { api } = useSession();
  const entity = kKindEntity[kind] ?? 'team';
  const window = kWindows.includes(query.window) ? query.window : '7d';
  const range = useMemo(() => windowRange(window, Date.now()), [window, id]);
  const own = useData(() => api.leaderboard({ entity, window, metric: 'tokens', q: id, limit: 20 }), [entity, id, window]);
  const members = useData(async () => {
    if (entity !== 'team' && entity !== 'org') return [] as LeaderboardEntry[];
    const b = await api.leaderboard({ entity: 'user', window, metric: 'tokens', limit: kMemberScan });
    return b.entries.filter((e) => (entity === 'team' ? e.team : e.org) === id);
  }, [entity, id, window]);
  const profile = useData(() => (entity === 'team' ? api.profile('teams', id) : Promise.resolve(null)), [entity, id]);
  const memberCount = profile.data ? (profile.data.members ?? []).length : undefined;
  const usage = useData<{ u: Usage; summed: number }>(async () => {
    try {
      return { u: await api.groupUsage(kind, id, range), summed: 0 };
    } catch (e) {
      if (!(e instanceof ApiError && e.notFound) || (entity !== 'team' && entity !== 'org')) throw e;
      const b = await api.leaderboard({ entity: 'user', window, metric: 'tokens', limit: kMemberScan });
      const ids = b.entries.filter((x) => (entity === 'team' ? x.team : x.org) === id).slice(0, kMemberSum).map((x) => x.id);
      const parts = await Promise.all(ids.map((u) => api.usage(u, range)));
      return { u: sumUsage(id, parts), summed: ids.length };
    }
  }, [kind, id, range]);
  return (
    <div class="page" data-testid="group">
      <div class="page-head">
        <h1><span class="muted">{entity}</span> {id}</h1>
        <div class="segmented small" role="group" aria-label="Window">
          {kWindows.map((w) => <button key={w} class={w === window ? 'on' : ''} aria-pressed={w === window}
                                       onClick={() => navigate([kind, id], { window: w })}>{w}</button>)}
        </div>
      </div>
      <Card title="Totals" wide>
        <Async state={own} feature={`The ${entity} board`}>
          {(b) => {
            const e = b.entries.find((x) => x.id === id);
            if (!e) return <Empty title={`No usage for ${entity} “${id}” in the last ${window}`} />;
            return (
              <div class="stats">
                <Stat label="Rank" value={`#${e.rank}`} /><div class="stat"><RankArrow rank={e.rank} prev={e.prev_rank} /></div>
                <Stat label="Tokens" value={humanize(e.total_tokens)} /><Stat label="Cost" value={money(e.cost_usd)} />
                <Stat label="Requests" value={humanize(e.requests)} /><Stat label="Outcomes" value={humanize(e.outcomes)} />
                <Stat label="Estimated waste" value={`${humanize(e.wasted_tokens)} tokens`}
                      hint="tokens the farming detectors attribute to non-productive use" />
              </div>
            );
          }}
        </Async>
      </Card>
      <Card title={`Spend trend (${window}, UTC)`} wide testid="group-trend">
        <Async state={usage} feature="The spend trend">
          {({ u, summed }) => <>
            <UsageChart usage={u} />
            {summed > 0 && <div class="muted small">Sum of the {summed} heaviest members' usage (this server has no
              {' '}/v1/{kind}/…/usage route).</div>}
          </>}
        </Async>
      </Card>
      <div class="grid">
        <Async state={usage} feature="Models">{({ u }) => <ByModel usage={u} />}</Async>
        {(entity === 'team' || entity === 'org') && (
          <Card title={memberCount !== undefined ? `Members (${memberCount})` : 'Members'} testid="members">
            <Async state={members} feature="Members" isEmpty={(m) => m.length === 0}
                   empty={<Empty title="No members among the top users">No user in the top {kMemberScan} of this window belongs to {id}.</Empty>}>
              {(m) => (<>
                {memberCount !== undefined && memberCount > m.length && <div class="muted small">{m.length} of {memberCount} members
                  used tokens in the last {window}.</div>}
                <table class="table"><thead><tr><th>#</th><th>User</th><th class="num">Tokens</th><th class="num">Cost</th><th class="num">Outcomes</th></tr></thead>
                  <tbody>{m.map((e) => (
                    <tr key={e.id}><td>{e.rank}</td><td><a href={href(['users', e.id])}>{e.id}</a></td>
                      <td class="num">{humanize(e.total_tokens)}</td><td class="num">{money(e.cost_usd)}</td>
                      <td class="num">{humanize(e.outcomes)}</td></tr>))}</tbody></table>
              </>)}
            </Async>
          </Card>
        )}
      </div>
    </div>
  );
}
