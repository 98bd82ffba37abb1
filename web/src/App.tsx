/**
 * The console shell: who is signed in (GET /v1/session), the navigation — only the pages the
 * signed-in user can use — and the page for the current path.
 */
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiError, del, get, type Session, setUnauthenticatedHandler } from './api';
import { Link, navigate, useLocation } from './router';
import { PROVIDER_LOGOUT_KEY, SignIn } from './pages/SignIn';
import { UsersPage } from './pages/Users';
import { UserPage } from './pages/User';
import { UnitsPage } from './pages/Units';
import { LicensesPage } from './pages/Licenses';
import { TeachingPage } from './pages/Teaching';
import { SettingsPage } from './pages/Settings';
import { CollectionsPage, CollectionPage } from './pages/Collections';
import { WhyPage } from './pages/Why';
import { AuditPage } from './pages/Audit';
import { IdentityProvidersPage } from './pages/IdentityProviders';
import { LmsPlatformsPage } from './pages/LmsPlatforms';

/** What the navigation shows: asked of the API once after sign-in. */
export interface Reach {
  licenses: boolean;
  audit: boolean;
  providers: boolean;
  lms?: boolean;
}

async function probe(path: string): Promise<boolean> {
  try {
    await get(path);
    return true;
  } catch {
    return false;
  }
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [reach, setReach] = useState<Reach>({ licenses: false, audit: false, providers: false });
  const { path } = useLocation();

  const load = useCallback(async () => {
    try {
      const s = await get<Session>('/session');
      setSession(s);
      const [licenses, audit, providers] = await Promise.all([probe('/license-packs'), probe('/audit?limit=1'), probe('/identity-providers')]);
      setReach({ licenses, audit, providers });
      // The LMS page (issue 15) is probed on its own so this list's line stays as it was.
      void probe('/lti/platforms').then((lms) => setReach((r) => ({ ...r, lms })));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setSession(null);
      else throw e;
    }
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => setSession(null));
    void load();
  }, [load]);

  useEffect(() => {
    const title = PAGES.find((p) => p.match(path))?.title ?? 'Lectern';
    document.title = `${title} · Lectern console`;
  }, [path]);

  if (session === undefined) return <p className="loading">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={() => void load()} />;

  const signOut = async () => {
    // A session opened through a provider offers the provider's logout too.
    const logout = await get<{ logout: { displayName: string; url: string } | null }>('/sso/logout').catch(() => ({ logout: null }));
    if (logout.logout) sessionStorage.setItem(PROVIDER_LOGOUT_KEY, JSON.stringify(logout.logout));
    await del('/session').catch(() => undefined);
    setSession(null);
    navigate('/', true);
  };

  const nav = PAGES.filter((p) => p.nav && (!p.needs || reach[p.needs]));
  const page = PAGES.find((p) => p.match(path)) ?? PAGES[0]!;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Lectern</span>
        <span className="inst">{session.institution.name}</span>
        <span className="who">
          Signed in as <strong>{session.user ? `${session.user.firstName} ${session.user.lastName}` : session.via}</strong>
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav className="side" aria-label="Console">
        <ul>
          {nav.map((p) => (
            <li key={p.href}>
              <Link to={p.href} aria-current={page === p ? 'page' : undefined}>
                {p.title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {page.render(path, session, reach)}
      </main>
    </div>
  );
}

interface PageDef {
  title: string;
  href: string;
  nav: boolean;
  needs?: keyof Reach;
  match: (path: string) => boolean;
  render: (path: string, s: Session, r: Reach) => ReactNode;
}

const seg = (path: string, i: number) => decodeURIComponent(path.split('/')[i] ?? '');

const PAGES: PageDef[] = [
  { title: 'Users', href: '/users', nav: true, match: (p) => p === '/' || p === '/users', render: (_p, s, r) => <UsersPage session={s} reach={r} /> },
  { title: 'User', href: '/users/', nav: false, match: (p) => p.startsWith('/users/'), render: (p, s, r) => <UserPage key={p} id={seg(p, 2)} session={s} reach={r} /> },
  { title: 'Organisation', href: '/units', nav: true, match: (p) => p === '/units', render: (_p, s) => <UnitsPage session={s} /> },
  { title: 'Licensing', href: '/licenses', nav: true, needs: 'licenses', match: (p) => p === '/licenses', render: () => <LicensesPage /> },
  { title: 'Teaching', href: '/teaching', nav: true, match: (p) => p === '/teaching', render: () => <TeachingPage /> },
  { title: 'Settings', href: '/settings', nav: true, match: (p) => p === '/settings', render: () => <SettingsPage /> },
  { title: 'Collections', href: '/collections', nav: true, match: (p) => p === '/collections', render: () => <CollectionsPage /> },
  { title: 'Collection', href: '/collections/', nav: false, match: (p) => p.startsWith('/collections/'), render: (p, s) => <CollectionPage key={p} id={seg(p, 2)} session={s} /> },
  { title: 'Why?', href: '/why', nav: true, match: (p) => p === '/why', render: () => <WhyPage /> },
  { title: 'Sign-in providers', href: '/identity-providers', nav: true, needs: 'providers', match: (p) => p === '/identity-providers', render: () => <IdentityProvidersPage /> },
  { title: 'Audit log', href: '/audit', nav: true, needs: 'audit', match: (p) => p === '/audit', render: () => <AuditPage /> },
  { title: 'LMS platforms', href: '/lms', nav: true, needs: 'lms', match: (p) => p === '/lms', render: () => <LmsPlatformsPage /> },
];
