import { type Request, type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { tenantInPath } from '../http/auth.js'
import { actorOf } from './actor.js'
import type { Tenant } from '../tenants/tenants.js'
import { recordAdminChange } from '../http/admin-change.js'
import { guestGrid, setAppGrant } from './guests.js'
import {
  convertGuest,
  disableMember,
  enableMember,
  getMember,
  removeMember,
  updateMember,
} from './members.js'
import { searchMembers } from './search.js'
import { directoryNames, memberJson } from './view.js'

/** /admin/api/v1/tenants/:slug/members and /guests: people after they joined. */
export function memberAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  const tenantOf = (res: Response, slug: string | undefined) => tenantInPath(db, res, slug, config)
  // Recorded once the change has committed (audit log and admin_change line: http/admin-change.ts).
  const audited = (
    res: Response,
    tenant: Tenant,
    action: string,
    member: { id: string; email: string },
    details?: Record<string, unknown>,
  ) =>
    recordAdminChange(db, res, {
      tenant,
      action,
      subject: { kind: 'member', id: member.id, label: member.email },
      ...(details && { details }),
    })

  router.get('/tenants/:slug/members', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const page = await searchMembers(db, tenant.id, req.query)
    const directories = await directoryNames(db, tenant)
    res.json({
      items: page.rows.map((r) => memberJson(r, directories)),
      nextCursor: page.nextCursor,
      total: page.total,
      totalIsEstimate: page.totalIsEstimate,
    })
  })
  router.get('/tenants/:slug/members/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const { row, lastSignInAt } = await getMember(db, tenant.id, req.params.id)
    res.json({
      ...memberJson(row, await directoryNames(db, tenant)),
      lastSignInAt: lastSignInAt?.toISOString() ?? null,
    })
  })
  router.patch('/tenants/:slug/members/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const input = { id: req.params.id, patch: req.body, actor: actorOf(res) }
    const row = await db.transaction().execute((tx) => updateMember(tx, tenant, input))
    await audited(res, tenant, 'member.changed', row, { fields: Object.keys(req.body ?? {}) })
    res.json(memberJson(row, await directoryNames(db, tenant)))
  })
  const transition = (
    path: string,
    action: string,
    run: typeof disableMember | typeof enableMember | typeof convertGuest,
  ) =>
    router.post(`/tenants/:slug/members/:id/${path}`, async (req, res) => {
      const tenant = await tenantOf(res, req.params.slug)
      const input = { id: req.params.id, actor: actorOf(res) }
      const row = await db.transaction().execute((tx) => run(tx, tenant, input))
      await audited(res, tenant, action, row)
      res.json(memberJson(row, await directoryNames(db, tenant)))
    })
  transition('disable', 'member.disabled', disableMember)
  transition('enable', 'member.enabled', enableMember)
  transition('convert', 'member.converted', convertGuest)
  router.delete('/tenants/:slug/members/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const input = { id: req.params.id, actor: actorOf(res) }
    const removed = await db.transaction().execute((tx) => removeMember(tx, tenant, input))
    await audited(res, tenant, 'member.removed', removed.member, {
      identityDeleted: removed.identityDeleted,
    })
    res.sendStatus(204)
  })

  router.get('/tenants/:slug/guests', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await guestGrid(db, tenant, req.query))
  })
  const grant = (granted: boolean) => async (req: Request, res: Response) => {
    const tenant = await tenantOf(res, String(req.params['slug']))
    const input = {
      id: String(req.params['id']),
      clientId: String(req.params['clientId']),
      granted,
    }
    const result = await db.transaction().execute((tx) => setAppGrant(tx, tenant, input))
    await recordAdminChange(db, res, {
      tenant,
      action: granted ? 'member.app_granted' : 'member.app_revoked',
      subject: { kind: 'member', id: result.id },
      details: { clientId: result.clientId, product: result.product },
    })
    res.json(result)
  }
  router.put('/tenants/:slug/members/:id/apps/:clientId', grant(true))
  router.delete('/tenants/:slug/members/:id/apps/:clientId', grant(false))
  return router
}
