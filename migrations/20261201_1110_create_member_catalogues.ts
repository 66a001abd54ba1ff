import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 11: the catalogues a tenant's memberships pick from (groups, roles, organizations), and
// the indexes that keep member search fast at a million members per tenant.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('member_groups')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 100`))
    .addColumn('description', 'text', (c) => c.check(sql`length(description) <= 500`))
    // Everybody: every member is in it; it can be neither renamed nor deleted.
    .addColumn('builtin', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('member_groups_tenant_id', ['tenant_id', 'id'])
    .execute()
  await sql`create unique index member_groups_tenant_name on member_groups (tenant_id, lower(name))`.execute(
    db,
  )

  await db.schema
    .createTable('member_roles')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 50`))
    .addColumn('description', 'text', (c) => c.check(sql`length(description) <= 500`))
    // admin and user: the roles the gateway itself knows.
    .addColumn('builtin', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('member_roles_tenant_name', ['tenant_id', 'name'])
    .execute()

  await db.schema
    .createTable('organizations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('seller', 'customer')`))
    .addColumn('external_id', 'text', (c) => c.check(sql`length(external_id) <= 100`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create unique index organizations_tenant_name on organizations (tenant_id, lower(name))`.execute(
    db,
  )

  // Existing tenants get their built-ins now; new ones get them lazily (src/members/catalogues.ts).
  await sql`insert into member_groups (tenant_id, name, builtin)
    select id, 'Everybody', true from tenants on conflict do nothing`.execute(db)
  await sql`insert into member_roles (tenant_id, name, builtin)
    select t.id, r.name, true from tenants t cross join (values ('admin'), ('user')) r(name)
    on conflict do nothing`.execute(db)

  // Listing and keyset paging: by creation within a tenant; filters by role and organization.
  await sql`create index memberships_tenant_created on memberships (tenant_id, created_at, id)`.execute(
    db,
  )
  await sql`create index memberships_tenant_role on memberships (tenant_id, role)`.execute(db)
  await sql`create index memberships_tenant_organization on memberships (tenant_id, organization)`.execute(
    db,
  )
  await sql`create index memberships_groups on memberships using gin (groups jsonb_path_ops)`.execute(
    db,
  )

  // Prefix search and sort by email and name: byte order ("C"), so one btree serves both
  // `like 'abc%'` and `order by`. The expressions are repeated verbatim in members.queries.ts.
  await sql`create index users_email_sort on users ((email_key collate "C"), id)`.execute(db)
  await sql`create index users_name_sort on users
    ((lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) collate "C"), id)`.execute(
    db,
  )
  await sql`create index users_last_name_prefix on users ((lower(last_name) collate "C"))`.execute(
    db,
  )
  await sql`create index users_phone_prefix on users ((phone collate "C"))`.execute(db)
  await sql`create index users_external_id_prefix on users ((lower(external_id) collate "C"))`.execute(
    db,
  )

  // Substring search with trigrams where pg_trgm exists (PostgreSQL, and PGlite with the
  // extension loaded: src/db/database.ts); without it the same query scans.
  const { rows } = await sql<{ ok: number }>`
    select 1 as ok from pg_available_extensions where name = 'pg_trgm'`.execute(db)
  if (rows.length === 0) return
  await sql`create extension if not exists pg_trgm`.execute(db)
  await sql`create index users_search_trgm on users using gin ((lower(
      coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || email || ' ' ||
      coalesce(phone, '') || ' ' || coalesce(external_id, ''))) gin_trgm_ops)`.execute(db)
}
