import { type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { recordAdminChange } from '../http/admin-change.js'
import { tenantInPath } from '../http/auth.js'
import type { Tenant } from '../tenants/tenants.js'
import { createApp, deleteApp, getApp, listApps, rotateAppSecret, updateApp } from './apps.js'
import { rotateKeys } from './keys.js'

/** /admin/api/v1/tenants/:slug/apps (the tenant's OIDC clients) and its signing keys. */
export function appAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  const tenantOf = (res: Parameters<typeof tenantInPath>[1], slug: string | undefined) =>
    tenantInPath(db, res, slug, config)
  const appChange = (res: Response, tenant: Tenant, verb: string, id: string, label?: string) =>
    recordAdminChange(db, res, {
      tenant,
      action: `app.${verb}`,
      subject: { kind: 'app', id, ...(label !== undefined && { label }) },
    })

  router.post('/tenants/:slug/apps', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const app = await createApp(db, tenant.id, req.body)
    await appChange(res, tenant, 'created', app.clientId, app.name)
    res.status(201).json(app)
  })
  router.get('/tenants/:slug/apps', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json({ apps: await listApps(db, tenant.id) })
  })
  router.get('/tenants/:slug/apps/:clientId', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await getApp(db, tenant.id, req.params.clientId))
  })
  router.patch('/tenants/:slug/apps/:clientId', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const app = await updateApp(db, tenant.id, req.params.clientId, req.body)
    await appChange(res, tenant, 'updated', app.clientId, app.name)
    res.json(app)
  })
  router.delete('/tenants/:slug/apps/:clientId', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    await deleteApp(db, tenant.id, req.params.clientId)
    await appChange(res, tenant, 'deleted', req.params.clientId)
    res.sendStatus(204)
  })
  router.post('/tenants/:slug/apps/:clientId/secret', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const rotated = await rotateAppSecret(db, tenant.id, req.params.clientId)
    await appChange(res, tenant, 'secret_rotated', req.params.clientId)
    res.json(rotated)
  })
  router.post('/tenants/:slug/keys/rotate', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const rotated = await db.transaction().execute(async (tx) => {
      const kids = await rotateKeys(tx, tenant, config.secretKey)
      await recordAdminChange(tx, res, {
        tenant,
        action: 'signing_key.rotated',
        subject: { kind: 'signing_key', id: kids.activeKid },
        details: { active: kids.activeKid, next: kids.nextKid },
      })
      return kids
    })
    res.json(rotated)
  })
  return router
}
