import { type Response, Router } from 'express'
import * as z from 'zod'
import type { Deps } from '../app.js'
import { requirePlatformKey, tenantInPath } from '../http/auth.js'
import { changedFields } from '../audit/audit.js'
import { recordAdminChange } from '../http/admin-change.js'
import { parse } from '../lib/validate.js'
import { AddHostInput, addTenantHost, removeTenantHost } from './tenant-hosts.js'
import { hostsJson, tenantJson } from './tenant-json.js'
import { createTenant, getTenant, listDirectories, updateSettings } from './tenants.js'

const CreateTenantBody = z.strictObject({
  slug: z.string(),
  name: z.string(),
  hosts: z.array(z.string()).max(20).optional(),
  shareDirectoryWith: z.string().max(40).optional(),
})

/** /admin/api/v1/tenants: creating tenants needs a platform key; reading and settings a tenant key. */
export function tenantAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  const tenantOf = (res: Response, slug: string | undefined) => tenantInPath(db, res, slug, config)

  router.post('/tenants', async (req, res) => {
    requirePlatformKey(res)
    const body = parse(CreateTenantBody, req.body)
    const tenant = await db
      .transaction()
      .execute((tx) =>
        createTenant(
          tx,
          { ...body, hosts: body.hosts ?? [], settings: config.tenantDefaults },
          config,
        ),
      )
    await recordAdminChange(db, res, {
      tenant,
      action: 'tenant.created',
      subject: { kind: 'tenant', id: tenant.id, label: tenant.slug },
    })
    res.status(201).json(tenantJson(tenant, await listDirectories(db, tenant.id)))
  })

  router.get('/tenants/:slug', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    res.json(tenantJson(tenant, await listDirectories(db, tenant.id)))
  })

  router.patch('/tenants/:slug/settings', async (req, res) => {
    const tenant = await tenantInPath(db, res, req.params.slug, config)
    const settings = await updateSettings(db, tenant, req.body, config.passwordPolicies)
    await recordAdminChange(db, res, {
      tenant,
      action: 'settings.updated',
      subject: { kind: 'tenant', id: tenant.id, label: tenant.slug },
      details: { changed: changedFields(tenant.settings, settings) },
    })
    res.json(settings)
  })

  router.post('/tenants/:slug/hosts', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const { host, directory } = parse(AddHostInput, req.body)
    const input = { host, directoryId: directory }
    await db.transaction().execute((tx) => addTenantHost(tx, tenant, input, config.baseDomain))
    await recordAdminChange(db, res, {
      tenant,
      action: 'host.added',
      subject: { kind: 'host', id: host },
      ...(directory && { details: { directory } }),
    })
    res.status(201).json(hostsJson(await getTenant(db, tenant.slug, config)))
  })

  router.delete('/tenants/:slug/hosts/:host', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const host = req.params.host
    await db.transaction().execute((tx) => removeTenantHost(tx, tenant, host, config.baseDomain))
    await recordAdminChange(db, res, {
      tenant,
      action: 'host.removed',
      subject: { kind: 'host', id: host },
    })
    res.sendStatus(204)
  })
  return router
}
