import { type Response, Router } from 'express'
import type { Deps } from '../app.js'
import { recordAdminChange } from '../http/admin-change.js'
import { tenantInPath } from '../http/auth.js'
import { parse } from '../lib/validate.js'
import {
  accessRequestView,
  approveAccessRequest,
  denyAccessRequest,
  listAccessRequests,
  SubscriptionInput,
} from './access-requests.js'
import { getSubscription, setSubscription, type Subscriber } from './subscription.js'

/** /admin/api/v1/tenants/:slug/access-requests: bearer-authenticated JSON (or the console). */
export function accessRequestAdminRoutes({ config, db }: Deps): Router {
  const router = Router()
  const tenantOf = (res: Response, slug: string | undefined) => tenantInPath(db, res, slug, config)
  const decider = (res: Response) => res.locals.principal?.name ?? 'admin'
  const subscriber = (res: Response): Subscriber => {
    const p = res.locals.principal
    return {
      kind: p?.kind ?? 'none',
      tenantId: p?.tenantId ?? null,
      ...(p?.kind === 'session' ? { membershipId: p.membershipId } : {}),
    }
  }
  const base = '/tenants/:slug/access-requests'

  router.get(base, async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await listAccessRequests(db, tenant, req.query))
  })

  router.get(`${base}/subscription`, async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await getSubscription(db, tenant, subscriber(res)))
  })

  router.put(`${base}/subscription`, async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const { subscribed } = parse(SubscriptionInput, req.body)
    const done = await setSubscription(db, tenant, subscriber(res), subscribed)
    await recordAdminChange(db, res, {
      tenant,
      action: subscribed ? 'access_request.subscribed' : 'access_request.unsubscribed',
      subject: { kind: 'membership', id: done.membershipId },
    })
    res.json({ subscribed })
  })

  router.post(`${base}/:id/approve`, async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const input = { id: req.params.id, grant: req.body, decidedBy: decider(res) }
    const { request, invitation } = await approveAccessRequest(db, tenant, input, config)
    await recordAdminChange(db, res, {
      tenant,
      action: 'access_request.approved',
      subject: { kind: 'access_request', id: request.id, label: request.email },
      details: { invitation: invitation.status },
    })
    res.json({ request: accessRequestView(request), invitation })
  })

  router.post(`${base}/:id/deny`, async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const input = { id: req.params.id, decidedBy: decider(res) }
    const request = await db
      .transaction()
      .execute((tx) => denyAccessRequest(tx, tenant, input, config))
    await recordAdminChange(db, res, {
      tenant,
      action: 'access_request.denied',
      subject: { kind: 'access_request', id: request.id, label: request.email },
    })
    res.json(accessRequestView(request))
  })
  return router
}
