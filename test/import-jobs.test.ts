/**
 * Import jobs (SPEC §10, issue 13): an upload with ?async=true answers 202 with a status URL once
 * its header is read; the job reports progress and, when done, the same outcomes as the answer
 * without async; its rows page (all, or only the refused ones) with each row's own cells, and
 * download as a result file; only whoever started it sees it. Uploads stream to disk with the
 * caps checked on the way, and PGlite lets other work run between the statements of a long batch,
 * so one big import does not starve other requests or imports.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import { spool } from '../src/services/imports/spool.js';
import { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('import jobs (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let inst: string;
  let root: Record<string, string>;
  let ada: Record<string, string>;

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    root = { authorization: `Bearer ${(await auth.createToken(inst, 'root', 'test')).token}` };
    ada = { authorization: `Bearer ${(await auth.createToken(inst, 'ada', 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const upload = (url: string, body: string, headers = root) => app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'text/csv' }, payload: body });
  const get = (url: string, headers = root) => app.inject({ url, headers });
  async function waitDone(statusUrl: string) {
    for (;;) {
      const s = (await get(statusUrl)).json();
      if (s.state !== 'running') return s;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const users = (n: number, prefix: string) =>
    `Action,Id,Username,Email,First Name,Last Name\r\n${Array.from({ length: n }, (_, i) => (i % 10 === 9 ? `update,${prefix}ghost${i},,,,` : `,${prefix}${i},${prefix}${i},${prefix}${i}@example.edu,F${i},L${i}`)).join('\r\n')}\r\n`;

  it('answers 202 with a status URL, reports progress, and ends with the outcomes the synchronous answer gives', async () => {
    const file = users(300, 'j');
    const sync = await upload('/v1/imports/users?dryRun=true', file);
    expect(sync.statusCode).toBe(200);
    const res = await upload('/v1/imports/users?async=true', file);
    expect(res.statusCode).toBe(202);
    const started = res.json();
    expect(res.headers.location).toBe(started.statusUrl);
    expect(started.job).toMatchObject({ kind: 'users', state: expect.stringMatching(/running|done/), dryRun: false, startedBy: 'root', progress: { totalRows: 300 } });
    const done = await waitDone(started.statusUrl);
    expect(done).toMatchObject({ state: 'done', progress: { totalRows: 300, rowsDone: 300, applied: 270, refused: 30 } });
    // The same file, dry run and synchronous, reported exactly what the job then did.
    expect(done.summary).toEqual({ ...sync.json().summary, dryRun: false });
    const rows = (await get(`${started.resultsUrl}?limit=1000`)).json();
    expect(rows.total).toBe(300);
    expect(rows.items.map((r: { line: number; outcome: string }) => [r.line, r.outcome])).toEqual(sync.json().results.map((r: { line: number; outcome: string }) => [r.line, r.outcome === 'applied' ? 'applied' : r.outcome]));
    // Prefer: respond-async is the same as ?async=true.
    const again = await app.inject({ method: 'POST', url: '/v1/imports/users', headers: { ...root, 'content-type': 'text/csv', prefer: 'respond-async' }, payload: file });
    expect(again.statusCode).toBe(202);
    expect((await waitDone(again.json().statusUrl)).summary).toMatchObject({ rows: 300, applied: 0, unchanged: 270, refused: 30 });
  });

  it("pages the refused rows with the row's own cells and downloads the result file", async () => {
    const res = await upload('/v1/imports/users?async=true&dryRun=true', users(40, 'p'));
    const { statusUrl, resultsUrl, resultFileUrl } = res.json();
    await waitDone(statusUrl);
    const refused = (await get(`${resultsUrl}?outcome=refused&limit=2&offset=1`)).json();
    expect(refused.total).toBe(4);
    expect(refused.items).toEqual([
      { line: 21, outcome: 'notFound', reason: "Id: user 'pghost19' does not exist", code: 'notFound', field: 'Id', values: { Action: 'update', Id: 'pghost19', Username: '', Email: '', 'First Name': '', 'Last Name': '' } },
      { line: 31, outcome: 'notFound', reason: "Id: user 'pghost29' does not exist", code: 'notFound', field: 'Id', values: { Action: 'update', Id: 'pghost29', Username: '', Email: '', 'First Name': '', 'Last Name': '' } },
    ]);
    const first = (await get(`${resultsUrl}?limit=1`)).json();
    expect(first.items[0]).toMatchObject({ line: 2, outcome: 'applied', values: { Id: 'p0', Username: 'p0', Email: 'p0@example.edu' } });
    const csv = await get(resultFileUrl);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="users-results-/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('line,outcome,code,reason,Action,Id,Username,Email,First Name,Last Name,Identity Provider,Status');
    expect(lines).toHaveLength(41);
    expect(lines[2]).toBe('3,applied,,,,p1,p1,p1@example.edu,F1,L1,,');
    const onlyRefused = (await get(`${resultFileUrl}?outcome=refused`)).body.trim().split('\r\n');
    expect(onlyRefused.slice(1)).toEqual([11, 21, 31, 41].map((l) => `${l},notFound,notFound,Id: user 'pghost${l - 2}' does not exist,update,pghost${l - 2},,,,,,`));
  });

  it('shows a job only to whoever started it, and lists the caller’s own jobs', async () => {
    const res = await upload('/v1/imports/users?async=true&dryRun=true', users(3, 'o'));
    const { statusUrl, resultsUrl, job } = res.json();
    await waitDone(statusUrl);
    const other = await get(statusUrl, ada);
    expect(other.statusCode).toBe(403);
    expect(other.json().message).toMatch(/started by root/);
    expect((await get(resultsUrl, ada)).statusCode).toBe(403);
    expect((await get('/v1/imports/jobs', ada)).json().items.map((j: { id: string }) => j.id)).not.toContain(job.id);
    expect((await get('/v1/imports/jobs')).json().items[0].id).toBe(job.id);
    expect((await get('/v1/imports/jobs/nosuchjob')).statusCode).toBe(404);
  });

  it('refuses before any row, with the reason, what it refused synchronously: a bad header, a denied kind, bytes that are not UTF-8', async () => {
    const before = await store.currentRevision(inst);
    const header = await upload('/v1/imports/users?async=true', 'Id,Shoe Size\r\nx,42\r\n');
    expect(header.statusCode).toBe(400);
    expect(header.json()).toMatchObject({ code: 'unknownColumn', field: 'Shoe Size' });
    const deniedKind = await upload('/v1/imports/licenses?async=true', 'Username,Action,License ID\r\nada,autoassign,\r\n', ada);
    expect(deniedKind.statusCode).toBe(403);
    expect(deniedKind.json().message).toMatch(/license/);
    const latin1 = await app.inject({ method: 'POST', url: '/v1/imports/users?async=true', headers: { ...root, 'content-type': 'text/csv' }, payload: Buffer.from('Id,First Name\r\nzoe,Zo\xeb\r\n', 'latin1') });
    expect(latin1.statusCode).toBe(400);
    expect(latin1.json()).toMatchObject({ code: 'notUtf8', message: expect.stringMatching(/^line 2, byte offset 21/) });
    expect(await store.currentRevision(inst)).toBe(before);
  });

  it('streams an upload to disk, refusing past the byte or row cap and at the first byte that is not UTF-8', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spool-'));
    try {
      const chunks = (parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));
      const ok = await spool(chunks(['Id\r\n', 'a\r\n\r\nb', '\r\n']), join(dir, 'ok'), { maxBytes: 100, maxRows: 2, text: true });
      expect(ok).toEqual({ bytes: 12, dataLines: 2 });
      expect(await readFile(join(dir, 'ok'), 'utf8')).toBe('Id\r\na\r\n\r\nb\r\n');
      await expect(spool(chunks(['Id\r\n', 'a\r\nb\r\nc\r\n']), join(dir, 'rows'), { maxBytes: 100, maxRows: 2, text: true })).rejects.toMatchObject({ httpStatus: 413, refusal: { code: 'tooManyRows' } });
      await expect(spool(chunks(['Id\r\n', 'x'.repeat(200)]), join(dir, 'big'), { maxBytes: 100, text: true })).rejects.toMatchObject({ httpStatus: 413, refusal: { code: 'tooLarge' } });
      // A character split across chunks is fine; a bad byte is refused with its line.
      const e = Buffer.from('é');
      expect((await spool(Readable.from([Buffer.from('Id\n'), e.subarray(0, 1), e.subarray(1)]), join(dir, 'split'), { maxBytes: 100, text: true })).bytes).toBe(5);
      await expect(spool(Readable.from([Buffer.from('Id\na\n'), Buffer.from([0xff])]), join(dir, 'bad'), { maxBytes: 100, text: true })).rejects.toMatchObject({ httpStatus: 400, refusal: { code: 'notUtf8', message: expect.stringMatching(/^line 3/) } });
      // Nothing is left behind by a refused upload.
      await expect(readFile(join(dir, 'bad'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets a small import and other requests finish while a big one is still running', async () => {
    const big = await upload('/v1/imports/users?async=true', users(3000, 'big'));
    expect(big.statusCode).toBe(202);
    const small = await upload('/v1/imports/users', 'Id,Email,First Name,Last Name\r\nsmall1,small1@example.edu,S,One\r\n');
    expect(small.statusCode).toBe(200);
    expect(small.json().summary).toMatchObject({ rows: 1, applied: 1 });
    expect((await get('/v1/session')).statusCode).toBe(200);
    // Both were answered before the big import ended: it did not hold the server.
    const mid = (await get(big.json().statusUrl)).json();
    expect(mid.state).toBe('running');
    expect(mid.progress.rowsDone).toBeLessThan(3000);
    const done = await waitDone(big.json().statusUrl);
    expect(done.summary).toMatchObject({ rows: 3000, applied: 2700, refused: 300 });
  });
});

describe('PGlite and the event loop', () => {
  it('runs timers between the statements of a long transaction', async () => {
    const store = await Store.open({});
    try {
      await store.migrate();
      const fired: number[] = [];
      let statements = 0;
      const timer = setTimeout(() => fired.push(statements), 0);
      const db = store.db;
      const { sql } = await import('kysely');
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 20; i++) {
          await sql`select ${i}::int as n`.execute(trx as never);
          statements++;
        }
      });
      clearTimeout(timer);
      // The timer ran while the transaction was open, not after its 20 statements.
      expect(fired).toHaveLength(1);
      expect(fired[0]).toBeLessThan(20);
    } finally {
      await store.close();
    }
  });
});
