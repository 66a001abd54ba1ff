import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { submitAccessRequest } from '../../src/access-requests/access-requests.js'
import { sendDueMail } from '../../src/jobs/send-outbox.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { onPostgres } from '../support/database.js'
import { useGateway } from '../support/harness.js'
import { useSmtpMailer } from '../support/mailer.js'
import { extractLink, type ReceivedMail } from '../support/smtp.js'
import { accessRequestHelpers } from './access-request.helpers.js'

// Seed 002: "Request access emails can only be sent once a day to the same admin for the same
// user. Admins can unsubscribe from these notifications." RFC 8058: the one-click unsubscribe is
// a POST to the List-Unsubscribe URL, without cookies or a CSRF token; the signed URL is the
// authentication, so a tampered one must do nothing.
// Own database: sendDueMail sends every tenant's due mail, and these tests read what arrives.
const gw = useGateway({}, { database: 'own' })
const h = accessRequestHelpers(gw)
const { smtp, mailer } = await useSmtpMailer()

const deliver = () =>
  sendDueMail(gw.db, {
    mailer,
    secretKey: gw.config.secretKey,
    templates: gw.config.mailTemplates,
    from: { address: 'no-reply@gateway.test' },
  })
/** The access-request notices `to` received from this store (not its invitation). */
const mailsTo = (to: string, tenant: Tenant) =>
  smtp.messages.filter(
    (m) =>
      m.envelope.rcptTo.includes(to) &&
      m.subject.includes(tenant.name) &&
      m.text.includes('/admin/access-requests'),
  )
const header = (mail: ReceivedMail, name: string) =>
  mail.headers.find((x) => x.key.toLowerCase() === name.toLowerCase())?.value

describe('admin notices of access requests', () => {
  it('mails every admin once a day per requester, however often and concurrently they ask', async () => {
    const s = await h.storeWithAdmins(['ann@example.com', 'bob@example.com'])
    await h.requestAccess(s.host, h.ask('grace@example.com', 'Grace Hopper', 'Paris <b>shop</b>'))
    await Promise.all([
      h.requestAccess(s.host, h.ask('grace@example.com')),
      h.requestAccess(s.host, h.ask('GRACE@example.com')),
    ])
    expect((await h.outbox(s.tenant, 'access_request')).map((m) => m.to_address).sort()).toEqual([
      'ann@example.com',
      'bob@example.com',
    ])
    await deliver()
    const [mail] = mailsTo('ann@example.com', s.tenant)
    expect(mailsTo('ann@example.com', s.tenant)).toHaveLength(1)
    expect(mail?.subject).toContain('grace@example.com')
    expect(mail?.text).toContain('Grace Hopper')
    expect(mail?.html).toContain('Paris &lt;b&gt;shop&lt;/b&gt;') // the requester's words, escaped
    expect(extractLink(mail as ReceivedMail, '/admin/access-requests')).toContain(s.host)

    // Another requester is another notice; the same requester on the next UTC day, too.
    await h.requestAccess(s.host, h.ask('linus@example.com'))
    const tomorrow = new Date(Date.now() + 86_400_000)
    const input = {
      email: 'grace@example.com',
      emailKey: 'grace@example.com',
      name: 'G',
      message: '',
      locale: 'en',
    }
    await gw.db
      .transaction()
      .execute((tx) =>
        submitAccessRequest(tx, s.tenant, input, { secretKey: gw.config.secretKey, now: tomorrow }),
      )
    expect(await h.outbox(s.tenant, 'access_request', 'ann@example.com')).toHaveLength(3)
  })

  it('carries List-Unsubscribe headers, and the link unsubscribes by a one-click POST without cookies (RFC 8058)', async () => {
    const s = await h.storeWithAdmins(['cleo@example.com', 'dan@example.com'])
    await h.requestAccess(s.host, h.ask('first@example.com'))
    await deliver()
    const [mail] = mailsTo('cleo@example.com', s.tenant)
    const listUnsubscribe = header(mail as ReceivedMail, 'List-Unsubscribe') ?? ''
    expect(header(mail as ReceivedMail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click')
    expect(listUnsubscribe).toMatch(/^<http:\/\/.+\/access-requests\/unsubscribe\?m=.+&s=.+>$/)
    const url = new URL(listUnsubscribe.slice(1, -1))
    expect(url.host).toBe(`${s.host}:3000`)
    expect(mail?.text).toContain(url.href) // the same link in the body, for people
    // Only these notices carry the headers: the admin's own invitation did not.
    const invitation = smtp.messages.find(
      (m) => m.envelope.rcptTo.includes('cleo@example.com') && m.text.includes('/invite/'),
    )
    expect(invitation && header(invitation, 'List-Unsubscribe')).toBeUndefined()

    // A GET (a mail scanner following links) only asks.
    const path = `${url.pathname}${url.search}`
    const confirm = await supertest(gw.app).get(path).set('Host', s.host)
    expect(confirm.status).toBe(200)
    expect(confirm.text).toContain('Unsubscribe')
    await h.requestAccess(s.host, h.ask('second@example.com'))
    expect(await h.outbox(s.tenant, 'access_request', 'cleo@example.com')).toHaveLength(2)

    // The mail client's POST: no cookie, no CSRF token, just the RFC 8058 body.
    const click = await supertest(gw.app)
      .post(path)
      .set('Host', s.host)
      .type('form')
      .send('List-Unsubscribe=One-Click')
    expect(click.status).toBe(200)
    expect(click.headers['set-cookie']).toBeUndefined()
    await h.requestAccess(s.host, h.ask('third@example.com'))
    expect(await h.outbox(s.tenant, 'access_request', 'cleo@example.com')).toHaveLength(2)
    expect(await h.outbox(s.tenant, 'access_request', 'dan@example.com')).toHaveLength(3)
    const actions = (await h.auditActions(s.tenant)).map((a) => a.action)
    expect(actions).toContain('access_request.unsubscribed')
  })

  it('refuses a tampered or foreign unsubscribe link and unsubscribes nobody', async () => {
    const s = await h.storeWithAdmins(['erin@example.com'])
    const other = await h.storeWithAdmins(['finn@example.com'])
    await h.requestAccess(s.host, h.ask('x@example.com'))
    await deliver()
    const link = new URL(
      extractLink(
        mailsTo('erin@example.com', s.tenant)[0] as ReceivedMail,
        '/access-requests/unsubscribe',
      ),
    )
    const m = link.searchParams.get('m') ?? ''
    const sig = link.searchParams.get('s') ?? ''
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`
    const otherAdmin = await gw.db
      .selectFrom('memberships')
      .select('id')
      .where('tenant_id', '=', other.tenant.id)
      .executeTakeFirstOrThrow()
    const attempts = [
      { host: s.host, query: `m=${m}&s=${flipped}` },
      { host: s.host, query: `m=${otherAdmin.id}&s=${sig}` },
      { host: s.host, query: `m=${m}` },
      { host: other.host, query: `m=${m}&s=${sig}` }, // another store's host
    ]
    for (const a of attempts) {
      const post = await supertest(gw.app)
        .post(`/access-requests/unsubscribe?${a.query}`)
        .set('Host', a.host)
        .set('Accept', 'text/html')
        .type('form')
        .send('List-Unsubscribe=One-Click')
      expect(post.status).toBe(400)
      const get = await supertest(gw.app)
        .get(`/access-requests/unsubscribe?${a.query}`)
        .set('Host', a.host)
      expect(get.status).toBe(400)
    }
    const unsubscribed = await gw.db
      .selectFrom('access_request_unsubscribes')
      .selectAll()
      .where('tenant_id', 'in', [s.tenant.id, other.tenant.id])
      .execute()
    expect(unsubscribed).toEqual([])
  })

  it('lets the signed-in admin re-subscribe in the console, and only them', async () => {
    const s = await h.adminConsole('gina@example.com')
    const ask = async (email: string) => h.requestAccess(s.host, h.ask(email))
    expect(
      (await s.call('get', `/tenants/${s.tenant.slug}/access-requests/subscription`)).body,
    ).toEqual({ subscribed: true })
    const off = await s
      .call('put', `/tenants/${s.tenant.slug}/access-requests/subscription`)
      .send({ subscribed: false })
    expect(off.body).toEqual({ subscribed: false })
    await ask('one@example.com')
    expect(await h.outbox(s.tenant, 'access_request', 'gina@example.com')).toHaveLength(0)
    const on = await s
      .call('put', `/tenants/${s.tenant.slug}/access-requests/subscription`)
      .send({ subscribed: true })
    expect(on.body).toEqual({ subscribed: true })
    await ask('two@example.com')
    expect(await h.outbox(s.tenant, 'access_request', 'gina@example.com')).toHaveLength(1)
    // A machine's API key has no mailbox here.
    const { createApiKey } = await import('../../src/admin/api-keys.js')
    const { key } = await createApiKey(gw.db, { tenantId: s.tenant.id, name: 'bot' })
    const byKey = await supertest(gw.app)
      .put(`/admin/api/v1/tenants/${s.tenant.slug}/access-requests/subscription`)
      .set('Authorization', `Bearer ${key}`)
      .send({ subscribed: false })
    expect(byKey.status).toBe(403)
  })

  it.runIf(onPostgres())('holds "once a day" under concurrent requests on PostgreSQL', async () => {
    const s = await h.storeWithAdmins(['hana@example.com'])
    await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        h.requestAccess(s.host, h.ask('race@example.com'), `203.0.113.${i + 10}`),
      ),
    )
    expect(await h.outbox(s.tenant, 'access_request', 'hana@example.com')).toHaveLength(1)
    expect(await h.requests(s.tenant)).toHaveLength(1)
  })
})
