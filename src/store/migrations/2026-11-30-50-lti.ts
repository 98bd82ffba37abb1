/**
 * LTI 1.3 (issue 15). Replicated into the world: platform registrations, the links from an LMS
 * context to a section, from a platform's user (`sub`) to a Lectern user, and the origin of
 * enrollments the LMS made. Kept in the store only: Lectern's own signing keys (private parts
 * never leave the store), pending logins (state and nonce, each usable once), the time of each
 * context's roster service and last sync, and the launches that were refused.
 */
import { type Kysely, sql } from 'kysely';

type Col = [string, 'text' | 'boolean' | 'integer' | 'timestamptz', boolean];

async function table(db: Kysely<unknown>, name: string, cols: Col[], key: string[]): Promise<void> {
  let t = db.schema.createTable(name).addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'));
  for (const [col, type, notNull] of cols) t = t.addColumn(col, type, (c) => (notNull ? c.notNull() : c));
  await t.addPrimaryKeyConstraint(`${name}_pk`, ['institution_id', ...key] as never).execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await table(
    db,
    'lti_platform',
    [
      ['id', 'text', true], ['name', 'text', true], ['issuer', 'text', true], ['client_id', 'text', true],
      // JSON: the deployment ids (a list) and the role mapping (LTI role → section role).
      ['deployment_ids', 'text', true], ['auth_url', 'text', true], ['jwks_url', 'text', true], ['token_url', 'text', true], ['token_audience', 'text', true],
      ['unit_id', 'text', true], ['role_mapping', 'text', true], ['user_match', 'text', true], ['create_users', 'boolean', true],
      ['staff_rule', 'text', true], ['sync_minutes', 'integer', true],
    ],
    ['id'],
  );
  await table(db, 'lti_context', [['platform_id', 'text', true], ['context_id', 'text', true], ['course_id', 'text', true], ['section_id', 'text', true], ['title', 'text', true]], ['platform_id', 'context_id']);
  await table(db, 'lti_account', [['platform_id', 'text', true], ['sub', 'text', true], ['user_id', 'text', true]], ['platform_id', 'sub']);
  await table(db, 'lti_enrollment', [['section_id', 'text', true], ['user_id', 'text', true], ['platform_id', 'text', true]], ['section_id', 'user_id']);

  await table(db, 'lti_key', [['kid', 'text', true], ['public_jwk', 'text', true], ['private_jwk', 'text', true], ['created_at', 'timestamptz', true], ['retired_at', 'timestamptz', false]], ['kid']);
  await table(db, 'lti_login', [['state', 'text', true], ['nonce', 'text', true], ['platform_id', 'text', true], ['expires_at', 'timestamptz', true]], ['state']);
  await table(db, 'lti_sync', [['platform_id', 'text', true], ['context_id', 'text', true], ['memberships_url', 'text', false], ['last_at', 'timestamptz', false]], ['platform_id', 'context_id']);
  await table(
    db,
    'lti_refusal',
    [['id', 'text', true], ['at', 'timestamptz', true], ['platform_id', 'text', false], ['code', 'text', true], ['message', 'text', true], ['detail', 'text', true]],
    ['id'],
  );
  await sql`create index lti_refusal_by_time on lti_refusal (institution_id, at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['lti_refusal', 'lti_sync', 'lti_login', 'lti_key', 'lti_enrollment', 'lti_account', 'lti_context', 'lti_platform']) {
    await db.schema.dropTable(t).execute();
  }
}
