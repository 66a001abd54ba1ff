import { sql } from 'kysely'
import type { Db, Tx } from '../db/database.js'
import type { DirectoryKind } from '../db/schema.js'

export type TenantRow = {
  id: string
  slug: string
  name: string
  settings: unknown
  created_at: Date
  updated_at: Date
  hosts: { host: string; is_primary: boolean; directory_id: string | null }[]
  database_directory_id: string | null
}

function tenantsWithHosts(db: Db) {
  return db.selectFrom('tenants').select([
    'tenants.id',
    'tenants.slug',
    'tenants.name',
    'tenants.settings',
    'tenants.created_at',
    'tenants.updated_at',
    sql<TenantRow['hosts']>`coalesce((
      select json_agg(json_build_object('host', h.host, 'is_primary', h.is_primary, 'directory_id', h.directory_id) order by h.is_primary desc, h.host)
      from tenant_hosts h where h.tenant_id = tenants.id), '[]'::json)`.as('hosts'),
    sql<string | null>`(select td.directory_id from tenant_directories td
      join directories d on d.id = td.directory_id
      where td.tenant_id = tenants.id and d.kind = 'database'
      order by td.created_at limit 1)`.as('database_directory_id'),
  ])
}

/**
 * The tenant of an exact host, or of `{slug}.BASE_DOMAIN`, in one statement (it runs on every
 * request). Both cannot name different tenants: tenant creation refuses a host under the base
 * domain that names another slug, and a slug whose default host is someone's exact host.
 */
export function findTenantByHost(
  db: Db,
  host: string,
  slug: string | undefined,
): Promise<TenantRow | undefined> {
  return tenantsWithHosts(db)
    .where((eb) =>
      eb.or([
        eb(
          'tenants.id',
          '=',
          eb.selectFrom('tenant_hosts').select('tenant_id').where('host', '=', host),
        ),
        ...(slug ? [eb('tenants.slug', '=', slug)] : []),
      ]),
    )
    .limit(1)
    .executeTakeFirst()
}

export function findTenantBySlug(db: Db, slug: string): Promise<TenantRow | undefined> {
  return tenantsWithHosts(db).where('tenants.slug', '=', slug).executeTakeFirst()
}

export function listTenants(db: Db): Promise<TenantRow[]> {
  return tenantsWithHosts(db).orderBy('tenants.slug').execute()
}

export async function findHostOwner(db: Db, host: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('tenant_hosts')
    .select('tenant_id')
    .where('host', '=', host)
    .executeTakeFirst()
  return row?.tenant_id
}

/** The stores (the platform admins' own tenant is not one). */
export async function countTenants(db: Db): Promise<number> {
  const row = await db
    .selectFrom('tenants')
    .where('id', 'not in', db.selectFrom('platform_tenant').select('tenant_id'))
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow()
  return row.n
}

export function insertTenant(db: Db, row: { slug: string; name: string; settings: unknown }) {
  return db
    .insertInto('tenants')
    .values({ slug: row.slug, name: row.name, settings: JSON.stringify(row.settings) })
    .returning(['id'])
    .executeTakeFirstOrThrow()
}

export async function insertHosts(db: Db, tenantId: string, hosts: string[]): Promise<void> {
  if (hosts.length === 0) return
  await db
    .insertInto('tenant_hosts')
    .values(hosts.map((host, i) => ({ host, tenant_id: tenantId, is_primary: i === 0 })))
    .execute()
}

export function insertDirectory(db: Db, row: { kind: DirectoryKind; name: string }) {
  return db
    .insertInto('directories')
    .values(row)
    .returning(['id', 'kind', 'name'])
    .executeTakeFirstOrThrow()
}

export async function attachDirectory(
  db: Db,
  tenantId: string,
  directoryId: string,
): Promise<void> {
  await db
    .insertInto('tenant_directories')
    .values({ tenant_id: tenantId, directory_id: directoryId })
    .execute()
}

export function listTenantDirectories(db: Db, tenantId: string) {
  return db
    .selectFrom('tenant_directories as td')
    .innerJoin('directories as d', 'd.id', 'td.directory_id')
    .select(['d.id', 'd.kind', 'd.name'])
    .where('td.tenant_id', '=', tenantId)
    .orderBy('td.created_at')
    .execute()
}

/**
 * Serialises tenant creation within one transaction, so the seed runs once across processes.
 * A Tx, never the pool: a transaction-level lock outside a transaction ends with its statement.
 */
export async function lockTenantCreation(tx: Tx): Promise<void> {
  await sql`select pg_advisory_xact_lock(7340812292)`.execute(tx)
}

export async function updateTenantSettings(
  db: Db,
  tenantId: string,
  settings: unknown,
): Promise<void> {
  await db
    .updateTable('tenants')
    .set({ settings: JSON.stringify(settings), updated_at: new Date() })
    .where('id', '=', tenantId)
    .execute()
}

export function listTenantSettings(db: Db) {
  return db.selectFrom('tenants').select(['id', 'slug', 'settings']).orderBy('slug').execute()
}

export function findTenantById(db: Db, id: string): Promise<TenantRow | undefined> {
  return tenantsWithHosts(db).where('tenants.id', '=', id).executeTakeFirst()
}

export async function touchTenant(db: Db, tenantId: string): Promise<void> {
  await db
    .updateTable('tenants')
    .set({ updated_at: new Date() })
    .where('id', '=', tenantId)
    .execute()
}

export type HostRow = {
  host: string
  tenant_id: string
  is_primary: boolean
  directory_id: string | null
}

export function findHost(db: Db, host: string): Promise<HostRow | undefined> {
  return db
    .selectFrom('tenant_hosts')
    .select(['host', 'tenant_id', 'is_primary', 'directory_id'])
    .where('host', '=', host)
    .executeTakeFirst()
}

export function findDirectoryHost(
  db: Db,
  tenantId: string,
  directoryId: string,
): Promise<HostRow | undefined> {
  return db
    .selectFrom('tenant_hosts')
    .select(['host', 'tenant_id', 'is_primary', 'directory_id'])
    .where('tenant_id', '=', tenantId)
    .where('directory_id', '=', directoryId)
    .executeTakeFirst()
}

export async function insertHost(
  db: Db,
  row: { host: string; tenantId: string; directoryId: string | null },
): Promise<void> {
  await db
    .insertInto('tenant_hosts')
    .values({
      host: row.host,
      tenant_id: row.tenantId,
      is_primary: false,
      directory_id: row.directoryId,
    })
    .execute()
}

export async function bindHost(
  db: Db,
  tenantId: string,
  host: string,
  directoryId: string | null,
): Promise<void> {
  await db
    .updateTable('tenant_hosts')
    .set({ directory_id: directoryId })
    .where('tenant_id', '=', tenantId)
    .where('host', '=', host)
    .execute()
}

export async function deleteHost(db: Db, tenantId: string, host: string): Promise<void> {
  await db
    .deleteFrom('tenant_hosts')
    .where('tenant_id', '=', tenantId)
    .where('host', '=', host)
    .execute()
}
