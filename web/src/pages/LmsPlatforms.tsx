/**
 * The institution's LMS registrations for LTI 1.3 (issue 15): list, register, change and remove
 * them. Each shows the three URLs the LMS's administrator pastes into the LMS (login initiation,
 * launch/redirect, JWKS), as GET /v1/lti/platforms gives them. Saving is PUT /v1/lti/platforms/:id
 * (the lti.configure operation), removing is DELETE (courses, sections and enrollments stay).
 */
import { type FormEvent, useEffect, useState } from 'react';
import { del, enc, get, put, type Unit } from '../api';
import { ErrorBox, Status, useAction, useLoad } from '../components';

const SECTION_ROLES = ['instructor', 'teaching_assistant', 'student', 'guest_presenter', 'student_presenter', 'none'] as const;

interface PlatformView {
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  deploymentIds: string[];
  authUrl: string;
  jwksUrl: string;
  tokenUrl: string;
  tokenAudience: string;
  unitId: string;
  roleMapping: Record<string, string>;
  userMatch: string[];
  createUsers: boolean;
  staffRule: 'grant' | 'student';
  syncMinutes: number;
  urls: { loginInitiation: string; launch: string; jwks: string };
}

interface PlatformList {
  items: PlatformView[];
  abilities?: { configure: boolean };
}

export function LmsPlatformsPage() {
  const list = useLoad(() => get<PlatformList>('/lti/platforms'), []);
  const units = useLoad(() => get<{ items: Unit[] }>('/units').then((r) => r.items), []);
  const [editing, setEditing] = useState<PlatformView | 'new' | undefined>(undefined);
  const [msg, setMsg] = useState('');
  // Opening the form retires the last message, so the next one (even the same words) is the newest.
  useEffect(() => {
    if (editing) setMsg('');
  }, [editing]);
  const a = useAction();
  const may = list.data?.abilities?.configure ?? false;
  const unitName = (id: string) => units.data?.find((u) => u.id === id)?.name ?? id;

  const remove = async (p: PlatformView) => {
    if (!window.confirm(`Remove ${p.name}? Its courses, sections and enrollments stay, but launches from it stop.`)) return;
    if (await a.run(() => del(`/lti/platforms/${enc(p.id)}`))) {
      setMsg(`${p.name} removed.`);
      list.reload();
    }
  };

  return (
    <>
      <div className="page-head">
        <h1>LMS platforms</h1>
        {may && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            Register an LMS
          </button>
        )}
      </div>
      <p className="muted">
        People open Lectern from a course in these learning management systems (LTI 1.3). Give each LMS’s administrator the three URLs shown for it; see docs/LTI.md.
      </p>
      <Status>{msg}</Status>
      <ErrorBox error={a.error ?? list.error} />
      {editing && (
        <PlatformForm
          existing={editing === 'new' ? undefined : editing}
          units={units.data ?? []}
          onDone={(m) => {
            setEditing(undefined);
            if (m) setMsg(m);
            list.reload();
          }}
        />
      )}
      {list.data && list.data.items.length === 0 && <p>No LMS is registered yet.</p>}
      {list.data?.items.map((p) => (
        <section key={p.id} className="card" aria-labelledby={`lms-${p.id}`}>
          <h2 id={`lms-${p.id}`}>
            {p.name} <span className="muted">({p.id})</span>
          </h2>
          <dl className="endpoints">
            <dt>Login initiation URL (OIDC login / initiate login URL)</dt>
            <dd>
              <code>{p.urls.loginInitiation}</code>
            </dd>
            <dt>Launch / redirect URL (target link URI)</dt>
            <dd>
              <code>{p.urls.launch}</code>
            </dd>
            <dt>Public keyset URL (JWKS)</dt>
            <dd>
              <code>{p.urls.jwks}</code>
            </dd>
            <dt>Issuer and client id</dt>
            <dd>
              {p.issuer} · {p.clientId}
            </dd>
            <dt>Deployments</dt>
            <dd>{p.deploymentIds.join(', ')}</dd>
            <dt>New courses</dt>
            <dd>
              created in {unitName(p.unitId)}; people matched by {p.userMatch.join(' or ')}; {p.createUsers ? 'created when nobody matches' : 'never created'}; staff who are not academic staff{' '}
              {p.staffRule === 'grant' ? 'are made academic staff of the course’s unit' : 'are enrolled as students'}; roster synced {p.syncMinutes > 0 ? `at most every ${p.syncMinutes} minutes` : 'on demand only'}
            </dd>
          </dl>
          {may && (
            <div className="actions">
              <button type="button" onClick={() => setEditing(p)}>
                Change {p.name}
              </button>{' '}
              <button type="button" onClick={() => void remove(p)}>
                Remove {p.name}
              </button>
            </div>
          )}
        </section>
      ))}
    </>
  );
}

/** "uri = role" lines ↔ the mapping object. Only the lines given are sent; the API merges them over its defaults. */
const mappingText = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');

function PlatformForm({ existing, units, onDone }: { existing?: PlatformView; units: Unit[]; onDone: (msg?: string) => void }) {
  const [id, setId] = useState(existing?.id ?? '');
  const [name, setName] = useState(existing?.name ?? '');
  const [issuer, setIssuer] = useState(existing?.issuer ?? '');
  const [clientId, setClientId] = useState(existing?.clientId ?? '');
  const [deployments, setDeployments] = useState((existing?.deploymentIds ?? []).join('\n'));
  const [authUrl, setAuthUrl] = useState(existing?.authUrl ?? '');
  const [jwksUrl, setJwksUrl] = useState(existing?.jwksUrl ?? '');
  const [tokenUrl, setTokenUrl] = useState(existing?.tokenUrl ?? '');
  const [tokenAudience, setTokenAudience] = useState(existing?.tokenAudience ?? '');
  const [unit, setUnit] = useState(existing?.unitId ?? units[0]?.id ?? '');
  const [byEmail, setByEmail] = useState(existing ? existing.userMatch.includes('email') : true);
  const [bySourcedid, setBySourcedid] = useState(existing?.userMatch.includes('sourcedid') ?? false);
  const [createUsers, setCreateUsers] = useState(existing?.createUsers ?? true);
  const [staffRule, setStaffRule] = useState<'grant' | 'student'>(existing?.staffRule ?? 'student');
  const [syncMinutes, setSyncMinutes] = useState(String(existing?.syncMinutes ?? 60));
  const [mapping, setMapping] = useState(existing ? mappingText(existing.roleMapping) : '');
  const [formError, setFormError] = useState<string | undefined>(undefined);
  const a = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(undefined);
    const roleMapping: Record<string, string> = {};
    for (const line of mapping.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const at = line.lastIndexOf('=');
      const role = line.slice(at + 1).trim();
      if (at < 1 || !(SECTION_ROLES as readonly string[]).includes(role)) {
        setFormError(`Role mapping: “${line}” must be “LMS role = ${SECTION_ROLES.join(' | ')}”`);
        return;
      }
      roleMapping[line.slice(0, at).trim()] = role;
    }
    const userMatch = [...(byEmail ? ['email'] : []), ...(bySourcedid ? ['sourcedid'] : [])];
    if (userMatch.length === 0) {
      setFormError('Match people by: choose email, sourcedid or both');
      return;
    }
    const body: Record<string, unknown> = {
      name: name.trim() || id.trim(),
      issuer: issuer.trim(),
      clientId: clientId.trim(),
      deploymentIds: deployments
        .split(/[\n,]/)
        .map((d) => d.trim())
        .filter(Boolean),
      authUrl: authUrl.trim(),
      jwksUrl: jwksUrl.trim(),
      tokenUrl: tokenUrl.trim(),
      tokenAudience: tokenAudience.trim(),
      userMatch,
      createUsers,
      staffRule,
      syncMinutes: Number(syncMinutes),
      roleMapping,
    };
    if (unit) body.unit = unit;
    if (await a.run(() => put(`/lti/platforms/${enc(id.trim())}`, body))) onDone(`${name.trim() || id.trim()} saved.`);
  };

  return (
    <form className="card provider-form" onSubmit={(e) => void submit(e)} aria-labelledby="lms-form-heading">
      <h2 id="lms-form-heading">{existing ? `Change ${existing.name}` : 'Register an LMS'}</h2>
      <div className="form-grid">
        <div className="row">
          <label htmlFor="lf-id">Registration id</label>
          <input id="lf-id" type="text" required readOnly={Boolean(existing)} value={id} onChange={(e) => setId(e.target.value)} placeholder="e.g. canvas" />
        </div>
        <div className="row">
          <label htmlFor="lf-name">Name</label>
          <input id="lf-name" type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Canvas" />
        </div>
        <div className="row">
          <label htmlFor="lf-issuer">Issuer</label>
          <input id="lf-issuer" type="text" required value={issuer} onChange={(e) => setIssuer(e.target.value)} placeholder="https://canvas.instructure.com" />
        </div>
        <div className="row">
          <label htmlFor="lf-client">Client id</label>
          <input id="lf-client" type="text" required value={clientId} onChange={(e) => setClientId(e.target.value)} />
        </div>
        <div className="row">
          <label htmlFor="lf-deployments">Deployment ids (one per line)</label>
          <textarea id="lf-deployments" rows={2} required value={deployments} onChange={(e) => setDeployments(e.target.value)} />
        </div>
        <div className="row">
          <label htmlFor="lf-auth">OIDC authorization URL</label>
          <input id="lf-auth" type="url" required value={authUrl} onChange={(e) => setAuthUrl(e.target.value)} />
        </div>
        <div className="row">
          <label htmlFor="lf-jwks">LMS keyset URL (JWKS)</label>
          <input id="lf-jwks" type="url" required value={jwksUrl} onChange={(e) => setJwksUrl(e.target.value)} />
        </div>
        <div className="row">
          <label htmlFor="lf-token">OAuth2 token URL</label>
          <input id="lf-token" type="url" required value={tokenUrl} onChange={(e) => setTokenUrl(e.target.value)} />
        </div>
        <div className="row">
          <label htmlFor="lf-audience">Token audience (if not the token URL)</label>
          <input id="lf-audience" type="text" value={tokenAudience} onChange={(e) => setTokenAudience(e.target.value)} />
        </div>
        <div className="row">
          <label htmlFor="lf-unit">Create new courses in</label>
          <select id="lf-unit" value={unit} onChange={(e) => setUnit(e.target.value)}>
            {units.map((u) => (
              <option key={u.id} value={u.id}>
                {'\u00a0'.repeat(u.depth * 2)}
                {u.name}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="row">
          <legend>Match people by</legend>
          <label>
            <input type="checkbox" checked={byEmail} onChange={(e) => setByEmail(e.target.checked)} /> email
          </label>{' '}
          <label>
            <input type="checkbox" checked={bySourcedid} onChange={(e) => setBySourcedid(e.target.checked)} /> sourcedid (lis.person_sourcedid)
          </label>
        </fieldset>
        <div className="row">
          <label htmlFor="lf-create">Create a user when nobody matches</label>
          <input id="lf-create" type="checkbox" checked={createUsers} onChange={(e) => setCreateUsers(e.target.checked)} />
        </div>
        <div className="row">
          <label htmlFor="lf-staff">LMS staff who are not academic staff here</label>
          <select id="lf-staff" value={staffRule} onChange={(e) => setStaffRule(e.target.value as 'grant' | 'student')}>
            <option value="student">enrol as students, and say why</option>
            <option value="grant">make academic staff of the course’s unit</option>
          </select>
        </div>
        <div className="row">
          <label htmlFor="lf-sync">Roster sync after an instructor’s launch, at most every (minutes; 0 = on demand only)</label>
          <input id="lf-sync" type="number" min={0} max={10080} value={syncMinutes} onChange={(e) => setSyncMinutes(e.target.value)} />
        </div>
        <div className="row">
          <label htmlFor="lf-mapping">Role mapping (one “LMS role = section role” per line; merged over the defaults)</label>
          <textarea id="lf-mapping" rows={4} value={mapping} onChange={(e) => setMapping(e.target.value)} placeholder="http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor = teaching_assistant" />
        </div>
        {formError && (
          <p className="error" role="alert">
            {formError}
          </p>
        )}
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
