/**
 * Teaching (SPEC §6–7): terms, courses, sections and capture schedules — create, edit and delete
 * where policy allows (each row carries its abilities) — and one section's page at
 * /teaching/sections/:id: enrollments (enroll, change role, unenroll), classes, the media published
 * there (publish, unpublish, share, edit details, post) and its capability toggles.
 * The tab, filters and the section's tab live in the URL.
 */
import { type FormEvent, type ReactNode, useState } from 'react';
import { type Abilities, del, enc, get, patch, post, put, type SearchUser, type Session, type Unit } from '../api';
import { ErrorBox, Status, TabPanel, Tabs, UserPicker, fullName, useAction, useLoad } from '../components';
import { Link, useUrlParams } from '../router';
import { POST_TARGETS, SECTION_ROLES } from '../../../src/domain/catalog';
import { askConfirm } from './confirm';
import { LABEL, VALUE_LABEL } from './Settings';

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
interface Schedule {
  id: string;
  name: string | null;
  section: string | null;
  unit: string;
  presenter: string | null;
  room: string | null;
  abilities: Abilities;
}
interface Room {
  id: string;
  name: string | null;
}
interface Enrollment {
  user: string;
  role: string;
  firstName: string;
  lastName: string;
  abilities: { unenroll: boolean };
}
interface ClassItem {
  id: string;
  name: string | null;
  kind: string;
  media: number;
  abilities: Abilities;
}
interface SectionDetail {
  section: Section & { courseName: string | null; termName: string | null };
  role: string | null;
  enrollments: Enrollment[];
  classes: ClassItem[];
  abilities: Abilities;
}

export const words = (s: string) => s.replace(/_/g, ' ');
const label = (x: { id: string; name: string | null }) => x.name ?? x.id;

type Field = { key: string; label: string; type?: 'text' | 'date'; options?: [string, string][]; required?: boolean; blank?: string };

/** A small form for creating or changing one thing; sends only the fields that are filled (or changed). */
function ThingForm({ title, fields, initial = {}, submit, onCancel, changedOnly = false }: { title: string; fields: Field[]; initial?: Record<string, string>; submit: (body: Record<string, string>) => Promise<unknown>; onCancel: () => void; changedOnly?: boolean }) {
  const [v, setV] = useState<Record<string, string>>(initial);
  const a = useAction();
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const send = async (e: FormEvent) => {
    e.preventDefault();
    const body = Object.fromEntries(Object.entries(v).filter(([k, x]) => x.trim() !== '' && (!changedOnly || x !== initial[k])).map(([k, x]) => [k, x.trim()]));
    if (changedOnly && Object.keys(body).length === 0) return onCancel();
    await a.run(() => submit(body));
  };
  return (
    <form className="card inline-form" onSubmit={(e) => void send(e)} aria-label={title}>
      {fields.map((f) => (
        <div key={f.key}>
          <label htmlFor={`${slug}-${f.key}`}>{f.label}</label>
          {f.options ? (
            <select id={`${slug}-${f.key}`} required={f.required} value={v[f.key] ?? ''} onChange={(e) => setV({ ...v, [f.key]: e.target.value })}>
              <option value="">{f.blank ?? 'Choose…'}</option>
              {f.options.map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </select>
          ) : (
            <input id={`${slug}-${f.key}`} type={f.type ?? 'text'} required={f.required} value={v[f.key] ?? ''} onChange={(e) => setV({ ...v, [f.key]: e.target.value })} />
          )}
        </div>
      ))}
      <button type="submit" className="primary" disabled={a.busy}>
        {changedOnly ? 'Save' : 'Create'}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <ErrorBox error={a.error} />
    </form>
  );
}

/** The Edit and Delete buttons of a row, and the row's editor below it when open. */
function useRowEditor() {
  const [editing, setEditing] = useState<string | null>(null);
  return { editing, open: setEditing, close: () => setEditing(null) };
}

function RowButtons({ name, abilities, onEdit, onDelete }: { name: string; abilities: Abilities; onEdit: () => void; onDelete: () => void }) {
  return (
    <span className="row-actions">
      {abilities.update && (
        <button type="button" onClick={onEdit} aria-label={`Edit ${name}`}>
          Edit
        </button>
      )}
      {abilities.delete && (
        <button type="button" onClick={onDelete} aria-label={`Delete ${name}`}>
          Delete
        </button>
      )}
    </span>
  );
}

const TABS = [
  { key: 'sections', label: 'Sections' },
  { key: 'courses', label: 'Courses' },
  { key: 'terms', label: 'Terms' },
  { key: 'schedules', label: 'Capture schedules' },
] as const;
type TabKey = (typeof TABS)[number]['key'];

export function TeachingPage({ session, section }: { session: Session; section: string | null }) {
  if (section) return <SectionPage key={section} id={section} session={session} />;
  return <TeachingLists session={session} />;
}

function TeachingLists({ session }: { session: Session }) {
  const [params, update] = useUrlParams();
  const tab = (TABS.find((t) => t.key === params.get('tab'))?.key ?? 'sections') as TabKey;
  const units = useLoad(() => get<{ items: Unit[] }>('/units').then((r) => r.items), []);
  const terms = useLoad(() => get<{ items: Term[] }>('/terms').then((r) => r.items), []);
  const courses = useLoad(() => get<{ items: Course[] }>('/courses').then((r) => r.items), []);
  const a = useAction();
  const [msg, setMsg] = useState('');
  const unitName = (id: string | null) => (units.data ?? []).find((u) => u.id === id)?.name ?? id ?? '';
  const done = (text: string) => {
    a.clear();
    setMsg(text);
  };
  const remove = async (what: string, name: string, path: string, extra: string, reload: () => void) => {
    // confirm: deleting a term, course, section or schedule cannot be undone
    if (!(await askConfirm(`Delete the ${what} ${name}?${extra} This cannot be undone.`))) return;
    setMsg('');
    const r = await a.run(() => del(path));
    if (r) {
      done(`Deleted the ${what} ${name}.`);
      reload();
    }
  };
  const shared = { units: units.data ?? [], terms: terms.data ?? [], courses: courses.data ?? [], unitName, remove, done, params, update, session };
  return (
    <section aria-labelledby="t-h">
      <h1 id="t-h">Teaching</h1>
      <ErrorBox error={terms.error ?? courses.error ?? a.error} />
      {msg && !a.error && <Status>{msg}</Status>}
      <Tabs label="Teaching" current={tab} onChange={(k) => (setMsg(''), a.clear(), update({ tab: k === 'sections' ? null : k }))} tabs={[...TABS]} />
      <TabPanel id={tab}>
        {tab === 'terms' && <TermsTab {...shared} reload={terms.reload} />}
        {tab === 'courses' && <CoursesTab {...shared} reload={courses.reload} />}
        {tab === 'sections' && <SectionsTab {...shared} />}
        {tab === 'schedules' && <SchedulesTab {...shared} />}
      </TabPanel>
    </section>
  );
}

interface Shared {
  units: Unit[];
  terms: Term[];
  courses: Course[];
  unitName: (id: string | null) => string;
  remove: (what: string, name: string, path: string, extra: string, reload: () => void) => Promise<void>;
  done: (text: string) => void;
  params: URLSearchParams;
  update: (patch: Record<string, string | number | null | undefined>, replace?: boolean) => void;
  session: Session;
}

const unitOptions = (units: Unit[]): [string, string][] => units.map((u) => [u.id, `${'\u00a0\u00a0'.repeat(u.depth)}${u.name}`]);

function TermsTab({ terms, units, unitName, remove, done, reload, session }: Shared & { reload: () => void }) {
  const ed = useRowEditor();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div className="table-wrap">
        <table className="grid compact">
          <caption className="sr-only">Terms</caption>
          <thead>
            <tr>
              <th scope="col">Term</th>
              <th scope="col">Dates</th>
              <th scope="col">Unit</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {terms.map((t) => (
              <Rows key={t.id} open={ed.editing === t.id} cols={4}
                editor={
                  <ThingForm title={`Edit term ${label(t)}`} changedOnly
                    fields={[{ key: 'name', label: 'Name' }, { key: 'start', label: 'First day', type: 'date' }, { key: 'end', label: 'Last day', type: 'date' }]}
                    initial={{ name: t.name ?? '', start: t.start, end: t.end }}
                    submit={(b) => patch(`/terms/${enc(t.id)}`, b).then(() => (ed.close(), done(`Saved the term ${b.name ?? label(t)}.`), reload()))}
                    onCancel={ed.close}
                  />
                }
              >
                <td>{label(t)}</td>
                <td>
                  {t.start} – {t.end}
                </td>
                <td>{unitName(t.unit)}</td>
                <td className="actions">
                  <RowButtons name={`term ${label(t)}`} abilities={t.abilities} onEdit={() => ed.open(t.id)} onDelete={() => void remove('term', label(t), `/terms/${enc(t.id)}`, '', reload)} />
                </td>
              </Rows>
            ))}
          </tbody>
        </table>
      </div>
      {session.anywhere['term.create'] &&
        (creating ? (
          <ThingForm title="New term"
            fields={[{ key: 'id', label: 'Id', required: true }, { key: 'name', label: 'Name' }, { key: 'start', label: 'First day', type: 'date', required: true }, { key: 'end', label: 'Last day', type: 'date', required: true }, { key: 'unit', label: 'Unit', options: unitOptions(units), blank: 'Institution (root)' }]}
            submit={(b) => post('/terms', b).then(() => (setCreating(false), done(`Created the term ${b.name ?? b.id}.`), reload()))}
            onCancel={() => setCreating(false)}
          />
        ) : (
          <button type="button" onClick={() => setCreating(true)}>
            New term…
          </button>
        ))}
    </>
  );
}

function CoursesTab({ courses, units, unitName, remove, done, reload, session }: Shared & { reload: () => void }) {
  const ed = useRowEditor();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div className="table-wrap">
        <table className="grid compact">
          <caption className="sr-only">Courses</caption>
          <thead>
            <tr>
              <th scope="col">Course</th>
              <th scope="col">Unit</th>
              <th scope="col">Sections</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {courses.map((c) => (
              <Rows key={c.id} open={ed.editing === c.id} cols={4}
                editor={
                  <ThingForm title={`Edit course ${label(c)}`} changedOnly
                    fields={[{ key: 'name', label: 'Name' }, { key: 'unit', label: 'Unit', options: unitOptions(units), required: true }]}
                    initial={{ name: c.name ?? '', unit: c.unit }}
                    submit={(b) => patch(`/courses/${enc(c.id)}`, b).then(() => (ed.close(), done(`Saved the course ${b.name ?? label(c)}.`), reload()))}
                    onCancel={ed.close}
                  />
                }
              >
                <td>
                  {label(c)} <span className="muted">{c.id}</span>
                </td>
                <td>{unitName(c.unit)}</td>
                <td>
                  <Link to={`/teaching?course=${enc(c.id)}`}>Sections of {label(c)}</Link>
                </td>
                <td className="actions">
                  <RowButtons name={`course ${label(c)}`} abilities={c.abilities} onEdit={() => ed.open(c.id)} onDelete={() => void remove('course', label(c), `/courses/${enc(c.id)}`, '', reload)} />
                </td>
              </Rows>
            ))}
          </tbody>
        </table>
      </div>
      {session.anywhere['course.create'] &&
        (creating ? (
          <ThingForm title="New course"
            fields={[{ key: 'id', label: 'Id', required: true }, { key: 'name', label: 'Name' }, { key: 'unit', label: 'Unit', options: unitOptions(units), blank: 'Institution (root)' }]}
            submit={(b) => post('/courses', b).then(() => (setCreating(false), done(`Created the course ${b.name ?? b.id}.`), reload()))}
            onCancel={() => setCreating(false)}
          />
        ) : (
          <button type="button" onClick={() => setCreating(true)}>
            New course…
          </button>
        ))}
    </>
  );
}

/** A table row, and below it (spanning the table) its editor while open. */
function Rows({ children, editor, open, cols }: { children: ReactNode; editor: ReactNode; open: boolean; cols: number }) {
  return (
    <>
      <tr className={open ? 'selected' : ''}>{children}</tr>
      {open && (
        <tr>
          <td colSpan={cols}>{editor}</td>
        </tr>
      )}
    </>
  );
}

function SectionsTab({ terms, courses, unitName, remove, done, params, update, session }: Shared) {
  const term = params.get('term') ?? '';
  const course = params.get('course') ?? '';
  const sections = useLoad(() => get<{ items: Section[] }>('/sections', { term, course }).then((r) => r.items), [term, course]);
  const ed = useRowEditor();
  const [creating, setCreating] = useState(false);
  const courseName = (id: string) => label(courses.find((c) => c.id === id) ?? { id, name: null });
  const termName = (id: string) => label(terms.find((t) => t.id === id) ?? { id, name: null });
  return (
    <>
      <div className="filters">
        <div>
          <label htmlFor="f-term">Term</label>
          <select id="f-term" value={term} onChange={(e) => update({ term: e.target.value })}>
            <option value="">All terms</option>
            {terms.map((t) => (
              <option key={t.id} value={t.id}>
                {label(t)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-course">Course</label>
          <select id="f-course" value={course} onChange={(e) => update({ course: e.target.value })}>
            <option value="">All courses</option>
            {courses.map((c) => (
              <option key={c.id} value={c.id}>
                {label(c)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorBox error={sections.error} />
      <div className="table-wrap">
        <table className="grid compact">
          <caption className="sr-only">Sections</caption>
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
              <Rows key={s.id} open={ed.editing === s.id} cols={6}
                editor={
                  <ThingForm title={`Edit section ${label(s)}`} changedOnly
                    fields={[{ key: 'name', label: 'Name' }, { key: 'term', label: 'Term', options: terms.map((t) => [t.id, label(t)]), required: true }]}
                    initial={{ name: s.name ?? '', term: s.term }}
                    submit={(b) => patch(`/sections/${enc(s.id)}`, b).then(() => (ed.close(), done(`Saved the section ${b.name ?? label(s)}.`), sections.reload()))}
                    onCancel={ed.close}
                  />
                }
              >
                <td>
                  <Link to={`/teaching/sections/${enc(s.id)}`}>{label(s)}</Link>
                </td>
                <td>{courseName(s.course)}</td>
                <td>{termName(s.term)}</td>
                <td>{unitName(s.unit)}</td>
                <td>{s.role ? words(s.role) : ''}</td>
                <td className="actions">
                  <RowButtons name={`section ${label(s)}`} abilities={s.abilities} onEdit={() => ed.open(s.id)}
                    onDelete={() => void remove('section', label(s), `/sections/${enc(s.id)}`, ' Its enrollments, classes, settings and schedules go with it.', sections.reload)} />
                </td>
              </Rows>
            ))}
            {sections.data && sections.data.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No sections {term || course ? 'match these filters' : 'you manage or teach in'}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {session.anywhere['section.create'] &&
        (creating ? (
          <ThingForm title="New section"
            fields={[
              { key: 'id', label: 'Id', required: true },
              { key: 'name', label: 'Name' },
              { key: 'course', label: 'Course', options: courses.filter((c) => c.abilities.sectionCreate).map((c) => [c.id, label(c)]), required: true },
              { key: 'term', label: 'Term', options: terms.map((t) => [t.id, label(t)]), required: true },
            ]}
            initial={{ course, term }}
            submit={(b) => post('/sections', b).then(() => (setCreating(false), done(`Created the section ${b.name ?? b.id}.`), sections.reload()))}
            onCancel={() => setCreating(false)}
          />
        ) : (
          <button type="button" onClick={() => setCreating(true)}>
            New section…
          </button>
        ))}
    </>
  );
}

function SchedulesTab({ units, unitName, remove, done, params, update, session }: Shared) {
  const section = params.get('section') ?? '';
  const schedules = useLoad(() => get<{ items: Schedule[] }>('/schedules', { section }).then((r) => r.items), [section]);
  const sections = useLoad(() => get<{ items: Section[] }>('/sections').then((r) => r.items), []);
  const rooms = useLoad(() => get<{ items: Room[] }>('/rooms').then((r) => r.items).catch(() => [] as Room[]), []);
  const ed = useRowEditor();
  const [creating, setCreating] = useState(false);
  const roomOptions: [string, string][] = (rooms.data ?? []).map((r) => [r.id, label(r)]);
  const sectionOptions: [string, string][] = (sections.data ?? []).map((s) => [s.id, label(s)]);
  const sectionName = (id: string | null) => (id ? label((sections.data ?? []).find((s) => s.id === id) ?? { id, name: null }) : '');
  return (
    <>
      <div className="filters">
        <div>
          <label htmlFor="f-section">Section</label>
          <select id="f-section" value={section} onChange={(e) => update({ section: e.target.value })}>
            <option value="">All sections</option>
            {sectionOptions.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorBox error={schedules.error} />
      <div className="table-wrap">
        <table className="grid compact">
          <caption className="sr-only">Capture schedules</caption>
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Section</th>
              <th scope="col">Unit</th>
              <th scope="col">Presenter</th>
              <th scope="col">Room</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(schedules.data ?? []).map((s) => (
              <Rows key={s.id} open={ed.editing === s.id} cols={6}
                editor={
                  <ThingForm title={`Edit schedule ${label(s)}`} changedOnly
                    fields={[{ key: 'name', label: 'Name' }, { key: 'presenter', label: 'Presenter (user id, an instructor of the section)' }, { key: 'room', label: 'Room', options: roomOptions, blank: 'No room' }]}
                    initial={{ name: s.name ?? '', presenter: s.presenter ?? '', room: s.room ?? '' }}
                    submit={(b) => patch(`/schedules/${enc(s.id)}`, b).then(() => (ed.close(), done(`Saved the schedule ${b.name ?? label(s)}.`), schedules.reload()))}
                    onCancel={ed.close}
                  />
                }
              >
                <td>{label(s)}</td>
                <td>{s.section ? <Link to={`/teaching/sections/${enc(s.section)}`}>{sectionName(s.section)}</Link> : <span className="muted">No section</span>}</td>
                <td>{unitName(s.unit)}</td>
                <td>{s.presenter ?? ''}</td>
                <td>{s.room ? label((rooms.data ?? []).find((r) => r.id === s.room) ?? { id: s.room, name: null }) : ''}</td>
                <td className="actions">
                  <RowButtons name={`schedule ${label(s)}`} abilities={s.abilities} onEdit={() => ed.open(s.id)} onDelete={() => void remove('capture schedule', label(s), `/schedules/${enc(s.id)}`, '', schedules.reload)} />
                </td>
              </Rows>
            ))}
            {schedules.data && schedules.data.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No capture schedules you may change.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {session.anywhere['schedule.create'] &&
        (creating ? (
          <ThingForm title="New capture schedule"
            fields={[
              { key: 'id', label: 'Id', required: true },
              { key: 'name', label: 'Name' },
              { key: 'section', label: 'Section', options: sectionOptions, blank: 'No section (give a unit)' },
              { key: 'unit', label: 'Unit (schedules with no section)', options: unitOptions(units), blank: '—' },
              { key: 'presenter', label: 'Presenter (user id)' },
              { key: 'room', label: 'Room', options: roomOptions, blank: 'No room' },
            ]}
            initial={{ section }}
            submit={(b) => post('/schedules', b).then(() => (setCreating(false), done(`Created the capture schedule ${b.name ?? b.id}.`), schedules.reload()))}
            onCancel={() => setCreating(false)}
          />
        ) : (
          <button type="button" onClick={() => setCreating(true)}>
            New capture schedule…
          </button>
        ))}
    </>
  );
}

// --- one section ---

const SECTION_TABS = [
  { key: 'enrollments', label: 'Enrollments' },
  { key: 'classes', label: 'Classes' },
  { key: 'media', label: 'Media' },
  { key: 'capabilities', label: 'Capabilities' },
] as const;
type SectionTab = (typeof SECTION_TABS)[number]['key'];

function SectionPage({ id, session }: { id: string; session: Session }) {
  const s = useLoad(() => get<SectionDetail>(`/sections/${enc(id)}`), [id]);
  const [params, update] = useUrlParams();
  const tab = (SECTION_TABS.find((t) => t.key === params.get('tab'))?.key ?? 'enrollments') as SectionTab;
  const [msg, setMsg] = useState('');
  const back = session.anywhere['course.create'] || session.anywhere['term.create'] ? { to: '/teaching', text: 'Teaching' } : { to: '/me', text: 'My teaching' };
  if (s.error) return <ErrorBox error={s.error} />;
  if (!s.data) return <p aria-busy="true">Loading…</p>;
  const d = s.data;
  const say = (t: string) => {
    setMsg(t);
    s.reload();
  };
  return (
    <section aria-labelledby="sec-h">
      <p className="crumbs">
        <Link to={back.to}>{back.text}</Link> /
      </p>
      <div className="section-head">
        <h1 id="sec-h">{label(d.section)}</h1>
        <span className="muted">
          {d.section.courseName ?? d.section.course} · {d.section.termName ?? d.section.term}
          {d.role ? ` · you are ${words(d.role)}` : ''}
        </span>
      </div>
      {msg && <Status>{msg}</Status>}
      <Tabs label="Section" current={tab} onChange={(k) => (setMsg(''), update({ tab: k === 'enrollments' ? null : k }))} tabs={[...SECTION_TABS]} />
      <TabPanel id={tab}>
        {tab === 'enrollments' && <Enrollments id={id} d={d} say={say} />}
        {tab === 'classes' && <Classes id={id} d={d} say={say} />}
        {tab === 'media' && <SectionMedia id={id} say={setMsg} />}
        {tab === 'capabilities' && <Capabilities id={id} d={d} say={setMsg} />}
      </TabPanel>
    </section>
  );
}

function Enrollments({ id, d, say }: { id: string; d: SectionDetail; say: (t: string) => void }) {
  const [user, setUser] = useState<SearchUser | null>(null);
  const [role, setRole] = useState(d.abilities.enroll ? 'student' : 'instructor');
  const a = useAction();
  const enroll = async (e: FormEvent) => {
    e.preventDefault();
    if (!user) return;
    const r = await a.run(() => put(`/sections/${enc(id)}/enrollments/${enc(user.id)}`, { role }));
    if (r) say(`Enrolled ${fullName(user)} as ${words(role)}.`);
  };
  const unenroll = async (x: Enrollment) => {
    // confirm: unenrolling takes away the person's access to the section
    if (!(await askConfirm(`Unenroll ${fullName(x)} from ${label(d.section)}? They lose what their ${words(x.role)} role gave them here.`))) return;
    const r = await a.run(() => del(`/sections/${enc(id)}/enrollments/${enc(x.user)}`));
    if (r) say(`Unenrolled ${fullName(x)}.`);
  };
  return (
    <>
      <div className="table-wrap">
        <table className="grid compact" id="enrollments">
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
                  {fullName(x)} <span className="muted">{x.user}</span>
                </td>
                <td>{words(x.role)}</td>
                <td className="actions">
                  {x.abilities.unenroll && (
                    <button type="button" onClick={() => void unenroll(x)} aria-label={`Unenroll ${fullName(x)}`}>
                      Unenroll
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {(d.abilities.enroll || d.abilities.enrollInstructors) && (
        <form className="inline-form" onSubmit={(e) => void enroll(e)} aria-label="Enroll a user">
          <UserPicker id="en-user" label="User" onPick={setUser} />
          <div>
            <label htmlFor="en-role">Section role</label>
            <select id="en-role" value={role} onChange={(e) => setRole(e.target.value)}>
              {SECTION_ROLES.map((r) => (
                <option key={r} value={r} disabled={!d.abilities.enroll && r !== 'instructor'}>
                  {words(r)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary" disabled={!user || a.busy}>
            Enroll
          </button>
        </form>
      )}
      <p className="muted small">Enrolling someone already enrolled changes their section role.</p>
      <ErrorBox error={a.error} />
    </>
  );
}

function Classes({ id, d, say }: { id: string; d: SectionDetail; say: (t: string) => void }) {
  const [creating, setCreating] = useState(false);
  const a = useAction();
  const remove = async (k: ClassItem) => {
    // confirm: deleting a class removes what is published in it
    if (!(await askConfirm(`Delete the class ${label(k)}?${k.media > 0 ? ` ${k.media} published media item${k.media === 1 ? '' : 's'} will no longer be published in it.` : ''} This cannot be undone.`))) return;
    const r = await a.run(() => del(`/classes/${enc(k.id)}`));
    if (r) say(`Deleted the class ${label(k)}.`);
  };
  return (
    <>
      <div className="table-wrap">
        <table className="grid compact">
          <caption>Classes</caption>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">
                Media
              </th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {d.classes.map((k) => (
              <tr key={k.id}>
                <td>
                  {label(k)} <span className="muted">{k.id}</span>
                </td>
                <td>{k.kind === 'system' ? 'System (captures)' : 'Manual'}</td>
                <td className="num">{k.media}</td>
                <td className="actions">
                  {k.abilities.delete && (
                    <button type="button" onClick={() => void remove(k)} aria-label={`Delete class ${label(k)}`}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {d.classes.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  No classes yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {d.abilities.classCreate &&
        (creating ? (
          <ThingForm title="New class"
            fields={[{ key: 'id', label: 'Id', required: true }, { key: 'name', label: 'Name' }]}
            submit={(b) => post('/classes', { ...b, section: id }).then(() => (setCreating(false), say(`Created the class ${b.name ?? b.id}.`)))}
            onCancel={() => setCreating(false)}
          />
        ) : (
          <button type="button" onClick={() => setCreating(true)}>
            New class…
          </button>
        ))}
      <ErrorBox error={a.error} />
    </>
  );
}

interface SectionMediaItem {
  id: string;
  title: string | null;
  owner: string;
  presenter: string | null;
  origin: string;
  locked: boolean;
  classes: { class: string; name: string | null; abilities: { unpublish: boolean } }[];
  abilities: Abilities;
}

const POST_LABEL: Record<string, string> = { publicLink: 'a public link', lmsEmbed: 'an LMS embed', lmsHomework: 'an LMS homework assignment (locks the media)' };

function SectionMedia({ id, say }: { id: string; say: (t: string) => void }) {
  const media = useLoad(() => get<{ items: SectionMediaItem[] }>(`/sections/${enc(id)}/media`).then((r) => r.items), [id]);
  const [open, setOpen] = useState<string | null>(null);
  if (media.error) return <ErrorBox error={media.error} />;
  return (
    <>
      <div className="table-wrap">
        <table className="grid compact" id="section-media">
          <caption>Media published in this section</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Owner</th>
              <th scope="col">Origin</th>
              <th scope="col">Published in</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(media.data ?? []).map((m) => (
              <Rows key={m.id} open={open === m.id} cols={5}
                editor={<MediaActions m={m} say={(t) => (say(t), media.reload())} onClose={() => setOpen(null)} />}
              >
                <td>
                  {m.title ?? m.id} {m.locked && <span className="badge">locked</span>}
                </td>
                <td>{m.owner}</td>
                <td>{m.origin}</td>
                <td>{m.classes.map((k) => k.name ?? k.class).join(', ')}</td>
                <td className="actions">
                  <button type="button" onClick={() => setOpen(open === m.id ? null : m.id)} aria-expanded={open === m.id} aria-label={`Manage ${m.title ?? m.id}`}>
                    Manage
                  </button>
                </td>
              </Rows>
            ))}
            {media.data && media.data.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  Nothing published here that you may see.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** One media item's actions: each offered only where the API says the caller may. */
export function MediaActions({ m, say, onClose }: { m: { id: string; title: string | null; classes?: SectionMediaItem['classes']; abilities: Abilities }; say: (t: string) => void; onClose: () => void }) {
  const name = m.title ?? m.id;
  const targets = useLoad(() => get<{ items: { class: string; section: string | null; name: string }[] }>(`/media/${enc(m.id)}/publish-targets`).then((r) => r.items), [m.id]);
  const [title, setTitle] = useState(m.title ?? '');
  const [target, setTarget] = useState('');
  const [to, setTo] = useState('');
  const [user, setUser] = useState<SearchUser | null>(null);
  const a = useAction();
  const run = async (fn: () => Promise<unknown>, text: string) => {
    const r = await a.run(fn);
    if (r !== undefined) say(text);
  };
  const published = new Set((m.classes ?? []).map((k) => k.class));
  const free = (targets.data ?? []).filter((t) => !published.has(t.class));
  return (
    <div className="card" aria-label={`Actions for ${name}`} role="group">
      {m.abilities.editDetails && (
        <form className="inline-form" onSubmit={(e) => (e.preventDefault(), void run(() => patch(`/media/${enc(m.id)}`, { title: title.trim() }), `Renamed to ${title.trim()}.`))}>
          <div>
            <label htmlFor={`mt-${m.id}`}>Title</label>
            <input id={`mt-${m.id}`} required value={title} onChange={(e) => setTitle(e.target.value)} />
          </div>
          <button type="submit" disabled={a.busy || !title.trim() || title.trim() === m.title}>
            Save title
          </button>
        </form>
      )}
      {(m.classes ?? []).filter((k) => k.abilities.unpublish).map((k) => (
        <button key={k.class} type="button" disabled={a.busy}
          onClick={() => void (async () => {
            // confirm: unpublishing hides the media from the class's students
            if (await askConfirm(`Unpublish ${name} from ${k.name ?? k.class}? Its students will no longer see it there.`)) await run(() => post(`/media/${enc(m.id)}/unpublish`, { class: k.class }), `Unpublished ${name} from ${k.name ?? k.class}.`);
          })()}
        >
          Unpublish from {k.name ?? k.class}
        </button>
      ))}
      {free.length > 0 && (
        <form className="inline-form" onSubmit={(e) => (e.preventDefault(), void run(() => post(`/media/${enc(m.id)}/publish`, { class: target }), `Published ${name} to ${free.find((t) => t.class === target)?.name ?? target}.`))}>
          <div>
            <label htmlFor={`mp-${m.id}`}>Publish to class</label>
            <select id={`mp-${m.id}`} required value={target} onChange={(e) => setTarget(e.target.value)}>
              <option value="">Choose…</option>
              {free.map((t) => (
                <option key={t.class} value={t.class}>
                  {t.name} {t.section ? `(${t.section})` : ''}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={a.busy || !target}>
            Publish
          </button>
        </form>
      )}
      {m.abilities.share && (
        <form className="inline-form" onSubmit={(e) => (e.preventDefault(), user && void run(() => post(`/media/${enc(m.id)}/share`, { user: user.id }), `Shared ${name} with ${fullName(user)}.`))}>
          <UserPicker id={`ms-${m.id}`} label="Share with" onPick={setUser} />
          <button type="submit" disabled={a.busy || !user}>
            Share
          </button>
        </form>
      )}
      {m.abilities.post && (
        <form className="inline-form" onSubmit={(e) => (e.preventDefault(), void run(() => post(`/media/${enc(m.id)}/post`, { to }), `Posted ${name} to ${POST_LABEL[to] ?? to}.`))}>
          <div>
            <label htmlFor={`mo-${m.id}`}>Post to</label>
            <select id={`mo-${m.id}`} required value={to} onChange={(e) => setTo(e.target.value)}>
              <option value="">Choose…</option>
              {POST_TARGETS.map((t) => (
                <option key={t} value={t}>
                  {POST_LABEL[t] ?? t}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={a.busy || !to}>
            Post
          </button>
        </form>
      )}
      {!m.abilities.editDetails && !m.abilities.share && !m.abilities.post && free.length === 0 && !(m.classes ?? []).some((k) => k.abilities.unpublish) && <p className="muted">You may only view this media item.</p>}
      <p>
        <button type="button" className="link" onClick={onClose}>
          Close
        </button>
      </p>
      <ErrorBox error={a.error} />
    </div>
  );
}

interface Toggle {
  key: string;
  value: string;
  values: string[];
  mayChange: boolean;
  why: string;
}

const ABILITY_WORDS: Record<string, string> = {
  update: 'Edit the section',
  delete: 'Delete the section',
  settings: 'Change its settings',
  analytics: 'See analytics',
  polling: 'Run polls',
  accessLinks: 'Make access links',
  captureStart: 'Start an ad hoc capture',
  enroll: 'Enroll people',
  enrollInstructors: 'Enroll instructors',
  classCreate: 'Add classes',
  qaPost: 'Post in Q&A',
  qaModerate: 'Moderate Q&A',
  scheduleCreate: 'Schedule captures',
};

/** The section's toggles (changeable where policy lets the caller) and what the caller may do here. */
function Capabilities({ id, d, say }: { id: string; d: SectionDetail; say: (t: string) => void }) {
  const scope = `section:${id}`;
  const view = useLoad(() => get<{ abilities: { change: boolean }; items: Toggle[] }>('/settings', { scope }), [scope]);
  const a = useAction();
  const set = async (t: Toggle, value: string) => {
    const r = await a.run(() => put('/settings', { scope, key: t.key, value }));
    if (r) {
      await view.refresh();
      say(`${LABEL[t.key] ?? t.key}: ${VALUE_LABEL[value] ?? value} in this section.`);
    }
  };
  return (
    <>
      <h2>Toggles</h2>
      <ErrorBox error={view.error ?? a.error} />
      <div className="toggles">
        {(view.data?.items ?? []).map((t) => (
          <div key={t.key} className="switch-row">
            {t.values.length === 2 && t.values.includes('on') ? (
              <>
                <input type="checkbox" role="switch" id={`cap-${t.key}`} checked={t.value === 'on'} disabled={!t.mayChange || a.busy} aria-describedby={`cap-${t.key}-why`} onChange={(e) => void set(t, e.target.checked ? 'on' : 'off')} />
                <label htmlFor={`cap-${t.key}`}>{LABEL[t.key] ?? t.key}</label>
              </>
            ) : (
              <>
                <label htmlFor={`cap-${t.key}`}>{LABEL[t.key] ?? t.key}</label>
                <select id={`cap-${t.key}`} value={t.value} disabled={!t.mayChange || a.busy} aria-describedby={`cap-${t.key}-why`} onChange={(e) => void set(t, e.target.value)}>
                  {t.values.map((v) => (
                    <option key={v} value={v}>
                      {VALUE_LABEL[v] ?? v}
                    </option>
                  ))}
                </select>
              </>
            )}
            <span id={`cap-${t.key}-why`} className="sr-only">
              {t.why}
            </span>
          </div>
        ))}
      </div>
      {view.data && !view.data.abilities.change && <p className="muted">You may see these toggles but not change them here.</p>}
      <p>
        <Link to={`/settings?scope=${enc(scope)}`}>Where each value comes from</Link>
      </p>
      <h2>What you can do in this section</h2>
      <ul className="small">
        {Object.entries(d.abilities).map(([k, v]) => (
          <li key={k}>
            {v ? '✓' : '✗'} {ABILITY_WORDS[k] ?? k}
            <span className="sr-only">{v ? ': yes' : ': no'}</span>
          </li>
        ))}
      </ul>
    </>
  );
}
