/**
 * The license CSV (SPEC §5, §10, §13) through importCsv/exportCsv: malformed rows and headers,
 * BOM, CRLF, quoting, empty lines, formula escaping; dry runs that report exactly what the real run
 * then does; refused rows that change nothing; the export → import round trip; who may import and
 * export; and seats freed by deactivation and by losing academic staff.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM, type Principal } from '../src/policy/index.js';
import { exportCsv, ImportRefused, importCsv } from '../src/services/imports/csv.js';
import { licenseKind } from '../src/services/imports/licenses.js';
import { Lectern, type BatchRow, type RowResult } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, freshId, ok, openTestStore } from './helpers.js';

const P1 = 'ID 2026-01-01-000001';
const P2 = 'ID 2026-01-02-000002';
const HEADER = 'Username,Action,License ID\r\n';

describe.each(DRIVERS)('license CSV (%s)', (driver) => {
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
   * root > science > physics, root > arts. sam system admin; lm license manager; lma license
   * manager + admin of science; ada, bea, kc ("King, Ada"), fx ("=SUM(1+1)") academic staff in
   * physics; art academic staff in arts; stu a student. P2 (3 seats) created before P1 (2 seats).
   */
  async function institution(opts: { site?: boolean } = {}): Promise<string> {
    const inst = freshId('lic');
    ok(await lectern.run(SYSTEM, inst, 'institution.create', { id: inst, name: 'Licensing U', personalCaptureLicensing: opts.site ? 'site' : 'packs' }));
    const rows: Omit<BatchRow, 'line'>[] = [
      { op: 'unit.create', args: { id: 'science', parent: inst } },
      { op: 'unit.create', args: { id: 'physics', parent: 'science' } },
      { op: 'unit.create', args: { id: 'arts', parent: inst } },
    ];
    const users: [string, string | undefined, string | undefined][] = [
      ['sam', undefined, undefined], ['lm', undefined, undefined], ['lma', undefined, undefined], ['ada', undefined, 'physics'],
      ['bea', undefined, 'physics'], ['kc', 'King, Ada', 'physics'], ['fx', '=SUM(1+1)', 'physics'], ['art', undefined, 'arts'], ['stu', undefined, undefined],
    ];
    for (const [id, username, unit] of users) {
      rows.push({ op: 'user.create', args: { id, email: `${id}@example.edu`, firstName: id, lastName: 'Test', ...(username ? { username } : {}) } });
      if (unit) rows.push({ op: 'role.grant', args: { user: id, role: 'academic_staff', scope: unit } });
    }
    rows.push(
      { op: 'role.grant', args: { user: 'sam', role: 'system_admin' } },
      { op: 'role.grant', args: { user: 'lm', role: 'license_manager' } },
      { op: 'role.grant', args: { user: 'lma', role: 'license_manager' } },
      { op: 'role.grant', args: { user: 'lma', role: 'admin', scope: 'science' } },
      { op: 'licensePack.create', args: { id: P2, seats: 3 } },
      { op: 'licensePack.create', args: { id: P1, seats: 2 } },
    );
    const results = await lectern.runRows(SYSTEM, inst, rows.map((r, i) => ({ line: i + 1, ...r }) as BatchRow));
    expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    return inst;
  }

  const as = (inst: string, user: string): Principal => lectern.principal(inst, user);

  async function imp(inst: string, who: Principal, text: string | Buffer, dryRun = false): Promise<RowResult[]> {
    const out: RowResult[] = [];
    for await (const batch of importCsv(lectern, who, inst, licenseKind, Readable.from([text]), { dryRun, batchSize: 3 })) out.push(...batch);
    return out;
  }
  const refusedImport = async (inst: string, who: Principal, text: string) => {
    try {
      await imp(inst, who, text);
    } catch (e) {
      if (e instanceof ImportRefused) return e.refusal;
      throw e;
    }
    throw new Error('the import was not refused');
  };
  const brief = (rs: RowResult[]) => rs.map((r) => `${r.line}:${r.status === 'ok' ? (r.changed ? 'applied' : 'unchanged') : `${r.status}/${r.code}${r.field ? `/${r.field}` : ''}`}`);
  const seats = async (inst: string) => {
    const w = (await lectern.refresh(inst))!;
    return [...w.tables.licenseAssignment.values()].map((a) => `${a.userId}:${a.packId}`).sort();
  };
  const exported = async (inst: string, who: Principal) => [...exportCsv(licenseKind, (await lectern.refresh(inst))!, who)].join('');

  it('refuses malformed rows one by one, naming the column', async () => {
    const inst = await institution();
    const file = [
      'Username,Action,License ID',
      `ada,grant,${P1}`, // 2 bad action
      'ada,assign,ID 2026-13-01-000001', // 3 not a calendar date
      'ada,assign,PCAP-0001', // 4 not the ID format
      `nobody@example.edu,assign,${P1}`, // 5 unknown user
      'ada,assign', // 6 too few columns
      `ada,assign,${P1},extra`, // 7 too many columns
      'ada,revoke,', // 8 License ID required for revoke
      `,assign,${P1}`, // 9 Username required
      `ada,assign,ID 2099-01-01-000009`, // 10 no such pack
      `ada,ASSIGN,${P1}`, // 11 the action is not case-sensitive
    ].join('\n');
    const results = await imp(inst, SYSTEM, file);
    expect(brief(results)).toEqual([
      '2:invalid/enum/Action',
      '3:invalid/format/License ID',
      '4:invalid/format/License ID',
      '5:notFound/notFound/Username',
      '6:invalid/columnCount',
      '7:invalid/columnCount',
      '8:invalid/required/License ID',
      '9:invalid/required/Username',
      '10:notFound/notFound/License ID',
      '11:applied',
    ]);
    expect(results[1]!.status !== 'ok' && results[1]!.message).toMatch(/License ID: .*not a calendar date/);
    expect(results[0]!.status !== 'ok' && results[0]!.message).toMatch(/not 'grant'/);
    expect(await seats(inst)).toEqual([`ada:${P1}`]);
  });

  it('refuses a bad header before any row runs, with the code and the column', async () => {
    const inst = await institution();
    expect(await refusedImport(inst, SYSTEM, `Username,Action\nada,autoassign\n`)).toMatchObject({ status: 'invalid', code: 'missingColumn', field: 'License ID' });
    expect(await refusedImport(inst, SYSTEM, `Username,Action,License ID,Note\nada,autoassign,,x\n`)).toMatchObject({ code: 'unknownColumn', field: 'Note' });
    expect(await refusedImport(inst, SYSTEM, `Username,Action,Action\n`)).toMatchObject({ code: 'duplicateColumn', field: 'Action' });
    expect(await refusedImport(inst, SYSTEM, ``)).toMatchObject({ code: 'missingHeader' });
    expect(await seats(inst)).toEqual([]);
    // Columns in another order and other case are the same file.
    expect(brief(await imp(inst, SYSTEM, `license id,USERNAME,action\n${P1},ada,assign\n`))).toEqual(['2:applied']);
  });

  it('reads a UTF-8 BOM, CRLF line ends, quoted fields with commas and empty lines', async () => {
    const inst = await institution();
    const text = `\uFEFF${HEADER}\r\n"King, Ada",autoassign,\r\n\r\n"ada@example.edu","assign","${P2}"\r\n  bea  , autoassign ,  \r\n`;
    const results = await imp(inst, SYSTEM, Buffer.from(text, 'utf8'));
    expect(brief(results)).toEqual(['3:applied', '5:applied', '6:applied']);
    expect(await seats(inst)).toEqual([`ada:${P2}`, `bea:${P1}`, `kc:${P1}`]);
  });

  it('escapes formula cells in the export, and reads them back as the same user', async () => {
    const inst = await institution();
    ok(await lectern.run(SYSTEM, inst, 'license.assign', { user: 'fx', pack: P1 }));
    ok(await lectern.run(SYSTEM, inst, 'license.assign', { user: 'kc', pack: P2 }));
    const text = await exported(inst, SYSTEM);
    expect(text).toBe(`${HEADER}'=SUM(1+1),assign,${P1}\r\n"King, Ada",assign,${P2}\r\n`);
    expect(brief(await imp(inst, SYSTEM, text))).toEqual(['2:unchanged', '3:unchanged']);
  });

  it('a dry run writes nothing and reports exactly what the real run then does', async () => {
    const inst = await institution();
    ok(await lectern.run(SYSTEM, inst, 'license.assign', { user: 'bea', pack: P1 }));
    const before = (await lectern.refresh(inst))!.revision;
    // P1 (2 seats, 1 taken) then P2 (3 seats): five autoassigns want four seats; revokes free one mid-file.
    const file = `${HEADER}ada,autoassign,\r\nkc,autoassign,\r\nart,autoassign,\r\nfx,autoassign,\r\nstu,autoassign,\r\nbea,revoke,${P1}\r\nlma,autoassign,\r\nada,revokeall,\r\nbea,assign,${P1}\r\nbea,assign,${P1}\r\nada,revoke,${P1}\r\n`;
    const dry = await imp(inst, SYSTEM, file, true);
    expect((await lectern.refresh(inst))!.revision).toBe(before);
    expect(await seats(inst)).toEqual([`bea:${P1}`]);
    const real = await imp(inst, SYSTEM, file);
    const strip = (rs: RowResult[]) => rs.map((r) => (r.status === 'ok' ? { ...r, revision: undefined } : r));
    expect(strip(real)).toEqual(strip(dry));
    expect(brief(real)).toEqual([
      '2:applied', '3:applied', '4:applied', '5:applied', '6:conflict/notAcademicStaff/Username',
      '7:applied', '8:conflict/notAcademicStaff/Username', '9:applied', '10:applied', '11:unchanged', '12:notFound/notFound/License ID',
    ]);
    expect(await seats(inst)).toEqual([`art:${P2}`, `bea:${P1}`, `fx:${P2}`, `kc:${P2}`]);
  });

  it('a refused row changes nothing, and the rows around it still apply', async () => {
    const inst = await institution();
    ok(await lectern.run(SYSTEM, inst, 'license.assign', { user: 'ada', pack: P1 }));
    const before = (await lectern.refresh(inst))!.revision;
    const onlyRefused = `${HEADER}stu,assign,${P1}\r\nada,revoke,${P2}\r\nghost,revokeall,\r\n`;
    expect(brief(await imp(inst, SYSTEM, onlyRefused))).toEqual(['2:conflict/notAcademicStaff/Username', '3:notFound/notFound/License ID', '4:notFound/notFound/Username']);
    expect((await lectern.refresh(inst))!.revision).toBe(before);
    expect(await seats(inst)).toEqual([`ada:${P1}`]);
    expect(brief(await imp(inst, SYSTEM, `${HEADER}bea,assign,${P1}\r\nkc,assign,${P1}\r\nfx,assign,${P2}\r\n`))).toEqual(['2:applied', '3:conflict/noFreeSeat/License ID', '4:applied']);
    expect(await seats(inst)).toEqual([`ada:${P1}`, `bea:${P1}`, `fx:${P2}`]);
  });

  it('export → import reports every row unchanged', async () => {
    const inst = await institution();
    expect(brief(await imp(inst, SYSTEM, `${HEADER}ada,assign,${P1}\r\nada,assign,${P2}\r\nbea,autoassign,\r\nart,autoassign,\r\nfx,autoassign,\r\n`))).toEqual(
      ['2:applied', '3:applied', '4:applied', '5:applied', '6:applied'],
    );
    const text = await exported(inst, as(inst, 'lm'));
    expect(text.trim().split('\r\n')).toHaveLength(6);
    const back = await imp(inst, SYSTEM, text);
    expect(back).toHaveLength(5);
    expect(back.every((r) => r.status === 'ok' && !r.changed)).toBe(true);
  });

  it('names users by username or by email (any case)', async () => {
    const inst = await institution();
    expect(brief(await imp(inst, SYSTEM, `${HEADER}ada,assign,${P1}\r\nBEA@Example.edu,assign,${P1}\r\nbea,assign,${P1}\r\nada@example.edu,revoke,${P1}\r\n`))).toEqual(
      ['2:applied', '3:applied', '4:unchanged', '5:applied'],
    );
    expect(await seats(inst)).toEqual([`bea:${P1}`]);
  });

  it('autoassign takes the first pack by ID with a free seat, and revokeall frees every seat', async () => {
    const inst = await institution();
    const results = await imp(inst, SYSTEM, `${HEADER}ada,autoassign,${P2}\r\nbea,autoassign,\r\nkc,autoassign,\r\nbea,autoassign,\r\nada,assign,${P2}\r\n`);
    // The License ID on an autoassign row is ignored; P1 sorts first although P2 was created first.
    expect(results.map((r) => (r.status === 'ok' ? r.result : r.code))).toEqual([
      { user: 'ada', pack: P1 }, { user: 'bea', pack: P1 }, { user: 'kc', pack: P2 }, { user: 'bea', pack: P1 }, { user: 'ada', pack: P2 },
    ]);
    const revoked = await imp(inst, SYSTEM, `${HEADER}ada,revokeall,${P1}\r\nada,revokeall,\r\n`);
    expect(brief(revoked)).toEqual(['2:applied', '3:unchanged']);
    expect(revoked[0]!.status === 'ok' && revoked[0]!.result).toEqual({ user: 'ada', revoked: [P1, P2] });
    expect(await seats(inst)).toEqual([`bea:${P1}`, `kc:${P2}`]);
  });

  it('under site licensing, assignment is refused as unnecessary (conflict)', async () => {
    const inst = await institution({ site: true });
    expect(brief(await imp(inst, SYSTEM, `${HEADER}ada,assign,${P1}\r\nbea,autoassign,\r\n`))).toEqual(['2:conflict/siteLicensing', '3:conflict/siteLicensing']);
    const w = (await lectern.refresh(inst))!;
    expect(lectern.check(w, as(inst, 'lm'), 'license.view', `institution:${inst}`).allow).toBe(true);
    expect(await seats(inst)).toEqual([]);
  });

  it('a license manager alone may export but not import or assign', async () => {
    const inst = await institution();
    ok(await lectern.run(SYSTEM, inst, 'license.assign', { user: 'ada', pack: P1 }));
    expect(await exported(inst, as(inst, 'lm'))).toBe(`${HEADER}ada,assign,${P1}\r\n`);
    expect(await refusedImport(inst, as(inst, 'lm'), `${HEADER}bea,autoassign,\r\n`)).toMatchObject({ status: 'denied', code: 'denied' });
    expect((await lectern.run(as(inst, 'lm'), inst, 'license.assign', { user: 'bea', pack: P1 })).status).toBe('denied');
    expect((await lectern.run(as(inst, 'lm'), inst, 'license.revokeall', { user: 'ada' })).status).toBe('denied');
    // Neither an admin without license manager, nor a student, may export.
    expect(await exported(inst, as(inst, 'lma'))).toBe(`${HEADER}ada,assign,${P1}\r\n`);
    expect(await exported(inst, as(inst, 'stu'))).toBe(HEADER);
    expect(await refusedImport(inst, as(inst, 'stu'), `${HEADER}bea,autoassign,\r\n`)).toMatchObject({ status: 'denied' });
    expect(await seats(inst)).toEqual([`ada:${P1}`]);
  });

  it('a license manager who is an admin licenses only academic staff within their unit', async () => {
    const inst = await institution();
    const results = await imp(inst, as(inst, 'lma'), `${HEADER}ada,assign,${P1}\r\nart,assign,${P1}\r\nbea,autoassign,\r\nart,autoassign,\r\nstu,autoassign,\r\nart,revokeall,\r\n`);
    expect(brief(results)).toEqual(['2:applied', '3:denied/denied', '4:applied', '5:denied/denied', '6:conflict/notAcademicStaff', '7:denied/denied']);
    expect(results[1]!.status !== 'ok' && results[1]!.message).toMatch(/outside lma's admin rights/);
    expect(await seats(inst)).toEqual([`ada:${P1}`, `bea:${P1}`]);
  });

  it('deactivating a user or revoking their academic staff role frees their seats', async () => {
    const inst = await institution();
    ok(await lectern.run(SYSTEM, inst, 'license.assign', { user: 'ada', pack: P1 }));
    ok(await lectern.run(SYSTEM, inst, 'license.assign', { user: 'ada', pack: P2 }));
    ok(await lectern.run(SYSTEM, inst, 'license.assign', { user: 'bea', pack: P1 }));
    expect((await lectern.run(SYSTEM, inst, 'license.assign', { user: 'kc', pack: P1 })).status).toBe('conflict');
    ok(await lectern.run(SYSTEM, inst, 'user.deactivate', { user: 'ada' }));
    expect(await seats(inst)).toEqual([`bea:${P1}`]);
    // A deactivated user cannot be licensed again, and the freed seat goes to someone else.
    expect(brief(await imp(inst, SYSTEM, `${HEADER}ada,autoassign,\r\nkc,assign,${P1}\r\n`))).toEqual(['2:conflict/deactivated/Username', '3:applied']);
    ok(await lectern.run(SYSTEM, inst, 'role.revoke', { user: 'bea', role: 'academic_staff', scope: 'physics' }));
    expect(await seats(inst)).toEqual([`kc:${P1}`]);
    // The state in the store agrees with the world in memory.
    const fresh = (await new Lectern(store).world(inst))!;
    expect([...fresh.tables.licenseAssignment.values()].map((a) => `${a.userId}:${a.packId}`)).toEqual([`kc:${P1}`]);
  });
});
