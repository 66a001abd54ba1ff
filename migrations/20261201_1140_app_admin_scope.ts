import type { Kysely } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// A machine app registered for the admin API may ask its tenant's provider for the
// `gateway:admin` scope (client credentials) and call /admin/api/v1 on its own tenant.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('apps')
    .addColumn('admin_api', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apps').dropColumn('admin_api').execute()
}
