/**
 * Personal Capture licensing (SPEC §5): license packs and the seats assigned from them.
 * The trigger is a last line of defence behind the institution write lock: a seat beyond the
 * pack's count can never be stored.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('license_pack')
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institution.institution_id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('unit_id', 'text', (c) => c.notNull())
    .addColumn('seats', 'integer', (c) => c.notNull().check(sql`seats >= 0`))
    .addPrimaryKeyConstraint('license_pack_pk', ['institution_id', 'id'])
    .execute();
  await db.schema
    .createTable('license_assignment')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('pack_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('license_assignment_pk', ['institution_id', 'pack_id', 'user_id'])
    .addForeignKeyConstraint('license_assignment_pack', ['institution_id', 'pack_id'], 'license_pack', ['institution_id', 'id'])
    .addForeignKeyConstraint('license_assignment_user', ['institution_id', 'user_id'], 'app_user', ['institution_id', 'id'])
    .execute();
  // Once per statement (a batch of seats), each pack touched is counted once.
  await sql`
    create function license_seat_guard() returns trigger language plpgsql as $$
    declare full_pack text;
    begin
      select p.id into full_pack
        from license_pack p
        join (select distinct institution_id, pack_id from inserted) t
          on t.institution_id = p.institution_id and t.pack_id = p.id
       where (select count(*) from license_assignment a
               where a.institution_id = p.institution_id and a.pack_id = p.id) > p.seats
       limit 1;
      if full_pack is not null then
        raise exception 'license pack % has no free seat', full_pack using errcode = '23514';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger license_seat_guard after insert on license_assignment
    referencing new table as inserted for each statement execute function license_seat_guard()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('license_assignment').execute();
  await db.schema.dropTable('license_pack').execute();
  await sql`drop function if exists license_seat_guard`.execute(db);
}
