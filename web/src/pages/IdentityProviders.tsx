/**
 * The institution's sign-in providers (issue 14): list, add, change, remove, and a test sign-in
 * that reports what the provider sent and what Lectern would do with it, creating no one. The
 * SP metadata URL (SAML) or the redirect URI (OIDC) is shown for the IdP's administrators.
 * Secrets are write-only: the page can replace a client secret, never show it.
 */
import { type FormEvent, useState } from 'react';
import { del, get, post, put } from '../api';
import { ErrorBox, Status, useAction, useLoad } from '../components';
import { navigate, useLocation } from '../router';
import { useConfirm } from '../Confirm';

interface Mapping {
  value: string;
  role: string;
  unit: string;
}

interface ProviderView {
  id: string;
  protocol: 'oidc' | 'saml';
  displayName: string;
  enabled: boolean;
  matchBy: 'username' | 'email';
  jit: boolean;
  roles: Mapping[];
  attributes: Record<string, string>;
  oidc?: { issuer: string; clientId: string; scopes: string[] };
  saml?: { entityId: string; ssoUrl: string; logoutUrl?: string; certificates: string[] };
  clientSecretSet?: boolean;
  endpoints: { redirectUri?: string; metadataUrl?: string; acsUrl?: string };
}

interface TestReport {
  provider: string;
  attributes: Record<string, unknown>;
  mapped: Record<string, unknown>;
  outcome: string;
  wouldCreate: boolean;
  roles: { role: string; unit: string }[];
}

export function IdentityProvidersPage() {
  const { search } = useLocation();
  const list = useLoad(() => get<{ items: ProviderView[]; abilities: { configure: boolean } }>('/identity-providers'), []);
  const testId = search.get('test');
  const report = useLoad(() => (testId ? get<TestReport>(`/identity-provider-tests/${encodeURIComponent(testId)}`) : Promise.resolve(undefined)), [testId]);
  const [editing, setEditing] = useState<ProviderView | 'new' | undefined>(undefined);
  const a = useAction();
  const [msg, setMsg] = useState('');
  const confirm = useConfirm();
  const may = list.data?.abilities.configure ?? false;

  const test = async (id: string) => {
    const r = await a.run(() => post<{ url: string }>(`/identity-providers/${encodeURIComponent(id)}/test`));
    if (r) window.location.assign(r.url);
  };
  const remove = async (p: ProviderView) => {
    setMsg('');
    const ok = await confirm.ask({
      title: `Remove ${p.displayName}?`,
      body: `Nobody can sign in through ${p.displayName} (${p.protocol === 'oidc' ? 'OpenID Connect' : 'SAML 2.0'}) any more. Its users keep their accounts, and need a password or another provider to sign in.`,
      action: `Remove ${p.displayName}`,
      danger: true,
    });
    if (!ok) return;
    if (await a.run(() => del(`/identity-providers/${encodeURIComponent(p.id)}`))) {
      setMsg(`${p.displayName} removed.`);
      list.reload();
    }
  };

  return (
    <>
      <div className="page-head">
        <h1>Sign-in providers</h1>
        {may && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            Add a provider
          </button>
        )}
      </div>
      <p className="muted">Staff sign in to the console through these (SAML 2.0 or OpenID Connect). See docs/IDENTITY.md for what to give your identity provider’s administrators.</p>
      <Status>{msg}</Status>
      <ErrorBox error={a.error ?? list.error} />
      {testId && (
        <section aria-labelledby="test-heading" className="card">
          <h2 id="test-heading">Test sign-in</h2>
          <ErrorBox error={report.error} />
          {report.data && (
            <>
              <p>
                <strong>{report.data.outcome}</strong> (nothing was created)
              </p>
              <h3>Mapped</h3>
              <pre>{JSON.stringify(report.data.mapped, null, 2)}</pre>
              <h3>Attributes received</h3>
              <pre>{JSON.stringify(report.data.attributes, null, 2)}</pre>
            </>
          )}
          <button type="button" onClick={() => navigate('/identity-providers', true)}>
            Close the report
          </button>
        </section>
      )}
      {editing && (
        <ProviderForm
          existing={editing === 'new' ? undefined : editing}
          onDone={(m) => {
            setEditing(undefined);
            if (m) setMsg(m);
            list.reload();
          }}
        />
      )}
      {list.data && list.data.items.length === 0 && <p>No providers yet: staff sign in with Lectern passwords.</p>}
      {list.data?.items.map((p) => (
        <section key={p.id} className="card" aria-labelledby={`p-${p.id}`}>
          <h2 id={`p-${p.id}`}>
            {p.displayName} <span className="muted">({p.protocol === 'oidc' ? 'OpenID Connect' : 'SAML 2.0'}, {p.enabled ? 'enabled' : 'disabled'})</span>
          </h2>
          <dl className="endpoints">
            <dt>Provider name (users’ identity provider)</dt>
            <dd>{p.id}</dd>
            {p.endpoints.metadataUrl && (
              <>
                <dt>SP metadata URL (give this to the IdP)</dt>
                <dd>
                  <a href={p.endpoints.metadataUrl}>{p.endpoints.metadataUrl}</a>
                </dd>
                <dt>Assertion consumer service (HTTP-POST)</dt>
                <dd>{p.endpoints.acsUrl}</dd>
              </>
            )}
            {p.endpoints.redirectUri && (
              <>
                <dt>Redirect URI (register it with the provider)</dt>
                <dd>{p.endpoints.redirectUri}</dd>
              </>
            )}
            <dt>Accounts</dt>
            <dd>
              matched by {p.matchBy}; {p.jit ? 'created at first sign-in' : 'never created by sign-in'}
              {p.roles.length > 0 && `; ${p.roles.map((r) => `${r.value} → ${r.role} at ${r.unit}`).join(', ')}`}
            </dd>
          </dl>
          {may && (
            <div className="actions">
              <button type="button" onClick={() => setEditing(p)}>
                Change {p.displayName}
              </button>{' '}
              <button type="button" onClick={() => void test(p.id)}>
                Test sign-in with {p.displayName}
              </button>{' '}
              <button type="button" onClick={() => void remove(p)}>
                Remove {p.displayName}
              </button>
            </div>
          )}
        </section>
      ))}
      {confirm.dialog}
    </>
  );
}

function ProviderForm({ existing, onDone }: { existing?: ProviderView; onDone: (msg?: string) => void }) {
  const [id, setId] = useState(existing?.id ?? '');
  const [protocol, setProtocol] = useState<'oidc' | 'saml'>(existing?.protocol ?? 'saml');
  const [displayName, setDisplayName] = useState(existing?.displayName ?? '');
  const [enabled, setEnabled] = useState(existing?.enabled ?? true);
  const [issuer, setIssuer] = useState(existing?.oidc?.issuer ?? '');
  const [clientId, setClientId] = useState(existing?.oidc?.clientId ?? '');
  const [clientSecret, setClientSecret] = useState('');
  const [metadata, setMetadata] = useState('');
  const [matchBy, setMatchBy] = useState(existing?.matchBy ?? 'username');
  const [jit, setJit] = useState(existing?.jit ?? false);
  const [roles, setRoles] = useState((existing?.roles ?? []).map((r) => `${r.value} = ${r.unit}`).join('\n'));
  const a = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const mappings = roles
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const [value, unit] = l.split('=').map((x) => x.trim());
        return { value: value ?? '', role: 'academic_staff', unit: unit ?? '' };
      });
    const body: Record<string, unknown> = { displayName: displayName.trim() || id.trim(), enabled, matchBy, jit, roles: mappings };
    if (!existing) body.protocol = protocol;
    if (protocol === 'oidc') {
      body.issuer = issuer.trim();
      body.clientId = clientId.trim();
      if (clientSecret) body.clientSecret = clientSecret;
    } else if (metadata.trim()) body.idpMetadata = metadata;
    if (await a.run(() => put(`/identity-providers/${encodeURIComponent(id.trim())}`, body))) onDone(`${displayName || id} saved.`);
  };
  const upload = async (file: File | undefined) => {
    if (file) setMetadata(await file.text());
  };

  return (
    <form className="card provider-form" onSubmit={(e) => void submit(e)} aria-labelledby="provider-form-heading">
      <h2 id="provider-form-heading">{existing ? `Change ${existing.displayName}` : 'Add a provider'}</h2>
      <div className="form-grid">
        <div className="row">
          <label htmlFor="pf-id">Provider name</label>
          <input id="pf-id" type="text" required readOnly={Boolean(existing)} value={id} onChange={(e) => setId(e.target.value)} placeholder="e.g. stateu-shib" />
        </div>
        <div className="row">
          <label htmlFor="pf-protocol">Protocol</label>
          <select id="pf-protocol" value={protocol} disabled={Boolean(existing)} onChange={(e) => setProtocol(e.target.value as 'oidc' | 'saml')}>
            <option value="saml">SAML 2.0 (Shibboleth, Entra ID, Google, …)</option>
            <option value="oidc">OpenID Connect (Entra ID, Google, Okta, …)</option>
          </select>
        </div>
        <div className="row">
          <label htmlFor="pf-name">Button label</label>
          <input id="pf-name" type="text" value={displayName} onChange={(e) => setDisplayName(e.target.value)} placeholder="e.g. State U login" />
        </div>
        {protocol === 'oidc' ? (
          <>
            <div className="row">
              <label htmlFor="pf-issuer">Issuer URL</label>
              <input id="pf-issuer" type="url" required value={issuer} onChange={(e) => setIssuer(e.target.value)} />
            </div>
            <div className="row">
              <label htmlFor="pf-client">Client id</label>
              <input id="pf-client" type="text" required value={clientId} onChange={(e) => setClientId(e.target.value)} />
            </div>
            <div className="row">
              <label htmlFor="pf-secret">Client secret</label>
              <input id="pf-secret" type="password" autoComplete="off" value={clientSecret} onChange={(e) => setClientSecret(e.target.value)} placeholder={existing?.clientSecretSet ? 'set (type to replace)' : ''} />
            </div>
          </>
        ) : (
          <>
            <div className="row">
              <label htmlFor="pf-metadata">IdP metadata XML{existing ? ' (paste to replace)' : ''}</label>
              <textarea id="pf-metadata" rows={6} required={!existing} value={metadata} onChange={(e) => setMetadata(e.target.value)} />
            </div>
            <div className="row">
              <label htmlFor="pf-metadata-file">…or upload the metadata file</label>
              <input id="pf-metadata-file" type="file" accept=".xml,application/xml,text/xml,application/samlmetadata+xml" onChange={(e) => void upload(e.target.files?.[0])} />
            </div>
          </>
        )}
        <div className="row">
          <label htmlFor="pf-match">Match accounts by</label>
          <select id="pf-match" value={matchBy} onChange={(e) => setMatchBy(e.target.value as 'username' | 'email')}>
            <option value="username">username</option>
            <option value="email">email</option>
          </select>
        </div>
        <div className="row">
          <label htmlFor="pf-jit">Create accounts at first sign-in</label>
          <input id="pf-jit" type="checkbox" checked={jit} onChange={(e) => setJit(e.target.checked)} />
        </div>
        <div className="row">
          <label htmlFor="pf-enabled">Enabled</label>
          <input id="pf-enabled" type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        </div>
        <div className="row">
          <label htmlFor="pf-roles">Academic staff by affiliation (one “value = unit” per line)</label>
          <textarea id="pf-roles" rows={3} value={roles} onChange={(e) => setRoles(e.target.value)} placeholder="faculty = science" />
        </div>
        <ErrorBox error={a.error} />
      </div>
      <button type="submit" className="primary" disabled={a.busy}>
        Save
      </button>{' '}
      <button type="button" onClick={() => onDone()}>
        Cancel
      </button>
    </form>
  );
}
