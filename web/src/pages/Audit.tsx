/**
 * The audit log (GET /v1/audit): each entry a sentence ("Helen Fischer revoked Nana Kamau's
 * license ID 2026-08-01-000001"), newest first, paged backwards through all history ("Show
 * older"); filtered by picking a person (who did it), an object (a user, a unit or a collection)
 * and a time range. The changes (before → after) stay one click away.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { get, type SearchUser, type Unit } from '../api';
import { ErrorBox, fullName, UserPicker, useAction, useLoad } from '../components';
import { UnitOptions } from './Users';

interface Entry {
  /** null for an authentication event (sign-in, sign-out, password, token, ended session). */
  revision: number | null;
  address?: string;
  outcome?: string;
  at: string;
  actor: string;
  operation: string;
  target: string;
  sentence: string;
  changes: { table: string; key: string; before: unknown; after: unknown }[];
}

interface Filter {
  actor: SearchUser | null;
  kind: '' | 'user' | 'unit' | 'collection';
  user: SearchUser | null;
  unit: string;
  collection: string;
  since: string;
  until: string;
}

const EMPTY: Filter = { actor: null, kind: '', user: null, unit: '', collection: '', since: '', until: '' };
const iso = (local: string) => (local ? new Date(local).toISOString() : '');
const PAGE = 50;

function targetOf(f: Filter): string {
  if (f.kind === 'user' && f.user) return `user:${f.user.id}`;
  if (f.kind === 'unit' && f.unit) return `unit:${f.unit}`;
  if (f.kind === 'collection' && f.collection) return `collection:${f.collection}`;
  return '';
}

export function AuditPage() {
  const [form, setForm] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [items, setItems] = useState<Entry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [reset, setReset] = useState(0);
  const units = useLoad(() => get<{ items: Unit[] }>('/units').then((r) => r.items), []);
  const collections = useLoad(() => get<{ items: { id: string; name: string | null }[] }>('/collections').then((r) => r.items).catch(() => []), []);
  const a = useAction();

  const query = (f: Filter, before?: string) => {
    const target = targetOf(f);
    return get<{ items: Entry[]; next: string | null }>('/audit', {
      actor: f.actor?.id,
      target,
      exact: target ? true : undefined,
      since: iso(f.since),
      until: iso(f.until),
      limit: PAGE,
      before,
    });
  };
  useEffect(() => {
    void a.run(async () => {
      const r = await query(filter);
      setItems(r.items);
      setNext(r.next);
    });
  }, [filter]);
  const older = () =>
    a.run(async () => {
      if (!next) return;
      const r = await query(filter, next);
      setItems((xs) => [...xs, ...r.items]);
      setNext(r.next);
    });
  const set = <K extends keyof Filter>(k: K, v: Filter[K]) => setForm((f) => ({ ...f, [k]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter(form);
  };
  const clear = () => {
    setForm(EMPTY);
    setFilter(EMPTY);
    setReset((x) => x + 1);
  };
  return (
    <section aria-labelledby="a-h">
      <h1 id="a-h">Audit log</h1>
      <form className="filters" onSubmit={submit} aria-label="Filter the audit log">
        <UserPicker key={`actor-${reset}`} id="a-actor" label="Done by" onPick={(u) => set('actor', u)} />
        <div>
          <label htmlFor="a-kind">Object</label>
          <select id="a-kind" value={form.kind} onChange={(e) => set('kind', e.target.value as Filter['kind'])}>
            <option value="">Anything</option>
            <option value="user">A user…</option>
            <option value="unit">A unit…</option>
            <option value="collection">A collection…</option>
          </select>
        </div>
        {form.kind === 'user' && <UserPicker key={`user-${reset}`} id="a-user" label="User" onPick={(u) => set('user', u)} />}
        {form.kind === 'unit' && (
          <div>
            <label htmlFor="a-unit">Unit</label>
            <select id="a-unit" value={form.unit} onChange={(e) => set('unit', e.target.value)}>
              <option value="">Choose a unit</option>
              <UnitOptions units={units.data ?? []} />
            </select>
          </div>
        )}
        {form.kind === 'collection' && (
          <div>
            <label htmlFor="a-collection">Collection</label>
            <select id="a-collection" value={form.collection} onChange={(e) => set('collection', e.target.value)}>
              <option value="">Choose a collection</option>
              {(collections.data ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name ?? c.id}
                </option>
              ))}
            </select>
          </div>
        )}
        <div>
          <label htmlFor="a-since">From</label>
          <input id="a-since" type="datetime-local" value={form.since} onChange={(e) => set('since', e.target.value)} />
        </div>
        <div>
          <label htmlFor="a-until">Until</label>
          <input id="a-until" type="datetime-local" value={form.until} onChange={(e) => set('until', e.target.value)} />
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Filter
          </button>
          <button type="button" onClick={clear}>
            Clear
          </button>
        </div>
      </form>
      {(filter.actor || targetOf(filter)) && (
        <p className="muted">
          Showing{filter.actor ? ` what ${fullName(filter.actor)} did` : ' everything'}
          {filter.kind === 'user' && filter.user ? ` to ${fullName(filter.user)}` : ''}
          {filter.kind === 'unit' && filter.unit ? ` to unit ${units.data?.find((u) => u.id === filter.unit)?.name ?? filter.unit}` : ''}
          {filter.kind === 'collection' && filter.collection ? ` to collection ${collections.data?.find((c) => c.id === filter.collection)?.name ?? filter.collection}` : ''}.
        </p>
      )}
      <ErrorBox error={a.error} />
      <ol className="audit" aria-busy={a.busy} aria-label="Audit entries, newest first">
        {items.map((e, i) => (
          <li key={`${e.revision ?? e.at}-${e.operation}-${e.target}-${i}`} data-operation={e.operation}>
            <time className="when" dateTime={e.at}>
              {new Date(e.at).toLocaleString()}
            </time>
            <span className={e.outcome !== undefined && e.outcome !== 'ok' && e.outcome !== 'signed in' ? 'refused' : ''}>{e.sentence}</span>
            {e.changes.length > 0 && (
              <details>
                <summary>
                  {e.changes.length} change{e.changes.length > 1 ? 's' : ''} (revision {e.revision})
                </summary>
                <ul className="changes">
                  {e.changes.map((c, j) => (
                    <li key={j}>
                      <code>
                        {c.table} {c.key}
                      </code>
                      : {JSON.stringify(c.before)} → {JSON.stringify(c.after)}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </li>
        ))}
        {!a.busy && items.length === 0 && <li className="muted">No entries match.</li>}
      </ol>
      {next ? (
        <button type="button" onClick={() => void older()} disabled={a.busy}>
          Show older entries
        </button>
      ) : (
        items.length > 0 && <p className="muted">The beginning of the log.</p>
      )}
    </section>
  );
}
