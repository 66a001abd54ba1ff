import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { messageIdOf, type SendOutboxDeps, sendDueMail } from '../../src/jobs/send-outbox.js'
import { enqueueMail } from '../../src/mail/outbox.js'
import { createMailer, type Mailer } from '../../src/mail/smtp.js'
import { loadTemplates } from '../../src/mail/templates.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { tenantWithKey } from '../support/admin-api.js'
import { useGateway } from '../support/harness.js'
import { freePort } from '../support/process.js'
import { type ReceivedMail, startSmtp, type TestSmtp } from '../support/smtp.js'

// Issue 13, faults: SMTP down for a while, a permanent refusal, a mail sent again.
const templates = loadTemplates(
  fileURLToPath(new URL('../../config/email-templates', import.meta.url)),
)
const FROM = { address: 'no-reply@gateway.test' }
const HOUR = 3_600_000

// Own database: sendDueMail sends every due mail in it, and the tests count what arrives.
const gw = useGateway({}, { database: 'own' })
const REFUSED = 'nobody-'
let port: number
let senderRefused = false
let smtp: TestSmtp | undefined
let mailer: Mailer
beforeAll(async () => {
  port = await freePort()
  smtp = await startSmtpHere()
  mailer = createMailer(`smtp://127.0.0.1:${port}`)
})
afterAll(async () => {
  mailer.close()
  await smtp?.close()
})

const startSmtpHere = () =>
  startSmtp({
    port,
    refuse: (to) => (to.startsWith(REFUSED) ? 550 : undefined),
    refuseSender: () => (senderRefused ? 553 : undefined),
  })
const address = (label: string) => `${label}${randomBytes(4).toString('hex')}@example.test`
const deps = (now: Date, extra: Partial<SendOutboxDeps> = {}): SendOutboxDeps => ({
  mailer,
  secretKey: gw.config.secretKey,
  templates,
  from: FROM,
  now,
  ...extra,
})
const enqueue = (tenant: Tenant, to: string) =>
  gw.db.transaction().execute((tx) =>
    enqueueMail(
      tx,
      {
        tenantId: tenant.id,
        template: 'invitation',
        locale: 'en',
        to: { address: to, name: 'Ada' },
        data: { firstName: 'Ada', expiresAt: '2026-12-05T14:30:00.000Z' },
        secret: { link: `${tenant.publicUrl}/invite/${randomBytes(16).toString('base64url')}` },
      },
      gw.config.secretKey,
    ),
  )
const row = (id: string) =>
  gw.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const received = (to: string) => smtp!.messages.filter((m) => m.envelope.rcptTo.includes(to))
const messageId = (mail: ReceivedMail) => mail.headers.find((h) => h.key === 'message-id')?.value

describe('mail while the SMTP server is down, refuses for good, or loses its reply', () => {
  it('keeps mail in the outbox while the server is down and sends it once when it is back', async () => {
    const tenant = await gw.createTenant()
    const to = address('waits-')
    const { id } = await enqueue(tenant, to)

    await smtp!.close()
    smtp = undefined
    const t0 = new Date()
    expect(await sendDueMail(gw.db, deps(t0))).toEqual({ sent: 0, failed: 1 })
    const waiting = await row(id)
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, sent_at: null })
    expect(waiting.last_error).toMatch(/ECONNREFUSED|ECONNECTION/)
    expect(waiting.secret).not.toBeNull() // its link is still there for the next try

    // Back on the same port, where the gateway's SMTP_URL points.
    smtp = await startSmtpHere()
    // Not before its retry is due: nothing goes at once on the server's return.
    expect(await sendDueMail(gw.db, deps(new Date(t0.getTime() + 1_000)))).toEqual({
      sent: 0,
      failed: 0,
    })
    expect(await sendDueMail(gw.db, deps(new Date(t0.getTime() + HOUR)))).toEqual({
      sent: 1,
      failed: 0,
    })
    expect(await sendDueMail(gw.db, deps(new Date(t0.getTime() + 2 * HOUR)))).toEqual({
      sent: 0,
      failed: 0,
    })
    expect(received(to)).toHaveLength(1)
    expect(await row(id)).toMatchObject({ status: 'sent', secret: null, last_error: null })
  })

  it('marks a mail the server refuses for good (550) failed at once, and shows it to the admins with the reply', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const refused = address(REFUSED)
    const fine = address('fine-')
    const bad = await enqueue(tenant, refused)
    const good = await enqueue(tenant, fine)

    const now = new Date()
    expect(await sendDueMail(gw.db, deps(now))).toEqual({ sent: 1, failed: 1 })
    const failed = await row(bad.id)
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, secret: null })
    expect(failed.last_error).toMatch(/^550: .*No such user here/)
    // Never tried again, however long one waits.
    expect(await sendDueMail(gw.db, deps(new Date(now.getTime() + 24 * HOUR)))).toEqual({
      sent: 0,
      failed: 0,
    })
    expect(received(refused)).toHaveLength(0)

    const listed = await api('get', '/outbox?status=failed')
    expect(listed.status).toBe(200)
    expect(listed.body).toEqual({
      items: [
        {
          id: bad.id,
          template: 'invitation',
          locale: 'en',
          to: { address: refused, name: 'Ada' },
          status: 'failed',
          attempts: 1,
          lastError: failed.last_error,
          createdAt: failed.created_at.toISOString(),
          lastAttemptAt: now.toISOString(),
          nextAttemptAt: null,
          sentAt: null,
        },
      ],
      nextCursor: null,
    })
    const all = await api('get', '/outbox?limit=1')
    expect(all.body.items.map((m: { id: string }) => m.id)).toHaveLength(1)
    const next = await api('get', `/outbox?limit=1&cursor=${all.body.nextCursor}`)
    expect([...all.body.items, ...next.body.items].map((m: { id: string }) => m.id).sort()).toEqual(
      [bad.id, good.id].sort(),
    )
    expect(next.body.nextCursor).toBeNull()
    // Nothing of the mail's content or link leaves through the listing.
    expect(JSON.stringify(all.body) + JSON.stringify(next.body)).not.toContain('/invite/')
    expect((await api('get', '/outbox?status=lost')).status).toBe(400)
    expect((await api('get', '/outbox?cursor=nonsense')).status).toBe(400)
  })

  it('fails a message the server refuses for good after its data (554) at once', async () => {
    const tenant = await gw.createTenant()
    const { id } = await enqueue(tenant, address('content-'))
    smtp!.setFailing(true, 554)
    try {
      expect(await sendDueMail(gw.db, deps(new Date()))).toEqual({ sent: 0, failed: 1 })
    } finally {
      smtp!.setFailing(false)
    }
    const failed = await row(id)
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 })
    expect(failed.last_error).toMatch(/^554: /)
  })

  it('keeps retrying when the server refuses our sender (a 5xx the operator fixes, for every mail)', async () => {
    const tenant = await gw.createTenant()
    const { id } = await enqueue(tenant, address('sender-'))
    senderRefused = true
    try {
      expect(await sendDueMail(gw.db, deps(new Date()))).toEqual({ sent: 0, failed: 1 })
    } finally {
      senderRefused = false
    }
    const waiting = await row(id)
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1 })
    expect(waiting.last_error).toMatch(/^553: /)
    await gw.db.updateTable('outbox').set({ status: 'failed' }).where('id', '=', id).execute()
  })

  it('keeps retrying a temporary refusal (451)', async () => {
    const tenant = await gw.createTenant()
    const to = address('later-')
    const { id } = await enqueue(tenant, to)
    smtp!.setFailing(true)
    try {
      expect(await sendDueMail(gw.db, deps(new Date()))).toEqual({ sent: 0, failed: 1 })
    } finally {
      smtp!.setFailing(false)
    }
    const waiting = await row(id)
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1 })
    expect(waiting.last_error).toMatch(/^451: /)
  })

  it('sends a mail tried again (the reply was lost after the server took it) under its first Message-ID', async () => {
    const tenant = await gw.createTenant()
    const to = address('twice-')
    const { id } = await enqueue(tenant, to)
    // The server has the mail, but its "250" never reaches the sender: the try counts as failed.
    const replyLost: Mailer = {
      send: async (m) => {
        await mailer.send(m)
        throw Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' })
      },
      close: () => {},
    }
    const t0 = new Date()
    expect(await sendDueMail(gw.db, deps(t0, { mailer: replyLost }))).toEqual({
      sent: 0,
      failed: 1,
    })
    await sendDueMail(gw.db, deps(new Date(t0.getTime() + HOUR)))
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 1 })

    const copies = received(to)
    expect(copies).toHaveLength(2)
    expect(copies.map(messageId)).toEqual([
      messageIdOf(id, FROM.address),
      messageIdOf(id, FROM.address),
    ])
    expect(messageId(copies[0]!)).toBe(`<${id}@gateway.test>`)
  })
})
