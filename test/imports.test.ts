/**
 * CSV imports and exports of users, units, terms, courses, sections, enrollments, schedules and
 * collection members (SPEC §10, docs/IMPORTS.md): the export → import round trip is a no-op for
 * every kind; malformed headers, bad dates, unknown references, duplicate keys, rows outside a
 * scheduler's scope are refused row by row and change nothing; comma, semicolon and tab files,
 * BOM and CRLF; Action create/update/delete/upsert; updates leave absent columns alone; dry runs
 * report what the real run does; exports are limited to what the actor sees and escape formulas;
 * and the HTTP routes.
 */
import { Readable } from 'node:stream';
import { FileDirectory } from '../src/services/directory/index.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM, type Principal } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { exportCsv, ImportRefused, importCsv, type ImportKind } from '../src/services/imports/csv.js';
import { KINDS, kindNamed } from '../src/services/imports/kinds.js';
import { Lectern, type BatchRow, type RowResult } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, freshId, ok, openTestStore } from './helpers.js';

const NAMES = ['users', 'units', 'terms', 'courses', 'sections', 'enrollments', 'schedules', 'members', 'roles', 'rooms', 'devices'] as const;
const k = (name: string): ImportKind => kindNamed(name)!;

describe.each(DRIVERS)('CSV imports and exports (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
  });
  afterAll(async () => {
    await store?.dropSchemaAndClose();
  });

  /**
   * root > science > physics, root > arts. root: admin of the institution; sched: scheduler listed
   * at science; ins: academic staff in physics, instructor of s1; stu: student in s1 and a1; fx: a
   * user whose first name is a formula. Terms t1 (root), tsci (science); courses phys101 (physics),
   * art101 (arts); sections s1, a1; rooms r1, r2; devices d1 (in r1), d2
   * (in no room); schedules sch1 (s1, ins, r1), sch2 (a1), sch3 (no
   * section, physics). Collection c1 (ins manager, stu custom add;post).
   */
  async function institution(): Promise<string> {
    const inst = freshId('imp');
    ok(await lectern.run(SYSTEM, inst, 'institution.create', { id: inst, name: 'Import U' }));
    const rows: Omit<BatchRow, 'line'>[] = [
      { op: 'unit.create', args: { id: 'science', parent: inst, name: 'Science' } },
      { op: 'unit.create', args: { id: 'physics', parent: 'science', name: 'Physics' } },
      { op: 'unit.create', args: { id: 'arts', parent: inst, name: 'Arts' } },
      ...['root', 'sched', 'ins', 'stu'].map((id) => ({ op: 'user.create', args: { id, email: `${id}@example.edu`, firstName: id, lastName: 'Test' } })),
      { op: 'user.create', args: { id: 'fx', email: 'fx@example.edu', firstName: '=HYPERLINK("x")', lastName: '-1', identityProvider: 'local' } },
      { op: 'role.grant', args: { user: 'root', role: 'admin' } },
      { op: 'role.grant', args: { user: 'sched', role: 'scheduler', scope: 'science' } },
      { op: 'role.grant', args: { user: 'ins', role: 'academic_staff', scope: 'physics' } },
      { op: 'term.create', args: { id: 't1', name: 'Fall', start: '2026-09-01', end: '2026-12-20' } },
      { op: 'term.create', args: { id: 'tsci', unit: 'science', start: '2026-09-01', end: '2026-12-20' } },
      { op: 'course.create', args: { id: 'phys101', unit: 'physics', name: 'Mechanics' } },
      { op: 'course.create', args: { id: 'art101', unit: 'arts', name: 'Drawing, basics' } },
      { op: 'section.create', args: { id: 's1', course: 'phys101', term: 't1' } },
      { op: 'section.create', args: { id: 'a1', course: 'art101', term: 't1' } },
      { op: 'section.enroll', args: { section: 's1', user: 'ins', role: 'instructor' } },
      { op: 'section.enroll', args: { section: 's1', user: 'stu', role: 'student' } },
      { op: 'section.enroll', args: { section: 'a1', user: 'stu', role: 'student' } },
      { op: 'room.create', args: { id: 'r1' } },
      { op: 'room.create', args: { id: 'r2', name: 'Hall B' } },
      { op: 'device.register', args: { id: 'd1', room: 'r1', name: 'Lectern box' } },
      { op: 'device.register', args: { id: 'd2' } },
      { op: 'schedule.create', args: { id: 'sch1', section: 's1', presenter: 'ins', room: 'r1', name: 'Mechanics lectures' } },
      { op: 'schedule.create', args: { id: 'sch2', section: 'a1' } },
      { op: 'schedule.create', args: { id: 'sch3', unit: 'physics' } },
      { op: 'collection.create', args: { id: 'c1', name: 'Shared' } },
      { op: 'collection.addMember', args: { collection: 'c1', user: 'ins', level: 'manager' } },
      { op: 'collection.addMember', args: { collection: 'c1', user: 'stu', permissions: ['post', 'add'] } },
    ];
    const results = await lectern.runRows(SYSTEM, inst, rows.map((r, i) => ({ line: i + 1, ...r }) as BatchRow));
    for (const r of results) if (r.status !== 'ok') throw new Error(`setup line ${r.line}: ${r.message}`);
    return inst;
  }

  const as = (inst: string, user: string): Principal => lectern.principal(inst, user);

  async function run(inst: string, kind: ImportKind, text: string | Buffer, opts: { dryRun?: boolean; who?: Principal; batchSize?: number } = {}): Promise<RowResult[]> {
    const out: RowResult[] = [];
    for await (const b of importCsv(lectern, opts.who ?? SYSTEM, inst, kind, Readable.from([text]), { dryRun: opts.dryRun, batchSize: opts.batchSize })) out.push(...b);
    return out;
  }

  async function exported(inst: string, kind: ImportKind, who: Principal = SYSTEM): Promise<string> {
    const w = (await lectern.refresh(inst))!;
    return [...exportCsv(kind, w, who)].join('');
  }

  /** Everything Lectern knows of the institution, and its revision. */
  async function state(inst: string): Promise<string> {
    const w = (await lectern.refresh(inst))!;
    const rows = w.snapshot().map((c) => JSON.stringify(c)).sort();
    return `${await store.currentRevision(inst)}\n${rows.join('\n')}`;
  }

  const outcome = (r: RowResult) => (r.status === 'ok' ? (r.changed ? 'applied' : 'unchanged') : r.status);
  const outcomes = (rs: RowResult[]) => rs.map((r) => `${r.line}:${outcome(r)}${r.status !== 'ok' && r.field ? `:${r.field}` : ''}`);

  it('fills names and email of new users of an external identity provider from its directory, row by row', async () => {
    const inst = await institution();
    lectern.directories.set('campus', new FileDirectory('campus', [{ username: 'rsato', firstName: 'Ren', lastName: 'Sato', email: 'ren.sato@campus.edu' }]));
    try {
      const r = await run(inst, k('users'), 'Id,Identity Provider\r\nrsato,campus\r\nnobody,campus\r\nlocal1,\r\n');
      expect(outcomes(r)).toEqual(['2:applied', '3:notFound:Username', '4:invalid:Email']);
      expect((await lectern.refresh(inst))!.user('rsato')).toMatchObject({ firstName: 'Ren', lastName: 'Sato', email: 'ren.sato@campus.edu', identityProvider: 'campus' });
    } finally {
      lectern.directories.delete('campus');
    }
  });

  it('export → import is a no-op for every kind: every row unchanged, nothing written', async () => {
    const inst = await institution();
    const before = await state(inst);
    for (const name of NAMES) {
      const text = await exported(inst, k(name));
      const lines = text.trim().split('\r\n');
      expect(lines[0], name).toBe(k(name).columns.join(','));
      expect(lines.length, name).toBeGreaterThan(2);
      const results = await run(inst, k(name), text);
      expect(results.length, name).toBe(lines.length - 1);
      expect(results.filter((r) => outcome(r) !== 'unchanged').map((r) => `${name} ${r.line}: ${'message' in r ? r.message : ''}`)).toEqual([]);
    }
    expect(await state(inst)).toBe(before);
  });

  it('exports are import templates in a fresh institution: units, users, terms … members rebuild the same rows', async () => {
    const a = await institution();
    const b = freshId('imp');
    ok(await lectern.run(SYSTEM, b, 'institution.create', { id: b, name: 'Copy U' }));
    ok(await lectern.run(SYSTEM, b, 'room.create', { id: 'r1' }));
    ok(await lectern.run(SYSTEM, b, 'collection.create', { id: 'c1', name: 'Shared' }));
    for (const name of ['units', ...NAMES.filter((n) => n !== 'units')]) {
      // The root unit has the first institution's id (term t1 sits on it): name the copy's.
      const text = (await exported(a, k(name))).replaceAll(a, b);
      const results = await run(b, k(name), text);
      expect(results.filter((r) => r.status !== 'ok').map((r) => `${name} ${r.line}: ${'message' in r ? r.message : ''}`)).toEqual([]);
      // Roles are not in these files; the instructor must be academic staff before enrollments.
      if (name === 'users') ok(await lectern.run(SYSTEM, b, 'role.grant', { user: 'ins', role: 'academic_staff', scope: 'physics' }));
    }
    for (const name of NAMES) expect((await exported(b, k(name))).replaceAll(b, a), name).toBe(await exported(a, k(name)));
  });

  it('refuses a header with an unknown column or without a required one before any row runs, naming the column', async () => {
    const inst = await institution();
    const before = await state(inst);
    const refusal = async (kind: string, text: string) => {
      try {
        await run(inst, k(kind), text);
      } catch (e) {
        if (e instanceof ImportRefused) return e.refusal;
        throw e;
      }
      throw new Error('not refused');
    };
    expect(await refusal('users', 'Action,Id,Nickname\r\n,x,y\r\n')).toMatchObject({ code: 'unknownColumn', field: 'Nickname' });
    expect(await refusal('users', 'Username,Email\r\nx,x@example.edu\r\n')).toMatchObject({ code: 'missingColumn', field: 'Id' });
    expect(await refusal('enrollments', 'Section,User\r\ns1,stu\r\n')).toMatchObject({ code: 'missingColumn', field: 'Role' });
    expect(await refusal('members', 'Collection,User,Level,Level\r\n')).toMatchObject({ code: 'duplicateColumn' });
    expect(await refusal('terms', '')).toMatchObject({ code: 'missingHeader' });
    expect(await state(inst)).toBe(before);
    // Only Action and the columns an update may leave out may be missing; the names are matched in any case.
    expect(outcomes(await run(inst, k('users'), 'id,first name\r\nstu,Stuart\r\n'))).toEqual(['2:applied']);
  });

  it('refuses bad dates, unknown references and bad values row by row, naming the column, and changes nothing for them', async () => {
    const inst = await institution();
    const before = await state(inst);
    const terms = 'Id,Unit,Start,End\r\nt9,science,2026-13-01,2026-12-01\r\nt9b,science,01/02/2026,2026-12-01\r\nt9c,science,2026-09-01,2026-08-01\r\nt9d,nowhere,2026-09-01,2026-10-01\r\nt9e,science,,2026-10-01\r\n';
    const tr = await run(inst, k('terms'), terms);
    expect(outcomes(tr)).toEqual(['2:invalid:Start', '3:invalid:Start', '4:invalid:End', '5:notFound:Unit', '6:invalid:Start']);
    expect((tr[0] as { message: string }).message).toMatch(/^Start: '2026-13-01' is not a calendar date \(yyyy-mm-dd\)/);
    const sections = 'Id,Course,Term\r\ns9,nocourse,t1\r\ns9b,phys101,noterm\r\n';
    expect(outcomes(await run(inst, k('sections'), sections))).toEqual(['2:notFound:Course', '3:notFound:Term']);
    const enroll = 'Section,User,Role\r\ns1,nobody,student\r\nnosection,stu,student\r\ns1,stu,dean\r\na1,ins,instructor\r\n';
    expect(outcomes(await run(inst, k('enrollments'), enroll))).toEqual(['2:notFound:User', '3:notFound:Section', '4:invalid:Role', '5:conflict:User']);
    const users = 'Action,Id,Email,First Name,Last Name,Status\r\nmake,u1,u1@example.edu,U,One,\r\n,u2,not-an-email,U,Two,\r\n,u3,u3@example.edu,U,Three,asleep\r\n,u4,stu@example.edu,U,Four,\r\n,u5,,U,Five,\r\n';
    expect(outcomes(await run(inst, k('users'), users))).toEqual(['2:invalid:Action', '3:invalid:Email', '4:invalid:Status', '5:conflict:Email', '6:invalid:Email']);
    const members = 'Collection,User,Level,Permissions\r\nc1,root,reviewer,\r\nc1,sched,editor,add\r\nc1,fx,custom,fly\r\nnope,sched,editor,\r\n';
    expect(outcomes(await run(inst, k('members'), members))).toEqual(['2:conflict:Level', '3:invalid:Permissions', '4:invalid:Permissions', '5:notFound:Collection']);
    expect(await state(inst)).toBe(before);
  });

  it('refuses the second row with the same key in a file ("duplicate of line N"); the first still runs', async () => {
    const inst = await institution();
    const ur = await run(inst, k('users'), 'Id,First Name\r\nstu,Stuart\r\nins,Ines\r\nstu,Stewart\r\n');
    expect(outcomes(ur)).toEqual(['2:applied', '3:applied', '4:invalid:Id']);
    expect((ur[2] as { message: string }).message).toMatch(/duplicate of line 2/);
    const er = await run(inst, k('enrollments'), 'Section,User,Role\r\na1,ins,student\r\ns1,stu,teaching_assistant\r\nS1,stu,student\r\ns1,stu,student\r\n', { batchSize: 2 });
    expect(outcomes(er)).toEqual(['2:applied', '3:conflict:User', '4:notFound:Section', '5:invalid:Section']);
    expect((er[3] as { message: string }).message).toBe('Section + User: duplicate of line 3 (a file names each enrollment once)');
    const w = (await lectern.refresh(inst))!;
    expect(w.user('stu')!.firstName).toBe('Stuart');
    expect(w.sectionRole('stu', 's1')).toBe('student');
  });

  it('a scheduler imports terms, courses, sections and schedules only within their units; the rest is denied row by row', async () => {
    const inst = await institution();
    const who = as(inst, 'sched');
    const before = await state(inst);
    expect(outcomes(await run(inst, k('terms'), 'Id,Unit,Start,End\r\nt-arts,arts,2026-01-01,2026-05-01\r\nt-root,,2026-01-01,2026-05-01\r\n', { who }))).toEqual(['2:denied', '3:denied']);
    expect(outcomes(await run(inst, k('courses'), 'Id,Unit,Name\r\nart102,arts,x\r\nart101,,Renamed\r\n', { who }))).toEqual(['2:denied', '3:denied']);
    expect(outcomes(await run(inst, k('sections'), 'Id,Course,Term\r\na2,art101,t1\r\na1,,\r\n', { who }))).toEqual(['2:denied', '3:denied']);
    expect(outcomes(await run(inst, k('schedules'), 'Id,Section,Unit\r\nsch8,a1,\r\nsch9,,arts\r\nsch2,,\r\n', { who }))).toEqual(['2:denied', '3:denied', '4:denied']);
    // Users and units are not a scheduler's to import at all: the file is refused before any row.
    await expect(run(inst, k('users'), 'Id,First Name\r\nstu,S\r\n', { who })).rejects.toThrow(/sched may not import users/);
    await expect(run(inst, k('units'), 'Id,Parent\r\nchem,science\r\n', { who })).rejects.toThrow(/sched may not import units/);
    expect(await state(inst)).toBe(before);
    const ok1 = await run(inst, k('terms'), 'Id,Unit,Start,End\r\nt-phys,physics,2027-01-01,2027-05-01\r\n', { who });
    const ok2 = await run(inst, k('courses'), 'Id,Unit,Name\r\nphys102,physics,Waves\r\n', { who });
    const ok3 = await run(inst, k('sections'), 'Id,Course,Term,Name\r\ns2,phys102,t-phys,Waves A\r\n', { who });
    // SPEC §10: nor enrollments (a scheduler enrolls an instructor one operation at a time).
    await expect(run(inst, k('enrollments'), 'Section,User,Role\r\ns2,ins,instructor\r\n', { who })).rejects.toThrow(/sched may not import enrollments/);
    ok(await lectern.run(who, inst, 'section.enroll', { section: 's2', user: 'ins', role: 'instructor' }));
    const ok5 = await run(inst, k('schedules'), 'Id,Section,Presenter\r\nsch4,s2,ins\r\n', { who });
    expect([...ok1, ...ok2, ...ok3, ...ok5].map(outcome)).toEqual(['applied', 'applied', 'applied', 'applied']);
  });

  it("a scheduler's exports hold only their units' objects", async () => {
    const inst = await institution();
    const who = as(inst, 'sched');
    const ids = async (name: string) => (await exported(inst, k(name), who)).trim().split('\r\n').slice(1).map((l) => l.split(',').slice(1, 3).join(' '));
    expect(await ids('terms')).toEqual(['tsci science']);
    expect(await ids('courses')).toEqual(['phys101 physics']);
    expect(await ids('sections')).toEqual(['s1 phys101']);
    expect(await ids('schedules')).toEqual(['sch1 s1']);
    // Schedulers enroll instructors: the students of s1 are not theirs to write.
    expect(await ids('enrollments')).toEqual(['s1 ins']);
    expect(await ids('units')).toEqual([]);
    // SPEC §10: every export, users in full (they are outside the hierarchy).
    const users = (await exported(inst, k('users'), who)).trim().split('\r\n').slice(1).map((l) => l.split(',')[1]);
    expect(users).toEqual([...(await lectern.world(inst))!.users.keys()].sort());
    // Rooms and devices sit outside the hierarchy too: in full (issue 20, the room export).
    expect(await ids('rooms')).toEqual(['r1 r1', 'r2 Hall B']);
    expect(await ids('devices')).toEqual(['d1 r1', 'd2 ']);
    // And it imports back unchanged as the scheduler.
    for (const name of ['terms', 'courses', 'sections', 'schedules']) {
      expect((await run(inst, k(name), await exported(inst, k(name), who), { who })).map(outcome), name).toEqual(['unchanged']);
    }
    // An admin of the root sees every term; the root unit itself is managed only by a system admin.
    expect((await exported(inst, k('terms'), as(inst, 'root'))).trim().split('\r\n')).toHaveLength(3);
    expect((await exported(inst, k('units'), as(inst, 'root'))).trim().split('\r\n').slice(1).map((l) => l.split(',')[1])).toEqual(['arts', 'science', 'physics']);
  });

  it('reads semicolon- and tab-delimited files, a UTF-8 BOM and CRLF, and quoted cells holding other delimiters', async () => {
    const inst = await institution();
    const semi = 'Action;Id;Unit;Name\r\n;phys102;physics;"Waves, optics"\r\n;art101;arts;Drawing; basics\r\n';
    const sr = await run(inst, k('courses'), semi);
    expect(outcomes(sr)).toEqual(['2:applied', '3:invalid']);
    expect((sr[1] as { message: string }).message).toMatch(/expected 4 columns, found 5/);
    const tab = 'Id\tUnit\tName\nphys103\tphysics\tLab; one, two\n';
    expect(outcomes(await run(inst, k('courses'), tab))).toEqual(['2:applied']);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Id,First Name,Last Name\r\nstu,Zoë,Ångström\r\n\r\n', 'utf8')]);
    expect(outcomes(await run(inst, k('users'), bom))).toEqual(['2:applied']);
    const w = (await lectern.refresh(inst))!;
    expect(w.course('phys102')!.name).toBe('Waves, optics');
    expect(w.course('phys103')!.name).toBe('Lab; one, two');
    expect(w.user('stu')).toMatchObject({ firstName: 'Zoë', lastName: 'Ångström' });
  });

  it('Action: create refuses what exists, update what does not, delete removes; empty creates or updates', async () => {
    const inst = await institution();
    const file = [
      'Action,Id,Course,Term,Name',
      'create,s1,phys101,t1,Again',
      'update,s6,phys101,t1,Nope',
      'CREATE,s7,phys101,t1,Seven',
      ',s8,phys101,t1,Eight',
      'update,a1,phys101,,',
      'delete,s9,,,',
      'create,s7,phys101,t1,Dup',
      'remove,s5,,,',
    ].join('\r\n');
    const r = await run(inst, k('sections'), file);
    expect(outcomes(r)).toEqual(['2:conflict:Id', '3:notFound:Id', '4:applied', '5:applied', '6:invalid:Course', '7:notFound:Id', '8:invalid:Id', '9:invalid:Action']);
    expect((r[4] as { message: string }).message).toMatch(/^Course: section a1's course is 'art101' and cannot be changed/);
    expect((r[6] as { message: string }).message).toMatch(/^Id: duplicate of line 4/);
    expect(outcomes(await run(inst, k('sections'), 'Action,Id\r\ndelete,a1\r\n,s1\r\n'))).toEqual(['2:applied', '3:unchanged']);
    const w = (await lectern.refresh(inst))!;
    expect(w.section('a1')).toBeUndefined();
    expect(w.enrolled('a1').size).toBe(0);
    expect(w.section('s7')!.name).toBe('Seven');
    const e = await run(inst, k('enrollments'), 'Action,Section,User,Role\r\ncreate,s1,ins,instructor\r\nupdate,s7,stu,student\r\ndelete,s1,stu,\r\n,s8,stu,student\r\n');
    expect(outcomes(e)).toEqual(['2:conflict:User', '3:notFound:User', '4:applied', '5:applied']);
    // A collection keeps a manager (SPEC §8): the last one goes only after another is added.
    const m = await run(inst, k('members'), 'Action,Collection,User,Level,Permissions\r\n,c1,stu,custom,download;edit\r\ndelete,c1,ins,,\r\n');
    expect(outcomes(m)).toEqual(['2:applied', '3:conflict:User']);
    expect(outcomes(await run(inst, k('members'), 'Action,Collection,User,Level,Permissions\r\n,c1,root,manager,\r\ndelete,c1,ins,,\r\n'))).toEqual(['2:applied', '3:applied']);
    expect((await lectern.refresh(inst))!.collectionMember('c1', 'stu')).toMatchObject({ level: 'custom', permissions: 'edit,download' });
    const u = await run(inst, k('users'), 'Action,Id,Status\r\n,stu,deactivated\r\ndelete,fx,\r\n,ins,active\r\n');
    expect(outcomes(u)).toEqual(['2:applied', '3:applied', '4:unchanged']);
    expect((await lectern.refresh(inst))!.user('stu')!.status).toBe('deactivated');
  });

  it('an update leaves the fields of absent columns (and empty cells) as they are', async () => {
    const inst = await institution();
    const before = (await lectern.refresh(inst))!.user('ins')!;
    expect(outcomes(await run(inst, k('users'), 'Id,Last Name\r\nins,Newton\r\n'))).toEqual(['2:applied']);
    expect(outcomes(await run(inst, k('users'), 'Id,Username,Email,First Name,Last Name\r\nins,,,Isaac,\r\n'))).toEqual(['2:applied']);
    expect((await lectern.refresh(inst))!.user('ins')).toEqual({ ...before, firstName: 'Isaac', lastName: 'Newton' });
    const sch = (await lectern.refresh(inst))!.schedule('sch1')!;
    expect(outcomes(await run(inst, k('schedules'), 'Id,Name\r\nsch1,Renamed\r\n'))).toEqual(['2:applied']);
    expect((await lectern.refresh(inst))!.schedule('sch1')).toEqual({ ...sch, name: 'Renamed' });
    const term = (await lectern.refresh(inst))!.term('t1')!;
    expect(outcomes(await run(inst, k('terms'), 'Id,End\r\nt1,2026-12-24\r\n'))).toEqual(['2:applied']);
    expect((await lectern.refresh(inst))!.term('t1')).toEqual({ ...term, endDate: '2026-12-24' });
  });

  it('a dry run writes nothing and reports exactly what the real run then does', async () => {
    const inst = await institution();
    const files: [string, string][] = [
      ['units', 'Id,Parent,Name\r\nchem,science,Chemistry\r\norganic,chem,Organic\r\nphysics,,Physics!\r\nnope,void,x\r\n'],
      ['users', 'Action,Id,Email,First Name,Last Name\r\n,n1,n1@example.edu,N,One\r\n,n2,n1@example.edu,N,Two\r\ndelete,stu,,,\r\n,ins,,Ines,\r\n'],
      ['enrollments', 'Section,User,Role\r\ns1,n1,student\r\ns1,ins,teaching_assistant\r\na1,stu,student\r\n'],
    ];
    for (const [name, text] of files) {
      const before = await state(inst);
      const dry = await run(inst, k(name), text, { dryRun: true, batchSize: 2 });
      expect(await state(inst), name).toBe(before);
      const real = await run(inst, k(name), text, { batchSize: 2 });
      expect(outcomes(real), name).toEqual(outcomes(dry));
      expect(real.map((r) => ('message' in r ? r.message : '')), name).toEqual(dry.map((r) => ('message' in r ? r.message : '')));
    }
  });

  it('escapes formula cells in exports and reads them back as the same values', async () => {
    const inst = await institution();
    ok(await lectern.run(SYSTEM, inst, 'course.update', { course: 'phys101', name: '@SUM(A1)' }));
    const users = await exported(inst, k('users'));
    expect(users).toContain(`,fx,fx,fx@example.edu,"'=HYPERLINK(""x"")",'-1,local,active\r\n`);
    const courses = await exported(inst, k('courses'));
    expect(courses).toContain(",phys101,physics,'@SUM(A1)\r\n");
    expect((await run(inst, k('users'), users)).every((r) => outcome(r) === 'unchanged')).toBe(true);
    expect((await run(inst, k('courses'), courses)).every((r) => outcome(r) === 'unchanged')).toBe(true);
    expect((await lectern.refresh(inst))!.course('phys101')!.name).toBe('@SUM(A1)');
  });

  it('over HTTP: POST /v1/imports/:kind (JSON or CSV result, dry run) and GET /v1/exports/:kind', async () => {
    const inst = await institution();
    const auth = new Auth(lectern);
    const headers: Record<string, Record<string, string>> = {};
    for (const u of ['root', 'sched', 'stu']) headers[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
    const app: FastifyInstance = buildApp({ lectern, auth });
    await app.ready();
    try {
      const post = (who: string, url: string, body: string) => app.inject({ method: 'POST', url, headers: { ...headers[who], 'content-type': 'text/csv' }, payload: body });
      const file = 'Id,Unit,Name\r\nphys102,physics,Waves\r\nart102,arts,Paint\r\n';
      const dry = await post('sched', '/v1/imports/courses?dryRun=true', file);
      expect(dry.statusCode).toBe(200);
      expect(dry.json()).toMatchObject({ kind: 'courses', summary: { rows: 2, applied: 1, refused: 1, dryRun: true } });
      const real = await post('sched', '/v1/imports/courses', file);
      expect(real.json().results).toEqual(dry.json().results);
      expect(real.json().results[1]).toMatchObject({ line: 3, outcome: 'denied', code: 'denied' });
      const asCsv = await post('sched', '/v1/imports/courses?format=csv', file);
      expect(asCsv.body.split('\r\n').slice(0, 2)).toEqual(['line,outcome,reason', '2,unchanged,']);
      expect((await post('root', '/v1/imports/widgets', file)).statusCode).toBe(404);
      expect((await post('root', '/v1/imports/courses', 'Id,Colour\r\n')).json()).toMatchObject({ code: 'unknownColumn', field: 'Colour' });
      const exp = await app.inject({ method: 'GET', url: '/v1/exports/courses', headers: headers.sched });
      expect(exp.statusCode).toBe(200);
      expect(exp.headers['content-type']).toMatch(/^text\/csv/);
      expect(exp.body).toBe('Action,Id,Unit,Name\r\n,phys101,physics,Mechanics\r\n,phys102,physics,Waves\r\n');
      expect((await post('sched', '/v1/imports/courses', exp.body)).json().summary).toMatchObject({ rows: 2, unchanged: 2 });
      const stuUsers = await app.inject({ method: 'GET', url: '/v1/exports/users', headers: headers.stu });
      expect(stuUsers.statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('names every kind, and each column set is documented', async () => {
    expect(Object.keys(KINDS).sort()).toEqual([...NAMES, 'licenses'].sort());
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../docs/IMPORTS.md', import.meta.url), 'utf8');
    for (const name of NAMES) expect(doc, name).toContain(`\`${k(name).columns.join(',')}\``);
  });
});
