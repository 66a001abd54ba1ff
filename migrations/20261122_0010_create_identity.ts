import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Users and credentials belong to a directory (shared by a customer's stores); memberships
// belong to a tenant. Children reference parents through composite keys, so a row that
// crosses a directory or tenant boundary cannot be represented.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('directory_id', 'uuid', (c) =>
      c.notNull().references('directories.id').onDelete('cascade'),
    )
    .addColumn('email', 'text', (c) => c.notNull().check(sql`length(email) <= 254`))
    .addColumn('email_key', 'text', (c) => c.notNull().check(sql`email_key = lower(email_key)`))
    .addColumn('first_name', 'text', (c) => c.check(sql`length(first_name) <= 100`))
    .addColumn('last_name', 'text', (c) => c.check(sql`length(last_name) <= 100`))
    .addColumn('phone', 'text', (c) => c.check(sql`length(phone) <= 40`))
    .addColumn('job_title', 'text', (c) => c.check(sql`length(job_title) <= 100`))
    .addColumn('external_id', 'text', (c) => c.check(sql`length(external_id) <= 100`))
    .addColumn('locale', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('users_directory_email', ['directory_id', 'email_key'])
    .addUniqueConstraint('users_directory_id', ['directory_id', 'id'])
    .execute()

  await db.schema
    .createTable('credentials')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey())
    .addColumn('directory_id', 'uuid', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    // The policy the password was checked against: a stricter store asks for a new one.
    .addColumn('policy', 'jsonb', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'timestamptz')
    .addForeignKeyConstraint(
      'credentials_user_fk',
      ['directory_id', 'user_id'],
      'users',
      ['directory_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()

  await db.schema
    .createTable('memberships')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('directory_id', 'uuid', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('member')
        .check(sql`kind in ('member', 'guest')`),
    )
    .addColumn('role', 'text', (c) =>
      c
        .notNull()
        .defaultTo('user')
        .check(sql`length(role) between 1 and 50`),
    )
    .addColumn('groups', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('products', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('organization', 'text', (c) => c.check(sql`length(organization) <= 200`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('invited')
        .check(sql`status in ('invited', 'active', 'disabled')`),
    )
    .addColumn('activated_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('memberships_tenant_user', ['tenant_id', 'user_id'])
    .addUniqueConstraint('memberships_tenant_id', ['tenant_id', 'id'])
    .addForeignKeyConstraint(
      'memberships_user_fk',
      ['directory_id', 'user_id'],
      'users',
      ['directory_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    // The user's directory must be one the tenant uses.
    .addForeignKeyConstraint(
      'memberships_tenant_directory_fk',
      ['tenant_id', 'directory_id'],
      'tenant_directories',
      ['tenant_id', 'directory_id'],
    )
    .execute()
  await db.schema.createIndex('memberships_user').on('memberships').column('user_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('memberships').execute()
  await db.schema.dropTable('credentials').execute()
  await db.schema.dropTable('users').execute()
}
