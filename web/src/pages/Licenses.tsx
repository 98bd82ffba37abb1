/**
 * Personal Capture licensing: packs with totals and free seats; the assignments (filtered by unit
 * and pack, paged) with revoke; assign to a user; the CSV import (upload progress, then a result
 * per row: line, outcome, reason; dry run) and the export (a download, also a template).
 */
import { type FormEvent, useState } from 'react';
import { parse } from 'csv-parse/browser/esm/sync';
import { type Abilities, del, enc, get, type LicensePack, patch, post, type SearchUser, type Unit, uploadCsv } from '../api';
import { ErrorBox, Pager, Status, UserPicker, useAction, useLoad } from '../components';
import { useUrlNumber, useUrlState } from '../router';
import { count, useConfirm } from '../Confirm';
import { outcomeWords, UnitOptions } from './Users';

interface Packs {
  licensing: 'site' | 'packs';
  totals: { seats: number; assigned: number; free: number };
  items: LicensePack[];
  abilities: Abilities;
}

interface PackWithAbilities extends LicensePack {
  abilities?: { update?: boolean };
}

interface Assignment {
  user: string;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  pack: string;
  units: string[];
  abilities: { revoke: boolean };
}

interface ImportAnswer {
  summary: { rows: number; applied: number; unchanged: number; refused: number; dryRun: boolean };
  results: { line: number; outcome: string; reason: string; code?: string; field?: string }[];
}

const LIMIT = 25;

export function LicensesPage() {
  const packs = useLoad(() => get<Packs>('/license-packs'), []);
  const units = useLoad(() => get<{ items: Unit[] }>('/units').then((r) => r.items), []);
  // Filters and page live in the URL (reload, back, a shared link).
  const [unit, setUnit] = useUrlState('unit', '');
  const [pack, setPack] = useUrlState('pack', '');
  const [offset, setOffset] = useUrlNumber('offset');
  const list = useLoad(() => get<{ total: number; items: Assignment[] }>('/licenses', { unit, pack, offset, limit: LIMIT }), [unit, pack, offset]);
  const a = useAction();
  const confirm = useConfirm();
  const [msg, setMsg] = useState('');
  const reload = () => {
    packs.reload();
    list.reload();
  };

  if (packs.error) return <ErrorBox error={packs.error} />;
  const d = packs.data;
  const revoke = async (x: Assignment) => {
    setMsg('');
    const ok = await confirm.ask({
      title: `Revoke ${x.firstName} ${x.lastName}'s license?`,
      body: `${x.firstName} ${x.lastName} (${x.username}) gives back their seat of ${x.pack}, and can no longer record with Personal Capture from it.`,
      action: `Revoke ${x.pack}`,
      danger: true,
    });
    if (!ok) return;
    const r = await a.run(() => del('/licenses', { user: x.user, pack: x.pack }));
    if (r) {
      setMsg(`Revoked ${x.username}'s seat of ${x.pack}.`);
      reload();
    }
  };

  return (
    <section aria-labelledby="lic-h">
      <div className="page-head">
        <h1 id="lic-h">Personal Capture licensing</h1>
        {d?.abilities.export && (
          <a className="button" href="/v1/licenses/export" download>
            Export CSV
          </a>
        )}
      </div>
      {d?.licensing === 'site' && <p className="note">This institution has a site license: every academic-staff user is a presenter and seats are not assigned.</p>}
      <table className="grid compact packs">
        <caption>License packs</caption>
        <thead>
          <tr>
            <th scope="col">Pack</th>
            <th scope="col" className="num">
              Seats
            </th>
            <th scope="col" className="num">
              Assigned
            </th>
            <th scope="col" className="num">
              Free
            </th>
            {d?.abilities.update && (
              <th scope="col" className="actions">
                Change seats
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {(d?.items ?? []).map((p: PackWithAbilities) => (
            <tr key={p.id}>
              <td>{p.id}</td>
              <td className="num">{p.seats}</td>
              <td className="num">{p.assigned}</td>
              <td className="num">
                <span className={p.free === 0 ? 'badge off' : ''}>{p.free}</span>
              </td>
              {d?.abilities.update && (
                <td className="actions">
                  <Seats pack={p} onDone={(t) => (setMsg(t), reload())} />
                </td>
              )}
            </tr>
          ))}
          {d && d.items.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No license packs yet.
              </td>
            </tr>
          )}
        </tbody>
        {d && (
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td className="num">{d.totals.seats}</td>
              <td className="num">{d.totals.assigned}</td>
              <td className="num">{d.totals.free}</td>
              {d.abilities.update && <td />}
            </tr>
          </tfoot>
        )}
      </table>
      {d?.abilities.create && <CreatePack onDone={reload} />}
      {d?.abilities.assign && <Assign packs={d.items} onDone={reload} />}
      {d?.abilities.import && <Import onDone={reload} />}

      <h2>Assignments</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter assignments">
        <div>
          <label htmlFor="la-unit">Unit</label>
          <select
            id="la-unit"
            value={unit}
            onChange={(e) => {
              setUnit(e.target.value);
              setOffset(0);
            }}
          >
            <option value="">All units</option>
            <UnitOptions units={units.data ?? []} />
          </select>
        </div>
        <div>
          <label htmlFor="la-pack">Pack</label>
          <select
            id="la-pack"
            value={pack}
            onChange={(e) => {
              setPack(e.target.value);
              setOffset(0);
            }}
          >
            <option value="">All packs</option>
            {(d?.items ?? []).map((p) => (
              <option key={p.id}>{p.id}</option>
            ))}
          </select>
        </div>
      </form>
      <ErrorBox error={list.error ?? a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
      <table className="grid compact">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Email</th>
            <th scope="col">Pack</th>
            <th scope="col">Academic-staff units</th>
            <th scope="col" className="actions">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((x) => (
            <tr key={`${x.user}/${x.pack}`}>
              <td>
                {x.firstName} {x.lastName} <span className="muted">({x.username})</span>
              </td>
              <td>{x.email}</td>
              <td>{x.pack}</td>
              <td>{x.units.join(', ')}</td>
              <td className="actions">
                {x.abilities.revoke && (
                  <button type="button" onClick={() => void revoke(x)} disabled={a.busy} aria-label={`Revoke ${x.username}'s seat of ${x.pack}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
          {list.data && list.data.items.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No assignments match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {list.data && <Pager label="Assignments" offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      {confirm.dialog}
    </section>
  );
}

function CreatePack({ onDone }: { onDone: () => void }) {
  const [id, setId] = useState('');
  const [seats, setSeats] = useState('10');
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await a.run(() => post('/license-packs', { id: id.trim(), seats: Number(seats) }));
    if (r) {
      setId('');
      onDone();
    }
  };
  return (
    <form className="inline-form card" onSubmit={(e) => void submit(e)} aria-labelledby="cp-h">
      <h2 id="cp-h">New license pack</h2>
      <div>
        <label htmlFor="cp-id">Pack ID</label>
        <input id="cp-id" required value={id} onChange={(e) => setId(e.target.value)} placeholder="ID 2026-08-01-000001" pattern="ID \d{4}-\d{2}-\d{2}-\d{6}" />
      </div>
      <div>
        <label htmlFor="cp-seats">Seats</label>
        <input id="cp-seats" type="number" min={0} required value={seats} onChange={(e) => setSeats(e.target.value)} />
      </div>
      <button type="submit" className="primary" disabled={a.busy}>
        Create pack
      </button>
      <ErrorBox error={a.error} />
    </form>
  );
}

/** A pack's seat count, changed in place (PATCH /v1/license-packs/:id; never below the seats assigned). */
function Seats({ pack, onDone }: { pack: LicensePack; onDone: (msg: string) => void }) {
  const [seats, setSeats] = useState(String(pack.seats));
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await a.run(() => patch(`/license-packs/${enc(pack.id)}`, { seats: Number(seats) }));
    if (r) onDone(r.changed ? `${pack.id} now has ${count(Number(seats), 'seat')}.` : `${pack.id} already has ${count(Number(seats), 'seat')}.`);
  };
  return (
    <form className="seats-form" onSubmit={(e) => void submit(e)} aria-label={`Seats of ${pack.id}`}>
      <input type="number" min={0} required value={seats} onChange={(e) => setSeats(e.target.value)} aria-label={`Seats of ${pack.id}`} />
      <button type="submit" disabled={a.busy || seats === String(pack.seats)}>
        Save
      </button>
      <ErrorBox error={a.error} />
    </form>
  );
}

function Assign({ packs, onDone }: { packs: LicensePack[]; onDone: () => void }) {
  const [user, setUser] = useState<SearchUser | null>(null);
  const [pack, setPack] = useState('');
  const [msg, setMsg] = useState('');
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!user) return;
    const r = await a.run(() => (pack ? post('/licenses', { user: user.id, pack }) : post('/licenses/autoassign', { user: user.id })));
    if (r) {
      setMsg(r.changed ? `Assigned a license to ${user.firstName} ${user.lastName}.` : `${user.firstName} ${user.lastName} already holds that seat.`);
      onDone();
    }
  };
  return (
    <form className="inline-form card" onSubmit={(e) => void submit(e)} aria-labelledby="as-h">
      <h2 id="as-h">Assign a license</h2>
      <UserPicker id="as-user" label="Presenter (academic staff)" role="academic_staff" onPick={setUser} />
      <div>
        <label htmlFor="as-pack">Pack</label>
        <select id="as-pack" value={pack} onChange={(e) => setPack(e.target.value)}>
          <option value="">First pack with a free seat</option>
          {packs.map((p) => (
            <option key={p.id} value={p.id} disabled={p.free === 0}>
              {p.id} ({p.free} free)
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary" disabled={!user || a.busy}>
        Assign
      </button>
      <ErrorBox error={a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
    </form>
  );
}

/** Each data line's user, action and pack, read from the file itself (csv-parse), by file line number. */
function rowsOf(text: string): Map<number, { user: string; action: string; pack: string }> {
  const out = new Map<number, { user: string; action: string; pack: string }>();
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch {
    return out;
  }
  const head = (records[0]?.record ?? []).map((h) => h.toLowerCase());
  const col = (name: string) => head.indexOf(name);
  const [u, act, pk] = [col('username'), col('action'), col('license id')];
  for (const { record, info } of records.slice(1)) out.set(info.lines, { user: record[u] ?? '', action: record[act] ?? '', pack: record[pk] ?? '' });
  return out;
}

function Import({ onDone }: { onDone: () => void }) {
  const [rows, setRows] = useState<Map<number, { user: string; action: string; pack: string }>>(new Map());
  const [file, setFile] = useState<File | null>(null);
  const [dryRun, setDryRun] = useState(false);
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'processing'>('idle');
  const [progress, setProgress] = useState(0);
  const [answer, setAnswer] = useState<ImportAnswer | null>(null);
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setAnswer(null);
    setProgress(0);
    setPhase('uploading');
    const r = await a.run(() =>
      uploadCsv<ImportAnswer>(`/licenses/import?dryRun=${dryRun}`, file, (f) => {
        setProgress(f);
        if (f >= 1) setPhase('processing');
      }),
    );
    setPhase('idle');
    if (r) {
      setRows(rowsOf(await file.text()));
      setAnswer(r);
      if (!dryRun) onDone();
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="imp-h">
      <h2 id="imp-h">Import a license CSV</h2>
      <p className="muted">
        Columns <code>Username,Action,License ID</code>; actions <code>assign</code>, <code>autoassign</code>, <code>revoke</code>, <code>revokeall</code>. Each row succeeds or fails on its own. An export is a template.
      </p>
      <div className="inline-form">
        <div>
          <label htmlFor="imp-file">CSV file</label>
          <input id="imp-file" type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <div className="check-row">
          <input id="imp-dry" type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
          <label htmlFor="imp-dry">Dry run (report only, change nothing)</label>
        </div>
        <button type="submit" className="primary" disabled={!file || phase !== 'idle'}>
          Import
        </button>
      </div>
      {phase !== 'idle' && (
        <div className="progress" role="status" aria-live="polite">
          {phase === 'uploading' ? (
            <>
              <label htmlFor="imp-progress">Uploading {Math.round(progress * 100)}%</label>
              <progress id="imp-progress" max={1} value={progress} />
            </>
          ) : (
            <>
              <label htmlFor="imp-progress">Applying rows…</label>
              <progress id="imp-progress" />
            </>
          )}
        </div>
      )}
      <ErrorBox error={a.error} />
      {answer && (
        <div className="results" aria-labelledby="imp-res-h">
          <h3 id="imp-res-h">{answer.summary.dryRun ? 'Dry run: what the import would do' : 'Import result'}</h3>
          <p className={`summary ${answer.summary.refused > 0 ? 'bad' : 'ok'}`} role="status">
            {count(answer.summary.rows, 'row')}: {answer.summary.applied} {answer.summary.dryRun ? 'would be applied' : 'applied'}, {answer.summary.unchanged} unchanged, {answer.summary.refused} refused
            {answer.summary.refused > 0 ? ' — the refused rows changed nothing; see their reasons below.' : '.'}
          </p>
          <table className="grid compact" id="import-results">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Line
                </th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Pack</th>
                <th scope="col">Outcome</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {answer.results.map((r) => {
                const row = rows.get(r.line);
                const ok = r.outcome === 'applied' || r.outcome === 'unchanged';
                return (
                  <tr key={r.line} className={ok ? '' : 'refused'}>
                    <td className="num">{r.line}</td>
                    <td>{row?.user}</td>
                    <td>{row?.action}</td>
                    <td>{row?.pack}</td>
                    <td>
                      <span className={`badge ${ok ? 'ok' : 'off'}`}>{outcomeWords(r.outcome)}</span>
                    </td>
                    <td>{r.reason}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </form>
  );
}
