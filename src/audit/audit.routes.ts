import { Router } from 'express'
import type { Deps } from '../app.js'
import { requirePlatformKey, tenantInPath } from '../http/auth.js'
import { listAudit, listPlatformAudit } from './audit-log.js'

/** /admin/api/v1/tenants/:slug/audit (a tenant's events) and /admin/api/v1/audit (platform keys). */
export function auditAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  router.get('/tenants/:slug/audit', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    res.json(await listAudit(db, tenant.id, req.query))
  })
  router.get('/audit', async (req, res) => {
    requirePlatformKey(res)
    res.json(await listPlatformAudit(db, req.query))
  })
  return router
}
