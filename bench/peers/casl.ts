/**
 * CASL (`@casl/ability`), in-process. CASL keeps no data: an ability is a list of rules with
 * MongoDB-style conditions on the subject's attributes, built per user from that user's
 * relationships (cached per user), and the subject is the media item's attributes, which the
 * caller assembles from its own Maps on every check (included in the timing).
 *
 * Expressed: ownership, section membership by role, admin/AV over any unit on the section's unit
 * chain, collection membership (and the download-carrying levels), the learner download rule per
 * section (the effective `downloads` value and the term window as conditions on the check's format
 * and day, which the caller puts on the subject). Not expressed: the toggle lock walk (resolved by
 * the ability builder), licenses, shares, libraries, guest presenters' "media they presented".
 */
import { createMongoAbility, subject, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { type Facts, type MediaCheck, DOWNLOAD_LEVELS, isLearner, isTeacher } from './common.js';

type Ability = MongoAbility<['view' | 'download', 'Media' | ReturnType<typeof subject>]>;

export function buildAbility(f: Facts, user: string): Ability {
  const rules: RawRuleOf<Ability>[] = [];
  const enr = f.enrollments.get(user);
  const members: string[] = [];
  const teaches: string[] = [];
  for (const [s, role] of enr ?? []) {
    if (role !== 'guest_presenter') members.push(s);
    if (isTeacher(role)) teaches.push(s);
  }
  const over = [...(f.adminUnits.get(user) ?? []), ...(f.avUnits.get(user) ?? [])];
  const cols: string[] = [];
  const dlCols: string[] = [];
  for (const [c, level] of f.memberships.get(user) ?? []) {
    cols.push(c);
    if (DOWNLOAD_LEVELS.has(level)) dlCols.push(c);
  }
  for (const action of ['view', 'download'] as const) {
    rules.push({ action, subject: 'Media', conditions: { owner: user } });
    const secs = action === 'view' ? members : teaches;
    if (secs.length) rules.push({ action, subject: 'Media', conditions: { sections: { $in: secs } } });
    if (over.length) rules.push({ action, subject: 'Media', conditions: { units: { $in: over } } });
    const cs = action === 'view' ? cols : dlCols;
    if (cs.length) rules.push({ action, subject: 'Media', conditions: { collections: { $in: cs } } });
  }
  for (const [s, role] of enr ?? []) {
    if (!isLearner(role)) continue;
    const sf = f.sections.get(s)!;
    if (sf.downloads === 'off') continue;
    const cond: Record<string, unknown> = { sections: s };
    if (sf.downloads === 'audioOnly') cond.format = 'audio';
    if (sf.termOnly) cond.day = sf.term ? { $gte: sf.term.start, $lte: sf.term.end } : '';
    rules.push({ action: 'download', subject: 'Media', conditions: cond });
  }
  return createMongoAbility<Ability>(rules);
}

export function caslPeer(f: Facts) {
  const abilities = new Map<string, Ability>();
  const unitsOf = new Map<string, string[]>();
  const mediaUnits = (m: string, secs: string[]): string[] => {
    let u = unitsOf.get(m);
    if (!u) unitsOf.set(m, (u = [...new Set(secs.flatMap((s) => f.sections.get(s)?.units ?? []))]));
    return u;
  };
  return {
    abilities,
    ask(c: MediaCheck): boolean {
      let a = abilities.get(c.user);
      if (!a) abilities.set(c.user, (a = buildAbility(f, c.user)));
      const secs = f.mediaSections.get(c.media) ?? [];
      const attrs = { id: c.media, owner: f.mediaOwner.get(c.media), sections: secs, units: mediaUnits(c.media, secs), collections: f.mediaCollections.get(c.media) ?? [], format: c.format, day: c.day };
      return a.can(c.action, subject('Media', attrs));
    },
  };
}
