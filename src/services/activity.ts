/**
 * The student activity record (issue 20): ingesting the platform's events and the usage reports.
 * Events are not world state (they change no decision), so they are not operations: each batch is
 * authorized by policy (`activity.ingest`), read against the world (every user, media item and
 * section must exist in the institution) and written whole or not at all. Reports ask policy per
 * section (`section.analytics`) and per person (`activity.report`).
 */
import { invalid } from '../domain/outcome.js';
import { decide, type Principal } from '../policy/index.js';
import { ACTIVITY_KINDS, type ActivityEvent, type ActivityKind, ActivityStore, type UsageRow } from '../store/activity.js';
import type { World } from '../world/world.js';
import type { Lectern } from './lectern.js';

export const MAX_EVENTS_PER_BATCH = 50_000;
/** Events may be sent late (offline players) but not from the future or the distant past. */
const MAX_AGE_DAYS = 3650;
const MAX_SKEW_MS = 5 * 60_000;
export const DEFAULT_RETENTION_DAYS = 365;

export class ActivityRefused extends Error {
  constructor(
    readonly status: 'denied' | 'invalid' | 'notFound',
    readonly field: string | undefined,
    message: string,
    readonly reasons: string[] = [],
  ) {
    super(message);
  }
}

const stores = new WeakMap<Lectern, ActivityStore>();
export function activityStore(lectern: Lectern): ActivityStore {
  let s = stores.get(lectern);
  if (!s) stores.set(lectern, (s = new ActivityStore(lectern.store)));
  return s;
}

function read(w: World, raw: unknown, i: number, now: number): ActivityEvent {
  const f = (name: string) => `events[${i}].${name}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ActivityRefused('invalid', `events[${i}]`, `events[${i}]: must be an object {at, user, media, section?, kind, seconds?}`);
  const e = raw as Record<string, unknown>;
  for (const k of Object.keys(e)) if (!['at', 'user', 'media', 'section', 'kind', 'seconds'].includes(k)) throw new ActivityRefused('invalid', f(k), `${f(k)}: is not a field of an event`);
  // Milliseconds may arrive as a number or as its digits (a JSON schema's coercion).
  const at = typeof e.at === 'number' ? new Date(e.at) : typeof e.at === 'string' ? new Date(/^\d+$/.test(e.at) ? Number(e.at) : e.at) : undefined;
  if (!at || Number.isNaN(at.getTime())) throw new ActivityRefused('invalid', f('at'), `${f('at')}: must be a time (ISO 8601 or milliseconds since 1970)`);
  if (at.getTime() > now + MAX_SKEW_MS) throw new ActivityRefused('invalid', f('at'), `${f('at')}: ${at.toISOString()} is in the future`);
  if (at.getTime() < now - MAX_AGE_DAYS * 86_400_000) throw new ActivityRefused('invalid', f('at'), `${f('at')}: ${at.toISOString()} is more than ${MAX_AGE_DAYS} days ago`);
  // The person by id, username or email, as the platform knows them.
  const user = typeof e.user === 'string' ? w.findUser(e.user) : undefined;
  if (!user) throw new ActivityRefused(typeof e.user === 'string' ? 'notFound' : 'invalid', f('user'), `${f('user')}: no user '${String(e.user)}' in ${w.institutionId}`);
  if (typeof e.media !== 'string' || !w.media(e.media)) throw new ActivityRefused(typeof e.media === 'string' ? 'notFound' : 'invalid', f('media'), `${f('media')}: no media '${String(e.media)}' in ${w.institutionId}`);
  let sectionId: string | null = null;
  if (e.section !== undefined && e.section !== null && e.section !== '') {
    if (typeof e.section !== 'string' || !w.section(e.section)) throw new ActivityRefused('notFound', f('section'), `${f('section')}: no section '${String(e.section)}' in ${w.institutionId}`);
    sectionId = e.section;
  }
  if (typeof e.kind !== 'string' || !(ACTIVITY_KINDS as readonly string[]).includes(e.kind)) throw new ActivityRefused('invalid', f('kind'), `${f('kind')}: must be one of ${ACTIVITY_KINDS.join(', ')}`);
  const seconds = e.seconds === undefined ? 0 : e.seconds;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > 86_400) throw new ActivityRefused('invalid', f('seconds'), `${f('seconds')}: must be a whole number of seconds from 0 to 86400`);
  return { at, userId: user.id, mediaId: e.media, sectionId, kind: e.kind as ActivityKind, seconds };
}

/** Reads, authorizes and stores a batch: all of it, or nothing with the first bad event named. */
export async function ingestActivity(lectern: Lectern, principal: Principal, institutionId: string, events: unknown): Promise<{ accepted: number }> {
  const w = await lectern.world(institutionId);
  if (!w) throw new ActivityRefused('notFound', 'institution', `institution '${institutionId}' does not exist`);
  const d = decide(w, principal, 'activity.ingest', `institution:${institutionId}`);
  if (!d.allow) throw new ActivityRefused('denied', undefined, d.reasons[0] ?? 'denied', d.reasons);
  if (!Array.isArray(events)) throw invalidEvents('must be a list of events');
  if (events.length > MAX_EVENTS_PER_BATCH) throw invalidEvents(`has ${events.length.toLocaleString('en')} events; send at most ${MAX_EVENTS_PER_BATCH.toLocaleString('en')} at a time`);
  const now = Date.now();
  const rows = events.map((e, i) => read(w, e, i, now));
  await activityStore(lectern).insert(institutionId, rows);
  return { accepted: rows.length };
}

const invalidEvents = (why: string) => new ActivityRefused('invalid', 'events', `events: ${why}`);

function retentionOf(w: World): number {
  return w.institution.activityRetentionDays ?? DEFAULT_RETENTION_DAYS;
}

/** Applies the institution's retention now: events older than it are deleted. */
export async function purgeActivity(lectern: Lectern, institutionId: string, now = new Date()): Promise<{ retentionDays: number; deleted: number; before: string | null }> {
  const w = await lectern.world(institutionId);
  if (!w) throw new ActivityRefused('notFound', 'institution', `institution '${institutionId}' does not exist`);
  const days = retentionOf(w);
  if (days === 0) return { retentionDays: 0, deleted: 0, before: null };
  const before = new Date(now.getTime() - days * 86_400_000);
  return { retentionDays: days, deleted: await activityStore(lectern).purge(institutionId, before), before: before.toISOString() };
}

export interface Period {
  from: Date;
  to: Date;
}

const usage = (r: UsageRow) => ({ views: r.views, plays: r.plays, downloads: r.downloads, seconds: r.seconds, first: r.first.toISOString(), last: r.last.toISOString() });

/** A section's usage per media item and per person; asked as `section.analytics`. */
export async function sectionReport(lectern: Lectern, principal: Principal, w: World, sectionId: string, period: Period) {
  if (!w.section(sectionId)) throw new ActivityRefused('notFound', 'id', `section '${sectionId}' does not exist`);
  const d = decide(w, principal, 'section.analytics', `section:${sectionId}`);
  if (!d.allow) throw new ActivityRefused('denied', undefined, d.reasons[0] ?? 'denied', d.reasons);
  const s = activityStore(lectern);
  const [media, people] = await Promise.all([s.bySection(w.institutionId, sectionId, period.from, period.to), s.peopleOfSection(w.institutionId, sectionId, period.from, period.to)]);
  return {
    section: sectionId,
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    media: media.map((r) => ({ media: r.key, title: w.media(r.key)?.title ?? r.key, people: r.people, ...usage(r) })),
    people: people.map((r) => ({ user: r.key, media: r.people, ...usage(r) })),
  };
}

/** A person's usage per section, holding only the sections the caller may see it in (`activity.report`). */
export async function userReport(lectern: Lectern, principal: Principal, w: World, userId: string, period: Period) {
  const u = w.user(userId);
  if (!u) throw new ActivityRefused('notFound', 'id', `user '${userId}' does not exist`);
  // The question is allowed for the person themself and admins of the root, or for whoever sees
  // analytics in a section the person is enrolled in; the answer then holds only what they may see.
  const general = decide(w, principal, 'activity.report', `user:${u.id}`);
  if (!general.allow) {
    const mine = [...w.enrollmentsOf(u.id).keys()];
    if (!mine.some((sec) => decide(w, principal, 'activity.report', `user:${u.id}`, { section: sec }).allow)) {
      throw new ActivityRefused('denied', undefined, general.reasons[0] ?? 'denied', general.reasons);
    }
  }
  const rows = await activityStore(lectern).byUser(w.institutionId, u.id, period.from, period.to);
  const seen = rows.filter((r) => decide(w, principal, 'activity.report', `user:${u.id}`, r.key ? { section: r.key } : {}).allow);
  return {
    user: u.id,
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    sections: seen.map((r) => ({ section: r.key || null, ...usage(r) })),
  };
}

/** `from`/`to` query values: dates or times; by default the last 30 days. */
export function periodOf(from: string | undefined, to: string | undefined, now = new Date()): Period {
  const end = to ? new Date(to) : now;
  if (Number.isNaN(end.getTime())) throw invalid('to', `'${to}' is not a date or time`, 'format');
  const start = from ? new Date(from) : new Date(end.getTime() - 30 * 86_400_000);
  if (Number.isNaN(start.getTime())) throw invalid('from', `'${from}' is not a date or time`, 'format');
  if (start >= end) throw invalid('from', 'must be before to', 'format');
  return { from: start, to: end };
}
