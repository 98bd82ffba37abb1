/**
 * The foundation schema: institutions, units, users, role grants, the changelog, the audit log,
 * credentials, API tokens and console sessions. Every key begins with the institution id.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('institution')
    .addColumn('institution_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('delegated_administration', 'boolean', (c) => c.notNull())
    .addColumn('student_library', 'boolean', (c) => c.notNull())
    .addColumn('personal_capture_licensing', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('unit')
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('unit_pk', ['institution_id', 'id'])
    .execute();

  await db.schema
    .createTable('app_user')
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('first_name', 'text', (c) => c.notNull())
    .addColumn('last_name', 'text', (c) => c.notNull())
    .addColumn('identity_provider', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('app_user_pk', ['institution_id', 'id'])
    .execute();
  await sql`create unique index app_user_username on app_user (institution_id, username)`.execute(db);
  await sql`create unique index app_user_email on app_user (institution_id, lower(email))`.execute(db);

  await db.schema
    .createTable('role_grant')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('scope_type', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_grant_pk', ['institution_id', 'user_id', 'role', 'scope_type', 'scope_id'])
    .addForeignKeyConstraint('role_grant_user', ['institution_id', 'user_id'], 'app_user', ['institution_id', 'id'])
    .execute();

  // One row per committed revision, written in the same transaction as the change it records.
  await db.schema
    .createTable('changelog')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('changes', 'json', (c) => c.notNull())
    .addColumn('committed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('changelog_pk', ['institution_id', 'revision'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('changes', 'json', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_log_pk', ['institution_id', 'revision'])
    .execute();
  // Append-only: the database itself refuses to rewrite history.
  await sql`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin raise exception 'audit_log is append-only'; end $$`.execute(db);
  await sql`
    create trigger audit_log_no_rewrite before update or delete on audit_log
    for each row execute function audit_log_append_only()`.execute(db);

  await db.schema
    .createTable('credential')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('credential_pk', ['institution_id', 'user_id'])
    .addForeignKeyConstraint('credential_user', ['institution_id', 'user_id'], 'app_user', ['institution_id', 'id'], (f) =>
      f.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('api_token')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addPrimaryKeyConstraint('api_token_pk', ['institution_id', 'id'])
    .addForeignKeyConstraint('api_token_user', ['institution_id', 'user_id'], 'app_user', ['institution_id', 'id'], (f) =>
      f.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('console_session')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('console_session_pk', ['institution_id', 'id'])
    .addForeignKeyConstraint('console_session_user', ['institution_id', 'user_id'], 'app_user', ['institution_id', 'id'], (f) =>
      f.onDelete('cascade'),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['console_session', 'api_token', 'credential', 'audit_log', 'changelog', 'role_grant', 'app_user', 'unit', 'institution']) {
    await db.schema.dropTable(t).execute();
  }
  await sql`drop function if exists audit_log_append_only`.execute(db);
}
