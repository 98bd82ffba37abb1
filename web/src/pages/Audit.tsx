/** The audit log (GET /v1/audit): who did what to what, when, before → after; filter by actor, object and time. */
import { type FormEvent, useState } from 'react';
import { get } from '../api';
import { ErrorBox, useLoad } from '../components';

interface Entry {
  /** null for an authentication event (sign-in, sign-out, password, token, ended session). */
  revision: number | null;
  address?: string;
  outcome?: string;
  detail?: unknown;
  at: string;
  actor: string;
  operation: string;
  target: string;
  changes: { table: string; key: string; before: unknown; after: unknown }[];
}

const iso = (local: string) => (local ? new Date(local).toISOString() : '');

export function AuditPage() {
  const [form, setForm] = useState({ actor: '', target: '', since: '', until: '', limit: '100' });
  const [filter, setFilter] = useState(form);
  const log = useLoad(() => get<{ items: Entry[] }>('/audit', { actor: filter.actor.trim(), target: filter.target.trim(), since: iso(filter.since), until: iso(filter.until), limit: filter.limit }), [filter]);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter(form);
  };
  return (
    <section aria-labelledby="a-h">
      <h1 id="a-h">Audit log</h1>
      <form className="filters" onSubmit={submit} aria-label="Filter the audit log">
        <div>
          <label htmlFor="a-actor">Actor</label>
          <input id="a-actor" value={form.actor} onChange={set('actor')} placeholder="user id" />
        </div>
        <div>
          <label htmlFor="a-target">Object</label>
          <input id="a-target" value={form.target} onChange={set('target')} placeholder="e.g. user:eshaw" />
        </div>
        <div>
          <label htmlFor="a-since">From</label>
          <input id="a-since" type="datetime-local" value={form.since} onChange={set('since')} />
        </div>
        <div>
          <label htmlFor="a-until">Until</label>
          <input id="a-until" type="datetime-local" value={form.until} onChange={set('until')} />
        </div>
        <div>
          <label htmlFor="a-limit">Show</label>
          <select id="a-limit" value={form.limit} onChange={set('limit')}>
            {['50', '100', '500', '1000'].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Filter
          </button>
        </div>
      </form>
      <ErrorBox error={log.error} />
      <table className="grid compact" aria-busy={log.loading}>
        <thead>
          <tr>
            <th scope="col" className="num">
              Revision
            </th>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Operation</th>
            <th scope="col">Object</th>
            <th scope="col">Changes</th>
          </tr>
        </thead>
        <tbody>
          {(log.data?.items ?? []).map((e, i) => (
            <tr key={`${e.revision ?? e.at}-${e.operation}-${e.target}-${i}`}>
              <td className="num">{e.revision ?? '—'}</td>
              <td>
                <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>
              </td>
              <td>{e.actor}</td>
              <td>
                <code>{e.operation}</code>
              </td>
              <td>{e.target}</td>
              <td>
                {e.outcome !== undefined && (
                  <span>
                    {e.outcome}
                    {e.address ? ` from ${e.address}` : ''}
                    {e.detail !== undefined ? ` ${JSON.stringify(e.detail)}` : ''}
                  </span>
                )}
                {e.changes.length > 0 && (
                  <details>
                    <summary>
                      {e.changes.length} change{e.changes.length > 1 ? 's' : ''}
                    </summary>
                    <ul className="changes">
                      {e.changes.map((c, i) => (
                        <li key={i}>
                          <code>
                            {c.table} {c.key}
                          </code>
                          : {JSON.stringify(c.before)} → {JSON.stringify(c.after)}
                        </li>
                      ))}
                    </ul>
                  </details>
                )}
              </td>
            </tr>
          ))}
          {log.data && log.data.items.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No entries match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
