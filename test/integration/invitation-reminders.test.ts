import { sql } from 'kysely'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { remindPendingInvitations } from '../../src/jobs/remind-invitations.js'
import { sendDueMail } from '../../src/jobs/send-outbox.js'
import { createMailer } from '../../src/mail/smtp.js'
import { tenantWithKey } from '../support/admin-api.js'
import { type Gateway, useGateway } from '../support/harness.js'
import { extractLink, startSmtp, type TestSmtp } from '../support/smtp.js'

const DAY = 86_400_000

// Issue 11: "reminders stop when the link expires while the person stays pending until the
// purge". One rule (README): a reminder after expiry carries a fresh link.
describe('reminders of an invitation whose link expired', () => {
  const gw: Gateway = useGateway({}, { database: 'own' }) // the job scans every tenant
  let smtp: TestSmtp
  beforeAll(async () => {
    smtp = await startSmtp()
  })
  afterAll(() => smtp?.close())
  const deliver = () =>
    sendDueMail(gw.db, {
      mailer: createMailer(smtp.url),
      secretKey: gw.config.secretKey,
      templates: gw.config.mailTemplates,
      from: { address: 'no-reply@localhost' },
    })

  it('sends the reminder with a new link that works, and the expired one stays dead', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const { body } = await api('post', '/invitations').send({ emails: 'late@example.com' })
    const id = body.results[0].invitationId
    await deliver()
    const firstLink = extractLink(await smtp.waitFor('late@example.com'), '/invite/')
    // The link expired a day ago; the person is still pending (the purge is weeks away).
    await sql`update invitations set expires_at = now() - interval '1 day', last_sent_at = now() - interval '15 days' where id = ${id}`.execute(
      gw.db,
    )
    expect((await api('get', `/invitations/${id}`)).body.status).toBe('expired')

    const reminded = await remindPendingInvitations(gw.db, {
      secretKey: gw.config.secretKey,
      urls: gw.config,
    })
    expect(reminded).toBe(1)
    await deliver()
    const reminder = smtp.messages.filter((m) => m.envelope.rcptTo.includes('late@example.com'))[1]
    expect(reminder).toBeDefined()
    const freshLink = extractLink(reminder!, '/invite/')
    expect(freshLink).not.toBe(firstLink)

    const host = new URL(tenant.publicUrl).host
    const open = (link: string) => supertest(gw.app).get(new URL(link).pathname).set('Host', host)
    expect((await open(freshLink)).status).toBe(200)
    expect((await open(firstLink)).status).toBe(400)
    const shown = (await api('get', `/invitations/${id}`)).body
    expect(shown.status).toBe('pending')
    expect(new Date(shown.expiresAt).getTime()).toBeGreaterThan(Date.now() + 13 * DAY)
  })

  it('keeps the same link in a reminder while it lives', async () => {
    const { api } = await tenantWithKey(gw)
    const { body } = await api('post', '/invitations').send({ emails: 'soon@example.com' })
    await deliver()
    const firstLink = extractLink(await smtp.waitFor('soon@example.com'), '/invite/')
    await sql`update invitations set last_sent_at = now() - interval '3 days' where id = ${body.results[0].invitationId}`.execute(
      gw.db,
    )
    await remindPendingInvitations(gw.db, { secretKey: gw.config.secretKey, urls: gw.config })
    await deliver()
    const mails = smtp.messages.filter((m) => m.envelope.rcptTo.includes('soon@example.com'))
    expect(mails).toHaveLength(2)
    expect(extractLink(mails[1]!, '/invite/')).toBe(firstLink)
  })
})
