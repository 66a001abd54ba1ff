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
    await recordAdminChange(db, res, {
      tenant,
      action: 'directory.created',
      subject: { kind: 'directory', id: directory.id, label: directory.name },
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
    await recordAdminChange(db, res, {
      tenant,
      action: 'directory.updated',
      subject: { kind: 'directory', id: input.id, label: directory.name },
    })
    res.json(directory)
  })
  router.delete('/tenants/:slug/directories/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const input = { tenant, id: req.params.id }
    await db.transaction().execute((tx) => deleteDirectory(tx, input))
    await recordAdminChange(db, res, {
      tenant,
      action: 'directory.deleted',
      subject: { kind: 'directory', id: input.id },
    })
    res.sendStatus(204)
  })
  router.post('/tenants/:slug/directories/:id/test', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await testDirectory(ctx, { tenant, id: req.params.id }))
  })
  router.post('/tenants/:slug/directories/:id/sp-keys/rotate', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const rotated = await rotateDirectorySpKey(ctx, { tenant, id: req.params.id })
    await recordAdminChange(db, res, {
      tenant,
      action: `directory.sp_key.${rotated.step}`,
      subject: { kind: 'directory', id: req.params.id },
      details: { kid: rotated.kid },
    })
    res.json(rotated)
  })
  return router
}
