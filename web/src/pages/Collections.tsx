/**
 * Collections: the caller's collections (create one), and a collection's membership: add a member
 * (typeahead), choose an access level (each level's permissions listed) or custom permissions, edit,
 * remove (a confirmation only when removing yourself, i.e. leaving), sort by one column, search.
 */
import { type FormEvent, useMemo, useState } from 'react';
import { type Abilities, del, enc, get, patch, post, type SearchUser, type Session } from '../api';
import { ErrorBox, Pager, Status, TabPanel, Tabs, UserPicker, useAction, useDebounced, useLoad } from '../components';
import { Link, navigate, useOnChange, useUrlNumber, useUrlState } from '../router';
import { useConfirm } from '../Confirm';

interface CollectionItem {
  id: string;
  name: string | null;
  members: number;
  media: number;
  level: string | null;
}

interface Member {
  user: string;
  firstName: string;
  lastName: string;
  email: string;
  level: string;
  permissions: string[];
  effective: string[];
  abilities: { update: boolean; remove: boolean };
}

interface Levels {
  items: { level: string; permissions: string[]; membership: boolean }[];
  permissions: string[];
}

const PERM_LABEL: Record<string, string> = { add: 'add', copy: 'copy', edit: 'edit', post: 'post', download: 'download', editTranscripts: 'edit transcripts', remove: 'remove' };

export function CollectionsPage() {
  const list = useLoad(() => get<{ items: CollectionItem[] }>('/collections').then((r) => r.items), []);
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const a = useAction();
  const create = async (e: FormEvent) => {
    e.preventDefault();
    const r = await a.run(() => post('/collections', { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}) }));
    if (r) navigate(`/collections/${enc(id.trim())}`);
  };
  return (
    <section aria-labelledby="c-h">
      <h1 id="c-h">Collections</h1>
      <ErrorBox error={list.error} />
      <table className="grid compact">
        <thead>
          <tr>
            <th scope="col">Collection</th>
            <th scope="col" className="num">
              Members
            </th>
            <th scope="col" className="num">
              Media
            </th>
            <th scope="col">Your access</th>
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((c) => (
            <tr key={c.id}>
              <td>
                <Link to={`/collections/${enc(c.id)}`}>{c.name ?? c.id}</Link>
              </td>
              <td className="num">{c.members}</td>
              <td className="num">{c.media}</td>
              <td>{c.level ?? 'administrator'}</td>
            </tr>
          ))}
          {list.data && list.data.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No collections.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <form className="inline-form card" onSubmit={(e) => void create(e)} aria-labelledby="nc-h">
        <h2 id="nc-h">New collection</h2>
        <div>
          <label htmlFor="nc-id">Id</label>
          <input id="nc-id" required value={id} onChange={(e) => setId(e.target.value)} />
        </div>
        <div>
          <label htmlFor="nc-name">Name</label>
          <input id="nc-name" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <button type="submit" className="primary" disabled={a.busy}>
          Create collection
        </button>
        <ErrorBox error={a.error} />
      </form>
    </section>
  );
}

type SortKey = 'name' | 'lastName' | 'email' | 'access';
const LIMIT = 50;

export function CollectionPage({ id, session }: { id: string; session: Session }) {
  const col = useLoad(() => get<{ collection: { id: string; name: string | null }; media: { id: string; title: string }[]; abilities: Abilities }>(`/collections/${enc(id)}`), [id]);
  const levels = useLoad(() => get<Levels>('/access-levels'), []);
  // Tab, sort, search and page live in the URL (reload, back, a shared link).
  const [tab, setTab] = useUrlState<'members' | 'media'>('tab', 'members');
  const [sortRaw, setSortRaw] = useUrlState('sort', 'name');
  const sort = useMemo(() => ({ key: sortRaw.replace(/^-/, '') as SortKey, desc: sortRaw.startsWith('-') }), [sortRaw]);
  const setSort = (s: { key: SortKey; desc: boolean }) => setSortRaw(`${s.desc ? '-' : ''}${s.key}`);
  const [urlQ, setUrlQ] = useUrlState('q', '', true);
  const [text, setText] = useState(urlQ);
  const q = useDebounced(text, 200);
  useOnChange(() => setUrlQ(q), [q]);
  const [offset, setOffset] = useUrlNumber('offset');
  const members = useLoad(
    () => get<{ total: number; members: Member[]; abilities: { addMember: boolean } }>(`/collections/${enc(id)}/members`, { sort: sort.key, order: sort.desc ? 'desc' : 'asc', q, offset, limit: LIMIT }),
    [id, sort, q, offset],
  );
  const a = useAction();
  const [msg, setMsg] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const confirm = useConfirm();
  const me = session.user?.id;
  const colName = col.data?.collection.name ?? id;

  if (col.error) return <ErrorBox error={col.error} />;

  const remove = async (m: Member) => {
    const self = m.user === me;
    setMsg('');
    const ok = await confirm.ask(
      self
        ? { title: `Leave ${colName}?`, body: `You lose access to its ${col.data?.media.length ?? 0} media; a manager would have to add you again.`, action: 'Leave the collection', danger: true }
        : {
            title: `Remove ${m.firstName} ${m.lastName}?`,
            body: `${m.firstName} ${m.lastName} (${m.level}) loses access to the ${col.data?.media.length ?? 0} media of ${colName}.`,
            action: `Remove ${m.firstName} ${m.lastName}`,
            danger: true,
          },
    );
    if (!ok) return;
    const r = await a.run(() => del(`/collections/${enc(id)}/members/${enc(m.user)}`));
    if (r) {
      setMsg(self ? 'You left the collection.' : `Removed ${m.firstName} ${m.lastName}.`);
      if (self) navigate('/collections');
      else members.reload();
    }
  };

  const removeCollection = async () => {
    setMsg('');
    const ok = await confirm.ask({
      title: `Delete ${colName}?`,
      body: `The collection and its ${members.data?.total ?? 0} memberships are deleted; its ${col.data?.media.length ?? 0} media stay with their owners. This cannot be undone.`,
      action: `Delete ${colName}`,
      danger: true,
    });
    if (!ok) return;
    if (await a.run(() => del(`/collections/${enc(id)}`))) navigate('/collections');
  };

  const header = (key: SortKey, label: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
        <button
          type="button"
          className="sort"
          onClick={() => {
            setSort({ key, desc: active ? !sort.desc : false });
            setOffset(0);
          }}
        >
          {label} <span aria-hidden="true">{active ? (sort.desc ? '▼' : '▲') : '↕'}</span>
        </button>
      </th>
    );
  };

  return (
    <section aria-labelledby="col-h">
      <p className="crumbs">
        <Link to="/collections">Collections</Link> /
      </p>
      <div className="page-head">
        <h1 id="col-h">{colName}</h1>
        {col.data?.abilities.delete && (
          <button type="button" className="danger" onClick={() => void removeCollection()} disabled={a.busy}>
            Delete collection
          </button>
        )}
      </div>
      <Tabs
        label="Collection"
        current={tab}
        onChange={setTab}
        tabs={[
          { key: 'members', label: 'Membership' },
          { key: 'media', label: 'Media' },
        ]}
      />
      <TabPanel id={tab}>
        {tab === 'media' ? (
          <ul>
            {(col.data?.media ?? []).map((m) => (
              <li key={m.id}>{m.title}</li>
            ))}
            {col.data && col.data.media.length === 0 && <li className="muted">No media yet.</li>}
          </ul>
        ) : (
          <>
            {members.data?.abilities.addMember && levels.data && <AddMember collection={id} levels={levels.data} onDone={(t) => (setMsg(t), members.reload())} />}
            <div className="filters" role="search">
              <div>
                <label htmlFor="m-q">Search members</label>
                <input
                  id="m-q"
                  type="search"
                  value={text}
                  onChange={(e) => {
                    setText(e.target.value);
                    setOffset(0);
                  }}
                  placeholder="First name, last name or email"
                />
              </div>
            </div>
            <ErrorBox error={members.error ?? a.error} />
            {msg && !a.error && <Status>{msg}</Status>}
            <table className="grid" id="members">
              <thead>
                <tr>
                  {header('name', 'First name')}
                  {header('lastName', 'Last name')}
                  {header('email', 'Email')}
                  {header('access', 'Access')}
                  <th scope="col">Permissions</th>
                  <th scope="col" className="actions">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(members.data?.members ?? []).map((m) => (
                  <tr key={m.user} data-user={m.user}>
                    <td>{m.firstName}</td>
                    <td>{m.lastName}</td>
                    <td>{m.email}</td>
                    <td>
                      {editing === m.user && levels.data ? (
                        <EditMember
                          collection={id}
                          member={m}
                          levels={levels.data}
                          onDone={(t) => {
                            setEditing(null);
                            if (t) {
                              setMsg(t);
                              members.reload();
                            }
                          }}
                        />
                      ) : (
                        m.level
                      )}
                    </td>
                    <td className="small">
                      {m.effective.map((p) => PERM_LABEL[p] ?? p).join(', ') || <span className="muted">view only</span>}
                      {m.effective.length < m.permissions.length && <div className="muted">(student: no add or copy without a student library)</div>}
                    </td>
                    <td className="actions">
                      {m.abilities.update && editing !== m.user && (
                        <button type="button" onClick={() => setEditing(m.user)} aria-label={`Edit ${m.firstName} ${m.lastName}'s access`}>
                          Edit
                        </button>
                      )}{' '}
                      {(m.abilities.remove || m.user === me) && (
                        <button type="button" onClick={() => void remove(m)} disabled={a.busy} aria-label={m.user === me ? 'Leave this collection' : `Remove ${m.firstName} ${m.lastName}`}>
                          {m.user === me ? 'Leave' : 'Remove'}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
                {members.data && members.data.members.length === 0 && (
                  <tr>
                    <td colSpan={6} className="muted">
                      No members match.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
            {members.data && <Pager label="Members" offset={offset} limit={LIMIT} total={members.data.total} onChange={setOffset} />}
          </>
        )}
      </TabPanel>
      {confirm.dialog}
    </section>
  );
}

/** The access-level drop-down: each level with its permissions; custom shows a checkbox per permission. */
function LevelChooser({ idPrefix, levels, level, setLevel, custom, setCustom }: { idPrefix: string; levels: Levels; level: string; setLevel: (l: string) => void; custom: string[]; setCustom: (c: string[]) => void }) {
  return (
    <>
      <div>
        <label htmlFor={`${idPrefix}-level`}>Access level</label>
        <select id={`${idPrefix}-level`} value={level} onChange={(e) => setLevel(e.target.value)}>
          {levels.items.map((l) => (
            <option key={l.level} value={l.level}>
              {l.level === 'custom' ? 'custom — choose permissions' : `${l.level} — ${l.permissions.length ? l.permissions.map((p) => PERM_LABEL[p] ?? p).join(', ') : 'view only'}${l.membership ? ', manage members' : ''}`}
            </option>
          ))}
        </select>
      </div>
      {level === 'custom' && (
        <fieldset className="perms">
          <legend>Custom permissions</legend>
          {levels.permissions.map((p) => (
            <span key={p} className="check-row">
              <input
                type="checkbox"
                id={`${idPrefix}-perm-${p}`}
                checked={custom.includes(p)}
                onChange={(e) => setCustom(e.target.checked ? [...custom, p] : custom.filter((x) => x !== p))}
              />
              <label htmlFor={`${idPrefix}-perm-${p}`}>{PERM_LABEL[p] ?? p}</label>
            </span>
          ))}
        </fieldset>
      )}
    </>
  );
}

function AddMember({ collection, levels, onDone }: { collection: string; levels: Levels; onDone: (msg: string) => void }) {
  const [user, setUser] = useState<SearchUser | null>(null);
  const [level, setLevel] = useState('reviewer');
  const [custom, setCustom] = useState<string[]>([]);
  const [reset, setReset] = useState(0);
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!user) return;
    const r = await a.run(() => post(`/collections/${enc(collection)}/members`, { user: user.id, ...(level === 'custom' ? { level: 'custom', permissions: custom } : { level }) }));
    if (r) {
      onDone(`Added ${user.firstName} ${user.lastName} as ${level}.`);
      setUser(null);
      setReset((x) => x + 1);
    }
  };
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-labelledby="am-h">
      <h2 id="am-h">Add member</h2>
      <UserPicker key={reset} id="am-user" label="Person" onPick={setUser} />
      <LevelChooser idPrefix="am" levels={levels} level={level} setLevel={setLevel} custom={custom} setCustom={setCustom} />
      <button type="submit" className="primary" disabled={!user || a.busy}>
        Add member
      </button>
      <ErrorBox error={a.error} />
    </form>
  );
}

function EditMember({ collection, member, levels, onDone }: { collection: string; member: Member; levels: Levels; onDone: (msg: string | null) => void }) {
  const [level, setLevel] = useState(member.level);
  const [custom, setCustom] = useState<string[]>(member.level === 'custom' ? member.permissions : []);
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await a.run(() => patch(`/collections/${enc(collection)}/members/${enc(member.user)}`, level === 'custom' ? { level: 'custom', permissions: custom } : { level }));
    if (r) onDone(`${member.firstName} ${member.lastName} is now ${level}.`);
  };
  return (
    <form className="edit-member" onSubmit={(e) => void submit(e)} aria-label={`Access for ${member.firstName} ${member.lastName}`}>
      <LevelChooser idPrefix={`em-${member.user}`} levels={levels} level={level} setLevel={setLevel} custom={custom} setCustom={setCustom} />
      <button type="submit" className="primary" disabled={a.busy}>
        Save
      </button>
      <button type="button" onClick={() => onDone(null)}>
        Cancel
      </button>
      <ErrorBox error={a.error} />
    </form>
  );
}
