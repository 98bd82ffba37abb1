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
  await sql`
    create function license_seat_guard() returns trigger language plpgsql as $$
    begin
      if (select count(*) from license_assignment a
            where a.institution_id = new.institution_id and a.pack_id = new.pack_id)
         > (select p.seats from license_pack p
            where p.institution_id = new.institution_id and p.id = new.pack_id) then
        raise exception 'license pack % has no free seat', new.pack_id using errcode = '23514';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger license_seat_guard after insert on license_assignment
    deferrable initially immediate for each row execute function license_seat_guard()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('license_assignment').execute();
  await db.schema.dropTable('license_pack').execute();
  await sql`drop function if exists license_seat_guard`.execute(db);
}
