import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('directories')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('database', 'saml', 'oidc')`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  // A database directory shared by several tenants is how one password works across a customer's stores.
  await db.schema
    .createTable('tenant_directories')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('directory_id', 'uuid', (c) =>
      c.notNull().references('directories.id').onDelete('restrict'),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('tenant_directories_pk', ['tenant_id', 'directory_id'])
    .execute()
  await db.schema
    .createIndex('tenant_directories_directory')
    .on('tenant_directories')
    .column('directory_id')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tenant_directories').execute()
  await db.schema.dropTable('directories').execute()
}
