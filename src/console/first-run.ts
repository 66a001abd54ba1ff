import { createApiKey } from '../admin/api-keys.js'
import type { RuntimeConfig } from '../config.js'
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import { seedDemoTenant } from '../tenants/demo.js'
import type { Tenant } from '../tenants/tenants.js'
import { type AdminInvitation, inviteAdmin } from './admins.js'
import { ensurePlatformTenant } from './platform.js'

// The demo admin's link: single use (an invitation), stored only as a hash and a sealed copy,
// and short-lived, since it is printed to a terminal and a log.
export const DEMO_ADMIN_LINK_TTL = '24h'

export type FirstRun = {
  /** Set on the very first start outside production: the demo tenant just created. */
  demo?: { tenant: Tenant; key: string; admin?: AdminInvitation }
  /** Absent when it cannot be set up (PLATFORM_HOST or its slug taken): the stores still serve. */
  platform?: Awaited<ReturnType<typeof ensurePlatformTenant>>
  /** Why the platform console is not (fully) served: said at start, never fatal. */
  platformProblem?: string
}

/**
 * What `serve` sets up once the database is migrated. On an empty database (outside production)
 * the demo tenant, its admin API key and a one-time link inviting its admin; then, always, the
 * platform tenant. The demo comes first: it is seeded only while no tenant exists.
 */
export async function firstRun(db: Db, config: RuntimeConfig): Promise<FirstRun> {
  const tenant = config.isProduction
    ? undefined
    : await db
        .transaction()
        .execute((tx) => seedDemoTenant(tx, config.seed, config.tenantDefaults, config))
  const platform = await ensurePlatformTenant(db, config).then(
    (p) => ({ platform: p, ...(p.warning ? { platformProblem: p.warning } : {}) }),
    (error: unknown) => {
      if (!(error instanceof AppError)) throw error
      return { platformProblem: `no platform console at ${config.platformHost}: ${error.message}` }
    },
  )
  if (!tenant) return platform
  // A first-time user cannot run the CLI beside a server on the embedded database, so the first
  // run hands out the demo tenant's admin API key and its admin's link itself.
  const { key } = await createApiKey(db, { tenantId: tenant.id, name: 'demo (first run)' })
  const admin = config.seed.admin
    ? await inviteAdmin(
        db,
        tenant,
        { email: config.seed.admin.email, invitationTtl: DEMO_ADMIN_LINK_TTL },
        { secretKey: config.secretKey },
      )
    : undefined
  return { demo: { tenant, key, ...(admin ? { admin } : {}) }, ...platform }
}
