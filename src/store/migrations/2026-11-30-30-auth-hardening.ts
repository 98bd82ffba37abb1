/**
 * Authentication hardening (issue 13):
 * - `auth_event`: the audit of sign-ins, sign-outs, password changes and resets, tokens and ended
 *   sessions — who, on whom, from which address, with what outcome. They change no replicated row,
 *   so they take no revision; the audit page shows them beside the audit log. Append-only.
 * - `sign_in_failure`: failed sign-ins per key (account, account + address, address) in the current
 *   window, shared by every server process on the database.
 * - `credential.temporary` (an admin-set password the user must change at the next sign-in) and
 *   `console_session.password_change_required` (a session that may only change the password).
 * - A user leaving the active status loses every session and token there and then (a trigger, so
 *   every path that deactivates — an operation, an import, another process — does it, and a later
 *   reactivation finds nothing to revive); the ending is recorded in `auth_event`.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('auth_event')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'json')
    .addPrimaryKeyConstraint('auth_event_pk', ['institution_id', 'id'])
    .execute();
  await db.schema.createIndex('auth_event_by_time').on('auth_event').columns(['institution_id', 'at']).execute();
  await sql`
    create trigger auth_event_no_rewrite before update or delete on auth_event
    for each row execute function audit_log_append_only()`.execute(db);

  await db.schema
    .createTable('sign_in_failure')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('sign_in_failure_pk', ['institution_id', 'key'])
    .execute();

  await sql`alter table credential add column temporary boolean not null default false`.execute(db);
  await sql`alter table console_session add column password_change_required boolean not null default false`.execute(db);

  await sql`
    create function end_user_access() returns trigger language plpgsql as $$
    declare sessions integer; tokens integer;
    begin
      delete from console_session where institution_id = new.institution_id and user_id = new.id;
      get diagnostics sessions = row_count;
      update api_token set revoked_at = now() where institution_id = new.institution_id and user_id = new.id and revoked_at is null;
      get diagnostics tokens = row_count;
      if sessions + tokens > 0 then
        insert into auth_event (institution_id, actor, operation, target, address, outcome, detail)
        values (new.institution_id, 'Lectern (system)', 'session.end', 'user:' || new.id, '', 'ok',
                json_build_object('reason', 'user is ' || new.status, 'sessions', sessions, 'tokens', tokens));
      end if;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger app_user_not_active after update of status on app_user
    for each row when (old.status = 'active' and new.status <> 'active')
    execute function end_user_access()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists app_user_not_active on app_user`.execute(db);
  await sql`drop function if exists end_user_access`.execute(db);
  await sql`alter table console_session drop column password_change_required`.execute(db);
  await sql`alter table credential drop column temporary`.execute(db);
  await db.schema.dropTable('sign_in_failure').execute();
  await db.schema.dropTable('auth_event').execute();
}
