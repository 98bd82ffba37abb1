/**
 * Custom roles and institution role names (docs/ROLES.md): the roles an institution defines (their
 * capabilities as JSON text), who holds them where, and each institution's display names for the
 * built-in roles and access levels. All three are replicated into the world.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('custom_role')
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('scope_kind', 'text', (c) => c.notNull())
    .addColumn('unit_id', 'text', (c) => c.notNull())
    .addColumn('capabilities', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('custom_role_pk', ['institution_id', 'id'])
    .execute();
  await db.schema
    .createTable('custom_role_grant')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('role_id', 'text', (c) => c.notNull())
    .addColumn('scope_type', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('custom_role_grant_pk', ['institution_id', 'user_id', 'role_id', 'scope_type', 'scope_id'])
    .addForeignKeyConstraint('custom_role_grant_user', ['institution_id', 'user_id'], 'app_user', ['institution_id', 'id'])
    .addForeignKeyConstraint('custom_role_grant_role', ['institution_id', 'role_id'], 'custom_role', ['institution_id', 'id'])
    .execute();
  await db.schema
    .createTable('role_name')
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_name_pk', ['institution_id', 'role'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['role_name', 'custom_role_grant', 'custom_role']) await db.schema.dropTable(t).execute();
}
