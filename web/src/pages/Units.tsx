/**
 * The organisation: the unit tree with the administrators listed at each unit, the institution's
 * settings (delegated administration, student library, licensing mode) and adding a unit.
 */
import { type FormEvent, type ReactNode, useState } from 'react';
import { type Abilities, del, enc, get, patch, post, type Role, type Session, type Unit, type UserItem } from '../api';
import { ErrorBox, Status, useAction, useLoad } from '../components';
import { Link } from '../router';
import { askConfirm } from './confirm';
import { ConfirmWithPreview } from '../Preview';
import { count, useConfirm } from '../Confirm';

interface Institution {
  institution: { id: string; name: string; delegatedAdministration: boolean; studentLibrary: boolean; personalCaptureLicensing: 'site' | 'packs' | 'off' };
  rootUnit: string;
  abilities: Abilities;
}

interface Admin {
  id: string;
  name: string;
}

/** Administrators by listed unit ('' = no listed unit). The API has no "admins of a unit" read: the admins, then each one's roles. */
async function adminsByUnit(): Promise<Map<string, Admin[]>> {
  const admins = await get<{ items: UserItem[] }>('/users', { tab: 'staff', role: 'admin', limit: 500 });
  const out = new Map<string, Admin[]>();
  await Promise.all(
    admins.items.map(async (u) => {
      const roles = await get<{ items: Role[] }>(`/users/${enc(u.id)}/roles`).catch(() => ({ items: [] as Role[] }));
      for (const r of roles.items) {
        if (r.role !== 'admin') continue;
        const k = r.scope ?? '';
        out.set(k, [...(out.get(k) ?? []), { id: u.id, name: `${u.firstName} ${u.lastName}` }]);
      }
    }),
  );
  // The admin role itself comes back with no scope; it is "no listed unit" only for admins listed nowhere.
  const listed = new Set([...out.entries()].filter(([k]) => k !== '').flatMap(([, l]) => l.map((x) => x.id)));
  out.set('', (out.get('') ?? []).filter((x) => !listed.has(x.id)));
  for (const list of out.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return out;
}

export function UnitsPage(_props: { session: Session }) {
  const inst = useLoad(() => get<Institution>('/institution'), []);
  const units = useLoad(() => get<{ items: Unit[] }>('/units').then((r) => r.items), []);
  const admins = useLoad(adminsByUnit, []);
  const a = useAction();
  const [msg, setMsg] = useState('');
  const [unitMsg, setUnitMsg] = useState('');

  // Delegated administration changes only after its preview is accepted (web/src/Preview.tsx).
  const [da, setDa] = useState<boolean | null>(null);
  const confirm = useConfirm();
  const setting = async (body: Record<string, unknown>, what: string, alreadyAsked = false) => {
    // Institution settings change what many people may do: say what and to how many first
    // (delegated administration is asked with its impact preview instead).
    setMsg('');
    if (!alreadyAsked && !(await confirm.ask(settingQuestion(body, inst.data?.institution, admins.data)))) return;
    const r = await a.run(() => patch('/institution', body));
    if (r) {
      setMsg(what);
      inst.reload();
      admins.reload();
    }
  };

  const byParent = new Map<string | null, Unit[]>();
  for (const u of units.data ?? []) byParent.set(u.parentId, [...(byParent.get(u.parentId) ?? []), u]);

  const render = (parent: string | null): ReactNode => {
    const kids = byParent.get(parent) ?? [];
    if (kids.length === 0) return null;
    return (
      <ul aria-label={parent === null ? 'Organisation units' : undefined} className="tree">
        {kids.map((u) => {
          const listed = admins.data?.get(u.id) ?? [];
          return (
            <li key={u.id}>
              <div className="node">
                <strong>{u.name}</strong> <span className="muted">{u.id}</span>
                <span className="admins">
                  {listed.length > 0 ? (
                    <>
                      Administrators:{' '}
                      {listed.map((ad, i) => (
                        <span key={ad.id}>
                          {i > 0 && ', '}
                          <Link to={`/users/${enc(ad.id)}`}>{ad.name}</Link>
                        </span>
                      ))}
                    </>
                  ) : (
                    <span className="muted">No administrators listed</span>
                  )}
                </span>
                {u.abilities.create && <AddUnit parent={u} onDone={units.reload} />}
                {(u.abilities.update || u.abilities.delete) && u.parentId !== null && (
                  <UnitActions unit={u} units={units.data ?? []} onDone={(t) => (setUnitMsg(t), units.reload())} />
                )}
              </div>
              {render(u.id)}
            </li>
          );
        })}
      </ul>
    );
  };

  const i = inst.data?.institution;
  const can = !!inst.data?.abilities.configure;
  const unlisted = admins.data?.get('') ?? [];
  return (
    <section aria-labelledby="units-h">
      <h1 id="units-h">Organisation</h1>
      <ErrorBox error={inst.error ?? units.error} />
      {i && (
        <fieldset className="card">
          <legend>{i.name} settings</legend>
          <div className="switch-row">
            <input
              type="checkbox"
              role="switch"
              id="da"
              checked={i.delegatedAdministration}
              disabled={!can || a.busy}
              onChange={(e) => setDa(e.target.checked)}
              aria-describedby="da-help"
            />
            <label htmlFor="da">Delegated administration</label>
          </div>
          {da !== null && (
            <ConfirmWithPreview
              op={{ do: 'institution.configure', with: { delegatedAdministration: da } }}
              what={`Turning delegated administration ${da ? 'on' : 'off'}`}
              question={settingQuestion({ delegatedAdministration: da }, inst.data?.institution, admins.data)}
              onCancel={() => setDa(null)}
              onConfirm={() => {
                setDa(null);
                void setting({ delegatedAdministration: da }, da ? 'Delegated administration is on.' : 'Delegated administration is off.', true);
              }}
            />
          )}
          <p id="da-help" className="muted">
            On: administrators have rights only at the units where they are listed. Turning it on lists every admin with no unit at the institution.
          </p>
          <div className="switch-row">
            <input type="checkbox" role="switch" id="sl" checked={i.studentLibrary} disabled={!can || a.busy} onChange={(e) => void setting({ studentLibrary: e.target.checked }, 'Student library saved.')} />
            <label htmlFor="sl">Student library (students may upload and copy media)</label>
          </div>
          <div className="switch-row">
            <label htmlFor="lic">Personal Capture licensing</label>
            <select id="lic" value={i.personalCaptureLicensing} disabled={!can || a.busy} onChange={(e) => void setting({ personalCaptureLicensing: e.target.value }, 'Licensing mode saved.')}>
              <option value="packs">License packs (seats)</option>
              <option value="site">Site license (every academic-staff user)</option>
              <option value="off">Off (nobody records with Personal Capture)</option>
            </select>
          </div>
          {!can && <p className="muted">Only administrators of the institution root change these settings.</p>}
          <ErrorBox error={a.error} />
          {msg && !a.error && <Status>{msg}</Status>}
        </fieldset>
      )}
      {unlisted.length > 0 && (
        <p>
          Admins with no listed unit ({i?.delegatedAdministration ? 'no rights until listed' : 'institution-level'}):{' '}
          {unlisted.map((ad, k) => (
            <span key={ad.id}>
              {k > 0 && ', '}
              <Link to={`/users/${enc(ad.id)}`}>{ad.name}</Link>
            </span>
          ))}
        </p>
      )}
      <h2>Units</h2>
      {unitMsg && <Status>{unitMsg}</Status>}
      {units.loading && !units.data ? <p aria-busy="true">Loading…</p> : render(null)}
      {confirm.dialog}
    </section>
  );
}

/** The confirmation for an institution setting: what changes, for how many. */
function settingQuestion(body: Record<string, unknown>, i: Institution['institution'] | undefined, admins: Map<string, Admin[]> | undefined) {
  const name = i?.name ?? 'the institution';
  const everyAdmin = new Set([...(admins?.values() ?? [])].flat().map((x) => x.id)).size;
  const unlisted = admins?.get('')?.length ?? 0;
  if ('delegatedAdministration' in body) {
    return body.delegatedAdministration
      ? {
          title: 'Turn delegated administration on?',
          body: `Each of the ${count(everyAdmin, 'administrator')} of ${name} will have rights only at the units where they are listed. ${unlisted > 0 ? `The ${count(unlisted, 'administrator')} with no listed unit will be listed at the institution, keeping institution-wide rights.` : ''}`,
          action: 'Turn delegated administration on',
        }
      : {
          title: 'Turn delegated administration off?',
          body: `Every one of the ${count(everyAdmin, 'administrator')} of ${name} gets rights over the whole institution, wherever they are listed.`,
          action: 'Turn delegated administration off',
          danger: true,
        };
  }
  if ('studentLibrary' in body) {
    return body.studentLibrary
      ? { title: 'Turn the student library on?', body: `Every student of ${name} may upload and copy media (where their access allows).`, action: 'Turn the student library on' }
      : { title: 'Turn the student library off?', body: `No student of ${name} may upload or copy media any more, whatever their access level.`, action: 'Turn the student library off', danger: true };
  }
  const mode = String(body.personalCaptureLicensing);
  const words: Record<string, string> = {
    packs: 'only academic staff holding a seat of a license pack record with Personal Capture',
    site: 'every academic-staff user records with Personal Capture; no seats are assigned',
    off: 'nobody records with Personal Capture',
  };
  return { title: 'Change Personal Capture licensing?', body: `From now on ${words[mode] ?? mode} at ${name}.`, action: 'Change licensing', danger: mode === 'off' };
}

function AddUnit({ parent, onDone }: { parent: Unit; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const a = useAction();
  if (!open)
    return (
      <button type="button" className="link" onClick={() => setOpen(true)} aria-label={`Add a unit under ${parent.name}`}>
        + Add unit
      </button>
    );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await a.run(() => post('/units', { id: id.trim(), parent: parent.id, ...(name.trim() ? { name: name.trim() } : {}) }));
    if (r) {
      setOpen(false);
      onDone();
    }
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label={`New unit under ${parent.name}`}>
      <div>
        <label htmlFor={`nu-id-${parent.id}`}>Id</label>
        <input id={`nu-id-${parent.id}`} required value={id} onChange={(e) => setId(e.target.value)} />
      </div>
      <div>
        <label htmlFor={`nu-name-${parent.id}`}>Name</label>
        <input id={`nu-name-${parent.id}`} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <button type="submit" className="primary" disabled={a.busy}>
        Add
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorBox error={a.error} />
    </form>
  );
}

/** Rename, move (under a unit the caller may also change; SPEC §7: a move never escapes a lock) or delete a unit. */
function UnitActions({ unit, units, onDone }: { unit: Unit; units: Unit[]; onDone: (msg: string) => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(unit.name);
  const [parent, setParent] = useState(unit.parentId ?? '');
  const a = useAction();
  // Not under itself or its own descendants: the tree is listed in order with depths.
  const start = units.findIndex((x) => x.id === unit.id);
  let end = start + 1;
  while (end < units.length && units[end]!.depth > unit.depth) end++;
  const below = new Set(units.slice(start, end).map((x) => x.id));
  const parents = units.filter((x) => !below.has(x.id));

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, string> = {};
    if (name.trim() && name.trim() !== unit.name) body.name = name.trim();
    if (parent && parent !== unit.parentId) body.parent = parent;
    if (Object.keys(body).length === 0) return setOpen(false);
    const r = await a.run(() => patch(`/units/${enc(unit.id)}`, body));
    if (r) {
      setOpen(false);
      const to = units.find((x) => x.id === body.parent)?.name;
      onDone(body.parent ? `Moved ${body.name ?? unit.name} under ${to ?? body.parent}.` : `Renamed ${unit.name} to ${body.name}.`);
    }
  };
  const remove = async () => {
    // confirm: deleting a unit (one, empty) cannot be undone
    if (!(await askConfirm(`Delete the unit ${unit.name}? This cannot be undone.`))) return;
    const r = await a.run(() => del(`/units/${enc(unit.id)}`));
    if (r) onDone(`Deleted ${unit.name}.`);
  };
  return (
    <>
      {unit.abilities.update && !open && (
        <button type="button" className="link" onClick={() => setOpen(true)} aria-label={`Rename or move ${unit.name}`}>
          Rename or move
        </button>
      )}
      {unit.abilities.delete && (
        <button type="button" className="link" onClick={() => void remove()} disabled={a.busy} aria-label={`Delete ${unit.name}`}>
          Delete
        </button>
      )}
      {open && (
        <form className="inline-form" onSubmit={(e) => void save(e)} aria-label={`Change ${unit.name}`}>
          <div>
            <label htmlFor={`un-name-${unit.id}`}>Name</label>
            <input id={`un-name-${unit.id}`} required value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div>
            <label htmlFor={`un-parent-${unit.id}`}>Parent unit</label>
            <select id={`un-parent-${unit.id}`} value={parent} onChange={(e) => setParent(e.target.value)}>
              {parents.map((p) => (
                <option key={p.id} value={p.id}>
                  {'\u00a0\u00a0'.repeat(p.depth)}
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary" disabled={a.busy}>
            Save
          </button>
          <button type="button" onClick={() => (setOpen(false), a.clear())}>
            Cancel
          </button>
        </form>
      )}
      {a.error ? (
        <div className="node-error">
          <ErrorBox error={a.error} />
        </div>
      ) : null}
    </>
  );
}
