import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Enterprise directories (SAML 2.0, OpenID Connect): their connection, the hosts bound to
// them, identities keyed by the IdP's subject, the sign-ins in flight and the assertions seen.
export async function up(db: Kysely<any>): Promise<void> {
  // The connection's settings (validated by src/sso/connection.ts on every read); its one
  // secret (an OIDC client secret) sealed with SECRET_KEY apart from them.
  await db.schema
    .alterTable('directories')
    .addColumn('config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('secret_sealed', 'bytea')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  // A host bound to a directory the tenant uses sends every sign-in straight to it.
  await db.schema.alterTable('tenant_hosts').addColumn('directory_id', 'uuid').execute()
  await sql`alter table tenant_hosts add constraint tenant_hosts_directory_fk
    foreign key (tenant_id, directory_id) references tenant_directories (tenant_id, directory_id)
    on delete cascade`.execute(db)

  // Enterprise identities are keyed by (directory, IdP subject), never by email alone.
  await db.schema
    .alterTable('users')
    .addColumn('subject', 'text', (c) => c.check(sql`length(subject) between 1 and 1024`))
    .execute()
  await db.schema
    .createIndex('users_directory_subject')
    .unique()
    .on('users')
    .columns(['directory_id', 'subject'])
    .where(sql.ref('subject'), 'is not', null)
    .execute()

  // How the session's person signed in (RFC 8176 values), for the tokens' amr.
  await db.schema
    .alterTable('sessions')
    .addColumn('amr', 'jsonb', (c) => c.notNull().defaultTo(sql`'["pwd"]'::jsonb`))
    .execute()

  // An invitation may name the directory its person signs in with.
  await db.schema.alterTable('invitations').addColumn('directory_id', 'uuid').execute()

  // A sign-in sent to an IdP and not yet back: the SAML request ID or the hash of the OIDC
  // state. Deleted when it comes back (single use, so a login may start on one gateway
  // process and finish on another).
  await db.schema
    .createTable('sso_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('directory_id', 'uuid', (c) =>
      c.notNull().references('directories.id').onDelete('cascade'),
    )
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('sso_requests_expiry')
    .on('sso_requests')
    .column('expires_at')
    .execute()

  // Assertion IDs a directory has accepted, kept until their NotOnOrAfter: a replay is refused.
  await db.schema
    .createTable('sso_replays')
    .addColumn('directory_id', 'uuid', (c) =>
      c.notNull().references('directories.id').onDelete('cascade'),
    )
    .addColumn('assertion_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_replays_pk', ['directory_id', 'assertion_id'])
    .execute()
  await db.schema.createIndex('sso_replays_expiry').on('sso_replays').column('expires_at').execute()

  // The SAML service provider's signing keys of a directory: 'next' is published in the SP
  // metadata before it signs, 'retired' is still published until it expires.
  await db.schema
    .createTable('sp_keys')
    .addColumn('directory_id', 'uuid', (c) =>
      c.notNull().references('directories.id').onDelete('cascade'),
    )
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('next', 'active', 'retired')`),
    )
    .addColumn('certificate', 'text', (c) => c.notNull())
    .addColumn('private_sealed', 'bytea', (c) => c.notNull())
    .addColumn('not_after', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('sp_keys_pk', ['directory_id', 'kid'])
    .execute()

  // Certificate expiry warnings already sent (30, 7 and 1 days before), one per certificate.
  await db.schema
    .createTable('certificate_notices')
    .addColumn('directory_id', 'uuid', (c) =>
      c.notNull().references('directories.id').onDelete('cascade'),
    )
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('days_before', 'integer', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('certificate_notices_pk', [
      'directory_id',
      'fingerprint',
      'days_before',
    ])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('certificate_notices').execute()
  await db.schema.dropTable('sp_keys').execute()
  await db.schema.dropTable('sso_replays').execute()
  await db.schema.dropTable('sso_requests').execute()
  await db.schema.alterTable('invitations').dropColumn('directory_id').execute()
  await db.schema.alterTable('sessions').dropColumn('amr').execute()
  await db.schema.dropIndex('users_directory_subject').execute()
  await db.schema.alterTable('users').dropColumn('subject').execute()
  await db.schema.alterTable('tenant_hosts').dropConstraint('tenant_hosts_directory_fk').execute()
  await db.schema.alterTable('tenant_hosts').dropColumn('directory_id').execute()
  await db.schema
    .alterTable('directories')
    .dropColumn('config')
    .dropColumn('secret_sealed')
    .dropColumn('updated_at')
    .execute()
}
