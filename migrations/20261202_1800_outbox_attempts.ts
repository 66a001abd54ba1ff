import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 13: when a mail was last tried, so an admin reading a failed mail sees when the server
// refused it (last_error holds the reply); and the tenant's mail by status for that listing.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('last_attempt_at', 'timestamptz').execute()
  await sql`create index outbox_tenant_status_created on outbox (tenant_id, status, created_at desc, id desc)`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index outbox_tenant_status_created`.execute(db)
  await db.schema.alterTable('outbox').dropColumn('last_attempt_at').execute()
}
