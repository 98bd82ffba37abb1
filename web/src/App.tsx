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
import { ImportsPage } from './pages/Imports';
import { LmsPlatformsPage } from './pages/LmsPlatforms';

import { MinePage } from './pages/Mine';
import { RoomsPage } from './pages/Rooms';
import { LibrariesPage } from './pages/Libraries';
import { NotFoundPage } from './pages/NotFound';

/** What some pages offer beyond their own abilities: from the session, never by probing endpoints. */
export interface Reach {
  licenses: boolean;
  audit: boolean;
  providers: boolean;
  lms?: boolean;
}

const reachOf = (s: Session): Reach => ({ licenses: !!s.abilities['license.view'], audit: !!s.abilities['audit.view'], providers: !!s.abilities['identityProvider.view'] });

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const { path } = useLocation();

  const load = useCallback(async () => {
    try {
      const s = await get<Session>('/session');
      setSession(s);
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
    const title = path === '/' ? 'Lectern' : (PAGES.find((p) => p.match(path))?.title ?? 'Not found');
    document.title = `${title} · Lectern console`;
  }, [path]);

  // `/` is the first page the user has: the users list for admins, their own page for academic staff.
  const home = session ? PAGES.find((p) => p.nav && p.shows(session)) : undefined;
  useEffect(() => {
    if (path === '/' && home) navigate(home.href, true);
  }, [path, home]);

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

  const reach = reachOf(session);
  const nav = PAGES.filter((p) => p.nav && p.shows(session));
  const page = PAGES.find((p) => p.match(path));
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
        {page ? page.render(path, session, reach) : path === '/' ? null : <NotFoundPage path={path} home={home?.href ?? '/'} />}
      </main>
    </div>
  );
}

interface PageDef {
  title: string;
  href: string;
  nav: boolean;
  /** Whether the navigation offers it: read from the session's abilities (policy's answers). */
  shows: (s: Session) => boolean;
  match: (path: string) => boolean;
  render: (path: string, s: Session, r: Reach) => ReactNode;
}

const seg = (path: string, i: number) => decodeURIComponent(path.split('/')[i] ?? '');

const can = (s: Session, ...actions: string[]) => actions.some((a) => s.abilities[a]);
const anywhere = (s: Session, ...actions: string[]) => actions.some((a) => s.anywhere?.[a]);
const always = () => true;
const admin = (s: Session) => can(s, 'user.create', 'license.view');
const hasUser = (s: Session) => s.user !== null;

const PAGES: PageDef[] = [
  { title: 'Users', href: '/users', nav: true, shows: admin, match: (p) => p === '/users', render: (_p, s, r) => <UsersPage session={s} reach={r} /> },
  { title: 'User', href: '/users/', nav: false, shows: always, match: (p) => /^\/users\/[^/]+$/.test(p), render: (p, s, r) => <UserPage key={p} id={seg(p, 2)} session={s} reach={r} /> },
  { title: 'My teaching', href: '/me', nav: true, shows: (s) => hasUser(s) && (anywhere(s, 'section.view') || !PAGES.some((p) => p.nav && p.href !== '/me' && p.shows(s))), match: (p) => p === '/me', render: (_p, s) => <MinePage session={s} /> },
  { title: 'Organisation', href: '/units', nav: true, shows: (s) => can(s, 'institution.configure') || anywhere(s, 'unit.create', 'unit.update', 'unit.settings'), match: (p) => p === '/units', render: (_p, s) => <UnitsPage session={s} /> },
  { title: 'Licensing', href: '/licenses', nav: true, shows: (s) => can(s, 'license.view'), match: (p) => p === '/licenses', render: () => <LicensesPage /> },
  { title: 'Teaching', href: '/teaching', nav: true, shows: (s) => anywhere(s, 'term.create', 'course.create', 'section.create', 'schedule.create'), match: (p) => p === '/teaching' || /^\/teaching\/sections\/[^/]+$/.test(p), render: (p, s) => <TeachingPage session={s} section={p.startsWith('/teaching/sections/') ? seg(p, 3) : null} /> },
  { title: 'Rooms and devices', href: '/rooms', nav: true, shows: (s) => can(s, 'room.create', 'device.register'), match: (p) => p === '/rooms', render: () => <RoomsPage /> },
  { title: 'Settings', href: '/settings', nav: true, shows: (s) => anywhere(s, 'unit.settings'), match: (p) => p === '/settings', render: () => <SettingsPage /> },
  { title: 'Libraries', href: '/libraries', nav: true, shows: (s) => anywhere(s, 'library.create'), match: (p) => p === '/libraries', render: () => <LibrariesPage /> },
  { title: 'Collections', href: '/collections', nav: true, shows: (s) => anywhere(s, 'collection.view', 'section.view'), match: (p) => p === '/collections', render: () => <CollectionsPage /> },
  { title: 'Collection', href: '/collections/', nav: false, shows: always, match: (p) => /^\/collections\/[^/]+$/.test(p), render: (p, s) => <CollectionPage key={p} id={seg(p, 2)} session={s} /> },
  { title: 'Why?', href: '/why', nav: true, shows: admin, match: (p) => p === '/why', render: () => <WhyPage /> },
  { title: 'Sign-in providers', href: '/identity-providers', nav: true, shows: (s) => can(s, 'identityProvider.view'), match: (p) => p === '/identity-providers', render: () => <IdentityProvidersPage /> },
  { title: 'Audit log', href: '/audit', nav: true, shows: (s) => can(s, 'audit.view'), match: (p) => p === '/audit', render: () => <AuditPage /> },
  { title: 'Imports and exports', href: '/imports', nav: true, shows: (s) => anywhere(s, 'import.run', 'export.run'), match: (p) => p === '/imports', render: () => <ImportsPage /> },
  { title: 'LMS platforms', href: '/lms', nav: true, shows: (s) => can(s, 'lti.view'), match: (p) => p === '/lms', render: () => <LmsPlatformsPage /> },
];
