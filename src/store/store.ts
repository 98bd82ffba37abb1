/**
 * The store: the only code that speaks SQL. PostgreSQL is the source of truth, reached through
 * Kysely over PGlite (embedded, the default) or node-postgres (`DATABASE_URL`).
 *
 * Writes go through `write()`: one transaction that locks the institution's revision counter,
 * applies row changes, appends the changelog entry and the audit entry, and bumps the revision.
 * Because every writer of an institution takes that lock first, revisions commit in order and a
 * reader that has applied revision N has seen every change up to N.
 */
import { PGlite } from '@electric-sql/pglite';
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect, sql, type Migration, type Transaction } from 'kysely';
import pg from 'pg';
import { redactRow, TABLE_KEYS, type Change, type InstitutionRow, type TableName, type TableRows } from '../domain/rows.js';
import * as m001 from './migrations/2026-11-23-001-foundation.js';
import * as m002 from './migrations/2026-11-23-002-teaching.js';
import * as m003 from './migrations/2026-11-23-003-licensing.js';
import * as m004 from './migrations/2026-11-23-004-collections.js';
import * as m020 from './migrations/2026-11-30-20-user-names.js';
import * as m060 from './migrations/2026-11-30-60-scim.js';
import * as m065 from './migrations/2026-11-30-65-oneroster-links.js';
import * as m50lti from './migrations/2026-11-30-50-lti.js';
import * as m040 from './migrations/2026-11-30-40-identity-providers.js';
import * as m030 from './migrations/2026-11-30-30-auth-hardening.js';
import * as m070 from './migrations/2026-11-30-70-custom-roles.js';
import * as m080 from './migrations/2026-11-30-80-media-details.js';
import * as m081 from './migrations/2026-11-30-81-activity.js';
import { pgliteDialect } from './pglite-dialect.js';
import { DataDirLock } from './lock.js';

const MIGRATIONS: Record<string, Migration> = {
  '2026-11-23-001-foundation': m001,
  '2026-11-23-002-teaching': m002,
  '2026-11-23-003-licensing': m003,
  '2026-11-23-004-collections': m004,
  '2026-11-30-20-user-names': m020,
  '2026-11-30-60-scim': m060,
  '2026-11-30-65-oneroster-links': m065,
  '2026-11-30-50-lti': m50lti,
  '2026-11-30-40-identity-providers': m040,
  '2026-11-30-30-auth-hardening': m030,
  '2026-11-30-70-custom-roles': m070,
  '2026-11-30-80-media-details': m080,
  '2026-11-30-81-activity': m081,
};

/** Table names in SQL (camelCase here; the plugin writes snake_case). */
const SQL_TABLE = {
  institution: 'institution',
  unit: 'unit',
  user: 'appUser',
  roleGrant: 'roleGrant',
  term: 'term',
  course: 'course',
  section: 'section',
  enrollment: 'enrollment',
  schedule: 'schedule',
  class: 'class',
  media: 'media',
  publication: 'publication',
  mediaShare: 'mediaShare',
  setting: 'setting',
  room: 'room',
  device: 'device',
  licensePack: 'licensePack',
  licenseAssignment: 'licenseAssignment',
  collection: 'collection',
  collectionMember: 'collectionMember',
  collectionMedia: 'collectionMedia',
  library: 'library',
  libraryMember: 'libraryMember',
  defaultLibrary: 'defaultLibrary',
  featureGrant: 'featureGrant',
  scimToken: 'scimToken',
  scimUser: 'scimUser',
  scimGroup: 'scimGroup',
  onerosterLink: 'onerosterLink',
  ltiPlatform: 'ltiPlatform',
  ltiContext: 'ltiContext',
  ltiAccount: 'ltiAccount',
  ltiEnrollment: 'ltiEnrollment',
  identityProvider: 'identityProvider',
  customRole: 'customRole',
  customRoleGrant: 'customRoleGrant',
  roleName: 'roleName',
} as const satisfies Record<TableName, string>;

/** Replicated tables in load order (parents before children). */
const LOAD_ORDER: TableName[] = [
  'institution', 'unit', 'user', 'roleGrant', 'term', 'course', 'section', 'enrollment', 'room', 'device', 'schedule', 'class',
  'media', 'publication', 'mediaShare', 'setting', 'licensePack', 'licenseAssignment', 'library', 'libraryMember',
  'defaultLibrary', 'featureGrant', 'collection', 'collectionMember', 'collectionMedia', 'onerosterLink', 'identityProvider',
  'scimToken', 'scimUser', 'scimGroup',
  'ltiPlatform', 'ltiContext', 'ltiAccount', 'ltiEnrollment',
  'customRole', 'customRoleGrant', 'roleName',
];

/** Defaults of columns added after their tables (migrations 80 and 81), as rows hold them. */
const COLUMN_DEFAULTS: Partial<Record<Change['table'], Record<string, unknown>>> = {
  institution: { activityRetentionDays: 365 },
  media: { description: '', tags: '[]' },
};
const INSTITUTION_COLUMNS = ['institutionId', 'name', 'delegatedAdministration', 'studentLibrary', 'personalCaptureLicensing', 'activityRetentionDays'] as const;

// Kysely's typed builder buys little for these generic, table-driven statements.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export interface AuditEntry {
  institutionId: string;
  revision: number;
  at: Date;
  actor: string;
  operation: string;
  target: string;
  changes: { table: string; key: string; before: unknown; after: unknown }[];
}

/** One authentication event: a sign-in, sign-out, password change or reset, token, ended session. */
export interface AuthEvent {
  institutionId: string;
  actor: string;
  operation: string;
  target: string;
  /** The client's address ('' when there is none, e.g. the CLI or a trigger). */
  address: string;
  outcome: string;
  detail?: unknown;
}

export interface StoreOptions {
  /** PostgreSQL connection string; absent means embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; absent means in memory. */
  dataDir?: string;
  /** PostgreSQL schema to use (tests isolate themselves in a fresh one). */
  schema?: string;
}

export class Store {
  private constructor(
    readonly db: AnyDb,
    readonly kind: 'pglite' | 'postgres',
    private readonly closeDriver: () => Promise<void>,
    readonly schema: string = 'public',
  ) {}

  static async open(opts: StoreOptions = {}): Promise<Store> {
    const plugins = [new CamelCasePlugin()];
    if (opts.databaseUrl) {
      const pool = new pg.Pool({
        connectionString: opts.databaseUrl,
        max: 10,
        connectionTimeoutMillis: 5000,
        ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
      });
      // An idle connection the server dropped (a restart) must not bring the process down; the pool
      // replaces it on the next checkout.
      pool.on('error', () => {});
      // Likewise a connection dropped in the middle of a query: the query fails (and the request
      // answers 503); the connection must not take the process with it.
      pool.on('connect', (client) => client.on('error', () => {}));
      if (opts.schema) {
        const c = await pool.connect();
        try {
          await c.query(`create schema if not exists "${opts.schema}"`);
        } finally {
          c.release();
        }
      }
      const db = new Kysely({ dialect: new PostgresDialect({ pool }), plugins });
      const store = new Store(db, 'postgres', () => db.destroy(), opts.schema ?? 'public');
      store.databaseUrl = opts.databaseUrl;
      return store;
    }
    // One process per data directory (src/store/lock.ts): a second opener fails here, at once.
    const lock = opts.dataDir ? DataDirLock.acquire(opts.dataDir) : undefined;
    let lite: PGlite;
    try {
      lite = opts.dataDir ? new PGlite(opts.dataDir) : new PGlite();
      await lite.waitReady;
    } catch (e) {
      lock?.release();
      throw e;
    }
    const db = new Kysely({ dialect: pgliteDialect(lite), plugins });
    return new Store(db, 'pglite', async () => {
      try {
        await db.destroy();
        await lite.close();
      } finally {
        lock?.release();
      }
    });
  }

  /** Where a PostgreSQL store connects (a listener needs its own connection). */
  databaseUrl: string | undefined;

  /** The NOTIFY channel of this store's schema: commits announce `institution:revision` on it. */
  get channel(): string {
    return `lectern_changes_${this.schema.replace(/[^a-z0-9_]/gi, '_')}`.toLowerCase();
  }

  /**
   * Calls `onCommit(institutionId, revision)` for every revision another process commits
   * (PostgreSQL LISTEN/NOTIFY on a dedicated connection, re-established after a failure, with
   * `onReconnect` called so the caller can catch up on what it missed). PGlite is one process:
   * there is nobody else to hear from, and this does nothing.
   */
  listen(onCommit: (institutionId: string, revision: number) => void, onReconnect: () => void = () => {}): () => Promise<void> {
    if (this.kind !== 'postgres' || !this.databaseUrl) return async () => {};
    let client: pg.Client | undefined;
    let stopped = false;
    let delay = 100;
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const c = new pg.Client({ connectionString: this.databaseUrl });
      // Whether the connection ends, errs or never opens, exactly one retry is scheduled for it.
      let retried = false;
      const retry = (): void => {
        if (retried || stopped) return;
        retried = true;
        if (client === c) client = undefined;
        void c.end().catch(() => {});
        setTimeout(() => void connect().then(onReconnect, () => {}), delay);
        delay = Math.min(delay * 2, 5000);
      };
      c.on('error', retry);
      c.on('end', retry);
      c.on('notification', (n) => {
        const payload = n.payload ?? '';
        const at = payload.lastIndexOf(':');
        if (at > 0) onCommit(payload.slice(0, at), Number(payload.slice(at + 1)));
      });
      try {
        await c.connect();
        await c.query(`listen ${this.channel}`);
        client = c;
        delay = 100;
      } catch {
        await c.end().catch(() => {});
        retry();
      }
    };
    void connect();
    return async () => {
      stopped = true;
      await client?.end().catch(() => {});
    };
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({
      db: this.db,
      // Without a schema Kysely would take another schema's migration tables for ours.
      migrationTableSchema: this.schema,
      provider: { getMigrations: async () => MIGRATIONS },
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`);
    }
  }

  async close(): Promise<void> {
    await this.closeDriver();
  }

  /** Drops this store's own PostgreSQL schema (tests isolate themselves in one), then closes. */
  async dropSchemaAndClose(): Promise<void> {
    if (this.kind === 'postgres' && this.schema !== 'public') {
      await sql`drop schema if exists ${sql.id(this.schema)} cascade`.execute(this.db);
    }
    await this.close();
  }

  /** Empties every table (a fresh database for the next scenario file). */
  async reset(): Promise<void> {
    const replicated = LOAD_ORDER.map((t) => sql.table(SQL_TABLE[t]));
    const others = ['consoleSession', 'apiToken', 'credential', 'auditLog', 'changelog', 'authEvent', 'signInFailure', 'userName', 'ltiKey', 'ltiLogin', 'ltiSync', 'ltiRefusal', 'ssoRequest', 'ssoAssertion', 'activityEvent'].map((t) => sql.table(t));
    await sql`truncate ${sql.join([...others, ...replicated])}`.execute(this.db);
  }

  async listInstitutions(): Promise<{ institutionId: string; name: string; revision: number }[]> {
    return this.db.selectFrom('institution').select(['institutionId', 'name', 'revision']).orderBy('institutionId').execute();
  }

  /** Every replicated row of one institution, as puts, with the revision they reflect. */
  async loadInstitution(institutionId: string): Promise<{ revision: number; changes: Change[] } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      // Repeatable read is what makes the rows and the revision agree on PostgreSQL.
      if (this.kind === 'postgres') await sql`set transaction isolation level repeatable read`.execute(trx);
      const inst = await trx
        .selectFrom('institution')
        .select([...INSTITUTION_COLUMNS, 'revision'])
        .where('institutionId', '=', institutionId)
        .executeTakeFirst();
      if (!inst) return undefined;
      const { revision, ...instRow } = inst;
      const changes: Change[] = [{ table: 'institution', op: 'put', row: instRow }];
      for (const table of LOAD_ORDER.slice(1)) {
        const rows = await trx.selectFrom(SQL_TABLE[table]).selectAll().where('institutionId', '=', institutionId).execute();
        for (const row of rows) changes.push({ table, op: 'put', row } as Change);
      }
      return { revision: Number(revision), changes };
    });
  }

  async changesSince(institutionId: string, revision: number): Promise<{ revision: number; changes: Change[] }[]> {
    const rows = await this.db
      .selectFrom('changelog')
      .select(['revision', 'changes'])
      .where('institutionId', '=', institutionId)
      .where('revision', '>', revision)
      .orderBy('revision')
      .execute();
    return rows.map((r) => ({ revision: Number(r.revision), changes: parseJson(r.changes) as Change[] }));
  }

  async currentRevision(institutionId: string): Promise<number | undefined> {
    const r = await this.db.selectFrom('institution').select('revision').where('institutionId', '=', institutionId).executeTakeFirst();
    return r ? Number(r.revision) : undefined;
  }

  /**
   * Runs `fn` in one transaction holding the institution's write lock. `fn` receives the revision
   * the store is at; whatever it returns through `commit` is written with revision + 1.
   */
  async write<T>(institutionId: string, fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => fn(new WriteTx(trx, institutionId, this.kind === 'postgres' ? this.channel : undefined)));
  }

  /**
   * Loads a whole institution at once (a restore, or a benchmark's generated university): its rows
   * in one transaction as revision 1, with one changelog and audit entry naming the load rather than
   * repeating every row. Refused if the institution exists.
   */
  async seed(row: InstitutionRow, changes: Change[], actor: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('institution').values({ ...row, revision: 0 }).execute();
      const db = trx as unknown as AnyDb;
      await applyChanges(db, changes.filter((c) => c.table !== 'institution'), this.kind === 'postgres');
      await db.insertInto('changelog').values({ institutionId: row.institutionId, revision: 1, changes: JSON.stringify([{ table: 'institution', op: 'put', row }]) }).execute();
      await db
        .insertInto('auditLog')
        .values({ institutionId: row.institutionId, revision: 1, actor, operation: 'institution.seed', target: `institution:${row.institutionId}`, changes: JSON.stringify([{ table: 'seed', key: row.institutionId, before: null, after: { rows: changes.length } }]) })
        .execute();
      await db.updateTable('institution').set({ revision: 1 }).where('institutionId', '=', row.institutionId).execute();
    });
  }

  /** Creates an institution as its revision 1; a duplicate id fails with a unique violation. */
  async createInstitution(row: InstitutionRow, changes: Change[], audit: Omit<AuditEntry, 'institutionId' | 'revision' | 'at'>): Promise<void> {
    // An institution may arrive as raw rows (scenario files, fixtures) written before a column
    // existed. The changelog must carry what the tables will hold, column defaults included, so a
    // world replayed from it (another process) equals one loaded from the tables; the rows are
    // filled in place so the caller's world, built from the same changes, holds them too.
    // (Missing columns go last, where the table and a loaded row have them.)
    const filled = <R extends object>(r: R, defaults: Record<string, unknown> | undefined): R =>
      defaults ? ({ ...r, ...Object.fromEntries(Object.entries(defaults).filter(([k]) => !(k in r))) } as R) : r;
    row = filled(row, COLUMN_DEFAULTS.institution);
    for (const c of changes) if (c.op === 'put') (c as { row: object }).row = filled(c.row, COLUMN_DEFAULTS[c.table]);
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('institution').values({ ...row, revision: 0 }).execute();
      await new WriteTx(trx as never, row.institutionId, this.kind === 'postgres' ? this.channel : undefined).commit(1, changes, audit);
    });
  }

  async audit(
    institutionId: string,
    filter: { actor?: string; target?: string; since?: Date; until?: Date; limit?: number } = {},
  ): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('auditLog').selectAll().where('institutionId', '=', institutionId);
    if (filter.actor) q = q.where('actor', '=', filter.actor);
    if (filter.target) q = q.where('target', 'like', `%${filter.target.replace(/[%_\\]/g, '\\$&')}%`);
    if (filter.since) q = q.where('at', '>=', filter.since);
    if (filter.until) q = q.where('at', '<=', filter.until);
    const rows = await q
      .orderBy('revision', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map((r) => ({ ...r, revision: Number(r.revision), changes: parseJson(r.changes) }) as AuditEntry);
  }

  // --- authentication events and sign-in failures (issue 13; not replicated into the world) ---

  async recordAuthEvent(e: AuthEvent): Promise<void> {
    await this.db
      .insertInto('authEvent')
      .values({ ...e, detail: e.detail === undefined ? null : JSON.stringify(e.detail) })
      .execute();
  }

  async authEvents(institutionId: string, filter: { actor?: string; target?: string; since?: Date; until?: Date; limit?: number } = {}): Promise<(AuthEvent & { at: Date })[]> {
    let q = this.db.selectFrom('authEvent').select(['institutionId', 'at', 'actor', 'operation', 'target', 'address', 'outcome', 'detail']).where('institutionId', '=', institutionId);
    if (filter.actor) q = q.where('actor', '=', filter.actor);
    if (filter.target) q = q.where('target', 'like', `%${filter.target.replace(/[%_\\]/g, '\\$&')}%`);
    if (filter.since) q = q.where('at', '>=', filter.since);
    if (filter.until) q = q.where('at', '<=', filter.until);
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit ?? 100).execute();
    return rows.map((r) => ({ ...r, detail: r.detail === null ? undefined : parseJson(r.detail) }) as AuthEvent & { at: Date });
  }

  /** Failed sign-ins counted under each key since `since` (keys with none are absent). */
  async signInFailures(institutionId: string, keys: string[], since: Date): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('signInFailure')
      .select(['key', 'count'])
      .where('institutionId', '=', institutionId)
      .where('key', 'in', keys)
      .where('since', '>', since)
      .execute();
    return new Map(rows.map((r) => [r.key as string, Number(r.count)]));
  }

  /** Counts one more failure under each key; a count older than `since` starts again at 1. */
  async recordSignInFailure(institutionId: string, keys: string[], since: Date): Promise<void> {
    const rows = sql.join(keys.map((key) => sql`(${institutionId}, ${key}, 1, now())`));
    await sql`insert into sign_in_failure (institution_id, key, count, since) values ${rows}
      on conflict (institution_id, key) do update set
        count = case when sign_in_failure.since > ${since} then sign_in_failure.count + 1 else 1 end,
        since = case when sign_in_failure.since > ${since} then sign_in_failure.since else now() end`.execute(this.db);
    // Now and then, forget windows that have passed, so guessed names do not pile up.
    if (Math.random() < 0.01) await this.db.deleteFrom('signInFailure').where('since', '<=', since).execute();
  }

  async clearSignInFailures(institutionId: string, keys: string[]): Promise<void> {
    await this.db.deleteFrom('signInFailure').where('institutionId', '=', institutionId).where('key', 'in', keys).execute();
  }

  // --- credentials, tokens, sessions (not replicated into the world) ---

  /** Sets a password; `temporary` marks one the user must change at the next sign-in. */
  async setPassword(institutionId: string, userId: string, passwordHash: string, temporary = false): Promise<void> {
    await this.db
      .insertInto('credential')
      .values({ institutionId, userId, passwordHash, temporary })
      .onConflict((oc) => oc.columns(['institutionId', 'userId']).doUpdateSet({ passwordHash, temporary }))
      .execute();
  }

  async credential(institutionId: string, userId: string): Promise<{ passwordHash: string; temporary: boolean } | undefined> {
    return this.db
      .selectFrom('credential')
      .select(['passwordHash', 'temporary'])
      .where('institutionId', '=', institutionId)
      .where('userId', '=', userId)
      .executeTakeFirst() as Promise<{ passwordHash: string; temporary: boolean } | undefined>;
  }

  /** Ends a user's sessions, all or all but one (by id); answers how many ended. */
  async deleteSessions(institutionId: string, userId: string, exceptId?: string): Promise<number> {
    let q = this.db.deleteFrom('consoleSession').where('institutionId', '=', institutionId).where('userId', '=', userId);
    if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Lifts the password-change requirement from one session (after it changed the password). */
  async sessionPasswordChanged(institutionId: string, id: string): Promise<void> {
    await this.db.updateTable('consoleSession').set({ passwordChangeRequired: false }).where('institutionId', '=', institutionId).where('id', '=', id).execute();
  }

  async passwordHash(institutionId: string, userId: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('credential')
      .select('passwordHash')
      .where('institutionId', '=', institutionId)
      .where('userId', '=', userId)
      .executeTakeFirst();
    return r?.passwordHash as string | undefined;
  }

  async createToken(t: { institutionId: string; id: string; userId: string; name: string; tokenHash: string }): Promise<void> {
    await this.db.insertInto('apiToken').values(t).execute();
  }

  async findToken(tokenHash: string): Promise<{ institutionId: string; id: string; userId: string } | undefined> {
    return this.db
      .selectFrom('apiToken')
      .select(['institutionId', 'id', 'userId'])
      .where('tokenHash', '=', tokenHash)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
  }

  async listTokens(institutionId: string, userId?: string): Promise<{ id: string; userId: string; name: string; createdAt: Date; revokedAt: Date | null }[]> {
    let q = this.db.selectFrom('apiToken').select(['id', 'userId', 'name', 'createdAt', 'revokedAt']).where('institutionId', '=', institutionId);
    if (userId) q = q.where('userId', '=', userId);
    return q.orderBy('createdAt').execute();
  }

  async revokeToken(institutionId: string, id: string): Promise<boolean> {
    const r = await this.db
      .updateTable('apiToken')
      .set({ revokedAt: new Date() })
      .where('institutionId', '=', institutionId)
      .where('id', '=', id)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async createSession(s: { institutionId: string; id: string; userId: string; tokenHash: string; expiresAt: Date; passwordChangeRequired?: boolean }): Promise<void> {
    await this.db.insertInto('consoleSession').values(s).execute();
  }

  async findSession(tokenHash: string): Promise<{ institutionId: string; id: string; userId: string; passwordChangeRequired: boolean } | undefined> {
    return this.db
      .selectFrom('consoleSession')
      .select(['institutionId', 'id', 'userId', 'passwordChangeRequired'])
      .where('tokenHash', '=', tokenHash)
      .where('expiresAt', '>', new Date())
      .executeTakeFirst();
  }

  /** Ends one session; answers whose it was (undefined: there was none). */
  async deleteSession(tokenHash: string): Promise<{ institutionId: string; userId: string } | undefined> {
    return this.db.deleteFrom('consoleSession').where('tokenHash', '=', tokenHash).returning(['institutionId', 'userId']).executeTakeFirst() as Promise<
      { institutionId: string; userId: string } | undefined
    >;
  }

  // --- single sign-on: requests in flight and accepted SAML assertions (not replicated) ---

  /** Keeps a sign-in request (OIDC state, SAML request id) until it is answered or expires. */
  async saveSsoRequest(r: { institutionId: string; id: string; providerId: string; data: string; expiresAt: Date }): Promise<void> {
    // Requests nobody answered go as new ones come.
    await this.db.deleteFrom('ssoRequest').where('institutionId', '=', r.institutionId).where('expiresAt', '<', new Date()).execute();
    await this.db.insertInto('ssoRequest').values(r).execute();
  }

  /** A request still in flight, without taking it. */
  async findSsoRequest(institutionId: string, id: string): Promise<{ providerId: string; data: string } | undefined> {
    return this.db
      .selectFrom('ssoRequest')
      .select(['providerId', 'data'])
      .where('institutionId', '=', institutionId)
      .where('id', '=', id)
      .where('expiresAt', '>', new Date())
      .executeTakeFirst();
  }

  /** Takes a request: it answers once, whichever process the answer reaches. */
  async takeSsoRequest(institutionId: string, id: string): Promise<{ providerId: string; data: string } | undefined> {
    const r = await this.db
      .deleteFrom('ssoRequest')
      .where('institutionId', '=', institutionId)
      .where('id', '=', id)
      .returning(['providerId', 'data', 'expiresAt'])
      .executeTakeFirst();
    return r && new Date(r.expiresAt as string | Date) > new Date() ? { providerId: r.providerId as string, data: r.data as string } : undefined;
  }

  /**
   * Records an assertion id as used; false when it was already (a replay). Expired records are
   * dropped on the way.
   */
  async useSsoAssertion(a: { institutionId: string; providerId: string; assertionId: string; expiresAt: Date }): Promise<boolean> {
    await this.db.deleteFrom('ssoAssertion').where('expiresAt', '<', new Date()).execute();
    await this.db.deleteFrom('ssoRequest').where('expiresAt', '<', new Date()).execute();
    const r = await this.db
      .insertInto('ssoAssertion')
      .values(a)
      .onConflict((oc) => oc.columns(['institutionId', 'providerId', 'assertionId']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}

/** The write side of one transaction, bound to one institution. */
export class WriteTx {
  constructor(
    private readonly trx: Transaction<Record<string, never>>,
    readonly institutionId: string,
    /** The NOTIFY channel to announce the commit on (PostgreSQL only). */
    private readonly channel?: string,
  ) {}

  private get db(): AnyDb {
    return this.trx as unknown as AnyDb;
  }

  /** Takes the institution's write lock and returns its revision (undefined: no such institution). */
  async lock(): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('institution')
      .select('revision')
      .where('institutionId', '=', this.institutionId)
      .forUpdate()
      .executeTakeFirst();
    return r ? Number(r.revision) : undefined;
  }

  async changesSince(revision: number): Promise<{ revision: number; changes: Change[] }[]> {
    const rows = await this.db
      .selectFrom('changelog')
      .select(['revision', 'changes'])
      .where('institutionId', '=', this.institutionId)
      .where('revision', '>', revision)
      .orderBy('revision')
      .execute();
    return rows.map((r) => ({ revision: Number(r.revision), changes: parseJson(r.changes) as Change[] }));
  }

  /** Persists the changes as revision `revision`, with the changelog and audit entries. */
  async commit(revision: number, changes: Change[], audit: Omit<AuditEntry, 'institutionId' | 'revision' | 'at'>): Promise<void> {
    for (const change of changes) {
      if (change.row.institutionId !== this.institutionId) {
        throw new Error(`change for institution ${change.row.institutionId} in a write to ${this.institutionId}`);
      }
    }
    // On PostgreSQL (the store that announces commits) batches go in through unnest.
    await applyChanges(this.db, changes, this.channel !== undefined);
    await this.db
      .insertInto('changelog')
      .values({ institutionId: this.institutionId, revision, changes: JSON.stringify(changes) })
      .execute();
    await this.db
      .insertInto('auditLog')
      .values({ institutionId: this.institutionId, revision, ...audit, changes: JSON.stringify(audit.changes.map((c) => ({ ...c, before: redactRow(c.table, c.before), after: redactRow(c.table, c.after) }))) })
      .execute();
    await this.db.updateTable('institution').set({ revision }).where('institutionId', '=', this.institutionId).execute();
    // Delivered when (and only if) the transaction commits, to every listening process.
    if (this.channel) await sql`select pg_notify(${this.channel}, ${`${this.institutionId}:${revision}`})`.execute(this.db);
  }
}

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A batch of rows as one INSERT … SELECT FROM unnest(column arrays): a handful of parameters
 * however many rows, which PostgreSQL parses and plans far faster than thousands of VALUES.
 */
async function insertUnnest(db: AnyDb, table: string, columns: string[], keys: readonly string[], updatable: string[], rows: Record<string, unknown>[]): Promise<void> {
  const arrays = columns.map((c) => rows.map((r) => r[c] ?? null));
  const types = arrays.map((values) => {
    const v = values.find((x) => x !== null);
    return typeof v === 'boolean' ? 'boolean' : typeof v === 'number' ? 'integer' : 'text';
  });
  const cols = sql.join(columns.map((c) => sql.id(snake(c))));
  const source = sql.join(arrays.map((a, j) => sql`${a}::${sql.raw(types[j]!)}[]`));
  const target = sql.join(keys.map((k) => sql.id(snake(k))));
  const onConflict =
    updatable.length === 0
      ? sql`do nothing`
      : sql`do update set ${sql.join(updatable.map((c) => sql`${sql.id(snake(c))} = excluded.${sql.id(snake(c))}`))}`;
  await sql`insert into ${sql.id(snake(table))} (${cols}) select * from unnest(${source}) on conflict (${target}) ${onConflict}`.execute(db);
}

const TABLE_ORDER = new Map<TableName, number>(LOAD_ORDER.map((t, i) => [t, i]));

/**
 * The same changes with each run of puts (between deletes) ordered by table, parents first and
 * otherwise in their order: rows that interleave tables (a OneRoster row writes an object and its
 * link) then go in as one statement per table instead of one per row. Puts to different tables
 * commute, and a later put of the same key still comes later.
 */
function groupPuts(changes: Change[]): Change[] {
  const out: Change[] = [];
  let run: Change[] = [];
  const flush = () => {
    if (run.length > 1) run.sort((a, b) => TABLE_ORDER.get(a.table)! - TABLE_ORDER.get(b.table)!);
    for (const c of run) out.push(c);
    run = [];
  };
  // A run of deletes (between puts) goes children's tables first, each table's together: deletes of
  // different rows commute, and a table's deletes then go in as one statement.
  let dels: Change[] = [];
  const flushDels = () => {
    if (dels.length > 1) dels.sort((a, b) => TABLE_ORDER.get(b.table)! - TABLE_ORDER.get(a.table)!);
    for (const c of dels) out.push(c);
    dels = [];
  };
  for (const c of changes) {
    if (c.op === 'del') {
      flush();
      dels.push(c);
    } else {
      flushDels();
      run.push(c);
    }
  }
  flush();
  flushDels();
  return out;
}

/** A run of deletes from one table as one statement (the keys as column arrays on PostgreSQL). */
async function deleteMany(db: AnyDb, table: string, keys: readonly string[], rows: Record<string, unknown>[], unnest: boolean): Promise<void> {
  const cols = sql.join(keys.map((k) => sql.id(snake(k))));
  if (unnest) {
    const arrays = keys.map((k) => rows.map((r) => r[k] ?? null));
    const types = arrays.map((values) => (typeof values.find((x) => x !== null) === 'number' ? 'integer' : 'text'));
    await sql`delete from ${sql.id(snake(table))} where (${cols}) in (select * from unnest(${sql.join(arrays.map((a, j) => sql`${a}::${sql.raw(types[j]!)}[]`))}))`.execute(db);
    return;
  }
  await sql`delete from ${sql.id(snake(table))} where (${cols}) in (${sql.join(rows.map((r) => sql`(${sql.join(keys.map((k) => r[k]))})`))})`.execute(db);
}

/**
 * PGlite runs SQL on the server's own thread, at roughly a millisecond a row for the heavier tables
 * (bench/results/imports-fairness.md): statements of a few dozen rows, with the event loop free
 * between them (pglite-dialect.ts), keep other requests answered within tens of milliseconds while
 * an import's batch is written.
 */
const PGLITE_ROWS_PER_STATEMENT = 50;

async function applyChanges(db: AnyDb, given: Change[], unnest = false): Promise<void> {
  const changes = groupPuts(given);
  let i = 0;
  while (i < changes.length) {
    // Batch a run of puts to one table with distinct keys into one statement.
    const first = changes[i]!;
    const keys = TABLE_KEYS[first.table] as readonly string[];
    if (first.op === 'del') {
      const rows: Record<string, unknown>[] = [];
      while (i < changes.length && rows.length < (unnest ? 10_000 : PGLITE_ROWS_PER_STATEMENT)) {
        const c = changes[i]!;
        if (c.table !== first.table || c.op !== 'del') break;
        rows.push(c.row as unknown as Record<string, unknown>);
        i++;
      }
      if (rows.length === 1) {
        let q = db.deleteFrom(SQL_TABLE[first.table]);
        for (const k of keys) q = q.where(k, '=', rows[0]![k]);
        await q.execute();
      } else await deleteMany(db, SQL_TABLE[first.table], keys, rows, unnest);
      continue;
    }
    const batch: TableRows[TableName][] = [];
    const seen = new Set<string>();
    while (i < changes.length && batch.length < (unnest ? 10_000 : PGLITE_ROWS_PER_STATEMENT)) {
      const c = changes[i]!;
      if (c.table !== first.table || c.op !== 'put') break;
      const k = keys.map((key) => String((c.row as unknown as Record<string, unknown>)[key])).join('\u0000');
      if (seen.has(k)) break;
      seen.add(k);
      batch.push(c.row);
      i++;
    }
    const columns = Object.keys(batch[0]!);
    const updatable = columns.filter((c) => !keys.includes(c));
    if (unnest) {
      await insertUnnest(db, SQL_TABLE[first.table], columns, keys, updatable, batch as unknown as Record<string, unknown>[]);
      continue;
    }
    await db
      .insertInto(SQL_TABLE[first.table])
      .values(batch)
      .onConflict((oc) => {
        const target = oc.columns(keys as string[]);
        if (updatable.length === 0) return target.doNothing();
        return target.doUpdateSet(Object.fromEntries(updatable.map((c) => [c, sql.ref(`excluded.${c}`)])));
      })
      .execute();
  }
}

function parseJson(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}
