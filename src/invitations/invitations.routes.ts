import { Router } from 'express'
import type { Deps } from '../app.js'
import { recordAdminChange } from '../http/admin-change.js'
import { tenantInPath } from '../http/auth.js'
import { once } from './idempotency.js'
import { inviteEach } from './invite-batch.js'
import { planInvitations } from './invitations.js'
import { reinvite, requireInvitation, resendInvitation, revokeInvitation } from './lifecycle.js'
import { invitationView, listInvitations } from './list.js'

const RESULT_STATUSES = ['invited', 'reinvited', 'already_invited', 'already_member', 'invalid']

/** /admin/api/v1/tenants/:slug/invitations: bearer-authenticated JSON. */
export function invitationAdminRoutes({ config, db, log }: Deps): Router {
  const router = Router()
  const tenantOf = (res: Parameters<typeof tenantInPath>[1], slug: string | undefined) =>
    tenantInPath(db, res, slug, config)
  const mail = { secretKey: config.secretKey }

  router.post('/tenants/:slug/invitations', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    const key = req.get('idempotency-key')
    const answer = await once(db, { tenantId: tenant.id, key, request: req.body }, async () => {
      const plan = await planInvitations(db, tenant, req.body)
      const ctx = { ...mail, invitedBy: res.locals.principal?.name }
      const results = await inviteEach(db, tenant, plan, ctx)
      for (const r of results)
        if (r.status === 'invited' || r.status === 'reinvited')
          await recordAdminChange(db, res, {
            tenant,
            action: `invitation.${r.status}`,
            subject: { kind: 'invitation', id: r.invitationId, label: r.email },
          })
      if (!config.smtpUrl)
        log.info(
          { tenant: tenant.slug, mailbox: `${tenant.publicUrl}/dev/mailbox` },
          'no SMTP_URL: invitation mail kept in the outbox',
        )
      const counts = Object.fromEntries(
        RESULT_STATUSES.map((s) => [s, results.filter((r) => r.status === s).length]),
      )
      return { status: 200, body: { results, counts } }
    })
    res.status(answer.status).json(answer.body)
  })

  router.get('/tenants/:slug/invitations', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(await listInvitations(db, tenant, req.query))
  })

  router.get('/tenants/:slug/invitations/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    res.json(
      invitationView(await requireInvitation(db, tenant.id, req.params.id), tenant, new Date()),
    )
  })

  // Resend (the same link again) and reinvite (a new link): the invitation as it now is, recorded.
  for (const [verb, act] of [
    ['resend', resendInvitation],
    ['reinvite', reinvite],
  ] as const) {
    router.post(`/tenants/:slug/invitations/:id/${verb}`, async (req, res) => {
      const tenant = await tenantOf(res, req.params.slug)
      await db.transaction().execute((tx) => act(tx, tenant, req.params.id, mail))
      const invitation = await requireInvitation(db, tenant.id, req.params.id)
      await recordAdminChange(db, res, {
        tenant,
        action: verb === 'resend' ? 'invitation.resent' : 'invitation.reinvited',
        subject: { kind: 'invitation', id: invitation.id, label: invitation.email },
      })
      res.json(invitationView(invitation, tenant, new Date()))
    })
  }

  router.delete('/tenants/:slug/invitations/:id', async (req, res) => {
    const tenant = await tenantOf(res, req.params.slug)
    await revokeInvitation(db, tenant, req.params.id)
    const invitation = await requireInvitation(db, tenant.id, req.params.id)
    await recordAdminChange(db, res, {
      tenant,
      action: 'invitation.revoked',
      subject: { kind: 'invitation', id: invitation.id, label: invitation.email },
    })
    res.json(invitationView(invitation, tenant, new Date()))
  })
  return router
}
