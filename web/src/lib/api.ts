// Thin client for burnrate's JSON API. Every call sends the API key as a
// bearer token; failures become ApiError with the HTTP status, so pages can
// tell "not there yet" (404), "not allowed" (401/403) and "broken" apart.
// All paths are relative: the dashboard is served by the same process.

export type Role = 'admin' | 'viewer' | 'ingest' | 'self' | string;

export class ApiError extends Error {
  constructor(public status: number, message: string, public field?: string) {
    super(message);
  }
  get notFound() { return this.status === 404; }
  get denied() { return this.status === 401 || this.status === 403; }
}

export interface Whoami { role: Role; principal: string }

export interface LeaderboardEntry {
  rank: number;
  prev_rank: number | null;
  id: string;
  team?: string;
  org?: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  total_tokens: number;
  cost_usd: number;
  requests: number;
  outcomes: number;
  value: number;
  efficiency: number;
  wasted_tokens: number;
  // Tokens in the window by where they came from (docs/leaderboards.md, "Trust by source").
  tokens_by_source?: Partial<Record<'gateway' | 'otlp' | 'logs' | 'ndjson', number>>;
  badges: Array<string | Badge>;
}

export interface Leaderboard {
  entity: string;
  window: string;
  metric: string;
  from?: string;
  to?: string;
  total_entries: number;
  generated_at?: string;
  entries: LeaderboardEntry[];
}

export interface Badge {
  id?: string;
  name: string;
  awarded_at?: string;
  evidence?: unknown;
  description?: string;
}

export interface UsagePoint {
  t: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  requests: number;
}

export interface Usage {
  user: string;
  granularity: string;
  series: UsagePoint[];
  totals: Partial<UsagePoint> & { total_tokens?: number };
  by_model: Array<{ model: string; total_tokens: number; cost_usd: number }>;
}

export interface OverviewDay {
  date: string;
  total_tokens: number;
  cost_usd: number;
  active_users: number;
  outcomes: number;
  wasted_tokens: number;  // of flags that count as waste (high confidence or confirmed)
}

export interface Overview {
  timezone?: string;
  days: OverviewDay[];
  top_models: Array<{ model: string; total_tokens: number; cost_usd?: number }>;
  totals: Record<string, number>;
}

export type Json = Record<string, any>;

export class Api {
  constructor(private key: string, private base = '', private fetchFn: typeof fetch = fetch.bind(globalThis)) {}

  async get<T = Json>(path: string, params?: Record<string, string | number | undefined>): Promise<T> {
    return this.request<T>('GET', path + query(params));
  }

  async post<T = Json>(path: string, body: unknown, contentType = 'application/json'): Promise<T> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return this.request<T>('POST', path, text, contentType);
  }

  private async request<T>(method: string, path: string, body?: string, contentType?: string): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.key}`, Accept: 'application/json' };
    if (contentType) headers['Content-Type'] = contentType;
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, { method, headers, body });
    } catch (e) {
      throw new ApiError(0, `cannot reach the burnrate server (${(e as Error).message})`);
    }
    const text = await res.text();
    let data: any = undefined;
    if (text) {
      try { data = JSON.parse(text); } catch { data = undefined; }
    }
    if (!res.ok) {
      const msg = data && typeof data.error === 'string' ? data.error : `${res.status} ${res.statusText || 'error'}`;
      throw new ApiError(res.status, msg, data && data.field);
    }
    if (data === undefined && text) throw new ApiError(res.status, `${path}: the server did not answer JSON`);
    return data as T;
  }

  whoami() { return this.get<Whoami>('/v1/whoami'); }

  leaderboard(p: { entity: string; window: string; metric: string; limit?: number; offset?: number; q?: string }) {
    return this.get<Leaderboard>('/v1/leaderboard', { ...p, q: p.q || undefined });
  }

  usage(user: string, p: { from?: string; to?: string; granularity: 'hour' | 'day' }) {
    return this.groupUsage('users', user, p);
  }

  // Usage of any entity kind ("users", "teams", ...) where the server has the route.
  groupUsage(kind: string, id: string, p: { from?: string; to?: string; granularity: 'hour' | 'day' }) {
    return this.get<Usage>(`/v1/${kind}/${encodeURIComponent(id)}/usage`, p);
  }

  profile(kind: 'users' | 'teams' | 'orgs' | 'projects', id: string) {
    return this.get<Json>(`/v1/${kind}/${encodeURIComponent(id)}`);
  }

  overview(days = 30) { return this.get<Overview>('/v1/overview', { days }); }

  flags(p: { window?: string; user?: string; status?: string } = {}) {
    return this.get<Json>('/v1/flags', p);
  }

  reviewFlag(id: string, action: 'confirm' | 'dismiss', note: string) {
    return this.post<Json>(`/v1/flags/${encodeURIComponent(id)}/${action}`, { note });
  }

  // Badge rules and awards: {rules: [{id, name, description, ...}], awards: [{badge, entity, subject, awarded_at, evidence}]}.
  badges(p: { user?: string; limit?: number } = {}) { return this.get<Json>('/v1/badges', p); }

  policies() { return this.get<Json>('/v1/policies'); }
  // Budgets that apply to one subject: {budgets: [{policy, subject, unit, enforce, limit, used, reserved, remaining, resets_at}]}.
  allowance(p: { user?: string; team?: string; project?: string }) { return this.get<Json>('/v1/allowance', p); }
  // The org quota split across projects: {unit, capacity, projects: [{project, used, allowance, fair_share, why}]}.
  quota() { return this.get<Json>('/v1/quota'); }
  audit(p: { action?: string; limit?: number } = {}) { return this.get<Json>('/v1/audit', p); }

  // URL for an EventSource (which cannot set headers: the key goes in the query).
  streamUrl(p: { entity: string; window: string; metric: string }) {
    return `${this.base}/v1/stream/leaderboard${query({ ...p, key: this.key })}`;
  }
}

export function query(params?: Record<string, string | number | undefined>): string {
  if (!params) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

// Lists come back as a bare array or wrapped ({flags: [...]}, {items: [...]},
// ...). Accept any of these so the pages survive small API changes.
export function listOf<T = Json>(data: unknown, ...keys: string[]): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === 'object') {
    for (const k of [...keys, 'items', 'entries', 'data', 'results']) {
      const v = (data as Json)[k];
      if (Array.isArray(v)) return v as T[];
    }
  }
  return [];
}
