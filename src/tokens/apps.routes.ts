import { Router } from 'express'
import type { Deps } from '../app.js'
import { tenantInPath } from '../http/auth.js'
import { createApp, deleteApp, getApp, listApps, rotateAppSecret, updateApp } from './apps.js'
import { rotateKeys } from './keys.js'

/** /admin/api/v1/tenants/:slug/apps (the tenant's OIDC clients) and its signing keys. */
export function appAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  const tenantOf = (res: Parameters<typeof tenantInPath>[1], slug: string | undefined) =>
    tenantInPath(db, res, slug, config)

  router.post('/tenants/:slug/apps', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.status(201).json(await createApp(db, tenant.id, req.body))
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
    res.json(await updateApp(db, tenant.id, req.params.clientId, req.body))
  })
  router.delete('/tenants/:slug/apps/:clientId', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    await deleteApp(db, tenant.id, req.params.clientId)
    res.sendStatus(204)
  })
  router.post('/tenants/:slug/apps/:clientId/secret', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await rotateAppSecret(db, tenant.id, req.params.clientId))
  })
  router.post('/tenants/:slug/keys/rotate', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const rotated = await db.transaction().execute((tx) => rotateKeys(tx, tenant, config.secretKey))
    res.json(rotated)
  })
  return router
}
