/**
 * The performance issue's workload, generated from a seed: one institution, root → 20 faculties →
 * 200 departments; 100,000 users (2,000 staff with roles at various units, the rest students);
 * 20,000 sections in 200 courses per term, two terms, each with an instructor, a TA and 50
 * students (about 1,040,000 enrollments); 200,000 media (a third system captures), each published
 * to one class; 2,000 collections with 10 members each; toggles at a few dozen units, some locked.
 * `scale` shrinks every count proportionally (the tree stays whole).
 */
import type { Change } from '../src/domain/rows.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export interface Workload {
  institutionId: string;
  rows: Change[];
  users: string[];
  staff: string[];
  students: string[];
  sections: string[];
  media: string[];
  units: string[];
  /** Per section: its instructor, TA and students (for generating realistic checks). */
  roster: Map<string, { instructor: string; ta: string; students: string[] }>;
  mediaSection: Map<string, string>;
  counts: Record<string, number>;
}

export function generateWorkload(scale = 1, seed = 7): Workload {
  const r = rng(seed);
  const n = (x: number) => Math.max(1, Math.round(x * scale));
  const inst = 'bench';
  const rows: Change[] = [];
  const put = (c: Change) => rows.push(c);
  put({ table: 'institution', op: 'put', row: { institutionId: inst, name: 'Benchmark University', delegatedAdministration: true, studentLibrary: true, personalCaptureLicensing: 'packs' } });
  put({ table: 'unit', op: 'put', row: { institutionId: inst, id: inst, parentId: null, name: 'Benchmark University' } });
  const faculties: string[] = [];
  const departments: string[] = [];
  for (let f = 0; f < 20; f++) {
    const fid = `fac${f}`;
    faculties.push(fid);
    put({ table: 'unit', op: 'put', row: { institutionId: inst, id: fid, parentId: inst, name: `Faculty ${f}` } });
    for (let d = 0; d < 10; d++) {
      const did = `dep${f}-${d}`;
      departments.push(did);
      put({ table: 'unit', op: 'put', row: { institutionId: inst, id: did, parentId: fid, name: `Department ${f}.${d}` } });
    }
  }
  const units = [inst, ...faculties, ...departments];
  const userCount = n(100_000);
  const staffCount = n(2_000);
  const users: string[] = [];
  for (let i = 0; i < userCount; i++) {
    const id = `u${i}`;
    users.push(id);
    put({ table: 'user', op: 'put', row: { institutionId: inst, id, username: id, email: `${id}@bench.edu`, firstName: `First${i}`, lastName: `Last${i}`, identityProvider: 'local', status: 'active' } });
  }
  const staff = users.slice(0, staffCount);
  const students = users.slice(staffCount);
  const grant = (userId: string, role: 'admin' | 'scheduler' | 'av_technician' | 'academic_staff' | 'system_admin' | 'license_manager', scopeType: 'none' | 'unit' | 'platform', scopeId: string) =>
    put({ table: 'roleGrant', op: 'put', row: { institutionId: inst, userId, role, scopeType, scopeId } });
  // Staff: academic staff at their department; a few admins at each level, schedulers, AV technicians.
  staff.forEach((u, i) => {
    const dep = departments[i % departments.length]!;
    grant(u, 'academic_staff', 'unit', dep);
    if (i < 5) {
      grant(u, 'admin', 'none', 'listedOnly');
      grant(u, 'admin', 'unit', inst);
    } else if (i < 45) {
      grant(u, 'admin', 'none', 'listedOnly');
      grant(u, 'admin', 'unit', faculties[i % faculties.length]!);
    } else if (i < 245) {
      grant(u, 'admin', 'none', 'listedOnly');
      grant(u, 'admin', 'unit', dep);
    } else if (i < 285) grant(u, 'scheduler', 'unit', faculties[i % faculties.length]!);
    else if (i < 305) grant(u, 'av_technician', 'unit', faculties[i % faculties.length]!);
  });
  grant(staff[0]!, 'system_admin', 'platform', '');
  grant(staff[1]!, 'license_manager', 'unit', inst);
  const terms = ['fall', 'spring'];
  put({ table: 'term', op: 'put', row: { institutionId: inst, id: 'fall', unitId: inst, name: 'Fall', startDate: '2026-09-01', endDate: '2026-12-20' } });
  put({ table: 'term', op: 'put', row: { institutionId: inst, id: 'spring', unitId: inst, name: 'Spring', startDate: '2027-01-10', endDate: '2027-05-20' } });
  const courseCount = n(200);
  for (let c = 0; c < courseCount; c++) put({ table: 'course', op: 'put', row: { institutionId: inst, id: `c${c}`, unitId: departments[c % departments.length]!, name: `Course ${c}` } });
  const sectionCount = n(20_000);
  const sections: string[] = [];
  const roster = new Map<string, { instructor: string; ta: string; students: string[] }>();
  const classesOf = new Map<string, string[]>();
  for (let s = 0; s < sectionCount; s++) {
    const id = `s${s}`;
    sections.push(id);
    const course = s % courseCount;
    put({ table: 'section', op: 'put', row: { institutionId: inst, id, courseId: `c${course}`, termId: terms[s % 2]!, name: id } });
    // The instructor and TA are academic staff of the course's department.
    const depIndex = course % departments.length;
    const pickStaff = () => staff[(depIndex + departments.length * Math.floor(r() * Math.floor(staff.length / departments.length))) % staff.length]!;
    const instructor = pickStaff();
    let ta = pickStaff();
    if (ta === instructor) ta = staff[(staff.indexOf(instructor) + departments.length) % staff.length]!;
    const members: string[] = [];
    put({ table: 'enrollment', op: 'put', row: { institutionId: inst, sectionId: id, userId: instructor, role: 'instructor' } });
    put({ table: 'enrollment', op: 'put', row: { institutionId: inst, sectionId: id, userId: ta, role: 'teaching_assistant' } });
    const seen = new Set([instructor, ta]);
    while (members.length < 50) {
      const st = students[Math.floor(r() * students.length)]!;
      if (seen.has(st)) continue;
      seen.add(st);
      members.push(st);
      put({ table: 'enrollment', op: 'put', row: { institutionId: inst, sectionId: id, userId: st, role: 'student' } });
    }
    roster.set(id, { instructor, ta, students: members });
    const cls = [`${id}-sys`, `${id}-w1`];
    classesOf.set(id, cls);
    put({ table: 'class', op: 'put', row: { institutionId: inst, id: cls[0]!, sectionId: id, kind: 'system', name: 'Captures' } });
    put({ table: 'class', op: 'put', row: { institutionId: inst, id: cls[1]!, sectionId: id, kind: 'manual', name: 'Week 1' } });
  }
  const mediaCount = n(200_000);
  const media: string[] = [];
  const mediaSection = new Map<string, string>();
  for (let m = 0; m < mediaCount; m++) {
    const id = `m${m}`;
    media.push(id);
    const section = sections[Math.floor(r() * sections.length)]!;
    const ros = roster.get(section)!;
    const system = m % 3 === 0;
    put({ table: 'media', op: 'put', row: { institutionId: inst, id, ownerId: system ? ros.instructor : r() < 0.8 ? ros.instructor : ros.ta, presenterId: null, origin: system ? 'scheduled' : 'upload', locked: r() < 0.01, title: `Lecture ${m}`, libraryId: null } });
    const cls = classesOf.get(section)!;
    put({ table: 'publication', op: 'put', row: { institutionId: inst, mediaId: id, classId: system ? cls[0]! : cls[1]!, publishedBy: ros.instructor } });
    mediaSection.set(id, section);
  }
  const collectionCount = n(2_000);
  for (let c = 0; c < collectionCount; c++) {
    const id = `col${c}`;
    const creator = staff[Math.floor(r() * staff.length)]!;
    put({ table: 'collection', op: 'put', row: { institutionId: inst, id, name: `Collection ${c}`, createdBy: creator } });
    const members = new Set([creator]);
    put({ table: 'collectionMember', op: 'put', row: { institutionId: inst, collectionId: id, userId: creator, level: 'manager', permissions: '' } });
    const levels = ['reviewer', 'collaborator', 'contributor', 'editor'] as const;
    while (members.size < 10) {
      const u = users[Math.floor(r() * users.length)]!;
      if (members.has(u)) continue;
      members.add(u);
      put({ table: 'collectionMember', op: 'put', row: { institutionId: inst, collectionId: id, userId: u, level: levels[Math.floor(r() * levels.length)]!, permissions: '' } });
    }
    for (let k = 0; k < 5; k++) put({ table: 'collectionMedia', op: 'put', row: { institutionId: inst, collectionId: id, mediaId: media[Math.floor(r() * media.length)]!, addedBy: creator } });
  }
  // Toggles at a few dozen units, some locked.
  const keys = ['downloads', 'studentCopy', 'qa', 'downloadsTermActiveOnly', 'coInstructorEditing'] as const;
  const settingSeen = new Set<string>();
  for (let k = 0; k < 40; k++) {
    const unit = units[Math.floor(r() * units.length)]!;
    const key = keys[k % keys.length]!;
    if (settingSeen.has(unit + key)) continue;
    settingSeen.add(unit + key);
    const value = key === 'downloads' ? (['on', 'off', 'audioOnly'] as const)[k % 3]! : k % 2 ? 'on' : 'off';
    put({ table: 'setting', op: 'put', row: { institutionId: inst, scopeType: 'unit', scopeId: unit, key, value, allowsOverride: k % 4 !== 0 } });
  }
  const counts: Record<string, number> = {};
  for (const c of rows) counts[c.table] = (counts[c.table] ?? 0) + 1;
  return { institutionId: inst, rows, users, staff, students, sections, media, units, roster, mediaSection, counts };
}

export interface CheckSpec {
  user: string;
  action: string;
  resource: string;
  context?: Record<string, unknown>;
}

/**
 * The check mix of the issue: 70% media.view, 15% media.download (format and time), 10% section
 * capabilities, 5% administrative actions. Half of the media questions come from someone with a
 * reason to ask (a student of the section), half from anyone.
 */
export function generateChecks(w: Workload, count: number, seed = 11): CheckSpec[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: CheckSpec[] = [];
  const sectionActions = ['section.settings', 'section.analytics', 'qa.post', 'qa.moderate', 'class.create', 'section.enroll'];
  const adminActions: [string, (u: string) => string][] = [
    ['user.update', () => `user:${pick(w.users)}`],
    ['unit.create', () => `unit:${pick(w.units)}`],
    ['course.create', () => `unit:${pick(w.units)}`],
    ['role.grant', () => `user:${pick(w.users)}`],
  ];
  for (let i = 0; i < count; i++) {
    const x = r();
    if (x < 0.85) {
      const m = pick(w.media);
      const section = w.mediaSection.get(m)!;
      const ros = w.roster.get(section)!;
      const user = r() < 0.5 ? pick(ros.students) : r() < 0.1 ? ros.instructor : pick(w.users);
      if (x < 0.7) out.push({ user, action: 'media.view', resource: `media:${m}` });
      else out.push({ user, action: 'media.download', resource: `media:${m}`, context: { format: r() < 0.5 ? 'audio' : 'video', at: r() < 0.7 ? '2026-10-15T10:00:00Z' : '2027-03-01T10:00:00Z' } });
    } else if (x < 0.95) {
      const s = pick(w.sections);
      const ros = w.roster.get(s)!;
      const user = r() < 0.3 ? ros.instructor : r() < 0.5 ? ros.ta : pick(ros.students);
      const action = pick(sectionActions);
      out.push({ user, action, resource: `section:${s}`, ...(action === 'section.enroll' ? { context: { user: pick(w.students), role: 'student' } } : {}) });
    } else {
      const [action, res] = pick(adminActions);
      const user = pick(w.staff.slice(0, 305));
      out.push({ user, action, resource: res(user), ...(action === 'role.grant' ? { context: { role: 'academic_staff', scope: pick(w.units) } } : {}) });
    }
  }
  return out;
}
