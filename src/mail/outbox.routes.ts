import { Router } from 'express'
import type { Deps } from '../app.js'
import { tenantInPath } from '../http/auth.js'
import { listTenantOutbox } from './outbox-list.js'

/** /admin/api/v1/tenants/:slug/outbox: the tenant's mail and how each one went. */
export function outboxAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  router.get('/tenants/:slug/outbox', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    res.json(await listTenantOutbox(db, tenant.id, req.query))
  })
  return router
}
