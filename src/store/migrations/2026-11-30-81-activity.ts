/**
 * The student activity record (issue 20; ESS: "students' activity is recorded for usage reports"):
 * the platform's view, play and download events, partitioned by month so that reports read only
 * the months asked for and retention drops whole months where it can. Partitions are created by
 * the store as events for a month first arrive. Each institution keeps events for
 * `activity_retention_days` (0: for ever).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('institution')
    .addColumn('activity_retention_days', 'integer', (c) => c.notNull().defaultTo(365))
    .execute();
  await sql`
    create table activity_event (
      institution_id text not null,
      at timestamptz not null,
      user_id text not null,
      media_id text not null,
      section_id text,
      kind text not null check (kind in ('view', 'play', 'download')),
      seconds integer not null default 0 check (seconds >= 0)
    ) partition by range (at)`.execute(db);
  await sql`create index activity_event_by_section on activity_event (institution_id, section_id, at)`.execute(db);
  await sql`create index activity_event_by_user on activity_event (institution_id, user_id, at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table activity_event`.execute(db);
  await db.schema.alterTable('institution').dropColumn('activity_retention_days').execute();
}
