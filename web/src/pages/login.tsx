// Login form: the API key is checked with /v1/whoami and then kept in
// sessionStorage for this tab only.
import { useState } from 'preact/hooks';
import { Logo } from '../components/logo';

export function Login({ onLogin, error, busy, theme, toggleTheme }: {
  onLogin: (key: string) => void; error: string; busy: boolean; theme: string; toggleTheme: () => void;
}) {
  const [key, setKey] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    if (key.trim()) onLogin(key.trim());
  };
  return (
    <div class="login-wrap">
      <form class="login card" onSubmit={submit} data-testid="login">
        <h1 class="brand"><Logo size={28} /> burnrate</h1>
        <p class="muted">Token usage, leaderboards and governance for AI coding agents.</p>
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autoComplete="off" placeholder="br_…" value={key}
               onInput={(e) => setKey((e.target as HTMLInputElement).value)} autoFocus />
        <p class="muted small">Create one with <code>burnrate keys create --role viewer</code>. The key stays in this
          browser tab only (session storage).</p>
        {error && <div class="state error small" role="alert">{error}</div>}
        <div class="row">
          <button class="btn primary" type="submit" disabled={busy || !key.trim()}>{busy ? 'Checking…' : 'Log in'}</button>
          <button class="btn ghost" type="button" onClick={toggleTheme}>{theme === 'dark' ? '☀ Light' : '☾ Dark'}</button>
        </div>
      </form>
    </div>
  );
}
