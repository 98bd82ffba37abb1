/**
 * Lookups the platform asks for: the media a user may view, the sections and classes where a user
 * may publish, the users who may view a media item. Each gathers candidates from the world's
 * indexes and keeps those `decide` allows, so a lookup can never disagree with a check.
 */
import type { World } from '../world/world.js';
import { Actor, type Principal } from './actor.js';
import { decide } from './index.js';
import { sectionsOfMedia } from './media.js';

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
  total: number;
}

function page(ids: string[], opts: { after?: string; limit?: number }): Page<string> {
  ids.sort();
  const limit = Math.max(1, Math.min(opts.limit ?? 100, 1000));
  let start = 0;
  if (opts.after !== undefined) {
    const after = opts.after;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const items = ids.slice(start, start + limit);
  return { items, total: ids.length, ...(start + limit < ids.length ? { next: items[items.length - 1]! } : {}) };
}

/** Sections within any of the units, by way of their courses. */
function sectionsWithin(w: World, units: readonly string[]): string[] {
  if (units.length === 0) return [];
  const out: string[] = [];
  for (const s of w.tables.section.values()) {
    const unit = w.sectionUnit(s.id);
    if (unit !== undefined && units.some((u) => w.tree.within(unit, u))) out.push(s.id);
  }
  return out;
}

/**
 * The media a user may view, by media id, paged. Asked by someone else (`seenBy`), only the items
 * that one may view too: a lookup never shows a title its caller could not open.
 */
export function viewableMedia(w: World, principal: Principal, opts: { after?: string; limit?: number; seenBy?: Principal } = {}): Page<string> {
  const actor = new Actor(w, principal);
  const candidates = new Set<string>();
  if (actor.isInstitutionAdmin || actor.listed('av_technician').includes(w.rootId)) {
    for (const id of w.tables.media.keys()) candidates.add(id);
  } else if (principal.kind === 'user') {
    const uid = principal.userId;
    for (const id of w.mediaOwnedBy(uid)) candidates.add(id);
    for (const id of w.sharedWith(uid)) candidates.add(id);
    const sections = new Set<string>(w.enrollmentsOf(uid).keys());
    for (const s of sectionsWithin(w, [...actor.adminUnits, ...actor.listed('av_technician')])) sections.add(s);
    for (const s of sections) for (const c of w.classesOf(s)) for (const m of w.mediaInClass(c)) candidates.add(m);
  }
  const seenBy = opts.seenBy;
  const allowed = [...candidates].filter(
    (m) => decide(w, principal, 'media.view', { type: 'media', id: m }, {}, { explain: false }).allow && (!seenBy || decide(w, seenBy, 'media.view', { type: 'media', id: m }, {}, { explain: false }).allow),
  );
  return page(allowed, opts);
}

/**
 * Sections where a user may publish their own media: where they teach or present, or administer.
 * Asked by someone else (`seenBy`), only the sections that one may see (`section.view`).
 */
export function publishableSections(w: World, principal: Principal, seenBy?: Principal): string[] {
  const actor = new Actor(w, principal);
  const out = new Set<string>(sectionsWithin(w, actor.adminUnits));
  if (principal.kind === 'user') {
    for (const [s, role] of w.enrollmentsOf(principal.userId)) {
      if (role === 'instructor' || role === 'teaching_assistant' || role === 'student_presenter') out.add(s);
    }
  }
  const seen = seenBy ? [...out].filter((s) => decide(w, seenBy, 'section.view', { type: 'section', id: s }, {}, { explain: false }).allow) : [...out];
  return seen.sort();
}

/** Whether a check allows: `decide` by default; the API passes the check that agrees with the operation. */
export type Allows = (w: World, principal: Principal, action: string, resource: string, context: Record<string, unknown>) => boolean;
const byRule: Allows = (w, principal, action, resource, context) => decide(w, principal, action, resource, context, { explain: false }).allow;

/**
 * The classes where a user may publish one media item, each asked as a `media.publish` check — with
 * the check that agrees with the operation, a class the media is already in is no target; asked by
 * someone else (`seenBy`), only in sections that one may see.
 */
export function publishTargets(w: World, principal: Principal, mediaId: string, seenBy?: Principal, allows: Allows = byRule): string[] {
  const actor = new Actor(w, principal);
  const sections = new Set<string>(sectionsWithin(w, actor.adminUnits));
  if (principal.kind === 'user') for (const s of w.enrollmentsOf(principal.userId).keys()) sections.add(s);
  const out: string[] = [];
  for (const s of sections) {
    if (seenBy && !decide(w, seenBy, 'section.view', { type: 'section', id: s }, {}, { explain: false }).allow) continue;
    for (const c of w.classesOf(s)) {
      if (allows(w, principal, 'media.publish', `media:${mediaId}`, { class: c })) out.push(c);
    }
  }
  return out.sort();
}

/**
 * The users of the institution who may view a media item. (System admins of other institutions
 * may too; they are not users of this one and are not listed.)
 */
export function usersWhoMayView(w: World, mediaId: string): string[] {
  const m = w.media(mediaId);
  if (!m) return [];
  const candidates = new Set<string>([m.ownerId]);
  for (const u of w.sharedTo(mediaId)) candidates.add(u);
  for (const s of sectionsOfMedia(w, mediaId)) for (const u of w.enrolled(s).keys()) candidates.add(u);
  for (const u of w.usersWithGrants()) candidates.add(u); // admins, system admins, AV technicians
  return [...candidates]
    .filter((u) => decide(w, { kind: 'user', institutionId: w.institutionId, userId: u, systemAdmin: w.holds(u, 'system_admin') }, 'media.view', { type: 'media', id: mediaId }).allow)
    .sort();
}
