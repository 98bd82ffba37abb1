import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/policy/index.js';
import { Lectern } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import { World } from '../src/world/world.js';
import { DRIVERS, freshId, ok, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('store on %s', (driver) => {
  let store: Store;
  let lectern: Lectern;
  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
  });
  afterAll(async () => {
    await store.dropSchemaAndClose();
  });

  it('migrates idempotently', async () => {
    await store.migrate();
    await store.migrate();
    expect((await store.listInstitutions()).length).toBeGreaterThanOrEqual(0);
  });

  it('gives each committed write the next revision, with one changelog and one audit entry', async () => {
    const id = await smallInstitution(lectern);
    const before = await store.currentRevision(id);
    const out = ok(await lectern.run(SYSTEM, id, 'user.create', { id: 'neu', email: 'neu@example.edu', firstName: 'N', lastName: 'U' }));
    expect(out.revision).toBe(before! + 1);
    expect(await store.currentRevision(id)).toBe(out.revision);
    const log = await store.changesSince(id, before!);
    expect(log).toHaveLength(1);
    expect(log[0]!.revision).toBe(out.revision);
    expect(log[0]!.changes).toEqual([{ table: 'user', op: 'put', row: expect.objectContaining({ id: 'neu', email: 'neu@example.edu' }) }]);
    const audit = await store.audit(id, { limit: 1 });
    expect(audit[0]).toMatchObject({ revision: out.revision, operation: 'user.create', target: 'user:neu', actor: 'Lectern (system)' });
    expect(audit[0]!.changes[0]).toMatchObject({ table: 'user', before: null, after: expect.objectContaining({ id: 'neu' }) });
  });

  it('records before and after in the audit log', async () => {
    const id = await smallInstitution(lectern);
    const p = lectern.principal(id, 'root');
    ok(await lectern.run(p, id, 'user.update', { user: 'stu', firstName: 'Stuart' }));
    const [entry] = await store.audit(id, { actor: 'root' });
    expect(entry).toMatchObject({ actor: 'root', operation: 'user.update', target: 'user:stu' });
    expect(entry!.changes[0]!.before).toMatchObject({ firstName: 'Stu' });
    expect(entry!.changes[0]!.after).toMatchObject({ firstName: 'Stuart' });
  });

  it('keeps the audit log append-only', async () => {
    const id = await smallInstitution(lectern);
    await expect(sql`update audit_log set actor = 'mallory' where institution_id = ${id}`.execute(store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where institution_id = ${id}`.execute(store.db)).rejects.toThrow(/append-only/);
    expect((await store.audit(id)).every((e) => e.actor !== 'mallory')).toBe(true);
  });

  it('refuses, in the database itself, a seat beyond a pack\'s count', async () => {
    const id = await smallInstitution(lectern);
    ok(await lectern.run(SYSTEM, id, 'role.grant', { user: 'ada', role: 'academic_staff' }));
    ok(await lectern.run(SYSTEM, id, 'role.grant', { user: 'root', role: 'academic_staff' }));
    ok(await lectern.run(SYSTEM, id, 'licensePack.create', { id: 'ID 2026-01-31-000001', seats: 1 }));
    ok(await lectern.run(SYSTEM, id, 'license.assign', { user: 'ada', pack: 'ID 2026-01-31-000001' }));
    // Bypassing the services (and their lock) still cannot over-allocate.
    await expect(sql`insert into license_assignment values (${id}, 'ID 2026-01-31-000001', 'root')`.execute(store.db)).rejects.toThrow(/no free seat/);
    expect((await new Lectern(store).world(id))!.seatHolders('ID 2026-01-31-000001').size).toBe(1);
  });

  it('writes nothing for a refused operation: no rows, no revision, no changelog, no audit', async () => {
    const id = await smallInstitution(lectern);
    const rev = await store.currentRevision(id);
    const auditBefore = (await store.audit(id)).length;
    const stu = lectern.principal(id, 'stu');
    expect((await lectern.run(stu, id, 'unit.create', { id: 'x', parent: 'science' })).status).toBe('denied');
    expect((await lectern.run(SYSTEM, id, 'user.create', { id: 'dup', email: 'ADA@example.edu', firstName: 'D', lastName: 'U' })).status).toBe('conflict');
    expect((await lectern.run(SYSTEM, id, 'user.create', { id: 'bad', email: 'not-an-email', firstName: 'D', lastName: 'U' })).status).toBe('invalid');
    expect((await lectern.run(SYSTEM, id, 'unit.delete', { unit: 'nowhere' })).status).toBe('notFound');
    expect(await store.currentRevision(id)).toBe(rev);
    expect(await store.changesSince(id, rev!)).toEqual([]);
    expect((await store.audit(id)).length).toBe(auditBefore);
    const fresh = new Lectern(store);
    const w = (await fresh.world(id))!;
    expect(w.tree.units.has('x')).toBe(false);
    expect(w.user('dup')).toBeUndefined();
  });

  it('rebuilds from the store exactly the world it kept by applying changes', async () => {
    const id = await smallInstitution(lectern);
    const root = lectern.principal(id, 'root');
    ok(await lectern.run(root, id, 'unit.update', { unit: 'physics', parent: 'arts', name: 'Physics & Arts' }));
    ok(await lectern.run(root, id, 'role.grant', { user: 'stu', role: 'academic_staff', scope: 'physics' }));
    ok(await lectern.run(root, id, 'institution.configure', { delegatedAdministration: true }));
    ok(await lectern.run(root, id, 'user.delete', { user: 'stu' }));
    const kept = (await lectern.world(id))!;
    const rebuilt = (await new Lectern(store).world(id))!;
    expect(rebuilt.revision).toBe(kept.revision);
    expect(rebuilt.snapshot()).toEqual(kept.snapshot());
    // And replaying the changelog from nothing gives the same world again.
    const replayed = new World(id);
    for (const e of await store.changesSince(id, 0)) replayed.applyRevision(e.revision, e.changes);
    expect(replayed.snapshot()).toEqual(kept.snapshot());
  });

  it('serialises concurrent writes to one institution into consecutive revisions', async () => {
    const id = await smallInstitution(lectern);
    const start = (await store.currentRevision(id))!;
    const outs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        lectern.run(SYSTEM, id, 'user.create', { id: `c${i}`, email: `c${i}@example.edu`, firstName: 'C', lastName: String(i) }),
      ),
    );
    const revisions = outs.map((o) => ok(o).revision).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: 20 }, (_, i) => start + 1 + i));
    // Two writers racing for the same email: exactly one wins.
    const race = await Promise.all([
      lectern.run(SYSTEM, id, 'user.create', { id: 'r1', email: 'same@example.edu', firstName: 'R', lastName: '1' }),
      lectern.run(SYSTEM, id, 'user.create', { id: 'r2', email: 'same@example.edu', firstName: 'R', lastName: '2' }),
    ]);
    expect(race.map((o) => o.status).sort()).toEqual(['conflict', 'ok']);
  });

  it('lets a second process catch up through the changelog, also inside its own writes', async () => {
    const id = await smallInstitution(lectern);
    const other = new Lectern(store); // a second server process on the same database
    const w2 = (await other.world(id))!;
    ok(await lectern.run(SYSTEM, id, 'user.create', { id: 'late', email: 'late@example.edu', firstName: 'L', lastName: 'A' }));
    expect(w2.user('late')).toBeUndefined();
    const seen = await other.atLeast(id, (await store.currentRevision(id))!);
    expect(seen?.user('late')?.email).toBe('late@example.edu');
    // A write in the first process, then a conflicting one in the second: the second sees the first.
    ok(await lectern.run(SYSTEM, id, 'user.create', { id: 'p1', email: 'p@example.edu', firstName: 'P', lastName: '1' }));
    const clash = await other.run(SYSTEM, id, 'user.create', { id: 'p2', email: 'p@example.edu', firstName: 'P', lastName: '2' });
    expect(clash).toMatchObject({ status: 'conflict', code: 'duplicateEmail', field: 'email' });
  });

  // On PGlite this is skipped, and says why: the embedded database is one process's own.
  it.runIf(driver === 'postgres')('hears another process\'s commits through LISTEN/NOTIFY, without being asked (PostgreSQL only: the embedded database is one process\'s)', async () => {
    const id = await smallInstitution(lectern);
    const other = await Store.open({ databaseUrl: process.env.DATABASE_URL!, schema: store.schema });
    const follower = new Lectern(other);
    const stop = follower.follow();
    try {
      const w2 = (await follower.world(id))!;
      await new Promise((r) => setTimeout(r, 300)); // the listener connects
      const out = ok(await lectern.run(SYSTEM, id, 'user.create', { id: 'heard', email: 'heard@example.edu', firstName: 'H', lastName: 'D' }));
      const deadline = Date.now() + 2000;
      while (w2.revision < out.revision && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(w2.revision).toBe(out.revision);
      expect(w2.user('heard')?.email).toBe('heard@example.edu');
    } finally {
      await stop();
      await other.close();
    }
  });

  it('refuses a second institution with the same id, and keeps institutions apart', async () => {
    const a = await smallInstitution(lectern);
    expect((await lectern.run(SYSTEM, a, 'institution.create', { id: a, name: 'Again' })).status).toBe('conflict');
    const b = await smallInstitution(lectern, freshId('other'));
    const wa = (await lectern.world(a))!;
    const wb = (await lectern.world(b))!;
    ok(await lectern.run(SYSTEM, b, 'user.create', { id: 'only-b', email: 'ob@example.edu', firstName: 'O', lastName: 'B' }));
    expect(wb.user('only-b')).toBeDefined();
    expect(wa.user('only-b')).toBeUndefined();
    // An admin of A has nothing in B.
    const rootOfA = lectern.principal(a, 'root');
    expect((await lectern.run(rootOfA, b, 'unit.create', { id: 'intruder', parent: b })).status).toBe('denied');
    expect(lectern.check(wb, rootOfA, 'user.view', 'user:ada').allow).toBe(false);
    // A system admin of A reaches B.
    expect(lectern.check(wb, lectern.principal(a, 'sam'), 'unit.create', `unit:${b}`).allow).toBe(true);
  });
});
