/**
 * SPEC §2 "One name, one user", on every driver: ids, usernames and emails form one
 * case-insensitive namespace per institution — refused as a conflict naming the field and the
 * user by single writes, CSV import rows and world files; held by the database itself (user_name,
 * kept by a trigger in the same transaction), also for writes that skip the services' check; and
 * filled from existing rows by the migration, which stops on a clash rather than guessing.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/policy/index.js';
import { runScenarioFile } from '../src/scenario/run.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import * as userNames from '../src/store/migrations/2026-11-30-20-user-names.js';
import { DRIVERS, freshId, ok, openTestStore, smallInstitution } from './helpers.js';

const admin = (institutionId: string, userId = 'root') => ({ kind: 'user' as const, institutionId, userId, systemAdmin: false });

describe.each(DRIVERS)('one name, one user (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
  });
  afterAll(async () => {
    await store.dropSchemaAndClose();
  });

  it('refuses a single write whose id, username or email names another user, naming the field and the user', async () => {
    const id = await smallInstitution(lectern);
    const create = (args: Record<string, unknown>) => lectern.run(admin(id), id, 'user.create', { firstName: 'M', lastName: 'L', ...args });
    const byId = await create({ id: 'ADA@example.edu', email: 'm@example.edu' });
    expect(byId).toMatchObject({ status: 'conflict', code: 'duplicateId', field: 'id' });
    expect(byId.status !== 'ok' && byId.message).toMatch(/email of ada/);
    const byUsername = await create({ id: 'm', username: 'Stu', email: 'm@example.edu' });
    expect(byUsername).toMatchObject({ status: 'conflict', code: 'duplicateUsername', field: 'username' });
    expect(byUsername.status !== 'ok' && byUsername.message).toMatch(/stu/);
    const byEmail = await create({ id: 'm', email: 'm@example.edu' });
    expect(byEmail.status).toBe('ok');
    const update = await lectern.run(admin(id), id, 'user.update', { user: 'stu', email: 'M@EXAMPLE.EDU' });
    expect(update).toMatchObject({ status: 'conflict', code: 'duplicateEmail', field: 'email' });
    // a user's own names may coincide
    ok(await lectern.run(admin(id), id, 'user.update', { user: 'stu', username: 'STU@example.edu' }));
    // the world finds the one user a name belongs to, whatever the case
    const w = (await lectern.world(id))!;
    expect(w.findUser('stu@EXAMPLE.edu')?.id).toBe('stu');
    expect(w.findUser('ADA')?.id).toBe('ada');
    expect(w.findUser('m@example.edu')?.id).toBe('m');
  });

  it('refuses clashing CSV import rows one by one, also against rows earlier in the same file', async () => {
    const id = await smallInstitution(lectern);
    const row = (line: number, args: Record<string, unknown>) => ({ line, op: 'import.users', args: { firstName: 'F', lastName: 'L', ...args } });
    const results = await lectern.runRows(admin(id), id, [
      row(2, { id: 'x1', email: 'x1@example.edu' }),
      row(3, { id: 'x2', username: 'X1@example.edu', email: 'x2@example.edu' }),
      row(4, { id: 'x1@example.edu', email: 'x3@example.edu' }),
      row(5, { id: 'x4', email: 'ADA@example.edu' }),
      row(6, { id: 'x5', email: 'x5@example.edu' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['ok', 'conflict', 'conflict', 'conflict', 'ok']);
    expect(results[1]).toMatchObject({ field: 'username', code: 'duplicateUsername' });
    expect(results[3]).toMatchObject({ field: 'email', code: 'duplicateEmail' });
    const names = await store.db.selectFrom('userName').select(['name', 'userId', 'field']).where('institutionId', '=', id).where('userId', 'in', ['x1', 'x5']).orderBy('name').execute();
    expect(names).toEqual([
      { name: 'x1', userId: 'x1', field: 'id' },
      { name: 'x1@example.edu', userId: 'x1', field: 'email' },
      { name: 'x5', userId: 'x5', field: 'id' },
      { name: 'x5@example.edu', userId: 'x5', field: 'email' },
    ]);
  });

  it('refuses a world file in which two users share a name, at the line of the second', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lectern-names-'));
    const file = join(dir, 'clash.yaml');
    const inst = freshId('w');
    await writeFile(
      file,
      `institution: { id: ${inst}, name: W }
users:
  - { id: ada, email: ada@w.edu, firstName: Ada, lastName: K }
  - { id: mal, username: Ada@W.edu, email: mal@w.edu, firstName: Mal, lastName: L }
checks: []
`,
    );
    const r = await runScenarioFile(lectern, file);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({ line: 4 });
    expect(r.failures[0]!.message).toMatch(/conflict|username/);
    expect(r.failures[0]!.message).toMatch(/ada/);
  });

  it('the database refuses a second claim on a name even when the services are skipped', async () => {
    const id = await smallInstitution(lectern);
    const base = { institutionId: id, firstName: 'F', lastName: 'L', identityProvider: 'local', status: 'active' as const };
    // straight into the table: a username that is another user's email, in another case
    await expect(store.db.insertInto('appUser').values({ ...base, id: 'sneak', username: 'ADA@example.edu', email: 'sneak@example.edu' }).execute()).rejects.toMatchObject({ code: '23505' });
    // an id that is another's username (ids are case-sensitive keys, names are not)
    await expect(store.db.insertInto('appUser').values({ ...base, id: 'ROOT', username: 'r2', email: 'r2@example.edu' }).execute()).rejects.toMatchObject({ code: '23505' });
    // through the write path, as a commit whose plan skipped the check
    const rev = (await store.currentRevision(id))!;
    await expect(
      store.write(id, async (tx) => {
        await tx.lock();
        await tx.commit(rev + 1, [{ table: 'user', op: 'put', row: { ...base, id: 'sneak', username: 'sneak', email: 'Stu@Example.edu' } }], { actor: 'test', operation: 'user.create', target: 'user:sneak', changes: [] });
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await store.currentRevision(id)).toBe(rev);
    // updating and deleting keep the namespace: a freed name may be taken
    await store.db.updateTable('appUser').set({ email: 'stu2@example.edu' }).where('institutionId', '=', id).where('id', '=', 'stu').execute();
    await store.db.insertInto('appUser').values({ ...base, id: 'new', username: 'new', email: 'STU@example.edu' }).execute();
    await store.db.deleteFrom('appUser').where('institutionId', '=', id).where('id', '=', 'new').execute();
    const left = await store.db.selectFrom('userName').select('name').where('institutionId', '=', id).where('userId', '=', 'new').execute();
    expect(left).toEqual([]);
    // a name is the institution's: another institution may use it
    const other = await smallInstitution(lectern);
    expect((await lectern.world(other))!.findUser('ada@example.edu')?.id).toBe('ada');
  });

  it('the migration fills the namespace from existing users, and stops on existing clashes listing them', async () => {
    const own = await openTestStore(driver);
    try {
      const id = await smallInstitution(new Lectern(own));
      const undo = async () => {
        await sql`drop trigger app_user_names on app_user`.execute(own.db);
        await sql`drop function app_user_names()`.execute(own.db);
        await sql`drop table user_name`.execute(own.db);
      };
      // as before the migration: users only
      await undo();
      await userNames.up(own.db as never);
      const filled = await own.db.selectFrom('userName').select(['name', 'userId']).where('institutionId', '=', id).orderBy('name').execute();
      expect(filled.map((r) => `${r.name}:${r.userId}`)).toEqual([
        'ada:ada', 'ada@example.edu:ada', 'root:root', 'root@example.edu:root', 'sam:sam', 'sam@example.edu:sam', 'stu:stu', 'stu@example.edu:stu',
      ]);
      // existing data that already breaks the rule: the migration refuses and says who
      await undo();
      await own.db.updateTable('appUser').set({ username: 'Ada@Example.edu' }).where('institutionId', '=', id).where('id', '=', 'stu').execute();
      await expect(userNames.up(own.db as never)).rejects.toThrow(/'ada@example.edu' names ada \(email\), stu \(username\)/);
    } finally {
      await own.dropSchemaAndClose();
    }
  });

  it('SYSTEM loads are held to it too', async () => {
    const id = await smallInstitution(lectern);
    const r = await lectern.run(SYSTEM, id, 'user.create', { id: 'x', username: 'sam@example.edu', email: 'x@example.edu', firstName: 'X', lastName: 'Y' });
    expect(r).toMatchObject({ status: 'conflict', field: 'username' });
  });
});
