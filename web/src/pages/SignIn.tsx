import { type FormEvent, useEffect, useState } from 'react';
import { post } from '../api';
import { ErrorBox, useAction, useDebounced } from '../components';

interface Button {
  id: string;
  displayName: string;
  protocol: string;
}

/** Where the provider's logout is offered after signing out of a session opened through it. */
export const PROVIDER_LOGOUT_KEY = 'lectern.providerLogout';

/**
 * POST /v1/session with X-Lectern-CSRF: 1 (api.ts adds it); the cookie is HttpOnly. The
 * institution's single sign-on providers are offered as buttons above the password form; a
 * refused provider sign-in comes back here with its reason in the address.
 */
/** The institution a host name names: its first label, e.g. stateu.lectern.example.edu → stateu. */
const fromHost = () => location.hostname.split('.')[0] ?? '';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const params = new URLSearchParams(location.search);
  const [institution, setInstitution] = useState(() => params.get('institution') ?? localStorage.getItem('lectern.institution') ?? '');
  // The choice of institutions (id and name, public); typed in when the list cannot be had.
  const [choices, setChoices] = useState<{ id: string; name: string }[] | null>(null);
  useEffect(() => {
    let live = true;
    fetch('/v1/sign-in/institutions', { headers: { accept: 'application/json' } })
      .then((r) => (r.ok ? (r.json() as Promise<{ items: { id: string; name: string }[] }>) : { items: [] }))
      .then((r) => {
        if (!live) return;
        setChoices(r.items);
        // A ?institution= link or a remembered choice wins; else the host name; else the only one.
        setInstitution((cur) => {
          if (cur && r.items.some((i) => i.id === cur)) return cur;
          const host = fromHost();
          if (r.items.some((i) => i.id === host)) return host;
          return r.items.length === 1 ? r.items[0]!.id : cur;
        });
      })
      .catch(() => live && setChoices([]));
    return () => {
      live = false;
    };
  }, []);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [providers, setProviders] = useState<Button[]>([]);
  const [ssoError] = useState(() => (params.get('ssoError') ? { code: params.get('ssoError')!, message: params.get('ssoMessage') ?? '' } : undefined));
  const [providerLogout] = useState(() => {
    const v = sessionStorage.getItem(PROVIDER_LOGOUT_KEY);
    sessionStorage.removeItem(PROVIDER_LOGOUT_KEY);
    return v ? (JSON.parse(v) as { displayName: string; url: string }) : undefined;
  });
  const inst = useDebounced(institution.trim(), 300);
  const a = useAction();

  useEffect(() => {
    let live = true;
    if (!inst) {
      setProviders([]);
      return;
    }
    fetch(`/v1/sso/${encodeURIComponent(inst)}/providers`, { headers: { accept: 'application/json' } })
      .then((r) => (r.ok ? (r.json() as Promise<{ items: Button[] }>) : { items: [] }))
      .then((r) => live && setProviders(r.items))
      .catch(() => live && setProviders([]));
    return () => {
      live = false;
    };
  }, [inst]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await a.run(() => post('/session', { institution: institution.trim(), username: username.trim(), password }));
    if (ok !== undefined) {
      localStorage.setItem('lectern.institution', institution.trim());
      onSignedIn();
    }
  };
  const remember = () => localStorage.setItem('lectern.institution', inst);
  return (
    <main className="signin" id="main">
      <h1>Lectern console</h1>
      {providerLogout && (
        <p role="status">
          You are signed out of Lectern. <a href={providerLogout.url}>Also sign out of {providerLogout.displayName}</a>
        </p>
      )}
      {ssoError && (
        <div role="alert" className="error">
          <p>
            <strong>Single sign-on did not sign you in.</strong> {ssoError.message}
          </p>
        </div>
      )}
      <form onSubmit={(e) => void submit(e)} aria-describedby="signin-help">
        <p id="signin-help" className="muted">
          Sign in with your staff account. Students use the video platform, not this console.
        </p>
        <label htmlFor="institution">Institution</label>
        {choices && choices.length > 0 ? (
          <select id="institution" name="institution" required value={institution} onChange={(e) => setInstitution(e.target.value)} autoComplete="organization">
            <option value="">Choose your institution</option>
            {choices.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        ) : (
          <input id="institution" name="institution" required value={institution} onChange={(e) => setInstitution(e.target.value)} placeholder="e.g. stateu" autoComplete="organization" />
        )}
        {providers.length > 0 && (
          <section aria-labelledby="sso-heading" className="sso">
            <h2 id="sso-heading">Sign in with your institution</h2>
            <ul className="plain">
              {providers.map((p) => (
                <li key={p.id}>
                  <a className="button primary" href={`/v1/sso/${encodeURIComponent(inst)}/${encodeURIComponent(p.id)}/start`} onClick={remember}>
                    Sign in with {p.displayName}
                  </a>
                </li>
              ))}
            </ul>
            <p className="muted">Or with a Lectern password:</p>
          </section>
        )}
        <label htmlFor="username">Username or email</label>
        <input id="username" name="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" required value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
        <ErrorBox error={a.error} />
        <button type="submit" className="primary" disabled={a.busy}>
          {a.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
