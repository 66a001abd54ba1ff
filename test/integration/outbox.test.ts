import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import express from 'express'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Db, dbOn } from '../../src/db/database.js'
import { type SendOutboxDeps, sendDueMail } from '../../src/jobs/send-outbox.js'
import { escapeHtml } from '../../src/lib/html.js'
import { mailboxRoutes } from '../../src/mail/mailbox.routes.js'
import { type EnqueueMailInput, enqueueMail } from '../../src/mail/outbox.js'
import { createMailer, isMailAddress, type Mailer } from '../../src/mail/smtp.js'
import { previewMail, saveTenantTemplate } from '../../src/mail/tenant-templates.js'
import { loadTemplates } from '../../src/mail/templates.js'
import { createTenant, type Tenant } from '../../src/tenants/tenants.js'
import { onPostgres, useTestDb } from '../support/database.js'
import { randomSlug, TEST_ENV, testConfig } from '../support/harness.js'
import { extractLink, startSmtp, type TestSmtp } from '../support/smtp.js'

const templates = loadTemplates(
  fileURLToPath(new URL('../../config/email-templates', import.meta.url)),
)
const secretKey = TEST_ENV.SECRET_KEY
const config = testConfig()
const FROM = { address: 'no-reply@gateway.test' }
const MINUTE = 60_000

// Own database: sendDueMail sends every due mail of every tenant, and the tests count them.
const t = useTestDb({ database: 'own' })
let smtp: TestSmtp
let mailer: Mailer
beforeAll(async () => {
  smtp = await startSmtp()
  mailer = createMailer(smtp.url)
})
afterAll(async () => {
  mailer.close()
  await smtp.close()
})

const newTenant = (name = 'Shop') =>
  t.db
    .transaction()
    .execute((tx) =>
      createTenant(
        tx,
        { slug: randomSlug(), name, hosts: [], settings: config.tenantDefaults },
        config,
      ),
    )
const address = (label: string) => `${label}-${randomBytes(4).toString('hex')}@example.test`
const inviteLink = (tenant: Tenant) =>
  `${tenant.publicUrl}/activate?token=${randomBytes(32).toString('base64url')}`

function enqueue(tenant: Tenant, to: string, extra: Partial<EnqueueMailInput> = {}) {
  const link = inviteLink(tenant)
  const input: EnqueueMailInput = {
    tenantId: tenant.id,
    template: 'invitation',
    locale: 'en',
    to: { address: to, name: 'Ada Lovelace' },
    data: { firstName: 'Ada', expiresAt: '2026-12-05T14:30:00.000Z' },
    secret: { link },
    ...extra,
  }
  return t.db
    .transaction()
    .execute(async (tx) => ({ id: (await enqueueMail(tx, input, secretKey)).id, link }))
}

const deps = (extra: Partial<SendOutboxDeps> = {}): SendOutboxDeps => ({
  mailer,
  secretKey,
  templates,
  from: FROM,
  ...extra,
})
const row = (db: Db, id: string) =>
  db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

describe('outbox', () => {
  it('delivers a queued invitation with the right envelope and link, then wipes the link', async () => {
    const tenant = await newTenant('Corner Shop')
    const to = address('ada')
    const { id, link } = await enqueue(tenant, to)

    const stored = await row(t.db, id)
    const token = new URL(link).searchParams.get('token') ?? ''
    expect(Buffer.from(stored.secret ?? []).includes(Buffer.from(token))).toBe(false)
    expect(JSON.stringify(stored)).not.toContain(token)

    expect(await sendDueMail(t.db, deps())).toEqual({ sent: 1, failed: 0 })
    const mail = await smtp.waitFor(to)
    expect(mail.envelope).toEqual({ mailFrom: FROM.address, rcptTo: [to] })
    expect(mail.from).toEqual({ name: 'Corner Shop', address: FROM.address })
    expect(mail.to).toEqual([{ name: 'Ada Lovelace', address: to }])
    expect(mail.subject).toBe("You're invited to Corner Shop")
    expect(mail.text).toContain('Hello Ada,')
    expect(mail.text).toContain('December 5, 2026')
    expect(extractLink(mail, '/activate')).toBe(link)
    expect(mail.html).toContain(`href="${escapeHtml(link)}"`)

    const sent = await row(t.db, id)
    expect(sent).toMatchObject({ status: 'sent', secret: null, attempts: 0 })
    expect(sent.sent_at).toBeInstanceOf(Date)
    expect(await sendDueMail(t.db, deps())).toEqual({ sent: 0, failed: 0 })
  })

  it('retries with backoff while the server refuses, and delivers once it is back', async () => {
    const tenant = await newTenant()
    const to = address('retry')
    const { id, link } = await enqueue(tenant, to)
    const now = new Date()

    smtp.setFailing(true)
    try {
      expect(await sendDueMail(t.db, deps({ now }))).toEqual({ sent: 0, failed: 1 })
      let stored = await row(t.db, id)
      expect(stored).toMatchObject({ status: 'pending', attempts: 1 })
      expect(stored.next_attempt_at.getTime()).toBe(now.getTime() + 30_000)
      expect(stored.last_error).toMatch(/451/)
      expect(stored.last_error).not.toContain(link)
      expect(stored.secret).not.toBeNull()

      // Not due yet: nothing is tried.
      expect(await sendDueMail(t.db, deps({ now }))).toEqual({ sent: 0, failed: 0 })
      const later = new Date(now.getTime() + MINUTE)
      expect(await sendDueMail(t.db, deps({ now: later }))).toEqual({ sent: 0, failed: 1 })
      stored = await row(t.db, id)
      expect(stored).toMatchObject({ status: 'pending', attempts: 2 })
      expect(stored.next_attempt_at.getTime()).toBe(later.getTime() + 60_000)
    } finally {
      smtp.setFailing(false)
    }

    const back = new Date(now.getTime() + 5 * MINUTE)
    expect(await sendDueMail(t.db, deps({ now: back }))).toEqual({ sent: 1, failed: 0 })
    expect(extractLink(await smtp.waitFor(to), '/activate')).toBe(link)
    expect(await row(t.db, id)).toMatchObject({ status: 'sent', secret: null })
  })

  it('waits at most an hour between tries and gives up after 20, wiping the link', async () => {
    const tenant = await newTenant()
    const { id } = await enqueue(tenant, address('hopeless'))
    await t.db.updateTable('outbox').set({ attempts: 12 }).where('id', '=', id).execute()
    const now = new Date()

    smtp.setFailing(true)
    try {
      await sendDueMail(t.db, deps({ now }))
      const stored = await row(t.db, id)
      expect(stored.next_attempt_at.getTime()).toBe(now.getTime() + 60 * MINUTE)

      await t.db.updateTable('outbox').set({ attempts: 19 }).where('id', '=', id).execute()
      await sendDueMail(t.db, deps({ now: new Date(now.getTime() + 61 * MINUTE) }))
      expect(await row(t.db, id)).toMatchObject({ status: 'failed', attempts: 20, secret: null })
    } finally {
      smtp.setFailing(false)
    }
  })

  it('lets no name inject a header (SECURITY-NOTES.md: assert on the envelope)', async () => {
    const injection = 'Ada\r\nBcc: evil@x.test\r\nSubject: pwned'
    const tenant = await newTenant('Evil\r\nBcc: evil@x.test')
    const to = address('victim')
    await enqueue(tenant, to, {
      to: { address: to, name: injection },
      data: { firstName: injection },
    })

    await sendDueMail(t.db, deps())
    const mail = await smtp.waitFor(to)
    expect(mail.envelope.rcptTo).toEqual([to])
    expect(smtp.messages.flatMap((m) => m.envelope.rcptTo)).not.toContain('evil@x.test')
    const keys = mail.headers.map((h) => h.key)
    expect(keys).not.toContain('bcc')
    expect(keys.filter((k) => k === 'subject')).toHaveLength(1)
    expect(mail.subject).not.toMatch(/[\r\n]/)
    expect(mail.to).toEqual([{ name: 'Ada Bcc: evil@x.test Subject: pwned', address: to }])
  })

  it('refuses an address that is not plain before it reaches the outbox', async () => {
    const tenant = await newTenant()
    const bad = ['a@b.test\r\nRCPT TO:<evil@x.test>', '"a@b"@x.test', 'a@b.test, c@d.test']
    for (const to of [
      ...bad,
      'Ada <a@b.test>',
      'a@[127.0.0.1]',
      'a@b.test\n',
      'é@b.test',
      'a..b@c.test',
    ])
      expect(isMailAddress(to), to).toBe(false)
    for (const to of ["o'brien+tag@mail.example.test", 'no-reply@localhost'])
      expect(isMailAddress(to), to).toBe(true)
    for (const to of bad)
      await expect(enqueue(tenant, to)).rejects.toMatchObject({ code: 'invalid_request' })
  })

  it('escapes HTML in a first name in the html body', async () => {
    const tenant = await newTenant()
    const to = address('html')
    await enqueue(tenant, to, { data: { firstName: '<b>Ada</b> & "co"' } })

    await sendDueMail(t.db, deps())
    const mail = await smtp.waitFor(to)
    expect(mail.html).toContain('Hello &lt;b&gt;Ada&lt;/b&gt; &amp; &quot;co&quot;,')
    expect(mail.html).not.toContain('<b>Ada</b>')
    expect(mail.text).toContain('Hello <b>Ada</b> & "co",')
  })

  it("uses the tenant's own template, and refuses one with unknown placeholders", async () => {
    const tenant = await newTenant('Own Shop')
    const own = {
      tenantId: tenant.id,
      name: 'invitation' as const,
      locale: 'fr' as const,
      subject: 'Bienvenue chez {{tenantName}}, {{greetingName}}',
      text: 'Cliquez : {{link}}',
      html: '<p><a href="{{link}}">Entrer</a></p>',
    }
    await expect(
      saveTenantTemplate(t.db, { ...own, text: '{{link}} {{password}}' }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
      details: { fields: { text: [expect.stringContaining('{{password}}')] } },
    })
    await saveTenantTemplate(t.db, own)
    const preview = await previewMail(t.db, templates, { ...own, vars: { firstName: 'Zoé' } })
    expect(preview.subject).toBe('Bienvenue chez Own Shop, Zoé')

    const to = address('own')
    const { link } = await enqueue(tenant, to, { locale: 'fr' })
    await sendDueMail(t.db, deps())
    const mail = await smtp.waitFor(to)
    expect(mail.subject).toBe('Bienvenue chez Own Shop, Ada')
    expect(mail.text.trim()).toBe(`Cliquez : ${link}`)
  })

  it('shows pending mail with a clickable link on the dev mailbox page', async () => {
    const tenant = await newTenant('Mailbox <Shop>')
    const older = await enqueue(tenant, address('first'))
    const newer = await enqueue(tenant, address('second'), { template: 'password_reset' })
    // Two transactions within one clock tick (PGlite's clock is coarse) share created_at.
    await t.db
      .updateTable('outbox')
      .set({ created_at: new Date(Date.now() - 60_000) } as never)
      .where('id', '=', older.id)
      .execute()
    const app = express()
    app.use((_req, res, next) => {
      res.locals.tenant = tenant
      next()
    })
    app.use(mailboxRoutes(t.db, secretKey, templates))

    const res = await supertest(app).get('/dev/mailbox').expect(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.text).toContain('Reset your Mailbox &lt;Shop&gt; password')
    expect(res.text.indexOf(escapeHtml(newer.link))).toBeLessThan(
      res.text.indexOf(escapeHtml(older.link)),
    )
    expect(res.text).toContain(`<a href="${escapeHtml(older.link)}">${escapeHtml(older.link)}</a>`)
    expect(res.text).not.toContain('<Shop>')
    await sendDueMail(t.db, deps()) // leave nothing pending for the tests below
  })

  // PGlite serialises every connection, so the race only means something on PostgreSQL.
  it.runIf(onPostgres())('sends each mail once when two senders race', async () => {
    const other = dbOn({ url: t.url ?? '' })
    try {
      const tenant = await newTenant()
      const recipients = Array.from({ length: 12 }, (_, i) => address(`race${i}`))
      for (const to of recipients) await enqueue(tenant, to)
      // Slow sends keep both transactions open at once.
      const slow: SendOutboxDeps['mailer'] = {
        send: async (m) => {
          await new Promise((resolve) => setTimeout(resolve, 150))
          await mailer.send(m)
        },
      }
      const [a, b] = await Promise.all([
        sendDueMail(t.db, deps({ mailer: slow, batchSize: 3 })),
        sendDueMail(other, deps({ mailer: slow, batchSize: 3 })),
      ])
      expect(a.sent + b.sent).toBe(12)
      expect(Math.min(a.sent, b.sent)).toBeGreaterThan(0)
      for (const to of recipients) {
        expect(smtp.messages.filter((m) => m.envelope.rcptTo.includes(to))).toHaveLength(1)
      }
    } finally {
      await other.destroy()
    }
  })
})
