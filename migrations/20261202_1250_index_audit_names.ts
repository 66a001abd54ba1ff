import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 11: the audit log is filtered by an admin's or a member's email address as well as by
// their ids (the console's filters take what an admin knows). Newest first, keyset-paged.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index audit_events_tenant_actor_name on audit_events (tenant_id, lower(actor_name), at desc, id desc)`.execute(
    db,
  )
  await sql`create index audit_events_tenant_subject_label on audit_events (tenant_id, lower(subject_label), at desc, id desc)`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_events_tenant_subject_label').execute()
  await db.schema.dropIndex('audit_events_tenant_actor_name').execute()
}
