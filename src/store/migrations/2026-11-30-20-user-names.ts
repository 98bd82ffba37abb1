/**
 * SPEC §2 "One name, one user": within an institution a user's id, username and email form one
 * case-insensitive namespace. `user_name` holds every name (lowercased) with the user it names and
 * the field it comes from; its key (institution, name) is what makes a second claim fail. A
 * trigger on `app_user` keeps it in the same statement, and so the same transaction, as every
 * write of a user row — single writes, imports (batched through unnest) and whole-institution
 * loads alike — so the database refuses two users sharing a name even if a caller's own check
 * were wrong.
 *
 * Existing rows: the namespace is filled from them. If two existing users already share a name,
 * the migration stops and lists them rather than guessing who should keep it (a lookup by that
 * name is ambiguous today); an operator renames one (`update app_user set username = …`, or the
 * previous release's API) and starts again.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_name')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_name_pk', ['institution_id', 'name'])
    .execute();
  await sql`create index user_name_by_user on user_name (institution_id, user_id)`.execute(db);

  // The names each existing user claims: once per name and user (own id and username may agree).
  const names = sql`
    select distinct on (institution_id, user_id, name) institution_id, user_id, name, field from (
      select institution_id, id as user_id, lower(id) as name, 'id' as field, 1 as rank from app_user
      union all select institution_id, id, lower(username), 'username', 2 from app_user
      union all select institution_id, id, lower(email), 'email', 3 from app_user
    ) n order by institution_id, user_id, name, rank`;
  const clashes = await sql<{ institutionId: string; name: string; claims: string }>`
    select institution_id, name, string_agg(user_id || ' (' || field || ')', ', ' order by user_id) as claims
    from (${names}) c group by institution_id, name having count(*) > 1 order by institution_id, name limit 50`.execute(db);
  if (clashes.rows.length > 0) {
    const list = clashes.rows.map((r) => `${r.institutionId}: '${r.name}' names ${r.claims}`).join('; ');
    throw new Error(
      `users share a name (SPEC §2 "One name, one user"): ${list}. Change the username or email of one user in each pair, then start Lectern again.`,
    );
  }
  await sql`insert into user_name (institution_id, name, user_id, field) select institution_id, name, user_id, field from (${names}) c`.execute(db);

  await sql`
    create function app_user_names() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and new.institution_id = old.institution_id and new.id = old.id
         and lower(new.username) = lower(old.username) and lower(new.email) = lower(old.email) then
        return null;
      end if;
      if tg_op <> 'INSERT' then
        delete from user_name where institution_id = old.institution_id and user_id = old.id;
      end if;
      if tg_op <> 'DELETE' then
        insert into user_name (institution_id, name, user_id, field)
        select distinct on (n.name) new.institution_id, n.name, new.id, n.field
        from (values (lower(new.id), 'id', 1), (lower(new.username), 'username', 2), (lower(new.email), 'email', 3)) as n(name, field, rank)
        order by n.name, n.rank;
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger app_user_names after insert or update or delete on app_user
    for each row execute function app_user_names()`.execute(db);
}
