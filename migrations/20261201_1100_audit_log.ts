import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// The audit log: who did what to which subject, when and from where. Append-only in the
// database itself: no UPDATE ever, no TRUNCATE, and a DELETE only inside a transaction that
// declared itself the retention purge (set_config('gateway.audit_purge', 'on', true)), so a
// stray statement of the application cannot rewrite or erase history.
export async function up(db: Kysely<any>): Promise<void> {
  // No foreign key to tenants on purpose: the record of what happened outlives the tenant,
  // and null is a platform event (a platform key creating a tenant, a CLI key).
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('tenant_id', 'uuid')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor_kind', 'text', (c) =>
      c
        .notNull()
        .check(sql`actor_kind in ('admin', 'api_key', 'cli', 'system', 'person', 'anonymous')`),
    )
    .addColumn('actor_id', 'text')
    .addColumn('actor_name', 'text')
    .addColumn('action', 'text', (c) => c.notNull().check(sql`length(action) between 1 and 100`))
    .addColumn('subject_kind', 'text')
    .addColumn('subject_id', 'text')
    .addColumn('subject_label', 'text')
    .addColumn('ip', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute()

  // The API pages newest first by (at, id) within a tenant, optionally by action, subject, actor.
  await sql`create index audit_events_tenant_at on audit_events (tenant_id, at desc, id desc)`.execute(
    db,
  )
  await sql`create index audit_events_tenant_action on audit_events (tenant_id, action text_pattern_ops, at desc, id desc)`.execute(
    db,
  )
  await sql`create index audit_events_tenant_subject on audit_events (tenant_id, subject_kind, subject_id, at desc, id desc)`.execute(
    db,
  )
  await sql`create index audit_events_tenant_actor on audit_events (tenant_id, actor_id, at desc, id desc)`.execute(
    db,
  )
  // The purge of all tenants goes by age.
  await sql`create index audit_events_at on audit_events (at)`.execute(db)

  await sql`
    create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and current_setting('gateway.audit_purge', true) = 'on' then
        return old;
      end if;
      raise exception 'audit_events is append-only (% refused)', tg_op
        using errcode = 'insufficient_privilege';
    end
    $$`.execute(db)
  await sql`create trigger audit_events_no_update before update or delete on audit_events
    for each row execute function audit_events_append_only()`.execute(db)
  await sql`create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function audit_events_append_only()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute()
  await sql`drop function audit_events_append_only()`.execute(db)
}
