import { sql } from 'kysely'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tenantWithKey as tenantWithApiKey } from '../support/admin-api.js'
import { createApiKey } from '../../src/admin/api-keys.js'
import { purgeNeverActivated } from '../../src/jobs/purge.js'
import { remindPendingInvitations } from '../../src/jobs/remind-invitations.js'
import { sendDueMail } from '../../src/jobs/send-outbox.js'
import { createMailer } from '../../src/mail/smtp.js'
import { newMailForLog } from '../../src/mail/outbox.js'
import { dbOn } from '../../src/db/database.js'
import { onPostgres } from '../support/database.js'
import { type Gateway, useGateway } from '../support/harness.js'
import { extractLink, startSmtp, type TestSmtp } from '../support/smtp.js'

const DAY = 86_400_000

// Issue 3, "How it will be checked": the admin API, a real SMTP server, and the jobs.
describe('invitations through the admin API', () => {
  // Own database: the mail, reminder and purge jobs run over every tenant.
  const gw: Gateway = useGateway({}, { database: 'own' })
  let smtp: TestSmtp
  beforeAll(async () => {
    smtp = await startSmtp()
  })
  afterAll(() => smtp?.close())

  const tenantWithKey = () => tenantWithApiKey(gw)

  const deliver = (now?: Date) =>
    sendDueMail(gw.db, {
      mailer: createMailer(smtp.url),
      secretKey: gw.config.secretKey,
      templates: gw.config.mailTemplates,
      from: { address: 'no-reply@localhost' },
      now,
    })

  it('sends the invitation through SMTP with a link on the tenant host, built from its public URL', async () => {
    const { tenant, api } = await tenantWithKey()
    const res = await api('post', '/invitations')
      .set('Host', 'evil.example')
      .send({ invitees: [{ email: 'Ada@Example.com', firstName: 'Ada' }] })
    expect(res.status).toBe(200)
    expect(res.body.results).toEqual([
      {
        email: 'Ada@example.com',
        status: 'invited',
        invitationId: expect.any(String),
        expiresAt: expect.any(String),
      },
    ])
    await deliver()
    const mail = await smtp.waitFor('Ada@example.com')
    expect(mail.envelope.rcptTo).toEqual(['Ada@example.com'])
    const link = extractLink(mail, '/invite/')
    expect(link).toMatch(new RegExp(`^${tenant.publicUrl}/invite/[A-Za-z0-9_-]{43}$`))
    expect(mail.text).not.toContain('evil.example') // SECURITY-NOTES: URLs never come from Host
    // Only the hash is stored: neither the token nor the link is readable in the database.
    const token = link.split('/').pop() as string
    const rows = await sql<{
      row: string
    }>`select row_to_json(i)::text as row from invitations i where tenant_id = ${tenant.id}`.execute(
      gw.db,
    )
    expect(rows.rows[0]?.row).not.toContain(token)
  })

  it('answers one result per invitee from a pasted list: invalid, duplicate, already invited (issue 11: already_invited, not re-sent)', async () => {
    const { api } = await tenantWithKey()
    const first = await api('post', '/invitations').send({ emails: 'grace@example.com' })
    expect(first.body.counts.invited).toBe(1)
    // Invitations pick from the tenant's catalogues (issue 11).
    await api('post', '/groups').send({ name: 'Sales' }).expect(201)
    await api('post', '/roles').send({ name: 'manager' }).expect(201)
    const res = await api('post', '/invitations').send({
      emails:
        'GRACE@example.com; new@example.com\nnot-an-email, new@EXAMPLE.com\nbad\r\nBcc: x@y.test',
      groups: ['Sales'],
      role: 'manager',
    })
    expect(res.status).toBe(200)
    const byStatus = (s: string) =>
      res.body.results
        .filter((r: { status: string }) => r.status === s)
        .map((r: { email: string }) => r.email)
    expect(byStatus('already_invited')).toEqual(['grace@example.com'])
    expect(byStatus('invited')).toEqual(['new@example.com'])
    expect(byStatus('invalid').length).toBeGreaterThanOrEqual(2)
    const list = await api('get', '/invitations?search=new@').expect(200)
    expect(list.body.items[0]).toMatchObject({
      email: 'new@example.com',
      role: 'manager',
      groups: ['Everybody', 'Sales'],
      status: 'pending',
      warning: null, // issue 11: never yellow on the day it is sent
    })
  })

  it('answers a paste of 10,000 addresses at once with a clear refusal, without hanging', async () => {
    const { api } = await tenantWithKey()
    const emails = Array.from({ length: 10_000 }, (_, i) => `user${i}@example.com`).join('\n')
    const res = await api('post', '/invitations').send({ emails })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({
      error: 'invalid_request',
      details: { max: 1000, received: 10_000 },
    })
  })

  it('refuses a resend inside the cooldown with 429 and resendAvailableAt, then allows it', async () => {
    const { api } = await tenantWithKey()
    const { body } = await api('post', '/invitations').send({
      invitees: [{ email: 'cool@example.com' }],
    })
    const id = body.results[0].invitationId
    const refused = await api('post', `/invitations/${id}/resend`)
    expect(refused.status).toBe(429)
    expect(refused.body.details.resendAvailableAt).toBeDefined()
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(23 * 3600)
    await sql`update invitations set last_sent_at = now() - interval '25 hours' where id = ${id}`.execute(
      gw.db,
    )
    const resent = await api('post', `/invitations/${id}/resend`)
    expect(resent.status).toBe(200)
    expect(resent.body.sendCount).toBe(2)
  })

  it('reinvite gives a new link and the old one stops working at once', async () => {
    const { tenant, api } = await tenantWithKey()
    const { body } = await api('post', '/invitations').send({
      invitees: [{ email: 'again@example.com' }],
    })
    await deliver()
    const oldLink = extractLink(await smtp.waitFor('again@example.com'), '/invite/')
    smtp.messages.length = 0
    expect(
      (await api('post', `/invitations/${body.results[0].invitationId}/reinvite`)).status,
    ).toBe(200)
    await deliver()
    const newLink = extractLink(await smtp.waitFor('again@example.com'), '/invite/')
    expect(newLink).not.toBe(oldLink)
    const host = new URL(tenant.publicUrl).host
    expect((await supertest(gw.app).get(new URL(oldLink).pathname).set('Host', host)).status).toBe(
      400,
    )
    expect((await supertest(gw.app).get(new URL(newLink).pathname).set('Host', host)).status).toBe(
      200,
    )
  })

  it('shows yellow then red before expiry, and expired after the TTL (the link is refused)', async () => {
    const { tenant, api } = await tenantWithKey()
    const { body } = await api('post', '/invitations').send({
      invitees: [{ email: 'late@example.com' }],
    })
    const id = body.results[0].invitationId
    const setExpiry = (ms: number) =>
      sql`update invitations set expires_at = now() + ${`${ms} milliseconds`}::interval where id = ${id}`.execute(
        gw.db,
      )
    await setExpiry(6 * DAY)
    expect((await api('get', `/invitations/${id}`)).body.warning).toBe('yellow')
    await setExpiry(2 * DAY)
    expect((await api('get', `/invitations/${id}`)).body.warning).toBe('red')
    await deliver()
    const link = extractLink(await smtp.waitFor('late@example.com'), '/invite/')
    await setExpiry(-1000)
    expect((await api('get', `/invitations/${id}`)).body).toMatchObject({
      status: 'expired',
      warning: null,
    })
    expect(
      (await api('get', '/invitations?status=expired')).body.items.map((i: { id: string }) => i.id),
    ).toEqual([id])
    expect(
      (
        await supertest(gw.app)
          .get(new URL(link).pathname)
          .set('Host', new URL(tenant.publicUrl).host)
      ).status,
    ).toBe(400)
  })

  it('revokes a pending invitation', async () => {
    const { api } = await tenantWithKey()
    const { body } = await api('post', '/invitations').send({
      invitees: [{ email: 'gone@example.com' }],
    })
    const res = await api('delete', `/invitations/${body.results[0].invitationId}`)
    expect(res.body.status).toBe('revoked')
    expect((await api('delete', `/invitations/${body.results[0].invitationId}`)).status).toBe(409)
  })

  it('reminds a pending invitation once per reminder interval', async () => {
    const { tenant, api } = await tenantWithKey()
    await api('post', '/invitations').send({ invitees: [{ email: 'remind@example.com' }] })
    const later = new Date(Date.now() + 2 * DAY + 60_000)
    const count = async (now: Date) =>
      remindPendingInvitations(gw.db, { secretKey: gw.config.secretKey, urls: gw.config, now })
    expect(await count(new Date())).toBe(0)
    expect(await count(later)).toBeGreaterThanOrEqual(1)
    const row = await sql<{
      n: number
    }>`select count(*)::int as n from outbox where tenant_id = ${tenant.id} and template = 'reminder'`.execute(
      gw.db,
    )
    expect(row.rows[0]?.n).toBe(1)
    await count(later) // the same instant again: nothing new for this tenant
    const again = await sql<{
      n: number
    }>`select count(*)::int as n from outbox where tenant_id = ${tenant.id} and template = 'reminder'`.execute(
      gw.db,
    )
    expect(again.rows[0]?.n).toBe(1)
  })

  it.runIf(onPostgres())(
    'reminds once when two gateway processes run the job together',
    async () => {
      const { tenant, api } = await tenantWithKey()
      for (const email of ['r1@example.com', 'r2@example.com', 'r3@example.com']) {
        await api('post', '/invitations').send({ invitees: [{ email }] })
      }
      const other = dbOn({ url: gw.url ?? '' })
      try {
        const later = new Date(Date.now() + 2 * DAY + 60_000)
        const run = (db: typeof gw.db) =>
          remindPendingInvitations(db, {
            secretKey: gw.config.secretKey,
            urls: gw.config,
            now: later,
          })
        const [a, b] = await Promise.all([run(gw.db), run(other)])
        expect(a + b).toBeGreaterThanOrEqual(3)
        const reminders = await sql<{
          n: number
        }>`select count(*)::int as n from outbox where tenant_id = ${tenant.id} and template = 'reminder'`.execute(
          gw.db,
        )
        expect(reminders.rows[0]?.n).toBe(3)
      } finally {
        await other.destroy()
      }
    },
  )

  it('customises an email template, checks its placeholders, previews it, and uses it', async () => {
    const { tenant, api } = await tenantWithKey()
    const bad = await api('put', '/email-templates/invitation/en').send({
      subject: 'Hi {{nope}}',
      text: '{{link}}',
      html: '<a href="{{link}}">go</a>',
    })
    expect(bad.status).toBe(400)
    const good = {
      subject: 'Join {{tenantName}}',
      text: 'Click {{link}} before {{expiresAt}}',
      html: '<p><a href="{{link}}">Join</a></p>',
    }
    expect((await api('put', '/email-templates/invitation/en').send(good)).status).toBe(200)
    const preview = await api('post', '/email-templates/invitation/en/preview').send({})
    expect(preview.body.subject).toBe(`Join ${tenant.name}`)
    await api('post', '/invitations').send({ invitees: [{ email: 'custom@example.com' }] })
    const logged = await newMailForLog(gw.db, new Date(Date.now() - 60_000), {
      secretKey: gw.config.secretKey,
      templates: gw.config.mailTemplates,
    })
    const mail = logged.find((m) => m.to === 'custom@example.com')
    expect(mail?.subject).toBe(`Join ${tenant.name}`)
    expect(mail?.link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/)
  })

  it('purges a never-activated account after the retention, with its invitation (GDPR)', async () => {
    const { tenant, api } = await tenantWithKey()
    await api('post', '/invitations').send({ invitees: [{ email: 'ghost@example.com' }] })
    await purgeNeverActivated(gw.db, new Date(Date.now() + 59 * DAY))
    const count = async (table: string) =>
      (
        await sql<{
          n: number
        }>`select count(*)::int as n from ${sql.table(table)} where email_key = 'ghost@example.com'`.execute(
          gw.db,
        )
      ).rows[0]?.n
    expect(await count('users')).toBe(1)
    await purgeNeverActivated(gw.db, new Date(Date.now() + 61 * DAY))
    expect(await count('users')).toBe(0)
    const invitations = await sql<{
      n: number
    }>`select count(*)::int as n from invitations where tenant_id = ${tenant.id}`.execute(gw.db)
    expect(invitations.rows[0]?.n).toBe(0)
  })

  it("refuses a tenant key on another tenant's invitations with 404 (ASVS 8.4.1)", async () => {
    const { tenant: mine, api } = await tenantWithKey()
    const other = await gw.createTenant()
    const { key } = await createApiKey(gw.db, { tenantId: other.id, name: 'other' })
    const { body } = await api('post', '/invitations').send({
      invitees: [{ email: 'mine@example.com' }],
    })
    const cross = await supertest(gw.app)
      .get(`/admin/api/v1/tenants/${mine.slug}/invitations`)
      .set('Authorization', `Bearer ${key}`)
    expect(cross.status).toBe(404)
    const byId = await supertest(gw.app)
      .get(`/admin/api/v1/tenants/${other.slug}/invitations/${body.results[0].invitationId}`)
      .set('Authorization', `Bearer ${key}`)
    expect(byId.status).toBe(404)
  })

  it('refuses requests without a valid key, and answers bad input with {error, message, details}', async () => {
    const { tenant, api } = await tenantWithKey()
    expect(
      (await supertest(gw.app).get(`/admin/api/v1/tenants/${tenant.slug}/invitations`)).status,
    ).toBe(401)
    expect(
      (
        await supertest(gw.app)
          .get(`/admin/api/v1/tenants/${tenant.slug}/invitations`)
          .set('Authorization', 'Bearer gwk_nope')
      ).status,
    ).toBe(401)
    const bad = await api('post', '/invitations').send({ invitees: [], kind: 'boss' })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({
      error: 'invalid_request',
      details: { fields: expect.any(Object) },
    })
    const garbage = await api('post', '/invitations')
      .set('Content-Type', 'application/json')
      .send('{"invitees":')
    expect(garbage.status).toBe(400)
  })

  it('changes settings with validation, and serves the OpenAPI document', async () => {
    const { api } = await tenantWithKey()
    const ok = await api('patch', '/settings').send({
      invitationTtl: '30d',
      passwordPolicy: 'short-6',
      warnings: { red: '2d' },
    })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({
      invitationTtl: '30d',
      passwordPolicy: { minLength: 6 },
      warnings: { yellow: '7d', red: '2d' },
    })
    const bad = await api('patch', '/settings').send({ warnings: { red: '30d' } })
    expect(bad.status).toBe(400)
    const doc = await supertest(gw.app).get('/admin/api/v1/openapi.json')
    expect(doc.body.openapi).toBe('3.1.0')
    expect(Object.keys(doc.body.paths)).toContain('/tenants/{slug}/invitations/{id}/reinvite')
  })
})
