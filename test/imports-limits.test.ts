/**
 * SPEC §10, an import never holds the server hostage: a file whose every row so far is refused for
 * the same reason stops early with that reason, and an upload over the row cap answers 413 naming
 * the cap before any row runs.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('import limits (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let inst: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    headers = { authorization: `Bearer ${(await auth.createToken(inst, 'root', 'test')).token}`, 'content-type': 'text/csv' };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    delete process.env.LECTERN_IMPORT_MAX_ROWS;
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const ghosts = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `delete,ghost${from + i}`).join('\r\n');

  it('stops a file whose rows are all refused for one reason, with that reason, having written nothing', async () => {
    const before = await store.currentRevision(inst);
    const rows = 12_000;
    const res = await app.inject({ method: 'POST', url: '/v1/imports/users', headers, payload: `Action,Id\r\n${ghosts(rows)}\r\n` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'allRowsRefused', field: 'Id' });
    const stoppedAfter = Number(/first (\d+) rows/.exec(res.json().message)![1]);
    expect(stoppedAfter).toBeGreaterThanOrEqual(1000);
    expect(stoppedAfter).toBeLessThan(rows);
    expect(res.json().message).toMatch(/notFound/);
    expect(await store.currentRevision(inst)).toBe(before);
  });

  it('runs a file to the end once any row is applied or refused for another reason', async () => {
    const mixed = `Action,Id,Username,Email,First Name,Last Name\r\n,newbie,newbie,newbie@example.edu,New,Bie\r\n${Array.from({ length: 1500 }, (_, i) => `delete,ghost${i},,,,`).join('\r\n')}\r\n`;
    const res = await app.inject({ method: 'POST', url: '/v1/imports/users?dryRun=true', headers, payload: mixed });
    expect(res.statusCode).toBe(200);
    expect(res.json().summary).toMatchObject({ rows: 1501, applied: 1, refused: 1500 });
    // A short file refused throughout is answered row by row (it is over before the early stop).
    const short = await app.inject({ method: 'POST', url: '/v1/imports/users', headers, payload: `Action,Id\r\n${ghosts(20)}\r\n` });
    expect(short.statusCode).toBe(200);
    expect(short.json().summary).toMatchObject({ rows: 20, refused: 20 });
  });

  it('answers 413 naming the cap for an upload with more rows than LECTERN_IMPORT_MAX_ROWS', async () => {
    const before = await store.currentRevision(inst);
    process.env.LECTERN_IMPORT_MAX_ROWS = '5';
    try {
      const six = `Id,Username,Email,First Name,Last Name\r\n${Array.from({ length: 6 }, (_, i) => `cap${i},cap${i},cap${i}@example.edu,C,${i}`).join('\r\n')}\r\n`;
      const res = await app.inject({ method: 'POST', url: '/v1/imports/users', headers, payload: six });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 'tooManyRows', field: 'file', message: expect.stringMatching(/at most 5 .*LECTERN_IMPORT_MAX_ROWS/) });
      expect(await store.currentRevision(inst)).toBe(before);
      const lic = await app.inject({ method: 'POST', url: '/v1/licenses/import', headers, payload: `Username,Action,License ID\r\n${'stu,assign,p1\r\n'.repeat(6)}` });
      expect(lic.statusCode).toBe(413);
      const five = six.split('\r\n').slice(0, 6).join('\r\n');
      expect((await app.inject({ method: 'POST', url: '/v1/imports/users?dryRun=true', headers, payload: five })).statusCode).toBe(200);
    } finally {
      delete process.env.LECTERN_IMPORT_MAX_ROWS;
    }
  });
});
