/**
 * A seeded generator of whole institutions as rows, for property tests (and benchmarks): units,
 * staff with roles, students, terms, courses, sections with enrollments, classes, media with
 * publications and shares, and toggles (some locked). Rows are built directly, not through the
 * services: the point is a large, varied world for the policy to read.
 */
import { SECTION_ROLES, type MediaOrigin, type SectionRole, type StaffRole } from '../src/domain/catalog.js';
import type { Change } from '../src/domain/rows.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export interface GenOptions {
  seed: number;
  users: number;
  staff: number;
  sections: number;
  media: number;
  perSection: number;
  delegatedAdministration?: boolean;
  studentLibrary?: boolean;
}

export function generateInstitution(id: string, o: GenOptions): Change[] {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: Change[] = [];
  const inst = id;
  out.push({ table: 'institution', op: 'put', row: { institutionId: inst, name: `Generated ${id}`, delegatedAdministration: o.delegatedAdministration ?? r() < 0.5, studentLibrary: o.studentLibrary ?? r() < 0.5, personalCaptureLicensing: 'packs' } });
  out.push({ table: 'unit', op: 'put', row: { institutionId: inst, id: inst, parentId: null, name: 'Root' } });
  const units = [inst];
  for (let f = 0; f < 4; f++) {
    const fid = `f${f}`;
    out.push({ table: 'unit', op: 'put', row: { institutionId: inst, id: fid, parentId: inst, name: `Faculty ${f}` } });
    units.push(fid);
    for (let d = 0; d < 3; d++) {
      const did = `f${f}d${d}`;
      out.push({ table: 'unit', op: 'put', row: { institutionId: inst, id: did, parentId: fid, name: `Dept ${f}.${d}` } });
      units.push(did);
    }
  }
  const users: string[] = [];
  for (let i = 0; i < o.users; i++) {
    const uid = `u${i}`;
    users.push(uid);
    out.push({ table: 'user', op: 'put', row: { institutionId: inst, id: uid, username: uid, email: `${uid}@gen.edu`, firstName: `F${i}`, lastName: `L${i}`, identityProvider: 'local', status: r() < 0.03 ? 'deactivated' : 'active' } });
  }
  const staff = users.slice(0, o.staff);
  const grant = (userId: string, role: StaffRole, scopeType: 'none' | 'platform' | 'unit', scopeId = '') =>
    out.push({ table: 'roleGrant', op: 'put', row: { institutionId: inst, userId, role, scopeType, scopeId } });
  const seen = new Set<string>();
  for (const uid of staff) {
    const roles = 1 + Math.floor(r() * 2);
    grant(uid, 'academic_staff', 'unit', pick(units));
    for (let k = 0; k < roles; k++) {
      const role = pick(['admin', 'admin', 'scheduler', 'av_technician', 'academic_staff'] as const);
      const scoped = r() < 0.85;
      const scope = scoped ? pick(units) : '';
      const key = `${uid}|${role}|${scope}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (scoped) grant(uid, role, 'unit', scope);
      else if (role === 'admin' || role === 'scheduler') grant(uid, role, 'none');
    }
  }
  grant(staff[0]!, 'system_admin', 'platform');
  out.push({ table: 'term', op: 'put', row: { institutionId: inst, id: 't1', unitId: inst, name: 'Fall', startDate: '2026-09-01', endDate: '2026-12-20' } });
  out.push({ table: 'term', op: 'put', row: { institutionId: inst, id: 't2', unitId: inst, name: 'Spring', startDate: '2027-01-10', endDate: '2027-05-20' } });
  const classes: string[] = [];
  const sectionOfClass = new Map<string, string>();
  for (let c = 0; c < Math.max(1, Math.floor(o.sections / 4)); c++) out.push({ table: 'course', op: 'put', row: { institutionId: inst, id: `c${c}`, unitId: pick(units), name: `Course ${c}` } });
  const enrolled = new Map<string, Map<string, SectionRole>>();
  for (let s = 0; s < o.sections; s++) {
    const sid = `s${s}`;
    out.push({ table: 'section', op: 'put', row: { institutionId: inst, id: sid, courseId: `c${s % Math.max(1, Math.floor(o.sections / 4))}`, termId: r() < 0.5 ? 't1' : 't2', name: sid } });
    const members = new Map<string, SectionRole>();
    members.set(pick(staff), 'instructor');
    for (let k = 0; k < o.perSection; k++) {
      const u = pick(users);
      if (!members.has(u)) members.set(u, r() < 0.9 ? 'student' : pick(SECTION_ROLES));
    }
    enrolled.set(sid, members);
    for (const [userId, role] of members) out.push({ table: 'enrollment', op: 'put', row: { institutionId: inst, sectionId: sid, userId, role } });
    for (const kind of ['manual', 'system'] as const) {
      const cid = `${sid}-${kind}`;
      classes.push(cid);
      sectionOfClass.set(cid, sid);
      out.push({ table: 'class', op: 'put', row: { institutionId: inst, id: cid, sectionId: sid, kind, name: cid } });
    }
  }
  const origins: MediaOrigin[] = ['scheduled', 'adhoc', 'upload'];
  for (let m = 0; m < o.media; m++) {
    const mid = `m${m}`;
    const owner = r() < 0.7 ? pick(staff) : pick(users);
    out.push({ table: 'media', op: 'put', row: { institutionId: inst, id: mid, ownerId: owner, presenterId: r() < 0.1 ? pick(users) : null, origin: pick(origins), locked: r() < 0.05, title: mid, libraryId: null } });
    const pubs = r() < 0.85 ? 1 + Math.floor(r() * 2) : 0;
    const used = new Set<string>();
    for (let k = 0; k < pubs; k++) {
      const cid = pick(classes);
      if (used.has(cid)) continue;
      used.add(cid);
      const members = [...enrolled.get(sectionOfClass.get(cid)!)!.keys()];
      out.push({ table: 'publication', op: 'put', row: { institutionId: inst, mediaId: mid, classId: cid, publishedBy: r() < 0.7 ? owner : pick(members) } });
    }
    if (r() < 0.1) {
      const to = pick(users);
      if (to !== owner) out.push({ table: 'mediaShare', op: 'put', row: { institutionId: inst, mediaId: mid, userId: to, sharedBy: owner } });
    }
  }
  const keys = ['downloads', 'studentCopy', 'qa', 'coInstructorEditing', 'downloadsTermActiveOnly', 'instructorDeleteSystemCaptures', 'instructorUnpublishSystemCaptures'] as const;
  const settingSeen = new Set<string>();
  for (let k = 0; k < 30; k++) {
    const key = pick(keys);
    const onSection = r() < 0.4;
    const scopeId = onSection ? `s${Math.floor(r() * o.sections)}` : pick(units);
    const id = `${onSection ? 'section' : 'unit'}|${scopeId}|${key}`;
    if (settingSeen.has(id)) continue;
    settingSeen.add(id);
    const value = key === 'downloads' ? pick(['on', 'off', 'audioOnly']) : pick(['on', 'off']);
    out.push({ table: 'setting', op: 'put', row: { institutionId: inst, scopeType: onSection ? 'section' : 'unit', scopeId, key, value, allowsOverride: r() < 0.7 } });
  }
  return out;
}
