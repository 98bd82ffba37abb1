/**
 * Many institutions in one process: worlds load on first use, and past the memory budget the least
 * recently used are dropped and loaded again (from the store, with every write) on their next use.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/policy/index.js';
import { Lectern, WORLD_BYTES_PER_ROW } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('world memory budget (%s)', (driver) => {
  let store: Store | undefined;
  afterEach(async () => {
    if (store) await (store.kind === 'postgres' ? store.dropSchemaAndClose() : store.close());
    store = undefined;
  });

  it('keeps the budget by dropping the least recently used worlds, which reload whole on their next use', async () => {
    store = await openTestStore(driver);
    const setup = new Lectern(store);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await smallInstitution(setup));
    const rowsEach = (await store.loadInstitution(ids[0]!))!.changes.length;
    // Room for two worlds (and a little), not three.
    const lectern = new Lectern(store, { worldBudgetBytes: Math.floor(2.5 * rowsEach * WORLD_BYTES_PER_ROW) });
    for (const id of ids) expect(await lectern.world(id)).toBeDefined();
    expect(lectern.resident().institutions).toBe(2);
    expect(lectern.resident().estimatedBytes).toBeLessThanOrEqual(lectern.worldBudgetBytes);

    // Using ids[2] makes ids[3] the least recently used: loading ids[0] drops ids[3], not ids[2].
    const w2 = await lectern.world(ids[2]!);
    const w0 = await lectern.world(ids[0]!);
    expect(lectern.resident().institutions).toBe(2);
    expect(await lectern.world(ids[2]!)).toBe(w2);
    expect(await lectern.world(ids[0]!)).toBe(w0);

    // A write while a world is away is in it when it comes back; a write through this process
    // to a dropped world loads it first.
    ok(await setup.run(SYSTEM, ids[3]!, 'user.create', { id: 'late', email: 'late@example.edu', firstName: 'Late', lastName: 'Comer' }));
    const back = (await lectern.world(ids[3]!))!;
    expect(back.user('late')?.firstName).toBe('Late');
    const r = ok(await lectern.run(SYSTEM, ids[1]!, 'user.create', { id: 'fresh', email: 'fresh@example.edu', firstName: 'F', lastName: 'R' }));
    const w1 = (await lectern.world(ids[1]!))!;
    expect(w1.revision).toBe(r.revision);
    expect(w1.user('fresh')).toBeDefined();
    expect(lectern.resident().institutions).toBe(2);
    // Decisions from a reloaded world answer as before.
    const ada = lectern.principal(ids[1]!, 'ada');
    expect(lectern.check(w1, ada, 'unit.update', 'unit:physics').allow).toBe(true);
    expect(lectern.check(w1, ada, 'unit.update', 'unit:arts').allow).toBe(false);
  }, 120_000);

  it('keeps every world without a budget', async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    for (let i = 0; i < 3; i++) await smallInstitution(lectern);
    expect(lectern.resident().institutions).toBe(3);
  }, 120_000);
});
