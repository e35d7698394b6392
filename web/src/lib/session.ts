// Where the dashboard keeps the API key (sessionStorage: gone when the tab
// closes) and the theme choice (localStorage). Also the shared app context.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api, Whoami } from './api';

const kKeyItem = 'burnrate.key';
const kThemeItem = 'burnrate.theme';

export function loadKey(): string | null {
  try { return sessionStorage.getItem(kKeyItem); } catch { return null; }
}
export function saveKey(key: string) {
  try { sessionStorage.setItem(kKeyItem, key); } catch { /* private mode: key lives in memory only */ }
}
export function clearKey() {
  try { sessionStorage.removeItem(kKeyItem); } catch { /* nothing to clear */ }
}

export type Theme = 'dark' | 'light';
export function loadTheme(): Theme {
  try {
    const t = localStorage.getItem(kThemeItem);
    if (t === 'dark' || t === 'light') return t;
  } catch { /* fall through */ }
  return matchMedia && matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}
export function saveTheme(t: Theme) {
  try { localStorage.setItem(kThemeItem, t); } catch { /* not persisted */ }
}

export function isAdmin(who: Whoami | null) { return who?.role === 'admin'; }

export interface Session { api: Api; who: Whoami; theme: Theme }
export const SessionContext = createContext<Session | null>(null);
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a logged-in app');
  return s;
}
