import type { Db } from '../db/database.js'
import { slugFromHost } from '../tenants/hosts.js'
import type { TenantSettings } from '../tenants/settings.js'
import {
  createTenant,
  findTenantForHost,
  getTenantById,
  type Tenant,
  type TenantUrls,
} from '../tenants/tenants.js'
import * as queries from './platform.queries.js'

// Platform admins are people of the gateway like tenant admins: members with role "admin" of one
// built-in tenant, the platform tenant, served at PLATFORM_HOST. So invitation, activation,
// password policy, sign-in, lockout and sessions are the tenant ones, unchanged. What makes a
// tenant the platform one is a row only the gateway writes (table platform_tenant): no host,
// slug or setting that an API caller controls.
export const PLATFORM_NAME = 'Gateway administration'

export type PlatformConfig = TenantUrls & { platformHost: string; tenantDefaults: TenantSettings }

/** The platform tenant's slug: the one PLATFORM_HOST implies under BASE_DOMAIN, else "platform". */
export const platformSlug = (c: PlatformConfig) =>
  slugFromHost(c.platformHost, c.baseDomain) ?? 'platform'

export const isPlatformTenant = async (db: Db, tenantId: string) =>
  (await queries.findPlatformTenantId(db)) === tenantId

/**
 * The platform tenant, created (with its own user database) on the first start; two processes
 * starting together create it once (the singleton row and the slug are unique). `warning` says when
 * PLATFORM_HOST names a host the platform tenant does not serve (changed since it was created).
 */
export async function ensurePlatformTenant(
  db: Db,
  config: PlatformConfig,
): Promise<{ tenant: Tenant; created: boolean; warning?: string }> {
  const existing = await queries.findPlatformTenantId(db)
  const found = existing
    ? { tenant: await byId(db, existing, config), created: false }
    : await create(db, config).catch(async (error: unknown) => {
        // Another process created it a moment ago (createTenant serialises creations, so this
        // one then finds the slug taken): theirs is the platform tenant.
        const id = await queries.findPlatformTenantId(db)
        if (!id) throw error
        return { tenant: await byId(db, id, config), created: false }
      })
  const served = await findTenantForHost(db, config.platformHost, config)
  if (served?.id === found.tenant.id) return found
  return {
    ...found,
    warning: `PLATFORM_HOST is ${config.platformHost}, but the platform tenant "${found.tenant.slug}" is served at ${found.tenant.publicUrl}: add the host with \`gateway tenant host add ${found.tenant.slug} ${config.platformHost}\``,
  }
}

const create = (db: Db, config: PlatformConfig) =>
  db.transaction().execute(async (tx) => {
    const tenant = await createTenant(
      tx,
      {
        slug: platformSlug(config),
        name: PLATFORM_NAME,
        hosts: [config.platformHost],
        settings: config.tenantDefaults,
        directory: { kind: 'database', name: 'Platform admins' },
      },
      config,
    )
    await queries.insertPlatformTenant(tx, tenant.id)
    return { tenant, created: true }
  })

// The foreign key (on delete restrict) keeps the platform tenant's row alive.
async function byId(db: Db, id: string, urls: TenantUrls): Promise<Tenant> {
  const tenant = await getTenantById(db, id, urls)
  if (!tenant) throw new Error(`the platform tenant ${id} is missing`)
  return tenant
}
