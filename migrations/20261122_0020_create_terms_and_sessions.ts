import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('terms_versions')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('title', 'text', (c) => c.notNull().check(sql`length(title) between 1 and 200`))
    .addColumn('body', 'text', (c) => c.check(sql`length(body) <= 200000`))
    .addColumn('document_url', 'text', (c) => c.check(sql`length(document_url) <= 2000`))
    .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('terms_versions_pk', ['tenant_id', 'version'])
    .addCheckConstraint('terms_versions_content', sql`body is not null or document_url is not null`)
    .execute()

  await db.schema
    .createTable('terms_acceptances')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('membership_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('accepted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('terms_acceptances_pk', ['tenant_id', 'membership_id', 'version'])
    .addForeignKeyConstraint(
      'terms_acceptances_membership_fk',
      ['tenant_id', 'membership_id'],
      'memberships',
      ['tenant_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint(
      'terms_acceptances_version_fk',
      ['tenant_id', 'version'],
      'terms_versions',
      ['tenant_id', 'version'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()

  // Server-side sessions, per tenant host: the cookie holds a random token, the table its SHA-256.
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'bytea', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('membership_id', 'uuid', (c) => c.notNull())
    // A step the user owes before the session is complete: 'password_change' or 'terms'.
    .addColumn('pending', 'text', (c) => c.check(sql`pending in ('password_change', 'terms')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addForeignKeyConstraint(
      'sessions_membership_fk',
      ['tenant_id', 'membership_id'],
      'memberships',
      ['tenant_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sessions').execute()
  await db.schema.dropTable('terms_acceptances').execute()
  await db.schema.dropTable('terms_versions').execute()
}
