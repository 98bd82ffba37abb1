/**
 * Text at the HTTP and auth boundary (issue 13): control characters, lone surrogates and over-long
 * values are refused with `invalid` naming the field — never a 500, never stored differently from
 * what was sent; operation and import-kind names that are Object.prototype's answer 400/404 before
 * anything is locked; CSV files that are not UTF-8 are refused with the line and byte offset.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { ImportRefused, importCsv } from '../src/services/imports/csv.js';
import { kindNamed } from '../src/services/imports/kinds.js';
import { checkUtf8, scanUtf8 } from '../src/services/imports/utf8.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';

const CSRF = { 'x-lectern-csrf': '1' };

describe.each(DRIVERS)('text at the boundary (%s)', (driver) => {
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
    headers = { authorization: `Bearer ${(await auth.createToken(inst, 'sam', 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const revision = async () => (await store.currentRevision(inst))!;
  const expectInvalid = (res: { statusCode: number; json(): unknown }, field: string) => {
    expect(res.statusCode, JSON.stringify(res.json())).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid', field, message: expect.stringContaining(`${field}:`) });
  };

  it('refuses control characters, lone surrogates and over-long values at sign-in, tokens, audit filters and rootName', async () => {
    const before = await revision();
    const signIn = (payload: object) => app.inject({ method: 'POST', url: '/v1/session', headers: CSRF, payload });
    expectInvalid(await signIn({ institution: inst, username: 'ro\u0000ot', password: 'whatever-password' }), 'username');
    expectInvalid(await signIn({ institution: `${inst}\ud800`, username: 'root', password: 'whatever-password' }), 'institution');
    expectInvalid(await signIn({ institution: inst, username: 'root', password: 'bell\u0007password' }), 'password');
    expectInvalid(await app.inject({ method: 'POST', url: '/v1/tokens', headers, payload: { name: 'ci\u001b[31m' } }), 'name');
    expectInvalid(await app.inject({ method: 'GET', url: `/v1/audit?actor=${encodeURIComponent('sam\u0000')}`, headers }), 'actor');
    expectInvalid(await app.inject({ method: 'GET', url: `/v1/audit?target=${encodeURIComponent('user\u007f')}`, headers }), 'target');
    expectInvalid(await app.inject({ method: 'GET', url: `/v1/audit?target=${'x'.repeat(5000)}`, headers }), 'target');
    expectInvalid(await app.inject({ method: 'GET', url: `/v1/users/${encodeURIComponent('ro\u0000ot')}`, headers }), 'id');
    expectInvalid(
      await app.inject({ method: 'POST', url: '/v1/operations', headers, payload: { do: 'institution.create', with: { id: 'nul-inst', name: 'N', rootName: 'Root\u0000Unit' } } }),
      'with.rootName',
    );
    expectInvalid(await app.inject({ method: 'POST', url: '/v1/operations', headers, payload: { do: 'user.update', with: { user: 'stu', firstName: 'y'.repeat(20_000) } } }), 'with.firstName');
    expect(await store.currentRevision('nul-inst')).toBeUndefined();
    expect(await revision()).toBe(before);
    // Tab, line feed and ordinary Unicode (with surrogate pairs) are text.
    const fine = await app.inject({ method: 'POST', url: '/v1/tokens', headers, payload: { name: 'ci\tbot 🎓 Zoë' } });
    expect(fine.statusCode).toBe(201);
    expect((await app.inject({ url: '/v1/tokens', headers })).json().items.some((t: { name: string }) => t.name === 'ci\tbot 🎓 Zoë')).toBe(true);
  });

  it('answers 400 for operations named like Object.prototype, and 404 for such import kinds, changing nothing', async () => {
    const before = await revision();
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const res = await app.inject({ method: 'POST', url: '/v1/operations', headers, payload: { do: name, with: {} } });
      expect(res.statusCode, name).toBe(400);
      expect(res.json()).toMatchObject({ code: 'unknownOperation', field: 'do' });
      const imp = await app.inject({ method: 'POST', url: `/v1/imports/${name}`, headers: { ...headers, 'content-type': 'text/csv' }, payload: 'Id\r\nx\r\n' });
      expect(imp.statusCode, name).toBe(404);
      expect((await app.inject({ url: `/v1/exports/${name}`, headers })).statusCode, name).toBe(404);
      expect(kindNamed(name)).toBeUndefined();
      expect(await lectern.run(SYSTEM, inst, name, {})).toMatchObject({ status: 'invalid', code: 'unknownOperation' });
    }
    expect(await revision()).toBe(before);
  });

  it('refuses a CSV upload that is not UTF-8 with the line and byte offset, writing nothing', async () => {
    const before = await revision();
    const good = Buffer.from('Id,Username,Email,First Name,Last Name\r\nzoe,zoe,zoe@example.edu,Zoë,Ng\r\n');
    const bad = Buffer.concat([good, Buffer.from('bad,bad,bad@example.edu,'), Buffer.from([0xe9]), Buffer.from('mile,X\r\n')]);
    const res = await app.inject({ method: 'POST', url: '/v1/imports/users', headers: { ...headers, 'content-type': 'text/csv' }, payload: bad });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'notUtf8', field: 'file' });
    expect(res.json().message).toMatch(new RegExp(`line 3, byte offset ${good.length + 'bad,bad,bad@example.edu,'.length}\\b`));
    expect(await revision()).toBe(before);
    expect((await lectern.world(inst))!.user('zoe')).toBeUndefined();
    // The same file through the streaming reader (the CLI's), cut into 1-byte chunks: same place.
    const chunks = Readable.from([...bad].map((b) => Buffer.from([b])));
    const run = async () => {
      for await (const _ of importCsv(lectern, SYSTEM, inst, kindNamed('users')!, chunks, { dryRun: true })) void _;
    };
    const err = await run().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ImportRefused);
    expect((err as ImportRefused).refusal).toMatchObject({ code: 'notUtf8', message: expect.stringMatching(/^line 3, byte offset/) });
    // Valid UTF-8 (two-, three- and four-byte characters) goes through as it is.
    const ok = await app.inject({ method: 'POST', url: '/v1/imports/users', headers: { ...headers, 'content-type': 'text/csv' }, payload: good });
    expect(ok.statusCode).toBe(200);
    expect((await lectern.refresh(inst))!.user('zoe')!.firstName).toBe('Zoë');
  });
});

describe('the UTF-8 scanner', () => {
  it('accepts UTF-8 and finds the first bad byte, overlong forms, surrogates and cut-off characters', () => {
    expect(scanUtf8(Buffer.from('aé€🎓'))).toEqual({});
    expect(scanUtf8(Buffer.from([0x61, 0xc0, 0xaf]))).toEqual({ bad: 1 }); // overlong '/'
    expect(scanUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toEqual({ bad: 0 }); // a UTF-16 surrogate
    expect(scanUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toEqual({ bad: 0 }); // past U+10FFFF
    expect(scanUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toEqual({ incomplete: 1 });
    expect(checkUtf8(Buffer.from('a\nb\n\xff', 'latin1'))).toMatchObject({ code: 'notUtf8', message: expect.stringMatching(/^line 3, byte offset 4:/) });
  });
});
