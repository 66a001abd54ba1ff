import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 12: a CSV import is a durable job. The upload stages every parsed row here as it
// streams; a job applies them in chunks, each chunk's changes and its rows' outcomes in one
// transaction, so a gateway killed mid-import resumes where the last commit left it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('imports')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('receiving')
        .check(sql`state in ('receiving', 'queued', 'running', 'done', 'failed')`),
    )
    .addColumn('file_name', 'text', (c) => c.check(sql`length(file_name) <= 255`))
    .addColumn('columns', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('warnings', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('actor', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('total_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('done_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    // The runner that holds the job, until when: another takes it over once the lease is out.
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addUniqueConstraint('imports_tenant_id', ['tenant_id', 'id'])
    .execute()
  await db.schema
    .createIndex('imports_tenant_created')
    .on('imports')
    .columns(['tenant_id', 'created_at'])
    .execute()
  await sql`create index imports_runnable on imports (created_at)
      where state in ('queued', 'running')`.execute(db)

  await db.schema
    .createTable('import_rows')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('import_id', 'uuid', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.check(sql`length(email) <= 1000`))
    .addColumn('email_key', 'text')
    .addColumn('data', 'jsonb')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'done')`),
    )
    .addColumn('outcome', 'text')
    .addColumn('reason', 'text')
    .addPrimaryKeyConstraint('import_rows_pk', ['import_id', 'line'])
    .addForeignKeyConstraint(
      'import_rows_import_fk',
      ['tenant_id', 'import_id'],
      'imports',
      ['tenant_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()
  // The same email twice in one file: the later line is the duplicate.
  await db.schema
    .createIndex('import_rows_email')
    .on('import_rows')
    .columns(['import_id', 'email_key', 'line'])
    .execute()
  await sql`create index import_rows_pending on import_rows (import_id, line)
      where status = 'pending'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('import_rows').execute()
  await db.schema.dropTable('imports').execute()
}
