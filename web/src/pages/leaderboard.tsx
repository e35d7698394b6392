// The leaderboard: entity / window / metric switchers, search, a virtual
// scroller that renders only the visible rows (so 100,000 entries stay
// smooth), and live updates of the top 100 over server-sent events.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LeaderboardEntry } from '../lib/api';
import {
  boardParams, entityPath, kEntities, kMetrics, kWindowLabels, kWindows, metricValue, RowCache, visibleRange,
  type BoardParams,
} from '../lib/board_state';
import { ago, formatMetric, humanize, metricLabel, money } from '../lib/format';
import { subscribe, type LiveStatus } from '../lib/live';
import { href, navigate } from '../lib/router';
import { useSession } from '../lib/session';
import { BadgeChip, RankArrow } from '../components/bits';
import { indexBadges, type BadgeIndex } from '../lib/badges';
import { Empty, ErrorView } from '../components/states';

const kRowHeight = 44;
const kFetchSettleMs = 60;

export function LeaderboardPage({ query }: { query: Record<string, string> }) {
  const params = boardParams(query);
  const set = (patch: Partial<BoardParams>) =>
    navigate(['leaderboard'], { ...params, ...patch }, patch.q !== undefined);
  return (
    <div class="page">
      <div class="toolbar" data-testid="switchers">
        <Segmented label="Entity" value={params.entity} options={kEntities.map((e) => [e, `${e[0].toUpperCase()}${e.slice(1)}s`])}
                   onChange={(entity) => set({ entity, q: '' })} testid="entity" />
        <Segmented label="Window" value={params.window} options={kWindows.map((w) => [w, kWindowLabels[w]])}
                   onChange={(window) => set({ window })} testid="window" />
        <Segmented label="Rank by" value={params.metric}
                   options={kMetrics.map((m) => [m, metricLabel(m).replace(/ \(.*/, '')])}
                   onChange={(metric) => set({ metric })} testid="metric" />
        <SearchBox value={params.q} onChange={(q) => set({ q })} entity={params.entity} />
      </div>
      <Board params={params} />
    </div>
  );
}

function Segmented({ label, value, options, onChange, testid }: {
  label: string; value: string; options: Array<[string, string]>; onChange: (v: string) => void; testid: string;
}) {
  return (
    <div class="segmented" role="group" aria-label={label} data-testid={testid}>
      <span class="seg-label">{label}</span>
      {options.map(([v, text]) => (
        <button key={v} class={v === value ? 'on' : ''} aria-pressed={v === value} data-value={v}
                onClick={() => onChange(v)}>{text}</button>
      ))}
    </div>
  );
}

function SearchBox({ value, onChange, entity }: { value: string; onChange: (q: string) => void; entity: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const t = setTimeout(() => onChange(text), 250);
    return () => clearTimeout(t);
  }, [text]);
  return (
    <input class="search" type="search" placeholder={`Search ${entity}s by name…`} value={text}
           aria-label="Search by name" data-testid="search"
           onInput={(e) => setText((e.target as HTMLInputElement).value)} />
  );
}

function Board({ params }: { params: BoardParams }) {
  const { api } = useSession();
  const cache = useMemo(() => new RowCache(), [params.entity, params.window, params.metric, params.q]);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [loadedFor, setLoadedFor] = useState<RowCache | null>(null);
  const loaded = loadedFor === cache;
  const [live, setLive] = useState<LiveStatus>('off');
  const [flash, setFlash] = useState<Set<string>>(new Set());
  const [lastUpdate, setLastUpdate] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  const [badgeIndex, setBadgeIndex] = useState<BadgeIndex | null>(null);
  useEffect(() => {
    let live = true;
    api.badges({ limit: 10000 }).then((d) => live && setBadgeIndex(indexBadges(d, params.entity)), () => {});
    return () => { live = false; };
  }, [params.entity]);
  const box = useRef<HTMLDivElement>(null);
  const current = useRef(cache);
  current.current = cache;

  useEffect(() => { setError(null); box.current?.scrollTo(0, 0); }, [cache]);

  const range = visibleRange(scroll.top, scroll.height, kRowHeight, loaded ? cache.total : 0);

  // Fetch whatever pages the visible slice is missing (page 0 first time).
  // While the slice keeps moving (a fling through 100,000 rows) wait until it
  // rests for kFetchSettleMs, so only the pages the user stops on are asked
  // for; placeholders show meanwhile.
  useEffect(() => {
    const fetchMissing = () => {
      const need = cache.missing(range.start, Math.max(range.end, range.start + 1));
      for (const p of need) {
        cache.markPending(p);
        api.leaderboard({ ...params, limit: cache.pageSize, offset: p * cache.pageSize }).then(
          (b) => { if (current.current !== cache) return; cache.setPage(p, b); setLoadedFor(cache); setLastUpdate(Date.now()); setVersion((v) => v + 1); },
          (e) => { cache.failPage(p); if (p === 0 && current.current === cache) setError(e); },
        );
      }
    };
    if (!loaded) { fetchMissing(); return; }
    const t = setTimeout(fetchMissing, kFetchSettleMs);
    return () => clearTimeout(t);
  }, [cache, range.start, range.end, loaded, version]);

  // Live top-100 over SSE (not while searching: the stream is the full board).
  useEffect(() => {
    if (params.q) { setLive('off'); return; }
    return subscribe(api.streamUrl(params), 'leaderboard', (b) => {
      const changed = cache.applyLive(b);
      setLoadedFor(cache);
      setFlash(changed);
      setLastUpdate(Date.now());
      setVersion((v) => v + 1);
    }, setLive);
  }, [cache]);

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setScroll({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, [loaded]);

  if (error) return <ErrorView error={error} feature="The leaderboard" retry={() => { setError(null); cache.reset(); setLoadedFor(null); setVersion((v) => v + 1); }} />;
  if (!loaded) return <div class="state loading"><span class="spinner" /> Loading the leaderboard…</div>;
  if (cache.total === 0) {
    return params.q
      ? <Empty title={`No ${params.entity}s match “${params.q}”`}>Try a shorter part of the name.</Empty>
      : <Empty title={`No ${params.entity}s on the board for ${kWindowLabels[params.window].toLowerCase()}`}>
          Nothing was used in this window yet. Send usage events to <code>POST /v1/events</code> (or run
          <code> burnrate simulate</code>) and the board fills in live.
        </Empty>;
  }

  const rows: Array<{ i: number; e?: LeaderboardEntry }> = [];
  for (let i = range.start; i < range.end; i++) {
    const e = cache.row(i);
    rows.push({ i, e: e && !e.badges?.length && badgeIndex?.bySubject.has(e.id) ? { ...e, badges: badgeIndex.bySubject.get(e.id)! } : e });
  }
  // The badge column shows only when the server sends badges with entries.
  const hasBadges = rows.some(({ e }) => (e?.badges?.length ?? 0) > 0);
  return (
    <div class={`board-wrap${hasBadges ? '' : ' no-badges'}`} data-testid="board" data-version={version}>
      <div class="board-status">
        <span data-testid="total">{humanize(cache.total)} {params.entity}s</span>
        <span class={`live-status ${live}`} data-state={live} data-testid="live-status" title="Live updates of the top 100 over server-sent events">
          ● {live === 'live' ? 'live' : live === 'off' ? (params.q ? 'live off while searching' : 'live off') : live}
        </span>
        <span class="muted" data-testid="updated">updated {lastUpdate ? ago(lastUpdate, now) : '–'}</span>
        <span class="muted">{metricLabel(params.metric)}</span>
      </div>
      <div class={`board-head cols-${params.entity}`} role="row">
        <span class="c-rank">#</span><span class="c-chg">Δ</span><span class="c-name">Name</span>
        <span class="c-metric" title={`ranked by ${metricLabel(params.metric)}`}>{metricLabel(params.metric).replace(/ \(.*/, '')} ▾</span>
        <span class="c-num c-tok">Tokens</span><span class="c-num c-cost">Cost</span>
        <span class="c-num c-req">Requests</span><span class="c-num c-val">Outcomes</span>
        <span class="c-badges">Badges</span>
      </div>
      <div class="board" ref={box} role="table" aria-rowcount={cache.total}
           onScroll={(ev) => {
             const el = ev.currentTarget as HTMLDivElement;
             // Re-render only when the first visible row changes.
             if (Math.floor(el.scrollTop / kRowHeight) !== Math.floor(scroll.top / kRowHeight) || el.clientHeight !== scroll.height) {
               setScroll({ top: el.scrollTop, height: el.clientHeight });
             }
           }}>
        <div style={{ height: `${cache.total * kRowHeight}px`, position: 'relative' }}>
          <div style={{ transform: `translateY(${range.start * kRowHeight}px)` }}>
            {rows.map(({ i, e }) => e
              ? <Row key={e.id} e={e} entity={params.entity} metric={params.metric} flash={flash.has(e.id)} />
              : <div key={`p${i}`} class="board-row placeholder" style={{ height: `${kRowHeight}px` }}><span class="c-rank">{i + 1}</span><span class="c-name muted">…</span></div>)}
          </div>
        </div>
      </div>
    </div>
  );
}

// "; by source: gateway 1.5K, logs 50" (classes with tokens, largest first),
// or "" when the server sent no split.
const kSourceLabels: Record<string, string> = { gateway: 'gateway', otlp: 'OTLP', logs: 'uploaded logs', ndjson: 'NDJSON' };
export function sourceSplit(e: LeaderboardEntry): string {
  const parts = Object.entries(e.tokens_by_source ?? {})
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, n]) => `${kSourceLabels[k] ?? k} ${humanize(n ?? 0)}`);
  return parts.length ? ` — by source: ${parts.join(', ')}` : '';
}

function Row({ e, entity, metric, flash }: { e: LeaderboardEntry; entity: string; metric: string; flash: boolean }) {
  const badges = e.badges ?? [];
  return (
    <div class={`board-row cols-${entity}${flash ? ' flash' : ''}${e.rank <= 3 ? ` top${e.rank}` : ''}`} role="row"
         style={{ height: `${kRowHeight}px` }} data-testid="board-row" data-id={e.id} data-rank={e.rank}>
      <span class="c-rank">{e.rank}</span>
      <span class="c-chg"><RankArrow rank={e.rank} prev={e.prev_rank} /></span>
      <span class="c-name">
        <a href={href(entityPath(entity, e.id))}>{e.id}</a>
        {entity === 'user' && e.team && <a class="sub" href={href(['teams', e.team])}>{e.team}</a>}
      </span>
      <span class="c-metric" data-testid="metric-value">{formatMetric(metric, metricValue(metric, e))}</span>
      <span class="c-num c-tok" title={`${e.total_tokens.toLocaleString()} tokens${sourceSplit(e)}`}
            data-testid="tokens">{humanize(e.total_tokens)}</span>
      <span class="c-num c-cost">{money(e.cost_usd)}</span>
      <span class="c-num c-req">{humanize(e.requests)}</span>
      <span class="c-num c-val">{humanize(e.outcomes)}</span>
      <span class="c-badges">{badges.slice(0, 3).map((b, k) => <BadgeChip key={k} badge={b} />)}
        {badges.length > 3 && <span class="badge more">+{badges.length - 3}</span>}</span>
    </div>
  );
}
