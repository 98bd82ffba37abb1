/**
 * OneRoster links (docs/PROVISIONING.md): which Lectern object a OneRoster sourcedId names, per
 * institution and kind (org, academicSession, course, class, user, enrollment). Written with the
 * object in the same operation, so a re-import finds what an earlier one created.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oneroster_link')
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('sourced_id', 'text', (c) => c.notNull())
    .addColumn('lectern_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('oneroster_link_pk', ['institution_id', 'kind', 'sourced_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oneroster_link').execute();
}
