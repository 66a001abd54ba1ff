import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  // The OIDC clients of a tenant. A confidential app's secret is stored as its SHA-256 only.
  await db.schema
    .createTable('apps')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('type', 'text', (c) =>
      c.notNull().check(sql`type in ('web', 'native', 'spa', 'machine')`),
    )
    .addColumn('redirect_uris', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('post_logout_redirect_uris', 'jsonb', (c) =>
      c.notNull().defaultTo(sql`'[]'::jsonb`),
    )
    // A guest may sign in to this app only when its membership lists this product.
    .addColumn('product', 'text')
    .addColumn('secret_hash', 'bytea')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('apps_tenant').on('apps').columns(['tenant_id', 'name']).execute()

  // Signing keys per tenant: `next` is published before it signs, `active` signs, `retired`
  // stays published until every token it signed has expired. Private parts sealed (AES-256-GCM).
  await db.schema
    .createTable('signing_keys')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('alg', 'text', (c) => c.notNull().check(sql`alg in ('RS256', 'ES256')`))
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('next', 'active', 'retired')`),
    )
    .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
    .addColumn('private_sealed', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('activated_at', 'timestamptz')
    // A retired key leaves the JWKS after this instant.
    .addColumn('retire_after', 'timestamptz')
    .addPrimaryKeyConstraint('signing_keys_pk', ['tenant_id', 'kid'])
    .execute()
  await sql`create unique index signing_keys_one_active on signing_keys (tenant_id) where state = 'active'`.execute(
    db,
  )
  await sql`create unique index signing_keys_one_next on signing_keys (tenant_id) where state = 'next'`.execute(
    db,
  )

  // Every oidc-provider artefact (sessions, grants, codes, refresh tokens, interactions, issued
  // access tokens...), keyed by tenant: nothing of a login flow lives in process memory.
  await db.schema
    .createTable('oidc_artefacts')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('consumed_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .addPrimaryKeyConstraint('oidc_artefacts_pk', ['tenant_id', 'model', 'id'])
    .execute()
  await sql`create index oidc_artefacts_grant on oidc_artefacts (tenant_id, grant_id) where grant_id is not null`.execute(
    db,
  )
  await sql`create index oidc_artefacts_uid on oidc_artefacts (tenant_id, uid) where uid is not null`.execute(
    db,
  )
  await sql`create index oidc_artefacts_expires on oidc_artefacts (expires_at) where expires_at is not null`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oidc_artefacts').execute()
  await db.schema.dropTable('signing_keys').execute()
  await db.schema.dropTable('apps').execute()
}
