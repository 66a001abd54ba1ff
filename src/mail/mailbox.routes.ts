import { Router } from 'express'
import type { Db } from '../db/database.js'
import { listMailbox } from './outbox.js'
import { mailboxPage } from './mailbox.pages.js'
import type { MailDefaults } from './templates.js'

/** Tenant host, development only: the app mounts it when SMTP_URL is unset outside production. */
export function mailboxRoutes(db: Db, secretKey: string, templates: MailDefaults): Router {
  const router = Router()
  router.get('/dev/mailbox', async (_req, res) => {
    const tenant = res.locals.tenant
    const mails = await listMailbox(
      db,
      { tenantId: tenant.id, limit: 50 },
      { secretKey, templates },
    )
    // Live activation links: never cached, never indexed.
    res.set({ 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' })
    res.type('html').send(mailboxPage(tenant, mails).value)
  })
  return router
}
