import { sql, type Kysely } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 11: the members list filtered by kind or status (guests, disabled people), alone or
// with a group: a bitmap of this index ANDed with the groups' GIN index reads only the matches,
// where the group's index alone read every member of the group (100,000 of a million).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index memberships_tenant_kind_status on memberships (tenant_id, kind, status)`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('memberships_tenant_kind_status').execute()
}
