// Hash routing: "#/users/alice?window=7d" -> {path: ['users','alice'],
// query: {window: '7d'}}. Hash URLs keep every page reachable whatever the
// server's fallback rules, and survive a reload.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  path: string[];
  query: Record<string, string>;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [p, q = ''] = h.split('?', 2);
  const path = p.split('/').filter(Boolean).map(decodeURIComponent);
  const query: Record<string, string> = {};
  for (const part of q.split('&')) {
    if (!part) continue;
    const [k, v = ''] = part.split('=', 2);
    try {
      query[decodeURIComponent(k)] = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      // A malformed escape in a hand-edited URL: skip the parameter.
    }
  }
  return { path, query };
}

export function href(path: string[], query: Record<string, string | undefined> = {}): string {
  const p = path.map(encodeURIComponent).join('/');
  const q = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`)
    .join('&');
  return `#/${p}${q ? `?${q}` : ''}`;
}

export function navigate(path: string[], query: Record<string, string | undefined> = {}, replace = false) {
  const h = href(path, query);
  if (replace) history.replaceState(null, '', h);
  else location.hash = h;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
