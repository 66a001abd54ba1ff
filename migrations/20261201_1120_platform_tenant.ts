import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// The platform tenant: its admins are the gateway's platform admins (every tenant). At most one
// row, and only the gateway writes it: no host, slug or setting an API caller controls makes a
// tenant the platform one.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('platform_tenant')
    .addColumn('singleton', 'boolean', (c) =>
      c
        .primaryKey()
        .defaultTo(true)
        .check(sql`singleton`),
    )
    .addColumn('tenant_id', 'uuid', (c) =>
      c.notNull().unique().references('tenants.id').onDelete('restrict'),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('platform_tenant').execute()
}
