/**
 * Libraries (SPEC §9): the libraries the caller may view; create and delete; a library's members —
 * add with a role, change the role, make it someone's default library, remove (never the default:
 * the API says why) — and feature grants per person (grant and revoke). The open library and the
 * person whose features are shown live in the URL.
 */
import { type FormEvent, useState } from 'react';
import { type Abilities, del, enc, get, post, put, type SearchUser, type Unit } from '../api';
import { ErrorBox, Status, UserPicker, fullName, useAction, useLoad } from '../components';
import { useUrlParams } from '../router';
import { FEATURES, LIBRARY_ROLES } from '../../../src/domain/catalog';
import { askConfirm } from './confirm';
import { UnitOptions } from './Users';

interface Library {
  id: string;
  name: string | null;
  unitId?: string;
  unit?: string;
  members: number;
  abilities: Abilities;
}
interface LibraryMember {
  user: string;
  role: string;
  isDefault: boolean;
}
interface PermissionEntry {
  type: string;
  id: string;
  label: string;
  removable: boolean;
}

const label = (x: { id: string; name: string | null }) => x.name ?? x.id;
const FEATURE_LABEL: Record<string, string> = { liveStreaming: 'Live streaming', screenCapture: 'Screen capture', roomCapture: 'Room capture' };

export function LibrariesPage() {
  const libs = useLoad(() => get<{ items: Library[] }>('/libraries').then((r) => r.items), []);
  const units = useLoad(() => get<{ items: Unit[] }>('/units').then((r) => r.items), []);
  const [params, update] = useUrlParams();
  const open = params.get('library') ?? '';
  const a = useAction();
  const [msg, setMsg] = useState('');
  const [creating, setCreating] = useState(false);
  const unitName = (id: string | undefined) => (units.data ?? []).find((u) => u.id === id)?.name ?? id ?? '';
  const current = (libs.data ?? []).find((l) => l.id === open);
  const remove = async (l: Library) => {
    // confirm: deleting a library cannot be undone (refused unless it is empty)
    if (!(await askConfirm(`Delete the library ${label(l)}? This cannot be undone.`))) return;
    setMsg('');
    const r = await a.run(() => del(`/libraries/${enc(l.id)}`));
    if (r) {
      setMsg(`Deleted the library ${label(l)}.`);
      if (open === l.id) update({ library: null });
      libs.reload();
    }
  };
  return (
    <section aria-labelledby="lib-h">
      <h1 id="lib-h">Libraries</h1>
      <ErrorBox error={libs.error ?? a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
      <div className="table-wrap">
        <table className="grid compact" id="libraries">
          <caption className="sr-only">Libraries</caption>
          <thead>
            <tr>
              <th scope="col">Library</th>
              <th scope="col">Unit</th>
              <th scope="col" className="num">
                Members
              </th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(libs.data ?? []).map((l) => (
              <tr key={l.id} className={open === l.id ? 'selected' : ''}>
                <td>
                  {label(l)} <span className="muted">{l.id}</span>
                </td>
                <td>{unitName(l.unitId ?? l.unit)}</td>
                <td className="num">{l.members}</td>
                <td className="actions">
                  <span className="row-actions">
                    <button type="button" onClick={() => update({ library: l.id })} aria-pressed={open === l.id} aria-label={`Members of ${label(l)}`}>
                      Members
                    </button>
                    {l.abilities.delete && (
                      <button type="button" onClick={() => void remove(l)} aria-label={`Delete ${label(l)}`}>
                        Delete
                      </button>
                    )}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {creating ? (
        <NewLibrary units={units.data ?? []} onCancel={() => setCreating(false)} onDone={(t) => (setCreating(false), setMsg(t), libs.reload())} />
      ) : (
        <button type="button" onClick={() => setCreating(true)}>
          New library…
        </button>
      )}
      {current && <Members key={current.id} lib={current} onChange={libs.reload} />}
      <Features />
    </section>
  );
}

function NewLibrary({ units, onCancel, onDone }: { units: Unit[]; onCancel: () => void; onDone: (t: string) => void }) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [unit, setUnit] = useState('');
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await a.run(() => post('/libraries', { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}), ...(unit ? { unit } : {}) }));
    if (r) onDone(`Created the library ${name.trim() || id.trim()}.`);
  };
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-label="New library">
      <div>
        <label htmlFor="nl-id">Id</label>
        <input id="nl-id" required value={id} onChange={(e) => setId(e.target.value)} />
      </div>
      <div>
        <label htmlFor="nl-name">Name</label>
        <input id="nl-name" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div>
        <label htmlFor="nl-unit">Unit</label>
        <select id="nl-unit" value={unit} onChange={(e) => setUnit(e.target.value)}>
          <option value="">Institution (root)</option>
          <UnitOptions units={units} />
        </select>
      </div>
      <button type="submit" className="primary" disabled={a.busy}>
        Create
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <ErrorBox error={a.error} />
    </form>
  );
}

function Members({ lib, onChange }: { lib: Library; onChange: () => void }) {
  const members = useLoad(() => get<{ items: LibraryMember[] }>(`/libraries/${enc(lib.id)}/members`).then((r) => r.items), [lib.id]);
  const [user, setUser] = useState<SearchUser | null>(null);
  const [role, setRole] = useState('viewer');
  const [reset, setReset] = useState(0);
  const a = useAction();
  const [msg, setMsg] = useState('');
  const can = !!lib.abilities.grant;
  const act = async (fn: () => Promise<unknown>, t: string) => {
    setMsg('');
    const r = await a.run(fn);
    if (r !== undefined) {
      setMsg(t);
      members.reload();
      onChange();
    }
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!user) return;
    await act(() => put(`/libraries/${enc(lib.id)}/members/${enc(user.id)}`, { role }), `Gave ${fullName(user)} the ${role} role in ${label(lib)}.`);
    setUser(null);
    setReset((n) => n + 1);
  };
  const remove = async (m: LibraryMember) => {
    // confirm: removing access to a library
    if (!(await askConfirm(`Remove ${m.user}'s access to ${label(lib)}? They lose their ${m.role} role there.`))) return;
    await act(() => del(`/libraries/${enc(lib.id)}/members/${enc(m.user)}`), `Removed ${m.user} from ${label(lib)}.`);
  };
  return (
    <div className="card" role="region" aria-labelledby="lm-h">
      <h2 id="lm-h">Members of {label(lib)}</h2>
      <ErrorBox error={members.error ?? a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
      <div className="table-wrap">
        <table className="grid compact" id="library-members">
          <caption className="sr-only">Members of {label(lib)}</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Default library</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(members.data ?? []).map((m) => (
              <tr key={m.user} data-user={m.user}>
                <td>{m.user}</td>
                <td>
                  {can ? (
                    <select aria-label={`Role of ${m.user}`} value={m.role} disabled={a.busy} onChange={(e) => void act(() => put(`/libraries/${enc(lib.id)}/members/${enc(m.user)}`, { role: e.target.value }), `${m.user} is now ${e.target.value} in ${label(lib)}.`)}>
                      {LIBRARY_ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  ) : (
                    m.role
                  )}
                </td>
                <td>{m.isDefault ? <span className="badge ok">default</span> : ''}</td>
                <td className="actions">
                  {can && (
                    <span className="row-actions">
                      {!m.isDefault && (
                        <button type="button" onClick={() => void act(() => put(`/users/${enc(m.user)}/default-library`, { library: lib.id }), `${label(lib)} is now ${m.user}'s default library.`)} aria-label={`Make ${label(lib)} the default library of ${m.user}`}>
                          Make default
                        </button>
                      )}
                      <button type="button" onClick={() => void remove(m)} aria-label={`Remove ${m.user}`}>
                        Remove
                      </button>
                    </span>
                  )}
                </td>
              </tr>
            ))}
            {members.data && members.data.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  No members yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {can && (
        <form className="inline-form" onSubmit={(e) => void add(e)} aria-label={`Add a member to ${label(lib)}`}>
          <UserPicker key={reset} id="lm-user" label="Person" onPick={setUser} />
          <div>
            <label htmlFor="lm-role">Library role</label>
            <select id="lm-role" value={role} onChange={(e) => setRole(e.target.value)}>
              {LIBRARY_ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary" disabled={!user || a.busy}>
            Add member
          </button>
        </form>
      )}
    </div>
  );
}

/** A person's feature grants: pick the person, then a checkbox per feature. */
function Features() {
  const [params, update] = useUrlParams();
  const who = params.get('person') ?? '';
  const perms = useLoad(() => (who ? get<{ items: PermissionEntry[] }>(`/users/${enc(who)}/permissions`).then((r) => r.items) : Promise.resolve([] as PermissionEntry[])), [who]);
  const a = useAction();
  const [msg, setMsg] = useState('');
  const has = new Set((perms.data ?? []).filter((p) => p.type === 'feature').map((p) => p.id));
  const set = async (f: string, on: boolean) => {
    setMsg('');
    const r = await a.run(() => (on ? put(`/users/${enc(who)}/features/${f}`, {}) : del(`/users/${enc(who)}/features/${f}`)));
    if (r !== undefined) {
      await perms.refresh();
      setMsg(`${FEATURE_LABEL[f] ?? f} ${on ? 'granted to' : 'revoked from'} ${who}.`);
    }
  };
  return (
    <div className="card" role="region" aria-labelledby="ft-h">
      <h2 id="ft-h">Feature grants</h2>
      <UserPicker id="ft-user" label="Person whose features to change" onPick={(u) => u && (setMsg(''), a.clear(), update({ person: u.id }))} />
      {who && (
        <fieldset>
          <legend>Features of {who}</legend>
          {FEATURES.map((f) => (
            <div key={f} className="check-row">
              <input type="checkbox" id={`ft-${f}`} checked={has.has(f)} disabled={a.busy || !perms.data} onChange={(e) => void set(f, e.target.checked)} />
              <label htmlFor={`ft-${f}`}>{FEATURE_LABEL[f] ?? f}</label>
            </div>
          ))}
        </fieldset>
      )}
      <ErrorBox error={perms.error ?? a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
    </div>
  );
}
