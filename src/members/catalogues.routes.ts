import { type Response, Router } from 'express'
import type { Deps } from '../app.js'
import type { Tx } from '../db/database.js'
import { tenantInPath } from '../http/auth.js'
import { recordAdminChange } from '../http/admin-change.js'
import * as catalogues from './catalogues.js'

type Kind = 'group' | 'role' | 'organization'

/** /admin/api/v1/tenants/:slug/{groups,roles,organizations}: the catalogues members pick from. */
export function catalogueAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  const tenantOf = (res: Response, slug: string | undefined) => tenantInPath(db, res, slug, config)
  const audited = (
    res: Response,
    tenantId: string,
    kind: Kind,
    verb: string,
    id: string,
    label?: string,
  ) =>
    recordAdminChange(db, res, {
      tenant: { id: tenantId },
      action: `${kind}.${verb}`,
      subject: { kind, id, ...(label && { label }) },
    })

  router.get('/tenants/:slug/groups', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json({ groups: await catalogues.listGroups(db, tenant.id) })
  })
  router.get('/tenants/:slug/groups/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await catalogues.getGroup(db, tenant.id, req.params.id))
  })
  router.get('/tenants/:slug/roles', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json({ roles: await catalogues.listRoles(db, tenant.id) })
  })
  router.get('/tenants/:slug/organizations', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json({
      organizations: await catalogues.listOrganizations(db, tenant.id, req.query['kind']),
    })
  })
  router.get('/tenants/:slug/products', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json({ products: await catalogues.listProducts(db, tenant.id) })
  })

  const crud = (
    path: string,
    kind: Kind,
    ops: {
      create: (tx: Tx, tenantId: string, body: unknown) => Promise<{ id: string; name: string }>
      update: (
        tx: Tx,
        tenantId: string,
        id: string,
        body: unknown,
      ) => Promise<{ id: string; name: string }>
      remove: (tx: Tx, tenantId: string, id: string) => Promise<void>
    },
  ) => {
    router.post(`/tenants/:slug/${path}`, async (req, res) => {
      const tenant = await tenantOf(res, String(req.params['slug']))
      const made = await db.transaction().execute((tx) => ops.create(tx, tenant.id, req.body))
      await audited(res, tenant.id, kind, 'created', made.id, made.name)
      res.status(201).json(made)
    })
    router.patch(`/tenants/:slug/${path}/:id`, async (req, res) => {
      const tenant = await tenantOf(res, String(req.params['slug']))
      const id = String(req.params['id'])
      const changed = await db
        .transaction()
        .execute((tx) => ops.update(tx, tenant.id, id, req.body))
      await audited(res, tenant.id, kind, 'changed', changed.id, changed.name)
      res.json(changed)
    })
    router.delete(`/tenants/:slug/${path}/:id`, async (req, res) => {
      const tenant = await tenantOf(res, String(req.params['slug']))
      const id = String(req.params['id'])
      await db.transaction().execute((tx) => ops.remove(tx, tenant.id, id))
      await audited(res, tenant.id, kind, 'deleted', id)
      res.sendStatus(204)
    })
  }
  crud('groups', 'group', {
    create: catalogues.createGroup,
    update: catalogues.updateGroup,
    remove: catalogues.deleteGroup,
  })
  crud('roles', 'role', {
    create: catalogues.createRole,
    update: catalogues.updateRole,
    remove: catalogues.deleteRole,
  })
  crud('organizations', 'organization', {
    create: catalogues.createOrganization,
    update: catalogues.updateOrganization,
    remove: catalogues.deleteOrganization,
  })
  return router
}
