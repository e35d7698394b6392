// Team, org, project and model pages: the group's own board row (tokens,
// cost, waste), its spend trend and top models when the server provides a
// profile, and its members from the user board.
import type { Json, LeaderboardEntry } from '../lib/api';

import { humanize, money, shortTime } from '../lib/format';
import { href } from '../lib/router';
import { useSession } from '../lib/session';
import { arr, num, str } from '../lib/shape';
import { BarList, Card, RankArrow, Stat } from '../components/bits';
import { Chart, kColors } from '../components/chart';
import { Async, Empty } from '../components/states';
import { useData } from '../lib/use_data';

const kKindEntity: Record<string, string> = { teams: 'team', orgs: 'org', projects: 'project', models: 'model' };
const kMemberScan = 1000;

export function GroupPage({ kind, id, query }: { kind: string; id: string; query: Record<string, string> }) {
  const { api } = useSession();
  const entity = kKindEntity[kind] ?? 'team';
  const window = query.window ?? '7d';
  const own = useData(() => api.leaderboard({ entity, window, metric: 'tokens', q: id, limit: 20 }), [entity, id, window]);
  const profile = useData(() => api.profile(kind as 'teams', id), [kind, id]);
  const members = useData(async () => {
    if (entity !== 'team' && entity !== 'org') return [] as LeaderboardEntry[];
    const b = await api.leaderboard({ entity: 'user', window, metric: 'tokens', limit: kMemberScan });
    return b.entries.filter((e) => (entity === 'team' ? e.team : e.org) === id);
  }, [entity, id, window]);
  return (
    <div class="page" data-testid="group">
      <div class="page-head"><h1><span class="muted">{entity}</span> {id}</h1><span class="muted">{window}</span></div>
      <Card title="Totals" wide>
        <Async state={own} feature={`The ${entity} board`}>
          {(b) => {
            const e = b.entries.find((x) => x.id === id);
            if (!e) return <Empty title={`No usage for ${entity} “${id}” in this window`} />;
            return (
              <div class="stats">
                <Stat label="Rank" value={`#${e.rank}`} /><div class="stat"><RankArrow rank={e.rank} prev={e.prev_rank} /></div>
                <Stat label="Tokens" value={humanize(e.total_tokens)} /><Stat label="Cost" value={money(e.cost_usd)} />
                <Stat label="Requests" value={humanize(e.requests)} /><Stat label="Outcomes" value={humanize(e.outcomes)} />
                <Stat label="Estimated waste" value={`${humanize(e.wasted_tokens)} tokens`} />
              </div>
            );
          }}
        </Async>
      </Card>
      <div class="grid">
        <Async state={profile} feature={`The ${entity} profile`}>{(p) => <GroupProfile p={p} />}</Async>
        {(entity === 'team' || entity === 'org') && (
          <Card title="Members" testid="members">
            <Async state={members} feature="Members" isEmpty={(m) => m.length === 0}
                   empty={<Empty title="No members among the top users">No user in the top {kMemberScan} of this window belongs to {id}.</Empty>}>
              {(m) => (
                <table class="table"><thead><tr><th>#</th><th>User</th><th class="num">Tokens</th><th class="num">Cost</th><th class="num">Outcomes</th></tr></thead>
                  <tbody>{m.map((e) => (
                    <tr key={e.id}><td>{e.rank}</td><td><a href={href(['users', e.id])}>{e.id}</a></td>
                      <td class="num">{humanize(e.total_tokens)}</td><td class="num">{money(e.cost_usd)}</td>
                      <td class="num">{humanize(e.outcomes)}</td></tr>))}</tbody></table>
              )}
            </Async>
          </Card>
        )}
      </div>
    </div>
  );
}

function GroupProfile({ p }: { p: Json }) {
  const { theme } = useSession();
  const series = arr(p, 'series', 'daily', 'days');
  const models = arr(p, 'top_models', 'models', 'by_model');
  const times = series.map((s) => Math.floor(new Date(str(s, 't', 'date', 'day') ?? 0).getTime() / 1000));
  return (
    <>
      <Card title="Spend trend">
        {series.length ? <Chart times={times} theme={theme} unit="tokens" format={humanize} rightUnit="USD" rightFormat={money}
                                series={[{ label: 'Tokens', values: series.map((s) => num(s, 'total_tokens', 'tokens') ?? 0), color: kColors.input, fill: true },
                                         { label: 'Cost', values: series.map((s) => num(s, 'cost_usd') ?? 0), color: kColors.cost, axis: 'right' }]} />
          : <Empty title="No trend data">The server did not return a time series for this group.</Empty>}
      </Card>
      <Card title="Top models">
        {models.length ? <BarList items={models.map((m) => ({ name: str(m, 'model', 'name') ?? '?', value: num(m, 'total_tokens', 'tokens') ?? 0 }))}
                                  format={humanize} unit="tokens" />
          : <Empty title="No model breakdown" />}
        {str(p, 'updated_at') && <div class="muted small">updated {shortTime(str(p, 'updated_at'))}</div>}
      </Card>
    </>
  );
}
