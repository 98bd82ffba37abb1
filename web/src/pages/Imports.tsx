/**
 * Imports and exports (SPEC §10; docs/IMPORTS.md): one page for every kind of file. An upload runs
 * as an import job on the server (POST …?async=true): the page shows the upload's progress, then
 * the job's (rows done of the file's rows), then its summary — not green when rows were refused —
 * and its rows page by page with what each row was about (username, action, pack, sourcedId, …),
 * optionally only the refused ones, and the result file to download. Exports are downloads of what
 * the signed-in user may see. The kind, the job, the filter and the page are in the URL.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, type ErrorBody, get } from '../api';
import { ErrorBox, Pager, Status, useLoad } from '../components';
import { navigate, useLocation } from '../router';

interface KindDef {
  key: string;
  label: string;
  /** Where its file is uploaded and its export downloaded. */
  importPath: string;
  exportPath?: string;
  contentType: string;
  accept: string;
  /** The row cells shown beside line and outcome, in order. */
  shown: string[];
  columns: string;
}

const KINDS: KindDef[] = [
  { key: 'users', label: 'Users', importPath: '/imports/users', exportPath: '/exports/users', contentType: 'text/csv', accept: '.csv,text/csv', shown: ['Action', 'Id', 'Username', 'Email'], columns: 'Action,Id,Username,Email,First Name,Last Name,Identity Provider,Status' },
  { key: 'units', label: 'Org units', importPath: '/imports/units', exportPath: '/exports/units', contentType: 'text/csv', accept: '.csv,text/csv', shown: ['Action', 'Id', 'Parent', 'Name'], columns: 'Action,Id,Parent,Name' },
  { key: 'terms', label: 'Terms', importPath: '/imports/terms', exportPath: '/exports/terms', contentType: 'text/csv', accept: '.csv,text/csv', shown: ['Action', 'Id', 'Unit', 'Start', 'End'], columns: 'Action,Id,Unit,Name,Start,End' },
  { key: 'courses', label: 'Courses', importPath: '/imports/courses', exportPath: '/exports/courses', contentType: 'text/csv', accept: '.csv,text/csv', shown: ['Action', 'Id', 'Unit', 'Name'], columns: 'Action,Id,Unit,Name' },
  { key: 'sections', label: 'Sections', importPath: '/imports/sections', exportPath: '/exports/sections', contentType: 'text/csv', accept: '.csv,text/csv', shown: ['Action', 'Id', 'Course', 'Term'], columns: 'Action,Id,Course,Term,Name' },
  { key: 'enrollments', label: 'Enrollments', importPath: '/imports/enrollments', exportPath: '/exports/enrollments', contentType: 'text/csv', accept: '.csv,text/csv', shown: ['Action', 'Section', 'User', 'Role'], columns: 'Action,Section,User,Role' },
  { key: 'schedules', label: 'Capture schedules', importPath: '/imports/schedules', exportPath: '/exports/schedules', contentType: 'text/csv', accept: '.csv,text/csv', shown: ['Action', 'Id', 'Section', 'Presenter'], columns: 'Action,Id,Section,Unit,Presenter,Room,Name' },
  { key: 'licenses', label: 'Licenses', importPath: '/licenses/import', exportPath: '/licenses/export', contentType: 'text/csv', accept: '.csv,text/csv', shown: ['Username', 'Action', 'License ID'], columns: 'Username,Action,License ID' },
  { key: 'members', label: 'Collection members', importPath: '/imports/members', exportPath: '/exports/members', contentType: 'text/csv', accept: '.csv,text/csv', shown: ['Action', 'Collection', 'User', 'Level'], columns: 'Action,Collection,User,Level,Permissions' },
  { key: 'oneroster', label: 'OneRoster 1.1 export', importPath: '/imports/oneroster', contentType: 'application/zip', accept: '.zip,application/zip', shown: ['sourcedId', 'username', 'role', 'classSourcedId', 'userSourcedId', 'title', 'name'], columns: 'a zip with manifest.csv and the OneRoster 1.1 CSV files' },
];

interface Summary {
  rows: number;
  applied: number;
  unchanged: number;
  refused: number;
  dryRun: boolean;
}

interface Job {
  id: string;
  kind: string;
  state: 'running' | 'done' | 'refused' | 'failed';
  dryRun: boolean;
  progress: { totalRows: number; rowsDone: number; applied: number; unchanged: number; refused: number; file?: string };
  summary?: Summary;
  error?: ErrorBody;
  statusUrl: string;
  resultFileUrl: string;
}

interface JobRow {
  file?: string;
  line: number;
  outcome: string;
  reason: string;
  field?: string;
  values?: Record<string, string>;
}

const LIMIT = 50;
const ok = (outcome: string) => outcome === 'applied' || outcome === 'unchanged';

/** Posts the file with upload progress (XMLHttpRequest is the browser API that reports it). */
function upload(path: string, file: Blob, contentType: string, onProgress: (fraction: number) => void): Promise<{ job: Job } & Pick<Job, 'statusUrl' | 'resultFileUrl'>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1${path}`);
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('x-lectern-csrf', '1');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data: unknown;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = { code: 'http', message: xhr.responseText || `${xhr.status}` };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as { job: Job } & Pick<Job, 'statusUrl' | 'resultFileUrl'>);
      else reject(new ApiError(xhr.status, data as ErrorBody));
    };
    xhr.onerror = () => reject(new ApiError(0, { code: 'network', message: 'the upload failed: Lectern did not answer' }));
    xhr.send(file);
  });
}

export function ImportsPage() {
  const { search } = useLocation();
  const kind = KINDS.find((k) => k.key === search.get('kind')) ?? KINDS[0]!;
  const jobId = search.get('job') ?? '';
  const refusedOnly = search.get('refused') === '1';
  const offset = Math.max(0, Number(search.get('offset') ?? 0) || 0);
  const setUrl = (q: Record<string, string | undefined>, replace = false) => {
    const p = new URLSearchParams();
    const next = { kind: kind.key, job: jobId || undefined, refused: refusedOnly ? '1' : undefined, offset: offset ? String(offset) : undefined, ...q };
    for (const [k, v] of Object.entries(next)) if (v) p.set(k, v);
    navigate(`/imports?${p.toString()}`, replace);
  };

  const [file, setFile] = useState<File | null>(null);
  const [dryRun, setDryRun] = useState(true);
  const [uploading, setUploading] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [job, setJob] = useState<Job | null>(null);

  // Follow the job in the URL until it ends.
  useEffect(() => {
    if (!jobId) {
      setJob(null);
      return;
    }
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const j = await get<Job>(`/imports/jobs/${encodeURIComponent(jobId)}`);
        if (stop) return;
        setJob(j);
        if (j.state === 'running') timer = setTimeout(() => void poll(), 400);
      } catch (e) {
        if (!stop) setError(e);
      }
    };
    void poll();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [jobId]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setJob(null);
    setUploading(0);
    try {
      const r = await upload(`${kind.importPath}?async=true&dryRun=${dryRun}`, file, kind.contentType, setUploading);
      setJob({ ...r.job, statusUrl: r.statusUrl, resultFileUrl: r.resultFileUrl });
      setUrl({ job: r.job.id, offset: undefined, refused: undefined });
    } catch (err) {
      setError(err);
    } finally {
      setUploading(null);
    }
  };

  return (
    <section aria-labelledby="imports-h">
      <h1 id="imports-h">Imports and exports</h1>
      <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="imp-form-h">
        <h2 id="imp-form-h">Import a file</h2>
        <div className="inline-form">
          <div>
            <label htmlFor="imp-kind">Kind of file</label>
            <select id="imp-kind" value={kind.key} onChange={(e) => setUrl({ kind: e.target.value, job: undefined, offset: undefined, refused: undefined })}>
              {KINDS.map((k) => (
                <option key={k.key} value={k.key}>
                  {k.label}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="imp-file">File</label>
            <input id="imp-file" type="file" accept={kind.accept} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </div>
          <div className="check-row">
            <input id="imp-dry" type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
            <label htmlFor="imp-dry">Dry run (report only, change nothing)</label>
          </div>
          <button type="submit" className="primary" disabled={!file || uploading !== null}>
            {dryRun ? 'Check file' : 'Import'}
          </button>
        </div>
        <p className="muted">
          Columns: <code>{kind.columns}</code>. Each row is applied or refused on its own; see the import guide for every column.
        </p>
        {uploading !== null && (
          <div className="progress" role="status" aria-live="polite">
            <label htmlFor="imp-upload">Uploading {Math.round(uploading * 100)}%</label>
            <progress id="imp-upload" max={1} value={uploading} />
          </div>
        )}
        <ErrorBox error={error} />
      </form>
      {job && <JobView job={job} kind={kind} refusedOnly={refusedOnly} offset={offset} setUrl={setUrl} />}
      <Exports />
    </section>
  );
}

function JobView({ job, kind, refusedOnly, offset, setUrl }: { job: Job; kind: KindDef; refusedOnly: boolean; offset: number; setUrl: (q: Record<string, string | undefined>) => void }) {
  const p = job.progress;
  const rows = useLoad(
    () => (job.state === 'running' ? Promise.resolve(undefined) : get<{ total: number; items: JobRow[] }>(`/imports/jobs/${encodeURIComponent(job.id)}/results`, { offset, limit: LIMIT, outcome: refusedOnly ? 'refused' : 'all' })),
    [job.id, job.state, offset, refusedOnly],
  );
  const shown = kind.key === job.kind ? kind.shown : (KINDS.find((k) => k.key === job.kind)?.shown ?? []);
  const s = job.summary;
  return (
    <div className="card" aria-labelledby="job-h">
      <h2 id="job-h">{job.dryRun ? 'Dry run: what the import would do' : 'Import result'}</h2>
      {job.state === 'running' && (
        <div className="progress" role="status" aria-live="polite">
          <label htmlFor="job-progress">
            Applying rows{p.file ? ` (${p.file})` : ''}: {p.rowsDone.toLocaleString()} of about {p.totalRows.toLocaleString()}
          </label>
          <progress id="job-progress" max={Math.max(p.totalRows, 1)} value={p.rowsDone} />
        </div>
      )}
      {(job.state === 'refused' || job.state === 'failed') && <ErrorBox error={new ApiError(job.state === 'refused' ? 400 : 500, job.error ?? { code: job.state, message: `the import ${job.state}` })} />}
      {s && (
        <Status>
          <span className={`badge ${s.refused > 0 ? 'off' : 'ok'}`}>{s.refused > 0 ? `${s.refused.toLocaleString()} refused` : 'no row refused'}</span> {s.rows.toLocaleString()} rows: {s.applied.toLocaleString()} {s.dryRun ? 'would be applied' : 'applied'},{' '}
          {s.unchanged.toLocaleString()} unchanged, {s.refused.toLocaleString()} refused.
        </Status>
      )}
      {job.state !== 'running' && s && (
        <>
          <div className="inline-form">
            <div className="check-row">
              <input id="job-refused" type="checkbox" checked={refusedOnly} onChange={(e) => setUrl({ refused: e.target.checked ? '1' : undefined, offset: undefined })} />
              <label htmlFor="job-refused">Only refused rows</label>
            </div>
            <a className="button" href={`${job.resultFileUrl}${refusedOnly ? '?outcome=refused' : ''}`} download>
              Download the result file (CSV)
            </a>
          </div>
          <ErrorBox error={rows.error} />
          {rows.data && (
            <>
              <table className="grid compact" id="job-rows">
                <caption className="muted">{refusedOnly ? 'Refused rows' : 'Every row'}, in file order</caption>
                <thead>
                  <tr>
                    {job.kind === 'oneroster' && <th scope="col">File</th>}
                    <th scope="col" className="num">
                      Line
                    </th>
                    <th scope="col">Outcome</th>
                    {shown.map((c) => (
                      <th scope="col" key={c}>
                        {c}
                      </th>
                    ))}
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.data.items.map((r) => (
                    <tr key={`${r.file ?? ''}:${r.line}:${r.values?.sourcedId ?? ''}`} className={ok(r.outcome) ? '' : 'refused'}>
                      {job.kind === 'oneroster' && <td>{r.file}</td>}
                      <td className="num">{r.line || '—'}</td>
                      <td>
                        <span className={`badge ${ok(r.outcome) ? 'ok' : 'off'}`}>{r.outcome}</span>
                      </td>
                      {shown.map((c) => (
                        <td key={c}>{r.values?.[c] ?? ''}</td>
                      ))}
                      <td>{r.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager offset={offset} limit={LIMIT} total={rows.data.total} onChange={(o) => setUrl({ offset: o ? String(o) : undefined })} label="Import rows" />
            </>
          )}
        </>
      )}
    </div>
  );
}

/** Each kind's export: what the signed-in user may see, as a file that is also an import template. */
function Exports() {
  return (
    <div className="card" aria-labelledby="exp-h">
      <h2 id="exp-h">Export</h2>
      <p className="muted">Each file holds what you may see, in the columns of the import: edit it and import it back.</p>
      <ul className="exports">
        {KINDS.filter((k) => k.exportPath).map((k) => (
          <li key={k.key}>
            <a href={`/v1${k.exportPath}`} download>
              {k.label} (CSV)
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
