/**
 * SCIM 2.0 provisioning (docs/PROVISIONING.md): provisioning tokens, each user's external id, and
 * groups that bind a staff role at an org unit. All three are replicated into the world.
 */
import { type Kysely } from 'kysely';

async function table(db: Kysely<unknown>, name: string, cols: string[], key: string[]): Promise<void> {
  let t = db.schema.createTable(name).addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'));
  for (const col of cols) t = t.addColumn(col, 'text', (c) => c.notNull());
  await t.addPrimaryKeyConstraint(`${name}_pk`, ['institution_id', ...key] as never).execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await table(db, 'scim_token', ['id', 'owner_id', 'name', 'token_hash', 'created_at'], ['id']);
  await table(db, 'scim_user', ['user_id', 'external_id', 'employee_number', 'department'], ['user_id']);
  await table(db, 'scim_group', ['id', 'display_name', 'role', 'unit_id', 'external_id'], ['id']);
  // SCIM reads each resource's created and last-modified times from the audit log by target.
  await db.schema.createIndex('audit_log_by_target').on('audit_log').columns(['institution_id', 'target']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_log_by_target').execute();
  for (const t of ['scim_group', 'scim_user', 'scim_token']) await db.schema.dropTable(t).execute();
}
