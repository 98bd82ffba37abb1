/**
 * Users: staff and students tabs; filter by unit, library, collection, role and status; search;
 * sort by a column; paged by the API (50 at a time — never the whole list); bulk actions on the
 * selected users; create a user.
 */
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { type BulkAnswer, get, type LicensePack, type Page, post, type Session, type Unit, type UserItem, type WriteAnswer } from '../api';
import type { Reach } from '../App';
import { ErrorBox, errorWords, Pager, Tabs, useAction, useDebounced, useLoad } from '../components';
import { count, useConfirm } from '../Confirm';
import { Link, navigate, useOnChange, useUrlNumber, useUrlState } from '../router';
import { STAFF_ROLES, ROLE_LABEL } from '../../../src/domain/catalog';

const LIMIT = 50;
type Tab = 'staff' | 'students';
type SortKey = 'lastName' | 'firstName' | 'email' | 'username' | 'status';

interface Options {
  units: Unit[];
  libraries: { id: string; name?: string }[];
  collections: { id: string; name?: string }[];
}

export function useOptions(): Options {
  const { data } = useLoad(async () => {
    const [units, libraries, collections] = await Promise.all([
      get<{ items: Unit[] }>('/units').then((r) => r.items),
      get<{ items: { id: string; name?: string }[] }>('/libraries').then((r) => r.items).catch(() => []),
      get<{ items: { id: string; name?: string }[] }>('/collections').then((r) => r.items).catch(() => []),
    ]);
    return { units, libraries, collections };
  }, []);
  return data ?? { units: [], libraries: [], collections: [] };
}

export function UnitOptions({ units }: { units: Unit[] }) {
  return (
    <>
      {units.map((u) => (
        <option key={u.id} value={u.id}>
          {'\u00a0\u00a0'.repeat(u.depth)}
          {u.name}
        </option>
      ))}
    </>
  );
}

export function UsersPage({ session, reach }: { session: Session; reach: Reach }) {
  // Tab, filters, search, sort and page live in the URL (reload, back, a shared link).
  const [tab, setTab] = useUrlState<Tab>('tab', 'staff');
  const [unit, setUnit] = useUrlState('unit', '');
  const [library, setLibrary] = useUrlState('library', '');
  const [collection, setCollection] = useUrlState('collection', '');
  const [role, setRole] = useUrlState('role', '');
  const [status, setStatus] = useUrlState('status', '');
  const [urlQ, setUrlQ] = useUrlState('q', '', true);
  const [text, setText] = useState(urlQ);
  const q = useDebounced(text, 250);
  useOnChange(() => setUrlQ(q), [q]);
  const [sortRaw, setSortRaw] = useUrlState('sort', 'lastName');
  const sort = useMemo(() => ({ key: sortRaw.replace(/^-/, '') as SortKey, desc: sortRaw.startsWith('-') }), [sortRaw]);
  const setSort = (s: { key: SortKey; desc: boolean }) => setSortRaw(`${s.desc ? '-' : ''}${s.key}`);
  const [offset, setOffset] = useUrlNumber('offset');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [creating, setCreating] = useState(false);
  const opts = useOptions();

  useOnChange(() => setOffset(0), [tab, unit, library, collection, role, status, q, sortRaw]);
  useEffect(() => setSelected(new Set()), [tab, unit, library, collection, role, status, q]);

  const list = useLoad(
    () =>
      get<Page<UserItem>>('/users', {
        tab,
        unit,
        library,
        collection,
        role: tab === 'staff' ? role : '',
        status,
        q,
        sort: `${sort.desc ? '-' : ''}${sort.key}`,
        offset,
        limit: LIMIT,
      }),
    [tab, unit, library, collection, role, status, q, sort, offset],
  );

  const items = list.data?.items ?? [];
  // Names of everyone selected (on any page), for the confirmations and the results.
  const names = useRef(new Map<string, string>());
  for (const u of items) names.current.set(u.id, `${u.firstName} ${u.lastName}`);
  const showLicenses = !!(list.data as { licenses?: boolean } | undefined)?.licenses;
  const allOnPage = items.length > 0 && items.every((u) => selected.has(u.id));
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const togglePage = () =>
    setSelected((s) => {
      const n = new Set(s);
      for (const u of items) {
        if (allOnPage) n.delete(u.id);
        else n.add(u.id);
      }
      return n;
    });

  const header = (key: SortKey, label: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
        <button type="button" className="sort" onClick={() => setSort({ key, desc: active ? !sort.desc : false })}>
          {label} <span aria-hidden="true">{active ? (sort.desc ? '▼' : '▲') : '↕'}</span>
        </button>
      </th>
    );
  };

  return (
    <section aria-labelledby="users-h">
      <div className="page-head">
        <h1 id="users-h">Users</h1>
        {session.abilities['user.create'] && (
          <button type="button" className="primary" onClick={() => setCreating((c) => !c)} aria-expanded={creating}>
            Create user
          </button>
        )}
      </div>
      {creating && <CreateUser onDone={() => setCreating(false)} />}
      <Tabs
        label="User type"
        current={tab}
        onChange={setTab}
        tabs={[
          { key: 'staff', label: 'Staff' },
          { key: 'students', label: 'Students' },
        ]}
      />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel">
        <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <div>
            <label htmlFor="f-q">Search</label>
            <input id="f-q" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Name, email or username" />
          </div>
          <div>
            <label htmlFor="f-unit">Unit</label>
            <select id="f-unit" value={unit} onChange={(e) => setUnit(e.target.value)}>
              <option value="">All units</option>
              <UnitOptions units={opts.units} />
            </select>
          </div>
          {tab === 'staff' && (
            <div>
              <label htmlFor="f-role">Role</label>
              <select id="f-role" value={role} onChange={(e) => setRole(e.target.value)}>
                <option value="">Any role</option>
                {STAFF_ROLES.map((r) => (
                  <option key={r} value={r}>
                    {ROLE_LABEL[r]}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div>
            <label htmlFor="f-library">Library</label>
            <select id="f-library" value={library} onChange={(e) => setLibrary(e.target.value)}>
              <option value="">Any library</option>
              {opts.libraries.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name ?? l.id}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="f-collection">Collection</label>
            <select id="f-collection" value={collection} onChange={(e) => setCollection(e.target.value)}>
              <option value="">Any collection</option>
              {opts.collections.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name ?? c.id}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="f-status">Status</label>
            <select id="f-status" value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">Any status</option>
              <option value="active">Active</option>
              <option value="deactivated">Deactivated</option>
            </select>
          </div>
        </form>
        <BulkBar selected={[...selected]} names={names.current} canLicense={reach.licenses} onDone={() => list.reload()} onClear={() => setSelected(new Set())} />
        <ErrorBox error={list.error} />
        <div className="table-scroll">
        <table className="grid users-table" aria-busy={list.loading}>
          <caption className="sr-only">{tab === 'staff' ? 'Staff' : 'Students'}, sorted by {sort.key} {sort.desc ? 'descending' : 'ascending'}</caption>
          <thead>
            <tr>
              <th scope="col" className="check">
                <input type="checkbox" aria-label="Select every user on this page" checked={allOnPage} onChange={togglePage} />
              </th>
              {header('lastName', 'Name')}
              {header('username', 'Username')}
              {header('email', 'Email')}
              {showLicenses && <th scope="col">Assigned licenses</th>}
              {header('status', 'Status')}
            </tr>
          </thead>
          <tbody>
            {items.map((u) => (
              <tr key={u.id} className={selected.has(u.id) ? 'selected' : ''}>
                <td className="check">
                  <input type="checkbox" aria-label={`Select ${u.firstName} ${u.lastName}`} checked={selected.has(u.id)} onChange={() => toggle(u.id)} />
                </td>
                <td>
                  <Link to={`/users/${encodeURIComponent(u.id)}`}>
                    {u.lastName}, {u.firstName}
                  </Link>
                </td>
                <td>{u.username}</td>
                <td>{u.email}</td>
                {showLicenses && <td className="small">{(u as UserItem & { licenses?: string[] }).licenses?.join(', ') || <span className="muted">none</span>}</td>}
                <td>{u.status === 'active' ? 'Active' : <span className="badge off">Deactivated</span>}</td>
              </tr>
            ))}
            {!list.loading && items.length === 0 && (
              <tr>
                <td colSpan={showLicenses ? 6 : 5} className="muted">
                  No users match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        </div>
        {list.data && <Pager label="Users" offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      </div>
    </section>
  );
}

function BulkBar({ selected, names, canLicense, onDone, onClear }: { selected: string[]; names: Map<string, string>; canLicense: boolean; onDone: () => void; onClear: () => void }) {
  const packs = useLoad(() => (canLicense ? get<{ items: LicensePack[] }>('/license-packs').then((r) => r.items) : Promise.resolve([] as LicensePack[])), [canLicense]);
  const [pack, setPack] = useState('');
  const [results, setResults] = useState<{ verb: string; results: BulkAnswer['results'] } | null>(null);
  const a = useAction();
  const confirm = useConfirm();
  const n = selected.length;
  const who = (
    <ul>
      {selected.slice(0, 12).map((id) => (
        <li key={id}>{names.get(id) ?? id}</li>
      ))}
      {n > 12 && <li>and {count(n - 12, 'other')}</li>}
    </ul>
  );

  const assign = () => a.run(async () => setResults({ verb: 'Assign license', results: (await post<BulkAnswer>('/licenses/bulk-assign', pack ? { users: selected, pack } : { users: selected })).results }));
  const revokeAll = async () => {
    const ok = await confirm.ask({
      title: `Revoke every license of ${count(n, 'user')}?`,
      body: <>Every license seat held by {n === 1 ? 'this user' : `these ${count(n, 'user')}`} is revoked and goes back to its pack. {who}</>,
      action: `Revoke all licenses of ${count(n, 'user')}`,
      danger: true,
    });
    if (!ok) return;
    await a.run(async () => setResults({ verb: 'Revoke all licenses', results: (await post<BulkAnswer>('/licenses/bulk-revoke-all', { users: selected })).results }));
  };
  const deactivate = async () => {
    const ok = await confirm.ask({
      title: `Deactivate ${count(n, 'user')}?`,
      body: <>{n === 1 ? 'This user' : `These ${count(n, 'user')}`} can no longer sign in, and lose what their roles give them until reactivated. {who}</>,
      action: `Deactivate ${count(n, 'user')}`,
      danger: true,
    });
    if (!ok) return;
    await a.run(async () => {
      // There is no bulk deactivate in the API: one request per user, each with its own outcome.
      const out: BulkAnswer['results'] = [];
      for (const user of selected) {
        try {
          const r = await post<WriteAnswer>(`/users/${encodeURIComponent(user)}/deactivate`);
          out.push({ user, outcome: r.changed ? 'applied' : 'unchanged' });
        } catch (e) {
          const b = (e as { body?: { code?: string; reasons?: string[] } }).body ?? {};
          out.push({ user, outcome: b.code ?? 'failed', message: errorWords(e).text, ...(b.reasons ? { reasons: b.reasons } : {}) });
        }
      }
      setResults({ verb: 'Deactivate', results: out });
    });
  };
  const finish = async (fn: () => Promise<unknown>) => {
    await fn();
    onDone();
  };

  return (
    <div className="bulk" aria-label="Bulk actions" role="group">
      <span>
        <strong>{n}</strong> selected
      </span>
      {canLicense && (
        <>
          <label htmlFor="bulk-pack" className="inline">
            Pack
          </label>
          <select id="bulk-pack" value={pack} onChange={(e) => setPack(e.target.value)}>
            <option value="">First pack with a free seat</option>
            {(packs.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.id} ({p.free} free)
              </option>
            ))}
          </select>
          <button type="button" disabled={n === 0 || a.busy} onClick={() => void finish(assign)}>
            Assign license
          </button>
          <button type="button" disabled={n === 0 || a.busy} onClick={() => void finish(revokeAll)}>
            Revoke all licenses
          </button>
        </>
      )}
      <button type="button" disabled={n === 0 || a.busy} onClick={() => void finish(deactivate)}>
        Deactivate
      </button>
      {n > 0 && (
        <button type="button" className="link" onClick={onClear}>
          Clear selection
        </button>
      )}
      <ErrorBox error={a.error} />
      {results && <BulkResults verb={results.verb} results={results.results} names={names} onClose={() => setResults(null)} />}
      {confirm.dialog}
    </div>
  );
}

/** Outcomes in words. */
const OUTCOME: Record<string, string> = { applied: 'done', unchanged: 'already so', denied: 'refused: not allowed', conflict: 'refused', notFound: 'refused: not found', invalid: 'refused: not valid', failed: 'failed' };
export const outcomeWords = (o: string) => OUTCOME[o] ?? `refused (${o})`;
const good = (o: string) => o === 'applied' || o === 'unchanged';

export function BulkResults({ verb, results, names, onClose }: { verb: string; results: BulkAnswer['results']; names: Map<string, string>; onClose: () => void }) {
  const done = useMemo(() => results.filter((r) => r.outcome === 'applied').length, [results]);
  const same = useMemo(() => results.filter((r) => r.outcome === 'unchanged').length, [results]);
  const refused = results.length - done - same;
  return (
    <div className="results">
      <p className={`summary ${refused > 0 ? 'bad' : 'ok'}`} role="status">
        {verb}: {count(results.length, 'user')} — {done} done, {same} already so, {refused} refused
      </p>
      <table className="grid compact">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Outcome</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {results.map((r, i) => (
            <tr key={i} className={good(r.outcome) ? '' : 'refused'}>
              <td>
                {names.get(r.user) ?? r.user} <span className="muted">{r.user}</span>
              </td>
              <td>
                <span className={`badge ${good(r.outcome) ? 'ok' : 'off'}`}>{outcomeWords(r.outcome)}</span>
              </td>
              <td>{(r as { text?: string }).text ?? r.message ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" className="link" onClick={onClose}>
        Close results
      </button>
    </div>
  );
}

function CreateUser({ onDone }: { onDone: () => void }) {
  const [f, setF] = useState({ id: '', email: '', firstName: '', lastName: '', identityProvider: 'local' });
  const a = useAction();
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, string> = { id: f.id.trim() };
    for (const k of ['email', 'firstName', 'lastName', 'identityProvider'] as const) if (f[k].trim()) body[k] = f[k].trim();
    const r = await a.run(() => post('/users', body));
    if (r) {
      onDone();
      navigate(`/users/${encodeURIComponent(body.id!)}`);
    }
  };
  return (
    <form className="card form-grid" onSubmit={(e) => void submit(e)} aria-labelledby="create-h">
      <h2 id="create-h">Create user</h2>
      <label htmlFor="cu-id">Username (id)</label>
      <input id="cu-id" required value={f.id} onChange={set('id')} />
      <label htmlFor="cu-email">Email</label>
      <input id="cu-email" type="email" value={f.email} onChange={set('email')} />
      <label htmlFor="cu-first">First name</label>
      <input id="cu-first" value={f.firstName} onChange={set('firstName')} />
      <label htmlFor="cu-last">Last name</label>
      <input id="cu-last" value={f.lastName} onChange={set('lastName')} />
      <label htmlFor="cu-idp">Identity provider</label>
      <IdentityProviderSelect id="cu-idp" value={f.identityProvider} onChange={(v) => setF({ ...f, identityProvider: v })} describedBy="cu-idp-help" />
      <p id="cu-idp-help" className="muted span2">
        A Lectern password, or an external directory or single sign-on: then names and email may be left empty and are filled from the directory.
      </p>
      <ErrorBox error={a.error} />
      <div className="span2 actions">
        <button type="submit" className="primary" disabled={a.busy}>
          Create
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The identity providers configured for the institution (GET /v1/user-identity-providers), as a drop-down. */
export function IdentityProviderSelect({ id, value, onChange, describedBy, disabled }: { id: string; value: string; onChange: (v: string) => void; describedBy?: string; disabled?: boolean }) {
  const list = useLoad(() => get<{ items: { id: string; name: string }[] }>('/user-identity-providers').then((r) => r.items), []);
  const items = list.data ?? [{ id: 'local', name: 'Lectern password (local)' }];
  // A value set elsewhere (e.g. by a directory no longer configured) stays choosable.
  const all = items.some((p) => p.id === value) || !value ? items : [...items, { id: value, name: `${value} (not configured)` }];
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy} disabled={disabled}>
      {all.map((p) => (
        <option key={p.id} value={p.id}>
          {p.name}
        </option>
      ))}
    </select>
  );
}
