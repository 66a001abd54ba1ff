import { type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { recordAdminChange } from '../http/admin-change.js'
import { tenantInPath } from '../http/auth.js'
import {
  createDirectory,
  deleteDirectory,
  rotateDirectorySpKey,
  updateDirectory,
} from './directories-admin.js'
import { testDirectory } from './directories-checks.js'
import { getDirectoryView, listDirectoryViews } from './directories-view.js'
import { ssoContextOf } from './connection.js'

/** /admin/api/v1/tenants/:slug/directories: the tenant's SAML and OpenID Connect directories. */
export function directoryAdminRoutes({ config, db, ssoFetch }: Deps): Router {
  const router = Router()
  const ctx = ssoContextOf(db, config, ssoFetch)
  const tenantOf = (res: Response, slug: string | undefined) => tenantInPath(db, res, slug, config)

  router.post('/tenants/:slug/directories', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const directory = await createDirectory(ctx, { tenant, body: req.body, urls: config })
    recordAdminChange(res, {
      tenant: tenant.slug,
      action: 'directory.create',
      target: directory.id,
    })
    res.status(201).json(directory)
  })
  router.get('/tenants/:slug/directories', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json({ directories: await listDirectoryViews(db, tenant) })
  })
  router.get('/tenants/:slug/directories/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await getDirectoryView(db, tenant, req.params.id))
  })
  router.patch('/tenants/:slug/directories/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const input = { tenant, id: req.params.id, body: req.body, urls: config }
    const directory = await updateDirectory(ctx, input)
    recordAdminChange(res, { tenant: tenant.slug, action: 'directory.update', target: input.id })
    res.json(directory)
  })
  router.delete('/tenants/:slug/directories/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const input = { tenant, id: req.params.id }
    await db.transaction().execute((tx) => deleteDirectory(tx, input))
    recordAdminChange(res, { tenant: tenant.slug, action: 'directory.delete', target: input.id })
    res.sendStatus(204)
  })
  router.post('/tenants/:slug/directories/:id/test', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await testDirectory(ctx, { tenant, id: req.params.id }))
  })
  router.post('/tenants/:slug/directories/:id/sp-keys/rotate', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const rotated = await rotateDirectorySpKey(ctx, { tenant, id: req.params.id })
    recordAdminChange(res, {
      tenant: tenant.slug,
      action: `directory.sp_key.${rotated.step}`,
      target: req.params.id,
    })
    res.json(rotated)
  })
  return router
}
