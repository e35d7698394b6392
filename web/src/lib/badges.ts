// Badge awards, joined to their rules' display names, by subject. The board
// entries do not carry badges, so the leaderboard asks /v1/badges once and
// looks each row up here.
import type { Badge, Json } from './api';
import { listOf } from './api';

export interface BadgeIndex {
  bySubject: Map<string, Badge[]>;
}

export function indexBadges(data: Json | null | undefined, entity: string): BadgeIndex {
  const names = new Map<string, { name: string; description?: string }>();
  for (const r of listOf(data, 'rules')) names.set(String(r.id), { name: String(r.name ?? r.id), description: r.description });
  const bySubject = new Map<string, Badge[]>();
  for (const a of listOf(data, 'awards')) {
    if (a.entity && a.entity !== entity) continue;
    const rule = names.get(String(a.badge));
    const b: Badge = { id: a.badge, name: rule?.name ?? String(a.badge), description: rule?.description,
                       awarded_at: a.awarded_at, evidence: a.evidence };
    const list = bySubject.get(a.subject) ?? [];
    list.push(b);
    bySubject.set(a.subject, list);
  }
  return { bySubject };
}

// Evidence worth showing a person: drop bookkeeping timestamps.
export function badgeEvidence(ev: unknown): Json | unknown {
  if (!ev || typeof ev !== 'object' || Array.isArray(ev)) return ev;
  const out: Json = {};
  for (const [k, v] of Object.entries(ev as Json)) {
    if (k === 'from' || k === 'to' || k === 'evaluated_at') continue;
    out[k] = v;
  }
  return out;
}
