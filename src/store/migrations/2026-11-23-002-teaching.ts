/**
 * Teaching (SPEC §6–7): terms, courses, sections, enrollments, capture schedules, classes, media,
 * publications, shares, settings (toggles), rooms and devices. Keys begin with the institution id.
 * Dates are ISO calendar dates kept as text (yyyy-mm-dd), free of time zones.
 */
import type { Kysely } from 'kysely';

type Col = [name: string, type: 'text' | 'boolean', notNull: boolean];

async function table(db: Kysely<unknown>, name: string, cols: Col[], key: string[]): Promise<void> {
  let t = db.schema.createTable(name).addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'));
  for (const [col, type, notNull] of cols) t = t.addColumn(col, type, (c) => (notNull ? c.notNull() : c));
  await t.addPrimaryKeyConstraint(`${name}_pk`, ['institution_id', ...key] as never).execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await table(db, 'term', [['id', 'text', true], ['unit_id', 'text', true], ['name', 'text', true], ['start_date', 'text', true], ['end_date', 'text', true]], ['id']);
  await table(db, 'course', [['id', 'text', true], ['unit_id', 'text', true], ['name', 'text', true]], ['id']);
  await table(db, 'section', [['id', 'text', true], ['course_id', 'text', true], ['term_id', 'text', true], ['name', 'text', true]], ['id']);
  await table(db, 'enrollment', [['section_id', 'text', true], ['user_id', 'text', true], ['role', 'text', true]], ['section_id', 'user_id']);
  await db.schema.createIndex('enrollment_by_user').on('enrollment').columns(['institution_id', 'user_id']).execute();
  await table(
    db,
    'schedule',
    [['id', 'text', true], ['section_id', 'text', false], ['unit_id', 'text', true], ['presenter_id', 'text', false], ['room_id', 'text', false], ['name', 'text', true]],
    ['id'],
  );
  await table(db, 'class', [['id', 'text', true], ['section_id', 'text', true], ['kind', 'text', true], ['name', 'text', true]], ['id']);
  await table(
    db,
    'media',
    [['id', 'text', true], ['owner_id', 'text', true], ['presenter_id', 'text', false], ['origin', 'text', true], ['locked', 'boolean', true], ['title', 'text', true]],
    ['id'],
  );
  await table(db, 'publication', [['media_id', 'text', true], ['class_id', 'text', true], ['published_by', 'text', true]], ['media_id', 'class_id']);
  await table(db, 'media_share', [['media_id', 'text', true], ['user_id', 'text', true], ['shared_by', 'text', true]], ['media_id', 'user_id']);
  await table(
    db,
    'setting',
    [['scope_type', 'text', true], ['scope_id', 'text', true], ['key', 'text', true], ['value', 'text', true], ['allows_override', 'boolean', true]],
    ['scope_type', 'scope_id', 'key'],
  );
  await table(db, 'room', [['id', 'text', true], ['name', 'text', true]], ['id']);
  await table(db, 'device', [['id', 'text', true], ['room_id', 'text', false], ['name', 'text', true], ['configuration', 'text', true]], ['id']);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['device', 'room', 'setting', 'media_share', 'publication', 'media', 'class', 'schedule', 'enrollment', 'section', 'course', 'term']) {
    await db.schema.dropTable(t).execute();
  }
}
