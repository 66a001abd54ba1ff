import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/admin/api-keys.js'
import { sendDueMail } from '../../src/jobs/send-outbox.js'
import { declareCatalogue } from '../support/catalogues.js'
import { useGateway } from '../support/harness.js'
import { useSmtpMailer } from '../support/mailer.js'
import { extractLink } from '../support/smtp.js'
import { accessRequestHelpers } from './access-request.helpers.js'

// Issue 12: admins list access requests, approve them (a real invitation, with the role,
// groups and apps they choose) or deny them (the requester is told politely, once). A decision
// is single-use under concurrency (a guarded UPDATE ... WHERE status = 'pending'), and another
// tenant's request is a 404 (OWASP ASVS 5.0 8.4.1).
// Own database: sendDueMail sends every tenant's due mail.
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

/** A store with an admin, an API key, and one pending request per address. */
async function storeWithRequests(emails: string[]) {
  const s = await h.storeWithAdmins(['boss@example.com'])
  for (const email of emails) await h.requestAccess(s.host, h.ask(email, 'Grace Brewster Hopper'))
  const { key } = await createApiKey(gw.db, { tenantId: s.tenant.id, name: 'ops' })
  const api = (method: 'get' | 'post', path: string) =>
    supertest(gw.app)
      [method](`/admin/api/v1/tenants/${s.tenant.slug}/access-requests${path}`)
      .set('Authorization', `Bearer ${key}`)
  const ids = (await h.requests(s.tenant)).map((r) => r.id)
  return { ...s, key, api, ids }
}

describe('the access-requests admin API', () => {
  it('lists requests newest first, filtered by status, in cursor pages', async () => {
    const s = await storeWithRequests(['a@example.com', 'b@example.com', 'c@example.com'])
    const first = await s.api('get', '?limit=2')
    expect(first.status).toBe(200)
    expect(first.body.items.map((r: { email: string }) => r.email)).toEqual([
      'c@example.com',
      'b@example.com',
    ])
    expect(first.body.items[0]).toMatchObject({
      status: 'pending',
      name: 'Grace Brewster Hopper',
      decidedAt: null,
    })
    const second = await s.api('get', `?limit=2&cursor=${first.body.nextCursor}`)
    expect(second.body.items.map((r: { email: string }) => r.email)).toEqual(['a@example.com'])
    expect(second.body.nextCursor).toBeNull()
    await s.api('post', `/${s.ids[0]}/deny`)
    const pending = await s.api('get', '?status=pending')
    expect(pending.body.items).toHaveLength(2)
    const denied = await s.api('get', '?status=denied')
    expect(denied.body.items.map((r: { email: string }) => r.email)).toEqual(['a@example.com'])
    expect((await s.api('get', '?cursor=forged')).status).toBe(400)
    expect((await s.api('get', '?status=maybe')).status).toBe(400)
  })

  it('approves with the chosen grant: a real invitation and its mail', async () => {
    const s = await storeWithRequests(['grace@example.com'])
    await declareCatalogue(gw.db, s.tenant.id, { groups: ['Paris'], products: ['reports'] })
    const res = await s
      .api('post', `/${s.ids[0]}/approve`)
      .send({ role: 'user', groups: ['Paris'], products: ['reports'] })
    expect(res.status).toBe(200)
    expect(res.body.request).toMatchObject({ status: 'approved', decidedBy: 'ops' })
    expect(res.body.invitation).toMatchObject({ email: 'grace@example.com', status: 'invited' })
    expect(res.body.request.invitationId).toBe(res.body.invitation.invitationId)
    const member = await gw.db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.role', 'm.groups', 'm.products', 'm.status', 'u.first_name', 'u.last_name'])
      .where('m.tenant_id', '=', s.tenant.id)
      .where('u.email', '=', 'grace@example.com')
      .executeTakeFirstOrThrow()
    expect(member).toMatchObject({
      role: 'user',
      products: ['reports'],
      status: 'invited',
      first_name: 'Grace',
      last_name: 'Brewster Hopper',
    })
    expect(member.groups).toContain('Paris')
    await deliver()
    const mail = await smtp.waitFor('grace@example.com')
    expect(extractLink(mail, '/invite/')).toContain(s.host)
    // Approving again is refused, and sends nothing more.
    expect((await s.api('post', `/${s.ids[0]}/approve`).send({})).status).toBe(409)
    expect(await h.outbox(s.tenant, 'invitation', 'grace@example.com')).toHaveLength(1)
  })

  it('refuses a grant the catalogue does not know, and the request stays pending', async () => {
    const s = await storeWithRequests(['ivy@example.com'])
    const res = await s.api('post', `/${s.ids[0]}/approve`).send({ groups: ['Nowhere'] })
    expect(res.status).toBe(400)
    expect((await h.requests(s.tenant))[0]?.status).toBe('pending')
    expect((await s.api('post', `/${s.ids[0]}/approve`).send({ invitees: [] })).status).toBe(400)
  })

  it('denies once: the requester is told politely by one mail', async () => {
    const s = await storeWithRequests(['jo@example.com'])
    const res = await s.api('post', `/${s.ids[0]}/deny`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ status: 'denied', decidedBy: 'ops' })
    expect((await s.api('post', `/${s.ids[0]}/deny`)).status).toBe(409)
    expect((await s.api('post', `/${s.ids[0]}/approve`).send({})).status).toBe(409)
    expect(await h.outbox(s.tenant, 'access_request_denied', 'jo@example.com')).toHaveLength(1)
    await deliver()
    const mail = await smtp.waitFor('jo@example.com')
    expect(mail.subject).toContain(s.tenant.name)
    expect(mail.text).toContain('cannot grant it at this time')
    // Asking again later is a new request.
    await h.requestAccess(s.host, h.ask('jo@example.com'))
    expect((await h.requests(s.tenant)).map((r) => r.status)).toEqual(['denied', 'pending'])
  })

  it('lets exactly one of a racing approve and deny through', async () => {
    const s = await storeWithRequests(['kim@example.com', 'lee@example.com'])
    for (const id of s.ids) {
      const [approve, deny] = await Promise.all([
        s.api('post', `/${id}/approve`).send({}),
        s.api('post', `/${id}/deny`),
      ])
      expect([approve.status, deny.status].sort()).toEqual([200, 409])
    }
    const invitations = await h.outbox(s.tenant, 'invitation')
    const denials = await h.outbox(s.tenant, 'access_request_denied')
    // boss@ was invited by the test setup; each requester got exactly one answer.
    const answered = [...invitations, ...denials]
      .map((m) => m.to_address)
      .filter((a) => a !== 'boss@example.com')
    expect(answered.sort()).toEqual(['kim@example.com', 'lee@example.com'])
  })

  it("answers 404 for another tenant's request, whichever way it is asked", async () => {
    const a = await storeWithRequests(['mo@example.com'])
    const b = await storeWithRequests([])
    expect((await b.api('post', `/${a.ids[0]}/approve`).send({})).status).toBe(404)
    expect((await b.api('post', `/${a.ids[0]}/deny`)).status).toBe(404)
    expect((await b.api('post', '/not-a-uuid/deny')).status).toBe(404)
    const crossSlug = await supertest(gw.app)
      .get(`/admin/api/v1/tenants/${a.tenant.slug}/access-requests`)
      .set('Authorization', `Bearer ${b.key}`)
    expect(crossSlug.status).toBe(404)
    expect((await b.api('get', '')).body.items).toEqual([])
    expect((await h.requests(a.tenant))[0]?.status).toBe('pending')
  })

  it('records received, approved and denied in the audit log', async () => {
    const s = await storeWithRequests(['ned@example.com', 'oz@example.com'])
    await s.api('post', `/${s.ids[0]}/approve`).send({})
    await s.api('post', `/${s.ids[1]}/deny`)
    const events = await h.auditActions(s.tenant)
    expect(events).toEqual([
      { action: 'access_request.received', actor_kind: 'system', subject_id: s.ids[0] },
      { action: 'access_request.received', actor_kind: 'system', subject_id: s.ids[1] },
      { action: 'access_request.approved', actor_kind: 'api_key', subject_id: s.ids[0] },
      { action: 'access_request.denied', actor_kind: 'api_key', subject_id: s.ids[1] },
    ])
  })
})

describe('the console page', () => {
  it('is in the nav for admins, with the list, the dialogs and its script; others get 403', async () => {
    const s = await h.adminConsole('pat@example.com')
    const page = await s.b.get('/admin/access-requests')
    expect(page.status).toBe(200)
    expect(page.text).toContain('href="/admin/access-requests" aria-current="page"')
    expect(page.text).toContain('/assets/console-access.js')
    expect(page.text).toContain('id="ar-approve-dialog"')
    expect(page.text).toContain('id="ar-subscribed"')
    const user = await h.signedIn(s.tenant, s.host, 'user@example.com', 'user')
    expect((await user.get('/admin/access-requests')).status).toBe(403)
    const asset = await supertest(gw.app).get('/assets/console-access.js')
    expect(asset.status).toBe(200)
  })
})
