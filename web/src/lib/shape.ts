// Defensive readers for API objects whose exact shape may still move
// (profiles, flags, policies arrive from other work in progress). Each takes
// a list of candidate field names and returns the first that fits.
import type { Json } from './api';

export function num(o: Json | undefined | null, ...keys: string[]): number | undefined {
  if (!o) return undefined;
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

export function str(o: Json | undefined | null, ...keys: string[]): string | undefined {
  if (!o) return undefined;
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

export function arr(o: Json | undefined | null, ...keys: string[]): Json[] {
  if (!o) return [];
  for (const k of keys) if (Array.isArray(o[k])) return o[k];
  return [];
}

export function obj(o: Json | undefined | null, ...keys: string[]): Json | undefined {
  if (!o) return undefined;
  for (const k of keys) {
    const v = o[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  }
  return undefined;
}

// "cache_read_tokens" -> "Cache read tokens".
export function labelOf(key: string): string {
  const s = key.replace(/_/g, ' ').replace(/\busd\b/i, '(USD)');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// Numbers in evidence: integers as they are, fractions to 3 significant digits.
function numText(x: number): string {
  return Number.isInteger(x) ? x.toLocaleString('en-US') : String(Number(x.toPrecision(3)));
}

// Short readable text for any evidence value: scalars as they are, objects
// as "key: value" pairs, nested objects as compact JSON.
export function describe(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numText(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(describe).join(', ');
  return Object.entries(v as Json)
    .map(([k, x]) => `${labelOf(k)}: ${typeof x === 'number' ? numText(x) : typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x)}`)
    .join(' · ');
}

// Time window -> [from, to] ISO strings ending now.
export function windowRange(window: string, nowMs: number): { from: string; to: string; granularity: 'hour' | 'day' } {
  const hours: Record<string, number> = { '24h': 24, '7d': 168, '30d': 720, '90d': 2160 };
  const h = hours[window] ?? 168;
  return {
    from: new Date(nowMs - h * 3600_000).toISOString(),
    to: new Date(nowMs).toISOString(),
    granularity: h <= 168 ? 'hour' : 'day',
  };
}
