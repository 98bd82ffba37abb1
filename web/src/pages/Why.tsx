/** "Why?": pick a user, an action and a resource; see policy's decision and its reasons (POST /v1/check). */
import { type FormEvent, useState } from 'react';
import { post, type SearchUser } from '../api';
import { ErrorBox, UserPicker, useAction } from '../components';
import { ACTIONS, RESOURCE_TYPES } from '../../../src/domain/catalog';

interface Decision {
  allow: boolean;
  reasons: string[];
  revision: number;
}

export function WhyPage() {
  const [user, setUser] = useState<SearchUser | null>(null);
  const [action, setAction] = useState('media.download');
  const [type, setType] = useState('media');
  const [id, setId] = useState('');
  const [context, setContext] = useState('');
  const [answer, setAnswer] = useState<{ d: Decision; asked: string } | null>(null);
  const [ctxError, setCtxError] = useState('');
  const a = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!user) return;
    let ctx: Record<string, unknown> | undefined;
    setCtxError('');
    if (context.trim()) {
      try {
        const parsed: unknown = JSON.parse(context);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        ctx = parsed as Record<string, unknown>;
      } catch {
        setCtxError('Context must be a JSON object, e.g. {"format": "audio"}');
        return;
      }
    }
    const resource = type === 'platform' ? 'platform:main' : `${type}:${id.trim()}`;
    const d = await a.run(() => post<Decision>('/check', { user: user.id, action, resource, ...(ctx ? { context: ctx } : {}) }));
    if (d) setAnswer({ d, asked: `May ${user.firstName} ${user.lastName} ${action} on ${resource}?` });
  };

  return (
    <section aria-labelledby="why-h">
      <h1 id="why-h">Why?</h1>
      <p className="muted">Ask Lectern what a user may do, and why. The answer is the decision the platform gets, with its reasons.</p>
      <form className="card form-grid" onSubmit={(e) => void submit(e)} aria-label="Ask for a decision">
        <div className="span2">
          <UserPicker id="why-user" label="User" onPick={setUser} />
        </div>
        <label htmlFor="why-action">Action</label>
        <select id="why-action" value={action} onChange={(e) => setAction(e.target.value)}>
          {ACTIONS.map((x) => (
            <option key={x}>{x}</option>
          ))}
        </select>
        <label htmlFor="why-type">Resource type</label>
        <select id="why-type" value={type} onChange={(e) => setType(e.target.value)}>
          {RESOURCE_TYPES.map((x) => (
            <option key={x}>{x}</option>
          ))}
        </select>
        <label htmlFor="why-id">Resource id</label>
        <input id="why-id" value={type === 'platform' ? 'main' : id} disabled={type === 'platform'} required={type !== 'platform'} onChange={(e) => setId(e.target.value)} placeholder="e.g. lec1, physics, phys101-a" />
        <label htmlFor="why-ctx">Context (optional JSON)</label>
        <textarea id="why-ctx" rows={2} value={context} onChange={(e) => setContext(e.target.value)} placeholder='{"format": "audio"}' aria-describedby="why-ctx-help" />
        <p id="why-ctx-help" className="muted span2">
          For example <code>{'{"format":"audio"}'}</code> for downloads, <code>{'{"role":"admin","scope":"physics"}'}</code> for role.grant.
        </p>
        {ctxError && (
          <p className="error span2" role="alert">
            {ctxError}
          </p>
        )}
        <ErrorBox error={a.error} />
        <div className="span2 actions">
          <button type="submit" className="primary" disabled={!user || a.busy}>
            Ask
          </button>
        </div>
      </form>
      {answer && (
        <div className={`decision ${answer.d.allow ? 'allow' : 'deny'}`} role="status" aria-live="polite">
          <p className="asked">{answer.asked}</p>
          <p className="verdict">{answer.d.allow ? '✔ Allowed' : '✖ Denied'}</p>
          <h2>Because</h2>
          <ul>
            {answer.d.reasons.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
          <p className="muted small">At revision {answer.d.revision}.</p>
        </div>
      )}
    </section>
  );
}
