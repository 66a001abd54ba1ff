import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  // Millisecond precision, as JavaScript dates have: list cursors and the resend guard compare
  // values that went through a Date.
  await db.schema
    .createTable('invitations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('membership_id', 'uuid', (c) => c.notNull())
    // Only the SHA-256 of the link's token; reinviting replaces it, so every earlier link dies at once.
    .addColumn('token_hash', 'bytea', (c) => c.notNull().unique())
    // The live link sealed with SECRET_KEY, so "resend" can send the same link; wiped when the
    // invitation is accepted or revoked.
    .addColumn('token_sealed', 'bytea')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'accepted', 'revoked')`),
    )
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('invited_by', 'text')
    .addColumn('expires_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('last_sent_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_reminded_at', 'timestamptz')
    .addColumn('send_count', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('invitations_tenant_id', ['tenant_id', 'id'])
    .addForeignKeyConstraint(
      'invitations_membership_fk',
      ['tenant_id', 'membership_id'],
      'memberships',
      ['tenant_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()
  // At most one live invitation per membership.
  await sql`create unique index invitations_one_pending on invitations (membership_id) where status = 'pending'`.execute(
    db,
  )
  await db.schema
    .createIndex('invitations_tenant_created')
    .on('invitations')
    .columns(['tenant_id', 'created_at'])
    .execute()

  await db.schema
    .createTable('password_resets')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('directory_id', 'uuid', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('token_hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint(
      'password_resets_user_fk',
      ['directory_id', 'user_id'],
      'users',
      ['directory_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('password_resets').execute()
  await db.schema.dropTable('invitations').execute()
}
