// A table for lists whose exact fields we do not hard-code (policies, audit
// entries): columns are the scalar fields of the rows, in first-seen order,
// numbers humanised, timestamps shortened.
import type { Json } from '../lib/api';
import { humanize, money, shortTime } from '../lib/format';
import { labelOf } from '../lib/shape';

function cell(key: string, v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return /usd|cost/i.test(key) ? money(v) : humanize(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string' && /(^|_)(at|time|ts)$/.test(key)) return shortTime(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function AutoTable({ rows, max = 9, testid }: { rows: Json[]; max?: number; testid?: string }) {
  const cols: string[] = [];
  for (const r of rows.slice(0, 50)) {
    for (const [k, v] of Object.entries(r)) {
      if (cols.length < max && !cols.includes(k) && (v === null || typeof v !== 'object')) cols.push(k);
    }
  }
  return (
    <div class="table-scroll">
      <table class="table" data-testid={testid}>
        <thead><tr>{cols.map((c) => <th key={c}>{labelOf(c)}</th>)}</tr></thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>{cols.map((c) => <td key={c} class={typeof r[c] === 'number' ? 'num' : ''}>{cell(c, r[c])}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
