// Small presentational pieces shared by the pages.
import type { ComponentChildren } from 'preact';
import type { Badge } from '../lib/api';
import { percent, rankChange } from '../lib/format';

export function Card({ title, children, wide, testid, extra }: {
  title?: string; children: ComponentChildren; wide?: boolean; testid?: string; extra?: ComponentChildren;
}) {
  return (
    <section class={`card${wide ? ' wide' : ''}`} data-testid={testid}>
      {title && <header class="card-head"><h2>{title}</h2>{extra}</header>}
      {children}
    </section>
  );
}

export function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div class="stat" title={hint}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

export function RankArrow({ rank, prev }: { rank: number; prev: number | null | undefined }) {
  const c = rankChange(rank, prev);
  return <span class={`rank-change ${c.kind}`} title={c.label} aria-label={c.label}>{c.text}</span>;
}

export function badgeName(b: string | Badge): string {
  return typeof b === 'string' ? b : b.name ?? b.id ?? 'badge';
}

export function BadgeChip({ badge }: { badge: string | Badge }) {
  const name = badgeName(badge);
  const title = typeof badge === 'string' ? name : [badge.description, badge.awarded_at && `awarded ${badge.awarded_at}`]
    .filter(Boolean).join(' · ');
  return <span class="badge" title={title || name}>{name}</span>;
}

// A horizontal gauge: used / limit, coloured by how close to the limit.
export function Gauge({ label, used, limit, format, detail }: {
  label: string; used: number; limit: number; format: (n: number) => string; detail?: string;
}) {
  const frac = limit > 0 ? used / limit : 0;
  const level = frac >= 1 ? 'over' : frac >= 0.8 ? 'near' : 'ok';
  return (
    <div class={`gauge ${level}`} data-testid="gauge">
      <div class="gauge-label"><b class="gauge-name" title={label}>{label}</b><span class="gauge-pct">{percent(frac)}</span></div>
      <div class="gauge-sub"><span>{format(used)} of {format(limit)}</span>{detail && <span class="muted">{detail}</span>}</div>
      <div class="gauge-track" role="meter" aria-valuemin={0} aria-valuemax={limit} aria-valuenow={used} aria-label={label}>
        <div class="gauge-fill" style={{ width: `${Math.min(100, frac * 100)}%` }} />
      </div>
    </div>
  );
}

// A simple bar list: name, bar proportional to the largest value, value.
export function BarList({ items, format, unit }: {
  items: Array<{ name: string; value: number; href?: string }>; format: (n: number) => string; unit: string;
}) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return (
    <div class="barlist" aria-label={`values in ${unit}`}>
      {items.map((i) => (
        <div class="barlist-row" key={i.name}>
          <span class="barlist-name" title={i.name}>{i.href ? <a href={i.href}>{i.name}</a> : i.name}</span>
          <span class="barlist-bar"><span style={{ width: `${(i.value / max) * 100}%` }} /></span>
          <span class="barlist-value">{format(i.value)}</span>
        </div>
      ))}
      <div class="barlist-unit">Unit: {unit}</div>
    </div>
  );
}
