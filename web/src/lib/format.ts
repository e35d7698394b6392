// Number, money, time and rank-change formatting for the dashboard.
// Pure functions (no DOM), unit-tested in test/format.test.ts.

const kUnits = ['', ' k', ' M', ' B', ' T', ' P', ' E'];

// 2_100_000_000_000 -> "2.1 T"; 950 -> "950"; 12_345 -> "12.3 k".
// Three significant digits at most, trailing ".0" dropped.
export function humanize(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  let i = 0;
  while (v >= 999.95 && i < kUnits.length - 1) {
    v /= 1000;
    i++;
  }
  if (i === 0) return sign + trimZero(v < 10 && v % 1 !== 0 ? v.toFixed(1) : Math.round(v).toString());
  const digits = v >= 100 ? 0 : 1;
  return sign + trimZero(v.toFixed(digits)) + kUnits[i];
}

export function tokens(n: number | null | undefined): string {
  const h = humanize(n);
  return h === '–' ? h : `${h} tokens`;
}

function trimZero(s: string): string {
  return s.includes('.') ? s.replace(/\.0+$/, '') : s;
}

// US dollars: "$0.42", "$12.3 k", "$1.2 M". Cents below $1,000.
export function money(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '–';
  const sign = usd < 0 ? '-' : '';
  const v = Math.abs(usd);
  if (v === 0) return '$0';
  if (v < 0.01) return `${sign}<$0.01`;
  if (v < 1000) return `${sign}$${v.toFixed(2)}`;
  return `${sign}$${humanize(v)}`;
}

// Compact dollars for chart axes: "$0.5", "$500", "$1.5 k".
export function moneyShort(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '–';
  return `${usd < 0 ? '-' : ''}$${humanize(Math.abs(usd))}`;
}

export function percent(frac: number | null | undefined, digits = 0): string {
  if (frac === null || frac === undefined || !Number.isFinite(frac)) return '–';
  return `${(frac * 100).toFixed(digits)}%`;
}

export type RankChange =
  | { kind: 'new'; text: string; label: string }
  | { kind: 'up' | 'down' | 'same'; delta: number; text: string; label: string };

// prev_rank null (or 0) means the entry was not on the board in the previous window.
export function rankChange(rank: number, prevRank: number | null | undefined): RankChange {
  if (prevRank === null || prevRank === undefined || prevRank <= 0) return { kind: 'new', text: 'new', label: 'new on the board' };
  const delta = prevRank - rank;  // positive = moved up
  if (delta > 0) return { kind: 'up', delta, text: `▲${delta}`, label: `up ${delta} from #${prevRank}` };
  if (delta < 0) return { kind: 'down', delta: -delta, text: `▼${-delta}`, label: `down ${-delta} from #${prevRank}` };
  return { kind: 'same', delta: 0, text: '–', label: 'unchanged' };
}

// Value of a leaderboard metric for sorting/showing, with its unit.
export function metricLabel(metric: string): string {
  switch (metric) {
    case 'tokens': return 'Tokens';
    case 'cost': return 'Cost (USD)';
    case 'requests': return 'Requests';
    case 'value': return 'Value (outcomes)';
    case 'efficiency': return 'Efficiency (value / M tokens)';
    case 'honest': return 'Honest tokens (minus flagged waste)';
    default: return metric;
  }
}

export function formatMetric(metric: string, v: number | null | undefined): string {
  switch (metric) {
    case 'cost': return money(v);
    case 'efficiency': return v === null || v === undefined ? '–' : humanize(round(v, 2));
    default: return humanize(v);
  }
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

// "2026-11-25T10:00:00Z" -> "25 Nov 10:00" (UTC: the server's windows are UTC).
export function shortTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const mon = d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' });
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCDate()} ${mon} ${hh}:${mm}`;
}

// Seconds ago -> "just now", "5 s ago", "3 min ago", "2 h ago", "4 d ago".
export function ago(thenMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
