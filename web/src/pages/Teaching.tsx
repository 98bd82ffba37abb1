/**
 * Teaching: terms, courses and sections the caller manages or teaches in (create where allowed),
 * and a section's enrollments (enroll with a section role, unenroll).
 */
import { type FormEvent, useState } from 'react';
import { type Abilities, del, enc, get, post, put, type SearchUser, type Unit } from '../api';
import { ErrorBox, Status, UserPicker, useAction, useLoad } from '../components';
import { Link } from '../router';
import { SECTION_ROLES } from '../../../src/domain/catalog';
import { UnitOptions } from './Users';

interface Term {
  id: string;
  name: string | null;
  unit: string;
  start: string;
  end: string;
  abilities: Abilities;
}
interface Course {
  id: string;
  name: string | null;
  unit: string;
  abilities: Abilities;
}
interface Section {
  id: string;
  name: string | null;
  course: string;
  term: string;
  unit: string | null;
  role: string | null;
  abilities: Abilities;
}
interface Enrollment {
  user: string;
  role: string;
  firstName: string;
  lastName: string;
  abilities: { unenroll: boolean };
}
interface SectionDetail {
  section: Section & { courseName: string | null; termName: string | null };
  role: string | null;
  enrollments: Enrollment[];
  classes: { id: string; name: string | null; kind: string; media: number }[];
  abilities: Abilities;
}

export function TeachingPage() {
  const units = useLoad(() => get<{ items: Unit[] }>('/units').then((r) => r.items), []);
  const terms = useLoad(() => get<{ items: Term[] }>('/terms').then((r) => r.items), []);
  const courses = useLoad(() => get<{ items: Course[] }>('/courses').then((r) => r.items), []);
  const sections = useLoad(() => get<{ items: Section[] }>('/sections').then((r) => r.items), []);
  const [sel, setSel] = useState<string | null>(null);
  const unitName = (id: string | null) => (units.data ?? []).find((u) => u.id === id)?.name ?? id ?? '';
  return (
    <section aria-labelledby="t-h">
      <h1 id="t-h">Terms, courses and sections</h1>
      <ErrorBox error={terms.error ?? courses.error ?? sections.error} />
      <div className="cols">
        <div>
          <h2>Terms</h2>
          <table className="grid compact">
            <thead>
              <tr>
                <th scope="col">Term</th>
                <th scope="col">Dates</th>
                <th scope="col">Unit</th>
              </tr>
            </thead>
            <tbody>
              {(terms.data ?? []).map((t) => (
                <tr key={t.id}>
                  <td>{t.name ?? t.id}</td>
                  <td>
                    {t.start} – {t.end}
                  </td>
                  <td>{unitName(t.unit)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <CreateForm
            title="New term"
            fields={[
              ['id', 'Id', 'text'],
              ['name', 'Name', 'text'],
              ['start', 'First day', 'date'],
              ['end', 'Last day', 'date'],
            ]}
            unitField={units.data}
            path="/terms"
            onDone={terms.reload}
          />
        </div>
        <div>
          <h2>Courses</h2>
          <table className="grid compact">
            <thead>
              <tr>
                <th scope="col">Course</th>
                <th scope="col">Unit</th>
              </tr>
            </thead>
            <tbody>
              {(courses.data ?? []).map((c) => (
                <tr key={c.id}>
                  <td>
                    {c.name ?? c.id} <span className="muted">{c.id}</span>
                  </td>
                  <td>{unitName(c.unit)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <CreateForm
            title="New course"
            fields={[
              ['id', 'Id', 'text'],
              ['name', 'Name', 'text'],
            ]}
            unitField={units.data}
            path="/courses"
            onDone={courses.reload}
          />
        </div>
      </div>
      <h2>Sections</h2>
      <table className="grid compact">
        <thead>
          <tr>
            <th scope="col">Section</th>
            <th scope="col">Course</th>
            <th scope="col">Term</th>
            <th scope="col">Unit</th>
            <th scope="col">Your role</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(sections.data ?? []).map((s) => (
            <tr key={s.id} className={sel === s.id ? 'selected' : ''}>
              <td>{s.name ?? s.id}</td>
              <td>{s.course}</td>
              <td>{s.term}</td>
              <td>{unitName(s.unit)}</td>
              <td>{s.role ?? ''}</td>
              <td className="actions">
                <button type="button" onClick={() => setSel(s.id)} aria-pressed={sel === s.id} aria-label={`Open section ${s.name ?? s.id}`}>
                  Enrollments
                </button>{' '}
                <Link to={`/settings?scope=${enc(`section:${s.id}`)}`}>Settings</Link>
              </td>
            </tr>
          ))}
          {sections.data && sections.data.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No sections you manage or teach in.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <CreateForm
        title="New section"
        fields={[
          ['id', 'Id', 'text'],
          ['name', 'Name', 'text'],
        ]}
        selects={[
          ['course', 'Course', (courses.data ?? []).filter((c) => c.abilities.sectionCreate !== false).map((c) => [c.id, c.name ?? c.id])],
          ['term', 'Term', (terms.data ?? []).map((t) => [t.id, t.name ?? t.id])],
        ]}
        path="/sections"
        onDone={sections.reload}
      />
      {sel && <SectionPanel key={sel} id={sel} />}
    </section>
  );
}

function CreateForm({
  title,
  fields,
  selects = [],
  unitField,
  path,
  onDone,
}: {
  title: string;
  fields: [string, string, string][];
  selects?: [string, string, [string, string][]][];
  unitField?: Unit[] | undefined;
  path: string;
  onDone: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [v, setV] = useState<Record<string, string>>({});
  const a = useAction();
  const slug = title.toLowerCase().replace(/\s+/g, '-');
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {title}…
      </button>
    );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = Object.fromEntries(Object.entries(v).filter(([, x]) => x.trim() !== ''));
    const r = await a.run(() => post(path, body));
    if (r) {
      setV({});
      setOpen(false);
      onDone();
    }
  };
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-label={title}>
      {fields.map(([k, label, type]) => (
        <div key={k}>
          <label htmlFor={`${slug}-${k}`}>{label}</label>
          <input id={`${slug}-${k}`} type={type} required={k !== 'name'} value={v[k] ?? ''} onChange={(e) => setV({ ...v, [k]: e.target.value })} />
        </div>
      ))}
      {selects.map(([k, label, opts]) => (
        <div key={k}>
          <label htmlFor={`${slug}-${k}`}>{label}</label>
          <select id={`${slug}-${k}`} required value={v[k] ?? ''} onChange={(e) => setV({ ...v, [k]: e.target.value })}>
            <option value="">Choose…</option>
            {opts.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
      ))}
      {unitField && (
        <div>
          <label htmlFor={`${slug}-unit`}>Unit</label>
          <select id={`${slug}-unit`} value={v.unit ?? ''} onChange={(e) => setV({ ...v, unit: e.target.value })}>
            <option value="">Institution (root)</option>
            <UnitOptions units={unitField} />
          </select>
        </div>
      )}
      <button type="submit" className="primary" disabled={a.busy}>
        Create
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorBox error={a.error} />
    </form>
  );
}

function SectionPanel({ id }: { id: string }) {
  const s = useLoad(() => get<SectionDetail>(`/sections/${enc(id)}`), [id]);
  const [user, setUser] = useState<SearchUser | null>(null);
  const [role, setRole] = useState('student');
  const [msg, setMsg] = useState('');
  const a = useAction();
  if (s.error) return <ErrorBox error={s.error} />;
  if (!s.data) return <p aria-busy="true">Loading…</p>;
  const d = s.data;
  const enroll = async (e: FormEvent) => {
    e.preventDefault();
    if (!user) return;
    const r = await a.run(() => put(`/sections/${enc(id)}/enrollments/${enc(user.id)}`, { role }));
    if (r) {
      setMsg(`Enrolled ${user.firstName} ${user.lastName} as ${role}.`);
      s.reload();
    }
  };
  const unenroll = async (x: Enrollment) => {
    const r = await a.run(() => del(`/sections/${enc(id)}/enrollments/${enc(x.user)}`));
    if (r) {
      setMsg(`Unenrolled ${x.firstName} ${x.lastName}.`);
      s.reload();
    }
  };
  return (
    <div className="card" aria-labelledby="sec-h">
      <h2 id="sec-h">
        {d.section.name ?? d.section.id} <span className="muted">{d.section.courseName ?? d.section.course} · {d.section.termName ?? d.section.term}</span>
      </h2>
      <table className="grid compact">
        <caption>Enrollments</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {d.enrollments.map((x) => (
            <tr key={x.user}>
              <td>
                {x.firstName} {x.lastName} <span className="muted">{x.user}</span>
              </td>
              <td>{x.role.replace(/_/g, ' ')}</td>
              <td className="actions">
                {x.abilities.unenroll && (
                  <button type="button" onClick={() => void unenroll(x)} aria-label={`Unenroll ${x.firstName} ${x.lastName}`}>
                    Unenroll
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {(d.abilities.enroll || d.abilities.enrollInstructors) && (
        <form className="inline-form" onSubmit={(e) => void enroll(e)} aria-label="Enroll a user">
          <UserPicker id="en-user" label="User" onPick={setUser} />
          <div>
            <label htmlFor="en-role">Section role</label>
            <select id="en-role" value={role} onChange={(e) => setRole(e.target.value)}>
              {SECTION_ROLES.map((r) => (
                <option key={r} value={r} disabled={!d.abilities.enroll && r !== 'instructor'}>
                  {r.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary" disabled={!user || a.busy}>
            Enroll
          </button>
        </form>
      )}
      <ErrorBox error={a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
      {d.classes.length > 0 && (
        <p className="muted">
          Classes: {d.classes.map((c) => `${c.name ?? c.id} (${c.kind}, ${c.media} media)`).join('; ')}
        </p>
      )}
    </div>
  );
}
