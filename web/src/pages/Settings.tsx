/**
 * Toggles per level (the root, any unit, a section): the effective value, where it comes from, and
 * a lock where a level above forbids changing it. Setting "lock for levels below" fixes the value
 * for everything under this level.
 */
import { useState } from 'react';
import { del, get, put, type Unit } from '../api';
import { ErrorBox, Status, useAction, useLoad } from '../components';
import { ConfirmWithPreview, type Operation } from '../Preview';
import { navigate, useLocation } from '../router';
import { UnitOptions } from './Users';

interface Toggle {
  key: string;
  value: string;
  values: string[];
  default: string;
  source: string;
  locked: boolean;
  lockedAt: string | null;
  lockedAbove: boolean;
  setHere: { value: string; allowsOverride: boolean } | null;
  mayChange: boolean;
  why: string;
}

interface SettingsView {
  scope: string;
  levels: string[];
  abilities: { change: boolean };
  reasons?: string[];
  items: Toggle[];
}

export const LABEL: Record<string, string> = {
  qa: 'Q&A',
  studentCopy: 'Students may copy media',
  downloads: 'Downloads',
  downloadsTermActiveOnly: 'Downloads only while the term is active',
  coInstructorEditing: 'Co-instructors may edit media',
  instructorEnrollment: 'Instructors may enroll users',
  instructorDeleteSystemCaptures: 'Instructors may delete system captures',
  instructorUnpublishSystemCaptures: 'Instructors may unpublish system captures',
};
export const VALUE_LABEL: Record<string, string> = { on: 'On', off: 'Off', audioOnly: 'Audio only' };
/** An explanation with each toggle's label in place of its key ("downloads is off" → "Downloads is off"). */
const inLabels = (why: string) => why.replace(/\b[a-z][A-Za-z]*\b/g, (w) => (w in LABEL ? `“${LABEL[w]}”` : w));

export function SettingsPage() {
  const { search } = useLocation();
  const units = useLoad(() => get<{ items: Unit[] }>('/units').then((r) => r.items), []);
  const sections = useLoad(() => get<{ items: { id: string; name: string | null }[] }>('/sections').then((r) => r.items), []);
  const scope = search.get('scope') ?? (units.data?.[0] ? `unit:${units.data[0].id}` : '');
  const view = useLoad(() => (scope ? get<SettingsView>('/settings', { scope }) : Promise.resolve(undefined)), [scope]);
  const a = useAction();
  const [msg, setMsg] = useState('');
  // What was asked, shown while the request runs: `${key}` → value, `${key}:lock` → locked.
  const [pending, setPending] = useState<Record<string, string | boolean>>({});
  const choose = (s: string) => {
    setMsg('');
    a.clear();
    navigate(`/settings?scope=${encodeURIComponent(s)}`, true);
  };
  const names = new Map<string, string>([...(units.data ?? []).map((u) => [`unit:${u.id}`, u.name] as [string, string]), ...(sections.data ?? []).map((s) => [`section:${s.id}`, `Section ${s.name ?? s.id}`] as [string, string])]);
  const where = (s: string) => (s === 'default' ? 'built-in default' : (names.get(s) ?? s));

  const set = async (t: Toggle, value: string, allowsOverride: boolean) => {
    setPending({ [t.key]: value, [`${t.key}:lock`]: !allowsOverride });
    const r = await a.run(() => put('/settings', { scope, key: t.key, value, allowsOverride }));
    if (r) await view.refresh();
    setPending({});
    if (r) setMsg(`${LABEL[t.key] ?? t.key}: ${VALUE_LABEL[value] ?? value}${allowsOverride ? '' : ', locked for the levels below'} at ${where(scope)}.`);
  };
  // A toggle or lock is saved only after its preview ("what would change?") is accepted.
  const [confirm, setConfirm] = useState<{ op: Operation; what: string; go: () => void } | null>(null);
  const ask = (t: Toggle, value: string, allowsOverride: boolean) => {
    const what = `${allowsOverride ? 'Setting' : 'Locking'} ${LABEL[t.key] ?? t.key} to ${VALUE_LABEL[value] ?? value} at ${where(scope)}`;
    setConfirm({ op: { do: 'settings.set', with: { scope, key: t.key, value, allowsOverride } }, what, go: () => void set(t, value, allowsOverride) });
  };
  const clear = async (t: Toggle) => {
    const r = await a.run(() => del('/settings', { scope, key: t.key }));
    if (r) {
      await view.refresh();
      setMsg(`${LABEL[t.key] ?? t.key}: no longer set at ${where(scope)}.`);
    }
  };

  const unitScope = scope.startsWith('unit:') ? scope.slice(5) : '';
  const sectionScope = scope.startsWith('section:') ? scope.slice(8) : '';
  const v = view.data;
  return (
    <section aria-labelledby="s-h">
      <h1 id="s-h">Settings</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Choose a level">
        <div>
          <label htmlFor="s-unit">Unit</label>
          <select id="s-unit" value={unitScope} onChange={(e) => e.target.value && choose(`unit:${e.target.value}`)}>
            <option value="">—</option>
            <UnitOptions units={units.data ?? []} />
          </select>
        </div>
        <div>
          <label htmlFor="s-section">or section</label>
          <select id="s-section" value={sectionScope} onChange={(e) => e.target.value && choose(`section:${e.target.value}`)}>
            <option value="">—</option>
            {(sections.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name ?? s.id}
              </option>
            ))}
          </select>
        </div>
      </form>
      {v && (
        <p className="muted">
          Levels, from the top: {v.levels.map(where).join(' › ')}
        </p>
      )}
      <ErrorBox error={view.error} />
      {v && !v.abilities.change && <p className="note">You may see these settings but not change them here{v.reasons?.[0] ? `: ${v.reasons[0]}` : ''}.</p>}
      <ErrorBox error={a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
      {v && (
        <table className="grid settings">
          <caption className="sr-only">Settings at {where(v.scope)}</caption>
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">Value here</th>
              <th scope="col">Comes from</th>
              {!sectionScope && <th scope="col">Lock for levels below</th>}
              <th scope="col" className="actions">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {v.items.map((t) => {
              const id = `t-${t.key}`;
              const allows = t.setHere?.allowsOverride ?? true;
              const value = (pending[t.key] as string | undefined) ?? t.value;
              const lockedHere = (pending[`${t.key}:lock`] as boolean | undefined) ?? (!!t.setHere && !t.setHere.allowsOverride);
              const bool = t.values.length === 2 && t.values.includes('on') && t.values.includes('off');
              return (
                <tr key={t.key} data-key={t.key} className={t.lockedAbove ? 'locked' : ''}>
                  <th scope="row">
                    <label htmlFor={id}>{LABEL[t.key] ?? t.key}</label>
                    {t.lockedAbove && (
                      <svg className="lock" role="img" aria-label={`Locked at ${where(t.lockedAt ?? '')}`} viewBox="0 0 16 16" width="16" height="16">
                        <title>{t.why}</title>
                        <path d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v5A1.5 1.5 0 0 1 12.5 15h-9A1.5 1.5 0 0 1 2 13.5v-5A1.5 1.5 0 0 1 3.5 7H4Zm2 0h4V5a2 2 0 1 0-4 0v2Z" fill="currentColor" />
                      </svg>
                    )}
                  </th>
                  <td className="value-cell">
                    {bool ? (
                      <span className="switch-row">
                        <input id={id} type="checkbox" role="switch" checked={value === 'on'} disabled={!t.mayChange || a.busy} onChange={(e) => ask(t, e.target.checked ? 'on' : 'off', allows)} aria-describedby={`${id}-why`} />
                        <span aria-hidden="true">{VALUE_LABEL[value]}</span>
                      </span>
                    ) : (
                      <select id={id} value={value} disabled={!t.mayChange || a.busy} onChange={(e) => ask(t, e.target.value, allows)} aria-describedby={`${id}-why`}>
                        {t.values.map((x) => (
                          <option key={x} value={x}>
                            {VALUE_LABEL[x] ?? x}
                          </option>
                        ))}
                      </select>
                    )}
                  </td>
                  <td id={`${id}-why`}>
                    <span className={t.source === v.scope ? 'badge ok' : 'badge'}>{t.source === v.scope ? 'set here' : where(t.source)}</span>
                    <div className="muted small">{inLabels(t.why)}</div>
                  </td>
                  {!sectionScope && (
                  <td className="lock-cell">
                    <input
                      type="checkbox"
                      aria-label={`Lock ${LABEL[t.key] ?? t.key} for the levels below`}
                      checked={lockedHere}
                      disabled={!t.mayChange || a.busy}
                      onChange={(e) => ask(t, t.setHere?.value ?? t.value, !e.target.checked)}
                    />
                  </td>
                  )}
                  <td className="actions">
                    {t.setHere && t.mayChange && (
                      <button type="button" onClick={() => void clear(t)} aria-label={`Clear ${LABEL[t.key] ?? t.key} here`}>
                        Clear
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {confirm && (
        <ConfirmWithPreview
          op={confirm.op}
          what={confirm.what}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            confirm.go();
          }}
        />
      )}
    </section>
  );
}
