/**
 * One user: profile (edit, deactivate/reactivate), roles by scope (grant/revoke; refusals shown
 * with policy's reasons), Personal Capture licenses (a checkbox per pack) and the permissions page.
 */
import { type FormEvent, useState } from 'react';
import { type Abilities, del, enc, get, type LicensePack, patch, post, put, type Role, type Session, type Unit, type UserItem } from '../api';
import type { Reach } from '../App';
import { ErrorBox, Status, TabPanel, Tabs, useAction, useLoad } from '../components';
import { Link, navigate, useUrlState } from '../router';
import { useConfirm } from '../Confirm';
import { ROLE_LABEL, STAFF_ROLES } from '../../../src/domain/catalog';
import { IdentityProviderSelect, UnitOptions, useOptions } from './Users';

interface UserDetail {
  user: UserItem & { roles: Role[] };
  abilities: Abilities;
}

type TabKey = 'profile' | 'roles' | 'licenses' | 'permissions';

export function UserPage({ id, session, reach }: { id: string; session: Session; reach: Reach }) {
  const u = useLoad(() => get<UserDetail>(`/users/${enc(id)}`), [id]);
  const [tab, setTab] = useUrlState<TabKey>('tab', 'profile');
  if (u.error) return <ErrorBox error={u.error} />;
  if (!u.data) return <p aria-busy="true">Loading…</p>;
  const { user, abilities } = u.data;
  const self = session.user?.id === user.id;
  return (
    <section aria-labelledby="user-h">
      <p className="crumbs">
        <Link to="/users">Users</Link> /
      </p>
      <div className="page-head">
        <h1 id="user-h">
          {user.firstName} {user.lastName}
        </h1>
        <span className={`badge ${user.status === 'active' ? 'ok' : 'off'}`}>{user.status}</span>
        <span className="badge">{user.staff ? 'staff' : 'student'}</span>
        {self && <span className="badge">you</span>}
      </div>
      <Tabs
        label="User"
        current={tab}
        onChange={setTab}
        tabs={[
          { key: 'profile', label: 'Profile' },
          { key: 'roles', label: 'Roles' },
          { key: 'licenses', label: 'Licenses' },
          { key: 'permissions', label: 'Permissions' },
        ]}
      />
      <TabPanel id={tab}>
        {tab === 'profile' && <Profile user={user} abilities={abilities} onChange={u.reload} />}
        {tab === 'roles' && <Roles user={user} abilities={abilities} onChange={u.reload} />}
        {tab === 'licenses' && <Licenses userId={user.id} reach={reach} />}
        {tab === 'permissions' && <Permissions userId={user.id} />}
      </TabPanel>
    </section>
  );
}

function Profile({ user, abilities, onChange }: { user: UserItem; abilities: Abilities; onChange: () => void }) {
  const [f, setF] = useState({ username: user.username, email: user.email, firstName: user.firstName, lastName: user.lastName, identityProvider: user.identityProvider });
  const [saved, setSaved] = useState('');
  const a = useAction();
  const can = !!abilities.update;
  const confirm = useConfirm();
  const name = `${user.firstName} ${user.lastName}`;
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = Object.fromEntries(Object.entries(f).filter(([k, v]) => v !== (user as unknown as Record<string, string>)[k]));
    if (Object.keys(body).length === 0) return setSaved('Nothing changed.');
    const r = await a.run(() => patch(`/users/${enc(user.id)}`, body));
    if (r) {
      setSaved('Profile saved.');
      onChange();
    }
  };
  const status = async (verb: 'deactivate' | 'reactivate') => {
    setSaved('');
    if (
      verb === 'deactivate' &&
      !(await confirm.ask({
        title: `Deactivate ${name}?`,
        body: `${name} (${user.username}) can no longer sign in, and loses what their roles give them until reactivated. Their roles, licenses and media are kept.`,
        action: `Deactivate ${name}`,
        danger: true,
      }))
    )
      return;
    const r = await a.run(() => post(`/users/${enc(user.id)}/${verb}`));
    if (r) {
      setSaved(verb === 'deactivate' ? 'User deactivated.' : 'User reactivated.');
      onChange();
    }
  };
  const remove = async () => {
    setSaved('');
    const ok = await confirm.ask({
      title: `Delete ${name}?`,
      body: `${name} (${user.username}) is deleted with their roles, licenses and memberships. This cannot be undone; deactivating keeps them.`,
      action: `Delete ${name}`,
      danger: true,
    });
    if (!ok) return;
    if (await a.run(() => del(`/users/${enc(user.id)}`))) navigate('/users');
  };
  const fields: [keyof typeof f, string][] = [
    ['username', 'Username'],
    ['email', 'Email'],
    ['firstName', 'First name'],
    ['lastName', 'Last name'],
    ['identityProvider', 'Identity provider'],
  ];
  return (
    <form className="form-grid" onSubmit={(e) => void submit(e)} aria-label="Profile">
      {fields.map(([k, label]) => (
        <div className="row" key={k}>
          <label htmlFor={`p-${k}`}>{label}</label>
          {k === 'identityProvider' && can ? (
            <IdentityProviderSelect id={`p-${k}`} value={f[k]} onChange={(v) => setF({ ...f, identityProvider: v })} />
          ) : (
            <input id={`p-${k}`} value={f[k]} onChange={set(k)} readOnly={!can} aria-readonly={!can} />
          )}
        </div>
      ))}
      {!can && <p className="muted span2">You may view this user but not change them.</p>}
      <ErrorBox error={a.error} />
      {saved && !a.error && <Status>{saved}</Status>}
      <div className="span2 actions">
        {can && (
          <button type="submit" className="primary" disabled={a.busy}>
            Save profile
          </button>
        )}
        {abilities.deactivate && user.status === 'active' && (
          <button type="button" onClick={() => void status('deactivate')} disabled={a.busy}>
            Deactivate
          </button>
        )}
        {abilities.update && user.status === 'deactivated' && (
          <button type="button" onClick={() => void status('reactivate')} disabled={a.busy}>
            Reactivate
          </button>
        )}
        {abilities.delete && (
          <button type="button" className="danger" onClick={() => void remove()} disabled={a.busy}>
            Delete user
          </button>
        )}
      </div>
      {confirm.dialog}
    </form>
  );
}

function scopeLabel(units: Unit[], scope: string | null, listedToo = false): string {
  if (scope === null) return listedToo ? 'the role itself (rights at the listed units)' : 'no listed unit';
  if (scope === 'platform') return 'the platform';
  return units.find((u) => u.id === scope)?.name ?? scope;
}

function Roles({ user, abilities, onChange }: { user: UserItem & { roles: Role[] }; abilities: Abilities; onChange: () => void }) {
  const { units } = useOptions();
  const [role, setRole] = useState<string>('academic_staff');
  const [scope, setScope] = useState('');
  const [msg, setMsg] = useState('');
  const a = useAction();
  const scoped = role !== 'system_admin' && role !== 'license_manager';
  const grant = async (e: FormEvent) => {
    e.preventDefault();
    const r = await a.run(() => post(`/users/${enc(user.id)}/roles`, scoped && scope ? { role, scope } : { role }));
    if (r) {
      setMsg(r.changed ? `Granted ${ROLE_LABEL[role as keyof typeof ROLE_LABEL] ?? role}.` : 'The user already holds that role.');
      onChange();
    }
  };
  const revoke = async (r: Role) => {
    const ok = await a.run(() => del(`/users/${enc(user.id)}/roles`, { role: r.role, ...(r.scope && r.scope !== 'platform' ? { scope: r.scope } : {}) }));
    if (ok) {
      setMsg(`Revoked ${ROLE_LABEL[r.role as keyof typeof ROLE_LABEL] ?? r.role} at ${scopeLabel(units, r.scope)}.`);
      onChange();
    }
  };
  return (
    <div>
      <table className="grid compact">
        <caption>Staff roles by scope</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Scope</th>
            <th scope="col" className="actions">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {user.roles.map((r) => (
            <tr key={`${r.role}@${r.scope}`}>
              <td>{ROLE_LABEL[r.role as keyof typeof ROLE_LABEL] ?? r.role}</td>
              <td>{scopeLabel(units, r.scope, user.roles.some((o) => o.role === r.role && o.scope !== null))}</td>
              <td className="actions">
                {abilities.grantRole && (
                  <button type="button" onClick={() => void revoke(r)} disabled={a.busy} aria-label={`Revoke ${ROLE_LABEL[r.role as keyof typeof ROLE_LABEL] ?? r.role} at ${scopeLabel(units, r.scope)}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
          {user.roles.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                No staff roles: a student.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {abilities.grantRole ? (
        <form className="inline-form" onSubmit={(e) => void grant(e)} aria-label="Grant a role">
          <div>
            <label htmlFor="g-role">Role</label>
            <select id="g-role" value={role} onChange={(e) => setRole(e.target.value)}>
              {STAFF_ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABEL[r]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="g-scope">Scope</label>
            <select id="g-scope" value={scoped ? scope : ''} onChange={(e) => setScope(e.target.value)} disabled={!scoped}>
              <option value="">{scoped ? (role === 'admin' || role === 'scheduler' ? 'No listed unit' : 'Institution (root)') : role === 'system_admin' ? 'Platform' : 'Institution (root)'}</option>
              {scoped && <UnitOptions units={units} />}
            </select>
          </div>
          <button type="submit" className="primary" disabled={a.busy}>
            Grant role
          </button>
        </form>
      ) : (
        <p className="muted">You cannot grant roles to this user.</p>
      )}
      <ErrorBox error={a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
    </div>
  );
}

interface UserLicenses {
  licensing: 'site' | 'packs';
  academicStaff: boolean;
  presenter: boolean;
  items: LicensePack[];
  abilities: Abilities;
}

function Licenses({ userId, reach }: { userId: string; reach: Reach }) {
  const l = useLoad(() => get<UserLicenses>(`/users/${enc(userId)}/licenses`), [userId]);
  const a = useAction();
  const confirm = useConfirm();
  const [msg, setMsg] = useState('');
  // The box shows what was asked while the request runs; the answer (or the refusal) settles it.
  const [pending, setPending] = useState<Record<string, boolean>>({});
  if (l.error) return <ErrorBox error={l.error} />;
  if (!l.data) return <p aria-busy="true">Loading…</p>;
  const d = l.data;
  const flip = async (p: LicensePack) => {
    setMsg('');
    if (
      p.held &&
      !(await confirm.ask({
        title: `Revoke this license?`,
        body: `The seat of ${p.id} held by this user goes back to the pack (${p.free + 1} of ${p.seats} free afterwards); they can no longer record with Personal Capture from this pack.`,
        action: `Revoke ${p.id}`,
        danger: true,
      }))
    )
      return;
    setPending({ ...pending, [p.id]: !p.held });
    const r = await a.run(() => (p.held ? del('/licenses', { user: userId, pack: p.id }) : post('/licenses', { user: userId, pack: p.id })));
    if (r) await l.refresh();
    setPending(({ [p.id]: _done, ...rest }) => rest);
    if (r) setMsg(p.held ? `Revoked a seat of ${p.id}.` : `Assigned a seat of ${p.id}.`);
  };
  return (
    <div>
      <p>
        {d.licensing === 'site'
          ? 'Site licensing: every academic-staff user is a presenter; no seats are assigned.'
          : d.academicStaff
            ? d.presenter
              ? 'A Personal Capture presenter.'
              : 'Academic staff, not licensed yet.'
            : 'Not academic staff: only academic staff may hold licenses.'}
      </p>
      {d.licensing === 'packs' && (
        <fieldset>
          <legend>License packs</legend>
          {d.items.length === 0 && <p className="muted">There are no license packs{reach.licenses ? '' : ' you can see'}.</p>}
          {d.items.map((p) => {
            const can = p.held ? d.abilities.revoke : d.abilities.assign && p.free > 0;
            return (
              <div key={p.id} className="check-row">
                <input type="checkbox" id={`pack-${p.id}`} checked={pending[p.id] ?? !!p.held} disabled={!can || (a.busy && pending[p.id] === undefined)} onChange={() => void flip(p)} />
                <label htmlFor={`pack-${p.id}`}>
                  {p.id} <span className="muted">({p.free} of {p.seats} free)</span>
                </label>
              </div>
            );
          })}
          {!d.abilities.assign && !d.abilities.revoke && <p className="muted">You may view these licenses but not assign or revoke them.</p>}
        </fieldset>
      )}
      <ErrorBox error={a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
      {confirm.dialog}
    </div>
  );
}

interface PermissionEntry {
  type: 'library' | 'unitAdmin' | 'institutionAdmin' | 'feature' | 'role';
  id: string;
  label: string;
  role?: string;
  isDefault?: boolean;
  editable: boolean;
  removable: boolean;
  note?: string;
}

const TYPE_LABEL: Record<PermissionEntry['type'], string> = { library: 'Library', unitAdmin: 'Admin unit', institutionAdmin: 'Institution admin', feature: 'Feature', role: 'Role' };

function Permissions({ userId }: { userId: string }) {
  const p = useLoad(() => get<{ defaultLibrary: string | null; items: PermissionEntry[] }>(`/users/${enc(userId)}/permissions`), [userId]);
  const a = useAction();
  const [msg, setMsg] = useState('');
  if (p.error) return <ErrorBox error={p.error} />;
  if (!p.data) return <p aria-busy="true">Loading…</p>;
  const remove = async (e: PermissionEntry) => {
    const r = await a.run(() => {
      if (e.type === 'library') return del(`/libraries/${enc(e.id)}/members/${enc(userId)}`);
      if (e.type === 'feature') return del(`/users/${enc(userId)}/features/${enc(e.id)}`);
      // Grants with no listed unit are revoked without a scope.
      const unscoped = !e.id || e.label.includes('no listed unit') || e.label.startsWith('Admin, rights only');
      return del(`/users/${enc(userId)}/roles`, { role: e.role ?? 'admin', ...(unscoped ? {} : { scope: e.id }) });
    });
    if (r) {
      setMsg(`Removed ${e.label}.`);
      p.reload();
    }
  };
  const changeRole = async (e: PermissionEntry, role: string) => {
    const r = await a.run(() => put(`/libraries/${enc(e.id)}/members/${enc(userId)}`, { role }));
    if (r) {
      setMsg(`${e.label}: now ${role}.`);
      p.reload();
    }
  };
  return (
    <div>
      <table className="grid compact">
        <caption>Everything this user can reach</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Resource</th>
            <th scope="col">Role</th>
            <th scope="col" className="actions">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {p.data.items.map((e) => (
            <tr key={`${e.type}:${e.id}:${e.role ?? ''}`}>
              <td>{TYPE_LABEL[e.type]}</td>
              <td>
                {e.label} {e.isDefault && <span className="badge">default</span>}
              </td>
              <td>
                {e.type === 'library' && e.editable ? (
                  <select aria-label={`Role in ${e.label}`} value={e.role} onChange={(ev) => void changeRole(e, ev.target.value)}>
                    {['viewer', 'editor', 'contributor'].map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                ) : (
                  (e.role ?? '')
                )}
              </td>
              <td className="actions">
                {e.removable ? (
                  <button type="button" onClick={() => void remove(e)} disabled={a.busy} aria-label={`Remove ${e.label}`}>
                    Remove
                  </button>
                ) : (
                  e.note && <span className="muted">{e.note}</span>
                )}
              </td>
            </tr>
          ))}
          {p.data.items.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                Nothing beyond the user&apos;s own media and sections.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <ErrorBox error={a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
    </div>
  );
}

