// The dashboard shell: login gate, navigation, theme, and the page router.
import { useEffect, useState } from 'preact/hooks';
import { Api, ApiError, type Whoami } from './lib/api';
import { href, useRoute } from './lib/router';
import { clearKey, isAdmin, loadKey, loadTheme, saveKey, saveTheme, SessionContext, type Theme } from './lib/session';
import { Login } from './pages/login';
import { LeaderboardPage } from './pages/leaderboard';
import { ProfilePage } from './pages/profile';
import { GroupPage } from './pages/group';
import { ReviewPage } from './pages/review';
import { BudgetsPage } from './pages/budgets';
import { OverviewPage } from './pages/overview';
import { Empty } from './components/states';
import { Logo } from './components/logo';

interface Nav { id: string; label: string; adminOnly?: boolean }
const kNav: Nav[] = [
  { id: 'leaderboard', label: 'Leaderboard' },
  { id: 'overview', label: 'Overview' },
  { id: 'review', label: 'Review queue', adminOnly: true },
  { id: 'budgets', label: 'Budgets & policies' },
];

export function App() {
  const [theme, setTheme] = useState<Theme>(loadTheme);
  const [auth, setAuth] = useState<{ api: Api; who: Whoami } | null>(null);
  const [checking, setChecking] = useState(() => loadKey() !== null);
  const [loginError, setLoginError] = useState('');
  const route = useRoute();

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    saveTheme(theme);
  }, [theme]);

  const login = async (key: string) => {
    const api = new Api(key);
    setChecking(true);
    try {
      const who = await api.whoami();
      saveKey(key);
      setAuth({ api, who });
      setLoginError('');
    } catch (e) {
      clearKey();
      setLoginError(e instanceof ApiError && e.denied ? 'That key was not accepted.' : (e as Error).message);
    } finally {
      setChecking(false);
    }
  };

  useEffect(() => {
    const k = loadKey();
    if (k) login(k);
  }, []);

  const logout = () => { clearKey(); setAuth(null); };
  const toggleTheme = () => setTheme(theme === 'dark' ? 'light' : 'dark');

  if (!auth) {
    return <Login onLogin={login} error={loginError} busy={checking} theme={theme} toggleTheme={toggleTheme} />;
  }

  const page = route.path[0] ?? 'leaderboard';
  const admin = isAdmin(auth.who);
  return (
    <SessionContext.Provider value={{ ...auth, theme }}>
      <div class="shell">
        <header class="topbar">
          <a class="brand" href={href(['leaderboard'])}><Logo /> burnrate</a>
          <nav class="nav" aria-label="Pages">
            {kNav.map((n) => (
              <a key={n.id} href={href([n.id])} class={page === n.id ? 'active' : ''}
                 title={n.adminOnly && !admin ? 'admin only' : undefined}>
                {n.label}{n.adminOnly && !admin ? <span class="muted small"> · admin</span> : ''}
              </a>
            ))}
          </nav>
          <div class="who">
            <span class={`role role-${auth.who.role}`} data-testid="role">{auth.who.role}</span>
            <span class="principal" title="key principal">{auth.who.principal}</span>
            <button class="btn ghost" onClick={toggleTheme} aria-label="Switch theme" data-testid="theme">
              {theme === 'dark' ? '☀' : '☾'}
            </button>
            <button class="btn ghost" onClick={logout}>Log out</button>
          </div>
        </header>
        <main class="main">{renderPage(page, route.path, route.query)}</main>
      </div>
    </SessionContext.Provider>
  );
}

function renderPage(page: string, path: string[], query: Record<string, string>) {
  switch (page) {
    case 'leaderboard': return <LeaderboardPage query={query} />;
    case 'overview': return <OverviewPage />;
    case 'users': return <ProfilePage id={path[1] ?? ''} query={query} />;
    case 'teams': case 'orgs': case 'projects': case 'models':
      return <GroupPage kind={page} id={path[1] ?? ''} query={query} />;
    case 'review': return <ReviewPage />;
    case 'budgets': return <BudgetsPage />;
    default:
      return <Empty title="No such page">Nothing lives at “{path.join('/')}”. Try the <a href={href(['leaderboard'])}>leaderboard</a>.</Empty>;
  }
}
