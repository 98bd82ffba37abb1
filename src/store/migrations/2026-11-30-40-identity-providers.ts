/**
 * Single sign-on (issue 14): an institution's identity providers (replicated, like every row a
 * decision or an operation reads), the sign-in requests in flight (OIDC state, nonce and PKCE
 * verifier; SAML request ids), and the SAML assertion ids already accepted, so a replay is refused
 * by whichever server process it reaches.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('identity_provider')
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('identity_provider_pk', ['institution_id', 'id'])
    .execute();
  await db.schema
    .createTable('sso_request')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_request_pk', ['institution_id', 'id'])
    .execute();
  await db.schema
    .createTable('sso_assertion')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('assertion_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_assertion_pk', ['institution_id', 'provider_id', 'assertion_id'])
    .execute();
  await sql`create index sso_assertion_expiry on sso_assertion (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['sso_assertion', 'sso_request', 'identity_provider']) await db.schema.dropTable(t).execute();
}
