/**
 * Collections, libraries and feature grants (SPEC §8–9). Media may live in a library.
 */
import { type Kysely, sql } from 'kysely';

async function table(db: Kysely<unknown>, name: string, cols: [string, 'text' | 'boolean', boolean][], key: string[]): Promise<void> {
  let t = db.schema.createTable(name).addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'));
  for (const [col, type, notNull] of cols) t = t.addColumn(col, type, (c) => (notNull ? c.notNull() : c));
  await t.addPrimaryKeyConstraint(`${name}_pk`, ['institution_id', ...key] as never).execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await table(db, 'collection', [['id', 'text', true], ['name', 'text', true], ['created_by', 'text', true]], ['id']);
  // level is reviewer … manager, or custom with the permissions listed (comma-separated).
  await table(db, 'collection_member', [['collection_id', 'text', true], ['user_id', 'text', true], ['level', 'text', true], ['permissions', 'text', true]], ['collection_id', 'user_id']);
  await db.schema.createIndex('collection_member_by_user').on('collection_member').columns(['institution_id', 'user_id']).execute();
  await table(db, 'collection_media', [['collection_id', 'text', true], ['media_id', 'text', true], ['added_by', 'text', true]], ['collection_id', 'media_id']);
  await table(db, 'library', [['id', 'text', true], ['unit_id', 'text', true], ['name', 'text', true]], ['id']);
  await table(db, 'library_member', [['library_id', 'text', true], ['user_id', 'text', true], ['role', 'text', true]], ['library_id', 'user_id']);
  await table(db, 'default_library', [['user_id', 'text', true], ['library_id', 'text', true]], ['user_id']);
  await table(db, 'feature_grant', [['user_id', 'text', true], ['feature', 'text', true]], ['user_id', 'feature']);
  await sql`alter table media add column library_id text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table media drop column library_id`.execute(db);
  for (const t of ['feature_grant', 'default_library', 'library_member', 'library', 'collection_media', 'collection_member', 'collection']) {
    await db.schema.dropTable(t).execute();
  }
}
