import { Router } from 'express'
import type { Deps } from '../app.js'
import { findPlatformTenantId } from '../console/platform.queries.js'
import { requirePlatformKey } from '../http/auth.js'
import { tenantSummaryJson } from '../tenants/tenant-json.js'
import { listTenants } from '../tenants/tenants.js'

/** GET /admin/api/v1/tenants: what a platform admin's console lists first. */
export function consoleTenantRoutes({ config, db }: Deps): Router {
  const router = Router()
  router.get('/tenants', async (_req, res) => {
    requirePlatformKey(res)
    const platformId = await findPlatformTenantId(db)
    const tenants = await listTenants(db, config)
    res.json({
      items: tenants.map((t) => ({ ...tenantSummaryJson(t), platform: t.id === platformId })),
    })
  })
  return router
}
