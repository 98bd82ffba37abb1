/**
 * "My teaching": the start page of staff with no admin pages (academic staff, mostly) — their
 * sections (each opens the section's page), the media they may see with what they may do to each,
 * and their Personal Capture licenses. Everything is the API's answer for the signed-in user.
 */
import { useState } from 'react';
import { type Abilities, enc, get, type LicensePack, type Session } from '../api';
import { ErrorBox, Status, useLoad } from '../components';
import { Link, useUrlParams } from '../router';
import { MediaActions, words } from './Teaching';

interface MySection {
  id: string;
  name: string | null;
  course: string;
  term: string;
  role: string | null;
}
interface MediaItem {
  id: string;
  title: string | null;
  owner: string;
  origin: string;
  locked: boolean;
}
interface MediaDetail {
  media: MediaItem;
  publications: { class: string; section: string | null; abilities: { unpublish: boolean } }[];
  abilities: Abilities;
}
interface MyLicenses {
  licensing: 'site' | 'packs' | 'off';
  academicStaff: boolean;
  items: (LicensePack & { held: boolean })[];
}

const PAGE = 25;

export function MinePage({ session }: { session: Session }) {
  const me = session.user!;
  const [params, update] = useUrlParams();
  const after = params.get('after') ?? '';
  const sections = useLoad(() => get<{ items: MySection[] }>('/sections').then((r) => r.items.filter((s) => s.role !== null)), []);
  const media = useLoad(() => get<{ total: number; next?: string; items: MediaItem[] }>(`/users/${enc(me.id)}/viewable-media`, { limit: PAGE, after }), [after]);
  const licenses = useLoad(() => get<MyLicenses>(`/users/${enc(me.id)}/licenses`), []);
  const [open, setOpen] = useState<string | null>(null);
  const [msg, setMsg] = useState('');
  return (
    <section aria-labelledby="me-h">
      <h1 id="me-h">My teaching</h1>
      {msg && <Status>{msg}</Status>}
      <h2>Your sections</h2>
      <ErrorBox error={sections.error} />
      <div className="table-wrap">
        <table className="grid compact" id="my-sections">
          <caption className="sr-only">Your sections</caption>
          <thead>
            <tr>
              <th scope="col">Section</th>
              <th scope="col">Course</th>
              <th scope="col">Term</th>
              <th scope="col">Your role</th>
            </tr>
          </thead>
          <tbody>
            {(sections.data ?? []).map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`/teaching/sections/${enc(s.id)}`}>{s.name ?? s.id}</Link>
                </td>
                <td>{s.course}</td>
                <td>{s.term}</td>
                <td>{s.role ? words(s.role) : ''}</td>
              </tr>
            ))}
            {sections.data && sections.data.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  You are not enrolled in any section.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>

      <h2>Your media</h2>
      <ErrorBox error={media.error} />
      <div className="table-wrap">
        <table className="grid compact" id="my-media">
          <caption className="sr-only">Media you may see</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Owner</th>
              <th scope="col">Origin</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(media.data?.items ?? []).map((m) => (
              <MediaRow key={m.id} m={m} me={me.id} open={open === m.id} onToggle={() => setOpen(open === m.id ? null : m.id)} say={(t) => (setMsg(t), media.reload())} />
            ))}
            {media.data && media.data.items.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  No media you may see.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {media.data && (
        <nav className="pager" aria-label="Media pages">
          <button type="button" disabled={!after} onClick={() => update({ after: null })}>
            ← First page
          </button>
          <span>{media.data.total.toLocaleString()} in all</span>
          <button type="button" disabled={!media.data.next} onClick={() => update({ after: media.data?.next })}>
            Next →
          </button>
        </nav>
      )}

      <h2>Your licenses</h2>
      <ErrorBox error={licenses.error} />
      {licenses.data && <LicenseSummary l={licenses.data} />}
      <p>
        <Link to="/collections">Your collections</Link>
      </p>
    </section>
  );
}

function MediaRow({ m, me, open, onToggle, say }: { m: MediaItem; me: string; open: boolean; onToggle: () => void; say: (t: string) => void }) {
  const detail = useLoad(() => (open ? get<MediaDetail>(`/media/${enc(m.id)}`) : Promise.resolve(undefined)), [open, m.id]);
  return (
    <>
      <tr className={open ? 'selected' : ''}>
        <td>
          {m.title ?? m.id} {m.locked && <span className="badge">locked</span>}
        </td>
        <td>{m.owner === me ? 'You' : m.owner}</td>
        <td>{m.origin}</td>
        <td className="actions">
          <button type="button" onClick={onToggle} aria-expanded={open} aria-label={`Manage ${m.title ?? m.id}`}>
            Manage
          </button>
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={4}>
            <ErrorBox error={detail.error} />
            {detail.data && (
              <MediaActions
                m={{ id: m.id, title: detail.data.media.title, abilities: detail.data.abilities, classes: detail.data.publications.map((p) => ({ class: p.class, name: p.section ? `${p.class} (${p.section})` : p.class, abilities: p.abilities })) }}
                say={(t) => (say(t), detail.reload())}
                onClose={onToggle}
              />
            )}
          </td>
        </tr>
      )}
    </>
  );
}

function LicenseSummary({ l }: { l: MyLicenses }) {
  if (l.licensing === 'off') return <p>Personal Capture is off at this institution.</p>;
  if (l.licensing === 'site') return <p>{l.academicStaff ? 'You record with Personal Capture under the site license.' : 'The site license covers academic staff; you are not academic staff.'}</p>;
  const held = l.items.filter((p) => p.held);
  return held.length === 0 ? (
    <p>You hold no Personal Capture license.</p>
  ) : (
    <ul>
      {held.map((p) => (
        <li key={p.id}>
          License <strong>{p.id}</strong> <span className="muted">(pack of {p.unit})</span>
        </li>
      ))}
    </ul>
  );
}
