/**
 * OneRoster 1.1 CSV import (docs/PROVISIONING.md), on every driver: a generated district (small
 * here; district-sized in `npm run bench -- --only oneroster`) imported from a directory, imported
 * again as a no-op, then updated by a delta zip that changes only its rows; a bulk file that no
 * longer names an object removes it; dry runs write nothing; malformed exports (no manifest, wrong
 * headers, unknown references, duplicate sourcedIds, bad dates) are answered with file, line and
 * reason and change nothing for the row; a unit admin's rows outside their units are refused; the
 * HTTP upload of a zip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { importOneRoster, type OneRosterRowResult } from '../src/integrations/oneroster/import.js';
import { openPath, openZipBuffer, type Source } from '../src/integrations/oneroster/source.js';
import { SYSTEM, type Principal } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { ImportRefused } from '../src/services/imports/csv.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, freshId, ok, openTestStore } from './helpers.js';
import { deltaFiles, district, HEADERS, lines, manifest, T0, writeDistrict, zipOf, type DistrictSize, type FileName } from './oneroster-gen.js';

const SMALL: DistrictSize = { orgs: 12, users: 400, classes: 40, enrollments: 1_000 };

async function all(gen: AsyncGenerator<OneRosterRowResult[]>): Promise<OneRosterRowResult[]> {
  const out: OneRosterRowResult[] = [];
  for await (const b of gen) out.push(...b);
  return out;
}

const counts = (rs: OneRosterRowResult[]) => {
  const c: Record<string, number> = {};
  for (const r of rs) {
    const k = r.status === 'ok' ? (r.changed ? 'applied' : 'unchanged') : r.status;
    c[k] = (c[k] ?? 0) + 1;
  }
  return c;
};

/** A whole export from file texts (the manifest made from `modes`), as a zip source. */
async function zipSource(files: Record<string, string>, folder = ''): Promise<Source> {
  return openZipBuffer(await zipOf(files, folder));
}

const csv = (f: FileName, rows: string[]) => [HEADERS[f], ...rows].join('\r\n') + '\r\n';

describe.each(DRIVERS)('OneRoster 1.1 CSV import (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let dir: string;
  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    dir = await mkdtemp(join(tmpdir(), 'oneroster-'));
    await writeDistrict(join(dir, 'district'), SMALL);
  });
  afterAll(async () => {
    await store?.dropSchemaAndClose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function institution(): Promise<string> {
    const inst = freshId('or');
    ok(await lectern.run(SYSTEM, inst, 'institution.create', { id: inst, name: 'District' }));
    return inst;
  }

  const importDir = async (inst: string, p: Principal = SYSTEM, dryRun = false) => {
    const src = await openPath(join(dir, 'district'));
    try {
      return await all(importOneRoster(lectern, p, inst, src, { dryRun, batchSize: 300 }));
    } finally {
      src.close();
    }
  };

  it('imports a district, re-imports it as a no-op, and applies a delta that changes only its rows', async () => {
    const inst = await institution();
    const d = district(SMALL);
    const first = await importDir(inst);
    const rows = SMALL.orgs + 3 + d.courses + SMALL.classes + SMALL.users + SMALL.enrollments;
    expect(first.filter((r) => r.status !== 'ok').slice(0, 3)).toEqual([]);
    expect(counts(first)).toEqual({ applied: rows });

    const w = (await lectern.refresh(inst))!;
    // The hierarchy, though the file lists schools before their regions and the district.
    expect(w.tree.units.get('dist')!.parentId).toBe(inst);
    expect(w.tree.units.get('reg-0')!.parentId).toBe('dist');
    expect(w.tree.units.get('sch-0')!.parentId).toBe('reg-0');
    expect(w.tree.units.get('sch-0')!.name).toBe('School 0');
    expect(w.term('fall2026')).toMatchObject({ unitId: inst, startDate: '2026-08-01', endDate: '2026-12-20' });
    expect(w.course('crs-1')!.unitId).toBe(`sch-${d.schoolOfCourse(1)}`);
    expect(w.section('cls-3')).toMatchObject({ courseId: 'crs-3', termId: 'spring2027', name: 'Class 3' });
    // Teachers are academic staff at their school; students hold no staff role; nobody is an admin.
    expect(w.grantsOf('tch-0').map((g) => `${g.role}@${g.scopeId}`)).toEqual(['academic_staff@sch-0']);
    expect(w.grantsOf('stu-0')).toEqual([]);
    expect([...w.usersWithGrants()].some((u) => w.grantsOf(u).some((g) => g.role !== 'academic_staff'))).toBe(false);
    expect(w.sectionRole(`tch-${d.teacherOfClass(5)}`, 'cls-5')).toBe('instructor');
    expect(w.user('stu-7')).toMatchObject({ username: 'student7', email: 'student7@district.example', firstName: 'Student', lastName: 'S7', status: 'active' });
    expect(w.enrolled('cls-0').size).toBe(SMALL.enrollments / SMALL.classes);
    // Audited and in the changelog like every write.
    const audit = await store.audit(inst, { limit: 1000 });
    expect(new Set(audit.map((a) => a.operation))).toContain('import.oneroster.enrollment');

    const revision = w.revision;
    const again = await importDir(inst);
    expect(counts(again)).toEqual({ unchanged: rows });
    expect((await lectern.refresh(inst))!.revision).toBe(revision);

    // The delta: a renamed student, a teacher disabled, an enrollment removed, a role changed, a new
    // student enrolled. Nothing else is touched.
    const teacher = d.teacherOfClass(2);
    const delta = deltaFiles(
      [
        `stu-1,active,${T0},true,sch-1,student,student1,,Stella,S1,,S1,student1@district.example,,,,09,`,
        `tch-${teacher},active,${T0},false,sch-${d.schoolOfTeacher(teacher)},teacher,teacher${teacher},,Teacher,T${teacher},,,teacher${teacher}@district.example,,,,,`,
        `new-1,active,${T0},true,sch-0,student,newbie,,New,Student,,,newbie@district.example,,,,,`,
      ],
      [
        `enr-0-1,tobedeleted,${T0},,,,,,,`,
        `enr-1-t,active,${T0},cls-1,sch-${d.schoolOfClass(1)},tch-${d.teacherOfClass(1)},teacher,false,,`,
        `enr-new,active,${T0},cls-0,sch-0,new-1,student,false,2026-08-01,2027-06-30`,
      ],
    );
    const src = await zipSource(delta, 'export-2026-11-30/');
    const changed = await all(importOneRoster(lectern, SYSTEM, inst, src));
    src.close();
    expect(changed.map((r) => `${r.file}:${r.line}:${r.status === 'ok' ? (r.changed ? 'applied' : 'unchanged') : r.message}`)).toEqual([
      'users.csv:2:applied',
      'users.csv:3:applied',
      'users.csv:4:applied',
      'enrollments.csv:3:applied',
      'enrollments.csv:4:applied',
      'enrollments.csv:2:applied',
    ]);
    const w2 = (await lectern.refresh(inst))!;
    expect(w2.user('stu-1')!.firstName).toBe('Stella');
    expect(w2.user(`tch-${teacher}`)!.status).toBe('deactivated');
    expect(w2.sectionRole(`stu-${(0 * 7 + 1 * 131) % d.students}`, 'cls-0')).toBeUndefined();
    expect(w2.sectionRole(`tch-${d.teacherOfClass(1)}`, 'cls-1')).toBe('teaching_assistant');
    expect(w2.sectionRole('new-1', 'cls-0')).toBe('student');
    expect(w2.user('stu-2')).toEqual(w.user('stu-2'));

    // The same delta again changes nothing.
    const src2 = await zipSource(delta);
    expect(counts(await all(importOneRoster(lectern, SYSTEM, inst, src2)))).toEqual({ unchanged: 6 });
    src2.close();
  });

  it('a dry run writes nothing and reports what the run does; a bulk file that drops an object removes it', async () => {
    const inst = await institution();
    await importDir(inst);
    const revision = (await lectern.refresh(inst))!.revision;
    const d = district(SMALL);
    // A bulk classes file without cls-39 (and an enrollments file without its enrollments).
    const classes = [...lines('classes.csv', SMALL)].filter((l) => !l.startsWith('cls-39,'));
    const enrollments = [...lines('enrollments.csv', SMALL)].filter((l) => !l.includes(',cls-39,'));
    const files = { 'manifest.csv': manifest({ 'classes.csv': 'bulk', 'enrollments.csv': 'bulk' }), 'classes.csv': csv('classes.csv', classes), 'enrollments.csv': csv('enrollments.csv', enrollments) };
    const dry = await all(importOneRoster(lectern, SYSTEM, inst, await zipSource(files), { dryRun: true }));
    expect((await lectern.refresh(inst))!.revision).toBe(revision);
    expect((await lectern.refresh(inst))!.section('cls-39')).toBeDefined();
    const real = await all(importOneRoster(lectern, SYSTEM, inst, await zipSource(files)));
    expect(real.map((r) => ({ ...r, revision: undefined }))).toEqual(dry.map((r) => ({ ...r, revision: undefined })));
    const removed = real.filter((r) => r.line === 0);
    expect(removed.map((r) => r.file).sort()).toEqual(['classes.csv', ...Array(d.perClass).fill('enrollments.csv')].sort());
    expect(removed.every((r) => r.status === 'ok' && r.changed)).toBe(true);
    expect((await lectern.refresh(inst))!.section('cls-39')).toBeUndefined();
  });

  it('refuses a malformed export as a whole before any row runs, naming the file, line and reason', async () => {
    const inst = await institution();
    const revision = (await lectern.refresh(inst))!.revision;
    const refusal = async (files: Record<string, string>) => {
      try {
        await all(importOneRoster(lectern, SYSTEM, inst, await zipSource(files)));
      } catch (e) {
        if (e instanceof ImportRefused) return e.refusal;
        throw e;
      }
      throw new Error('expected the import to be refused');
    };
    const orgs = csv('orgs.csv', ['dist,,,District,district,D,']);
    expect(await refusal({ 'orgs.csv': orgs })).toMatchObject({ code: 'missingManifest', message: expect.stringMatching(/^manifest\.csv: missing/) });
    expect(await refusal({ 'manifest.csv': manifest({ 'orgs.csv': 'bulk' }).replace('oneroster.version,1.1', 'oneroster.version,1.2'), 'orgs.csv': orgs })).toMatchObject({
      code: 'unsupportedVersion',
      message: "manifest.csv line 3: oneroster.version must be 1.1, not '1.2'",
    });
    expect(await refusal({ 'manifest.csv': manifest({ 'orgs.csv': 'bulk', 'users.csv': 'delta' }), 'orgs.csv': orgs })).toMatchObject({ code: 'missingFile', message: expect.stringContaining('users.csv is not in the export') });
    expect(await refusal({ 'manifest.csv': manifest({ 'orgs.csv': 'bulk' }).replace('file.orgs,bulk', 'file.orgs,full'), 'orgs.csv': orgs })).toMatchObject({ code: 'enum' });
    // Wrong headers: a column missing, an unknown one, one twice.
    const wrong = (header: string) => refusal({ 'manifest.csv': manifest({ 'orgs.csv': 'bulk' }), 'orgs.csv': `${header}\r\ndist,,,District,district,D,\r\n` });
    expect(await wrong('sourcedId,status,dateLastModified,name,type,identifier')).toMatchObject({ code: 'missingColumn', field: 'parentSourcedId', message: expect.stringMatching(/^orgs\.csv line 1: missing column 'parentSourcedId'/) });
    expect(await wrong('sourcedId,status,dateLastModified,name,type,identifier,parent')).toMatchObject({ code: 'unknownColumn', field: 'parent' });
    expect(await wrong('sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId,name')).toMatchObject({ code: 'duplicateColumn' });
    // Extension columns are allowed (and not read).
    const ext = await all(
      importOneRoster(lectern, SYSTEM, inst, await zipSource({ 'manifest.csv': manifest({ 'orgs.csv': 'bulk' }), 'orgs.csv': `${HEADERS['orgs.csv']},metadata.color\r\ndist,,,District,district,D,,blue\r\n` })),
    );
    expect(counts(ext)).toEqual({ applied: 1 });
    expect((await lectern.refresh(inst))!.revision).toBe(revision + 1);
  });

  it('refuses bad rows one by one with file, line and reason, and applies the rest', async () => {
    const inst = await institution();
    const files = {
      'manifest.csv': manifest({ 'orgs.csv': 'bulk', 'academicSessions.csv': 'bulk', 'courses.csv': 'bulk', 'classes.csv': 'bulk', 'users.csv': 'delta', 'enrollments.csv': 'bulk' }),
      'orgs.csv': csv('orgs.csv', ['a,,,School A,school,,', 'b,,,School B,school,,nowhere', 'a,,,Again,school,,', 'c,,,Cycle C,school,,d', 'd,,,Cycle D,school,,c']),
      'academicSessions.csv': csv('academicSessions.csv', ['t1,,,Fall,term,2026-09-01,2026-12-20,,2027', 't2,,,Bad,term,2026-13-01,2026-12-20,,2027', 't3,,,Backwards,term,2026-12-01,2026-09-20,,2027', 't4,,yesterday,Stale,term,2026-09-01,2026-12-20,,2027']),
      'courses.csv': csv('courses.csv', ['c1,,,,Course 1,,,a,,', 'c2,,,,Course 2,,,zzz,,']),
      'classes.csv': csv('classes.csv', ['k1,,,Class 1,,c1,,scheduled,,a,t1,,,', 'k2,,,Class 2,,c9,,scheduled,,a,t1,,,', 'k3,,,Class 3,,c1,,scheduled,,a,t2,,,']),
      'users.csv': csv('users.csv', [
        `u1,active,${T0},true,a,teacher,u1,,Una,One,,,u1@x.example,,,,,secret`,
        `u2,active,${T0},true,zzz,teacher,u2,,Two,Bad,,,u2@x.example,,,,,`,
        `u3,,${T0},true,a,student,u3,,Three,Status,,,u3@x.example,,,,,`,
        `u4,active,${T0},maybe,a,student,u4,,Four,Bool,,,u4@x.example,,,,,`,
        `u5,active,${T0},true,a,wizard,u5,,Five,Role,,,u5@x.example,,,,,`,
        `u6,active,${T0},true,a,student,u6,,Six,NoMail,,,,,,,,`,
        `u7,active,${T0},true,a,student,u1,,Seven,SameName,,,u7@x.example,,,,,`,
      ]),
      'enrollments.csv': csv('enrollments.csv', ['e1,,,k1,a,u1,teacher,true,,', 'e2,,,k1,a,nobody,student,false,,', 'e3,,,k1,a,u1,guardian,false,,', 'e4,,,k1,a,u1,student,false,2026-02-30,', 'e1,,,k1,a,u1,student,false,,']),
    };
    const results = await all(importOneRoster(lectern, SYSTEM, inst, await zipSource(files)));
    const refusals = results.filter((r) => r.status !== 'ok').map((r) => `${r.file}:${r.line}: ${r.message}`);
    expect(refusals).toEqual([
      "orgs.csv:3: parentSourcedId: org with sourcedId 'nowhere' does not exist",
      "orgs.csv:4: sourcedId: 'a' is a duplicate of line 2 (a file names each object once)",
      'orgs.csv:6: parentSourcedId: orgs c → d → c form a cycle',
      "orgs.csv:5: parentSourcedId: org with sourcedId 'd' does not exist",
      "academicSessions.csv:3: startDate: '2026-13-01' is not a calendar date (yyyy-mm-dd)",
      'academicSessions.csv:4: endDate: 2026-09-20 is before the start 2026-12-01',
      "academicSessions.csv:5: dateLastModified: 'yesterday' is not an ISO 8601 date and time (e.g. 2026-11-30T09:00:00Z)",
      "courses.csv:3: orgSourcedId: org with sourcedId 'zzz' does not exist",
      "classes.csv:3: courseSourcedId: course with sourcedId 'c9' does not exist",
      "classes.csv:4: termSourcedIds: academicSession with sourcedId 't2' does not exist",
      "users.csv:3: orgSourcedIds: org with sourcedId 'zzz' does not exist",
      'users.csv:4: status: is required in a delta file (active or tobedeleted)',
      "users.csv:5: enabledUser: must be true or false, not 'maybe'",
      "users.csv:6: role: must be one of administrator, aide, guardian, parent, proctor, relative, student, teacher, not 'wizard'",
      'users.csv:7: email: is required',
      "users.csv:8: username: username 'u1' is the id of u1 (ids, usernames and emails name one user each, whatever the case)",
      "enrollments.csv:3: userSourcedId: user with sourcedId 'nobody' does not exist",
      "enrollments.csv:4: role: 'guardian' has no section role in Lectern (teacher, aide and student enrollments are imported)",
      "enrollments.csv:5: beginDate: '2026-02-30' is not a calendar date (yyyy-mm-dd)",
      "enrollments.csv:6: sourcedId: 'e1' is a duplicate of line 2 (a file names each object once)",
    ]);
    const w = (await lectern.refresh(inst))!;
    // Refused rows left nothing behind: no unit, term, course, section or user of theirs, no link.
    for (const id of ['b', 'c', 'd']) expect(w.tree.units.has(id)).toBe(false);
    expect(w.term('t2') ?? w.term('t3') ?? w.term('t4') ?? w.course('c2') ?? w.section('k2') ?? w.section('k3')).toBeUndefined();
    for (const u of ['u2', 'u3', 'u4', 'u5', 'u6', 'u7']) expect(w.user(u)).toBeUndefined();
    expect([...w.tables.onerosterLink.values()].map((l) => `${l.kind}:${l.sourcedId}`).sort()).toEqual(['academicSession:t1', 'class:k1', 'course:c1', 'enrollment:e1', 'org:a', 'user:u1']);
    expect(w.sectionRole('u1', 'k1')).toBe('instructor');
    expect(w.grantsOf('u1').map((g) => `${g.role}@${g.scopeId}`)).toEqual(['academic_staff@a']);
  });

  it("refuses a unit admin's rows outside their units, each with the reason", async () => {
    const inst = await institution();
    await importDir(inst);
    ok(await lectern.run(SYSTEM, inst, 'user.create', { id: 'boss', email: 'boss@district.example', firstName: 'B', lastName: 'Oss' }));
    ok(await lectern.run(SYSTEM, inst, 'role.grant', { user: 'boss', role: 'admin', scope: 'sch-0' }));
    const boss = lectern.principal(inst, 'boss');
    const files = {
      'manifest.csv': manifest({ 'courses.csv': 'delta', 'users.csv': 'delta' }),
      'courses.csv': csv('courses.csv', [`mine,active,${T0},,Mine,,,sch-0,,`, `theirs,active,${T0},,Theirs,,,sch-1,,`]),
      'users.csv': csv('users.csv', [`t-in,active,${T0},true,sch-0,teacher,t-in,,In,Side,,,t-in@district.example,,,,,`, `t-out,active,${T0},true,sch-1,teacher,t-out,,Out,Side,,,t-out@district.example,,,,,`]),
    };
    const results = await all(importOneRoster(lectern, boss, inst, await zipSource(files)));
    expect(results.map((r) => `${r.file}:${r.line}:${r.status}`)).toEqual(['courses.csv:2:ok', 'courses.csv:3:denied', 'users.csv:2:ok', 'users.csv:3:denied']);
    for (const r of results) if (r.status === 'denied') expect(r.message.length).toBeGreaterThan(10);
    const w = (await lectern.refresh(inst))!;
    expect(w.course('mine')).toBeDefined();
    expect(w.course('theirs')).toBeUndefined();
    // The refused user row created no user either: the row is one operation.
    expect(w.user('t-out')).toBeUndefined();
    expect(w.grantsOf('t-in').map((g) => g.scopeId)).toEqual(['sch-0']);

    // A user who is no admin may not import users at all: every row says so.
    const stu = lectern.principal(inst, 'stu-0');
    const denied = await all(importOneRoster(lectern, stu, inst, await zipSource(files)));
    expect(denied.every((r) => r.status === 'denied')).toBe(true);
    const first = denied[0]!;
    expect(first.status === 'denied' && first.message).toMatch(/^courses\.csv: /);
  });

  it('takes a zip upload at POST /v1/imports/oneroster', async () => {
    const inst = await institution();
    ok(await lectern.run(SYSTEM, inst, 'user.create', { id: 'root', email: 'root@district.example', firstName: 'R', lastName: 'Oot' }));
    ok(await lectern.run(SYSTEM, inst, 'role.grant', { user: 'root', role: 'admin' }));
    const auth = new Auth(lectern);
    const token = (await auth.createToken(inst, 'root', 'test')).token;
    const app = buildApp({ lectern, auth });
    try {
      const body = await zipOf({
        'manifest.csv': manifest({ 'orgs.csv': 'bulk', 'academicSessions.csv': 'bulk' }),
        'orgs.csv': csv('orgs.csv', ['dist,,,District,district,D,', 'sch,,,School,school,S,dist']),
        'academicSessions.csv': csv('academicSessions.csv', ['y,,,Year,schoolYear,2026-08-01,2027-06-30,,2027', 'bad,,,Bad,term,2026-08-01,never,,2027']),
      });
      const post = (url: string, payload: Buffer | string, type = 'application/zip') => app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${token}`, 'content-type': type } });
      const dry = await post('/v1/imports/oneroster?dryRun=true', body);
      expect(dry.statusCode).toBe(200);
      expect(dry.json()).toMatchObject({ kind: 'oneroster', summary: { rows: 4, applied: 3, refused: 1, dryRun: true } });
      expect((await lectern.refresh(inst))!.tree.units.has('sch')).toBe(false);
      const res = await post('/v1/imports/oneroster', body);
      expect(res.json()).toMatchObject({ summary: { rows: 4, applied: 3, refused: 1 } });
      expect(res.json().results).toContainEqual({ file: 'academicSessions.csv', line: 3, outcome: 'invalid', reason: "endDate: 'never' is not a calendar date (yyyy-mm-dd)", code: 'format', field: 'endDate' });
      expect((await lectern.refresh(inst))!.tree.units.get('sch')!.parentId).toBe('dist');
      const asCsv = await post('/v1/imports/oneroster?format=csv', body);
      expect(asCsv.body.split('\r\n')[0]).toBe('file,line,outcome,reason');
      const noManifest = await post('/v1/imports/oneroster', await zipOf({ 'orgs.csv': csv('orgs.csv', []) }));
      expect(noManifest.statusCode).toBe(400);
      expect(noManifest.json()).toMatchObject({ code: 'missingManifest' });
      const notZip = await post('/v1/imports/oneroster', Buffer.from('not a zip'));
      expect(notZip.statusCode).toBe(400);
      expect((await post('/v1/imports/oneroster', 'a,b', 'text/csv')).statusCode).toBe(415);
    } finally {
      await app.close();
    }
  });
});

