/**
 * A generated OneRoster district export at scale: imported, imported again (every row unchanged,
 * no new revision), then a delta (renames and removals) that changes exactly its rows. The normal
 * suite runs a fiftieth of a district; `npm run test:long` the full 200 orgs, 50,000 users, 5,000
 * classes and 250,000 enrollments (its throughput is measured by `npm run bench -- --only oneroster`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOneRoster } from '../../src/integrations/oneroster/import.js';
import { openPath, openZipBuffer, type Source } from '../../src/integrations/oneroster/source.js';
import { SYSTEM } from '../../src/policy/index.js';
import { Lectern } from '../../src/services/lectern.js';
import type { Store } from '../../src/store/store.js';
import { DRIVERS, freshId, ok, openTestStore } from '../helpers.js';
import { DISTRICT, deltaFiles, district, districtDelta, writeDistrict, zipOf, type DistrictSize } from '../oneroster-gen.js';
import { LONG } from './config.js';

const SIZE: DistrictSize = LONG ? DISTRICT : { orgs: 20, users: 1_000, classes: 100, enrollments: 5_000 };

async function tally(lectern: Lectern, inst: string, source: Source): Promise<Record<string, number>> {
  const c: Record<string, number> = {};
  try {
    for await (const batch of importOneRoster(lectern, SYSTEM, inst, source)) {
      for (const r of batch) {
        const k = r.status === 'ok' ? (r.changed ? 'applied' : 'unchanged') : `${r.status}: ${r.file} line ${r.line}: ${r.message}`;
        c[k] = (c[k] ?? 0) + 1;
      }
    }
  } finally {
    source.close();
  }
  return c;
}

describe.each(DRIVERS)('a OneRoster district (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let dir: string;
  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    dir = await mkdtemp(join(tmpdir(), 'oneroster-district-'));
    await writeDistrict(dir, SIZE);
  });
  afterAll(async () => {
    await store?.dropSchemaAndClose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`imports ${SIZE.users} users and ${SIZE.enrollments} enrollments, re-imports them as a no-op, and applies a delta`, { timeout: LONG ? 3_600_000 : 300_000 }, async () => {
    const inst = freshId('district');
    ok(await lectern.run(SYSTEM, inst, 'institution.create', { id: inst, name: 'District' }));
    const d = district(SIZE);
    const rows = SIZE.orgs + 3 + d.courses + SIZE.classes + SIZE.users + SIZE.enrollments;
    expect(await tally(lectern, inst, await openPath(dir))).toEqual({ applied: rows });
    const w = (await lectern.refresh(inst))!;
    expect(w.tree.units.size).toBe(SIZE.orgs + 1);
    expect(w.tables.section.size).toBe(SIZE.classes);
    expect(w.tables.enrollment.size).toBe(SIZE.enrollments);
    expect(w.tables.user.size).toBe(SIZE.users);
    const revision = w.revision;

    expect(await tally(lectern, inst, await openPath(dir))).toEqual({ unchanged: rows });
    expect((await lectern.refresh(inst))!.revision).toBe(revision);

    const { users, enrollments } = districtDelta(SIZE);
    expect(await tally(lectern, inst, await openZipBuffer(await zipOf(deltaFiles(users, enrollments))))).toEqual({ applied: users.length + enrollments.length });
    const w2 = (await lectern.refresh(inst))!;
    expect(w2.tables.enrollment.size).toBe(SIZE.enrollments - enrollments.length);
    expect(w2.user('stu-100')!.firstName).toBe('Renamed');
    expect(w2.user('stu-101')!.firstName).toBe('Student');
  });
});
