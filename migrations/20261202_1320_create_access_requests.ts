import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 12 (seed 002): guests ask for access from the login page; every admin of the tenant is
// told, at most once a day per requester, unless they unsubscribed.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('access_requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull().check(sql`length(email) <= 254`))
    // lower(NFKC(email)), as users.email_key: one pending request per person, however spelled.
    .addColumn('email_key', 'text', (c) => c.notNull().check(sql`length(email_key) <= 254`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 100`))
    .addColumn('message', 'text', (c) => c.notNull().check(sql`length(message) <= 1000`))
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'approved', 'denied')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('decided_at', 'timestamptz')
    .addColumn('decided_by', 'text', (c) => c.check(sql`length(decided_by) <= 200`))
    .addColumn('invitation_id', 'uuid')
    .addUniqueConstraint('access_requests_tenant_id', ['tenant_id', 'id'])
    .execute()
  // A repeated request while one is pending updates it: the database holds that under races.
  await sql`
    create unique index access_requests_one_pending
      on access_requests (tenant_id, email_key) where status = 'pending'
  `.execute(db)
  await sql`
    create index access_requests_list on access_requests (tenant_id, status, created_at desc, id desc)
  `.execute(db)

  // One row per (admin, requester, UTC day): the unique key makes "once a day" hold under races.
  await db.schema
    .createTable('access_request_notices')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('membership_id', 'uuid', (c) => c.notNull())
    .addColumn('email_key', 'text', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_request_notices_pk', [
      'tenant_id',
      'membership_id',
      'email_key',
      'day',
    ])
    .addForeignKeyConstraint(
      'access_request_notices_membership_fk',
      ['tenant_id', 'membership_id'],
      'memberships',
      ['tenant_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()
  await sql`create index access_request_notices_day on access_request_notices (tenant_id, day)`.execute(
    db,
  )

  // An admin who unsubscribed from access-request mail (one-click link or the console).
  await db.schema
    .createTable('access_request_unsubscribes')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('membership_id', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('access_request_unsubscribes_pk', ['tenant_id', 'membership_id'])
    .addForeignKeyConstraint(
      'access_request_unsubscribes_membership_fk',
      ['tenant_id', 'membership_id'],
      'memberships',
      ['tenant_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('access_request_unsubscribes').execute()
  await db.schema.dropTable('access_request_notices').execute()
  await db.schema.dropTable('access_requests').execute()
}
