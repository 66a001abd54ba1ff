import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Who accepted a Terms version, newest first, keyset-paged: without it each page would read
// every acceptance of the tenant (the primary key leads with the membership).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index terms_acceptances_version on terms_acceptances (tenant_id, version, accepted_at desc, membership_id desc)`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('terms_acceptances_version').execute()
}
