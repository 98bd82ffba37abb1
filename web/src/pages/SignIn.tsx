import { type FormEvent, useState } from 'react';
import { post } from '../api';
import { ErrorBox, useAction } from '../components';

/** POST /v1/session with X-Lectern-CSRF: 1 (api.ts adds it); the cookie is HttpOnly. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [institution, setInstitution] = useState(() => localStorage.getItem('lectern.institution') ?? '');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await a.run(() => post('/session', { institution: institution.trim(), username: username.trim(), password }));
    if (ok !== undefined) {
      localStorage.setItem('lectern.institution', institution.trim());
      onSignedIn();
    }
  };
  return (
    <main className="signin" id="main">
      <h1>Lectern console</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby="signin-help">
        <p id="signin-help" className="muted">
          Sign in with your staff account. Students use the video platform, not this console.
        </p>
        <label htmlFor="institution">Institution</label>
        <input id="institution" name="institution" required value={institution} onChange={(e) => setInstitution(e.target.value)} placeholder="e.g. stateu" autoComplete="organization" />
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
