/**
 * Media details (issue 20; SPEC §7 "edit details": title, description and tags). Existing media
 * get an empty description and no tags. Tags are kept as a JSON list of text, in the order given.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('media')
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('media')
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('media').dropColumn('tags').execute();
  await db.schema.alterTable('media').dropColumn('description').execute();
}
