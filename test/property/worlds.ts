/**
 * Generated institutions for the property tests: test/generate.ts's rows, plus what it leaves out
 * (license managers, admin holdings with rights only where listed, collections with members and
 * media, libraries), and a generator of random decisions over them.
 */
import { COLLECTION_LEVELS, COLLECTION_PERMISSIONS, LIBRARY_ROLES, STAFF_ROLES, type Action } from '../../src/domain/catalog.js';
import type { Change, TableRows } from '../../src/domain/rows.js';
import { generateInstitution, type GenOptions } from '../generate.js';
import { MODEL_ACTIONS, type Rows } from '../model/reference.js';
import { prng } from './config.js';

export interface Shape {
  seed: number;
  users: number;
  staff: number;
  sections: number;
  media: number;
  perSection: number;
  delegatedAdministration: boolean;
  studentLibrary: boolean;
}

/** An institution's rows, with the extras generate.ts does not make. */
export function institutionRows(id: string, s: Shape): Change[] {
  const opts: GenOptions = { ...s };
  const base = generateInstitution(id, opts);
  const r = prng(s.seed ^ 0x5bd1e995);
  const out: Change[] = [];
  const users = base.filter((c) => c.table === 'user').map((c) => (c.row as TableRows['user']).id);
  const staff = users.slice(0, s.staff);
  const units = base.filter((c) => c.table === 'unit').map((c) => (c.row as TableRows['unit']).id);
  const libraries = [`lib-a`, `lib-b`];
  for (const c of base) {
    if (c.table === 'media' && r.chance(0.15)) out.push({ ...c, row: { ...c.row, libraryId: r.pick(libraries) } });
    else out.push(c);
  }
  const grant = (userId: string, role: TableRows['roleGrant']['role'], scopeType: 'none' | 'unit', scopeId: string) =>
    out.push({ table: 'roleGrant', op: 'put', row: { institutionId: id, userId, role, scopeType, scopeId } });
  for (let k = 0; k < 2; k++) grant(r.pick(staff), 'license_manager', 'unit', id);
  // Admins listed at units usually also hold the admin role with rights only where listed (§4).
  for (const c of base) {
    if (c.table === 'roleGrant' && c.row.role === 'admin' && c.row.scopeType === 'unit' && r.chance(0.5)) grant(c.row.userId, 'admin', 'none', 'listedOnly');
  }
  // An admin created while DA was on, never listed: no rights.
  grant(r.pick(users), 'admin', 'none', 'listedOnly');
  if (r.chance(0.5)) grant(r.pick(staff), 'av_technician', 'unit', id);
  for (const lib of libraries) {
    out.push({ table: 'library', op: 'put', row: { institutionId: id, id: lib, unitId: r.pick(units), name: lib } });
    for (let k = 0; k < 4; k++) out.push({ table: 'libraryMember', op: 'put', row: { institutionId: id, libraryId: lib, userId: r.pick(users), role: r.pick(LIBRARY_ROLES) } });
  }
  const media = base.filter((c) => c.table === 'media').map((c) => (c.row as TableRows['media']).id);
  for (let k = 0; k < 4; k++) {
    const cid = `coll${k}`;
    const creator = r.pick(users);
    out.push({ table: 'collection', op: 'put', row: { institutionId: id, id: cid, name: cid, createdBy: creator } });
    out.push({ table: 'collectionMember', op: 'put', row: { institutionId: id, collectionId: cid, userId: creator, level: 'manager', permissions: '' } });
    for (let j = 0; j < 6; j++) {
      const u = r.pick(users);
      if (u === creator) continue;
      const level = r.pick(COLLECTION_LEVELS);
      const permissions = level === 'custom' ? COLLECTION_PERMISSIONS.filter(() => r.chance(0.4)).join(',') : '';
      out.push({ table: 'collectionMember', op: 'put', row: { institutionId: id, collectionId: cid, userId: u, level, permissions } });
    }
    for (let j = 0; j < 5 && media.length > 0; j++) out.push({ table: 'collectionMedia', op: 'put', row: { institutionId: id, collectionId: cid, mediaId: r.pick(media), addedBy: creator } });
  }
  return out;
}

export interface Query {
  who: { institutionId: string; userId: string; systemAdmin: boolean };
  action: Action;
  resource: string;
  context: Record<string, unknown>;
}

const DAYS = ['2026-08-31', '2026-09-01', '2026-10-15', '2026-12-20', '2026-12-21', '2027-01-10', '2027-03-01', '2027-05-21', '2026-10-15T12:00:00Z', 'not-a-date'];

/** Random decisions over an institution's rows: mostly sensible, some nonsense. */
export function queryGenerator(rows: Rows, seed: number): () => Query {
  const r = prng(seed);
  const inst = rows.institution[0]!.institutionId;
  const ids = <T extends { id: string }>(xs: T[]) => xs.map((x) => x.id);
  const users = ids(rows.user);
  const units = ids(rows.unit);
  const media = ids(rows.media);
  const sections = ids(rows.section);
  const classes = ids(rows.class);
  const courses = ids(rows.course);
  const terms = ids(rows.term);
  const collections = ids(rows.collection);
  const staffUsers = [...new Set(rows.roleGrant.map((g) => g.userId))];
  const sysAdmins = new Set(rows.roleGrant.filter((g) => g.role === 'system_admin').map((g) => g.userId));
  const active = (u: string) => rows.user.find((x) => x.id === u)?.status === 'active';
  const some = (xs: string[], nonsense: string) => (xs.length === 0 || r.chance(0.04) ? nonsense : r.pick(xs));
  const user = () => (r.chance(0.5) ? some(staffUsers, 'ghost') : some(users, 'ghost'));
  const unitScope = () => r.pick([some(units, 'nowhere'), `unit:${some(units, 'nowhere')}`, `institution:${inst}`, 'platform', '', 'section:s0']);

  return () => {
    let who: Query['who'];
    const k = r.next();
    if (k < 0.03) who = { institutionId: 'elsewhere', userId: r.pick(users), systemAdmin: r.chance(0.5) };
    else {
      const u = r.chance(0.5) ? some(staffUsers, 'ghost') : some(users, 'ghost');
      who = { institutionId: inst, userId: u, systemAdmin: sysAdmins.has(u) && active(u) };
    }
    const action = r.pick(MODEL_ACTIONS) as Action;
    const [prefix, verb] = action.split('.') as [string, string];
    let resource = `institution:${inst}`;
    const context: Record<string, unknown> = {};
    switch (prefix) {
      case 'platform':
        resource = 'platform:main';
        break;
      case 'institution':
      case 'licensePack':
      case 'console':
        resource = `institution:${inst}`;
        break;
      case 'unit':
        resource = `unit:${some(units, 'nowhere')}`;
        if (verb === 'update' && r.chance(0.5)) context.parent = some(units, 'nowhere');
        break;
      case 'user':
        resource = `user:${user()}`;
        break;
      case 'role':
        resource = `user:${user()}`;
        context.role = r.chance(0.03) ? 'instructor' : r.pick(STAFF_ROLES);
        if (r.chance(0.7)) context.scope = unitScope();
        break;
      case 'license':
        if (r.chance(0.8)) context.user = r.chance(0.2) ? who.userId : user();
        break;
      case 'term':
        resource = verb === 'create' ? `unit:${some(units, 'nowhere')}` : `term:${some(terms, 'tx')}`;
        break;
      case 'course':
        resource = verb === 'create' ? `unit:${some(units, 'nowhere')}` : `course:${some(courses, 'cx')}`;
        break;
      case 'section':
        if (verb === 'create') resource = r.chance(0.5) ? `course:${some(courses, 'cx')}` : `unit:${some(units, 'nowhere')}`;
        else resource = `section:${some(sections, 'sx')}`;
        if (verb === 'enroll') context.role = r.pick(['instructor', 'teaching_assistant', 'student', 'guest_presenter', 'student_presenter']);
        if (verb === 'enroll' || verb === 'unenroll') context.user = user();
        break;
      case 'class':
        resource = verb === 'create' ? `section:${some(sections, 'sx')}` : `class:${some(classes, 'kx')}`;
        break;
      case 'classGroup':
      case 'qa':
        resource = `section:${some(sections, 'sx')}`;
        break;
      case 'monitor':
      case 'captureLogs':
        resource = r.pick([`unit:${some(units, 'nowhere')}`, `section:${some(sections, 'sx')}`, `course:${some(courses, 'cx')}`, `term:${some(terms, 'tx')}`, `institution:${inst}`]);
        break;
      case 'device':
        resource = 'device:d1';
        break;
      case 'room':
        resource = 'room:r1';
        break;
      case 'media': {
        const m = some(media, 'mx');
        resource = `media:${m}`;
        if (verb === 'publish') context.class = some(classes, 'kx');
        if (verb === 'unpublish') {
          const pubs = rows.publication.filter((p) => p.mediaId === m).map((p) => p.classId);
          context.class = pubs.length > 0 && r.chance(0.8) ? r.pick(pubs) : some(classes, 'kx');
        }
        if (verb === 'download') {
          if (r.chance(0.8)) context.format = r.pick(['audio', 'video', 'audio', 'video', 'text']);
          if (r.chance(0.8)) context.at = r.pick(DAYS);
        }
        if (verb === 'share') context.user = user();
        if (verb === 'post' && r.chance(0.8)) context.to = r.pick(['publicLink', 'lmsEmbed', 'lmsHomework', 'fax']);
        break;
      }
      case 'collection':
        resource = `collection:${some(collections, 'collx')}`;
        if (verb.endsWith('Member')) {
          context.user = r.chance(0.3) ? who.userId : user();
          if (verb !== 'removeMember') context.level = r.pick(COLLECTION_LEVELS);
        }
        break;
    }
    return { who, action, resource, context };
  };
}
