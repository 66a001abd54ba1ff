import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { accessRequestHelpers } from './access-request.helpers.js'

// Issue 12 (seed 002): "A guest can request an access ... from the login screen." The page answers
// alike whoever asks (OWASP ASVS 5.0 V6.3.8: no account enumeration), is CSRF-protected like every
// form, and is rate limited per client, per requester and per store.
// TRUST_PROXY: loopback, so X-Forwarded-For from supertest (127.0.0.1) names the client.
const gw = useGateway({ TRUST_PROXY: 'loopback' })
const h = accessRequestHelpers(gw)

describe('the request-access page', () => {
  it('is linked from the login page and asks for email, name and message', async () => {
    const { host } = await h.store()
    const login = await h.browser(host).get('/login')
    expect(login.text).toContain('href="/request-access"')
    const page = await h.browser(host).get('/request-access').set('Accept-Language', 'fr')
    expect(page.status).toBe(200)
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.text).toContain('Demander un accès')
    for (const name of ['email', 'name', 'message', '_csrf'])
      expect(page.text).toContain(`name="${name}"`)
  })

  it('answers the same for unknown, member, invited and already-requested addresses (ASVS V6.3.8)', async () => {
    const s = await h.storeWithAdmins()
    await h.invite(s.tenant, 'invited@example.com')
    const answers = []
    for (const email of [
      'nobody@example.com',
      'admin@example.com', // an active member
      'invited@example.com', // a pending invitation
      'nobody@example.com', // already asked, still pending
    ]) {
      const res = await h.requestAccess(s.host, h.ask(email))
      expect(res.status).toBe(200)
      answers.push(h.answerOf(res.text))
    }
    expect(new Set(answers).size).toBe(1)
    expect(answers[0]).toContain('Your request has been passed on')
    // The same work for each: every address got its request recorded, and no duplicate.
    const rows = await h.requests(s.tenant)
    expect(rows.map((r) => r.email).sort()).toEqual([
      'admin@example.com',
      'invited@example.com',
      'nobody@example.com',
    ])
  })

  it('updates a pending request when the same person asks again (no duplicate)', async () => {
    const s = await h.store()
    await h.requestAccess(s.host, h.ask('Grace@Example.com', 'Grace', 'first'))
    await h.requestAccess(s.host, h.ask('grace@example.com', 'Grace Hopper', 'second'))
    const rows = await h.requests(s.tenant)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      email_key: 'grace@example.com',
      name: 'Grace Hopper',
      message: 'second',
      status: 'pending',
    })
  })

  it('refuses a post without a valid CSRF token', async () => {
    const s = await h.store()
    const b = h.browser(s.host)
    await b.get('/request-access')
    const forged = await b.post('/request-access', { _csrf: 'forged', ...h.ask('eve@example.com') })
    expect(forged.status).toBe(403)
    const none = await b.post('/request-access', h.ask('eve@example.com'))
    expect(none.status).toBe(403)
    expect(await h.requests(s.tenant)).toEqual([])
  })

  it('shows friendly field errors and keeps what was typed', async () => {
    const s = await h.store()
    const res = await h.requestAccess(s.host, {
      email: 'not an address',
      name: '',
      message: 'x'.repeat(1001),
    })
    expect(res.status).toBe(422)
    expect(res.text).toContain('Enter an email address such as name@example.com.')
    expect(res.text).toContain('Enter your name (up to 100 characters).')
    expect(res.text).toContain('at most 1000 characters')
    expect(res.text).toContain('value="not an address"')
    expect(res.text).toContain('aria-invalid="true"')
    expect(await h.requests(s.tenant)).toEqual([])
  })

  it('limits one client address (a flood from one address)', async () => {
    const s = await h.store()
    const statuses = []
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await h.requestAccess(s.host, h.ask(`p${i}@example.com`), '198.51.100.7')).status,
      )
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
    // Another client is not held back.
    expect((await h.requestAccess(s.host, h.ask('q@example.com'), '198.51.100.8')).status).toBe(200)
    expect(await h.requests(s.tenant)).toHaveLength(6)
  })

  it('limits one requester from many addresses, silently: the answer does not change', async () => {
    const s = await h.storeWithAdmins()
    const answers = []
    for (let i = 0; i < 5; i++) {
      const res = await h.requestAccess(
        s.host,
        h.ask('flood@example.com', 'F', `try ${i}`),
        `203.0.113.${i + 1}`,
      )
      expect(res.status).toBe(200)
      answers.push(h.answerOf(res.text))
    }
    expect(new Set(answers).size).toBe(1)
    const [row] = await h.requests(s.tenant)
    expect(row?.message).toBe('try 2') // the 4th and 5th were dropped (3 a day per requester)
    expect(await h.outbox(s.tenant, 'access_request')).toHaveLength(1)
  })

  it('caps the whole store: a flood of requesters from many addresses stops at the cap', async () => {
    const s = await h.storeWithAdmins()
    const b = h.browser(s.host)
    const csrf = await b.csrf('/request-access')
    const statuses: number[] = []
    for (let i = 0; i < 41; i++) {
      const res = await b
        .post('/request-access', { _csrf: csrf, ...h.ask(`many${i}@example.com`) })
        .set('X-Forwarded-For', `192.0.2.${(i % 250) + 1}`)
      statuses.push(res.status)
    }
    expect(statuses.filter((x) => x === 200)).toHaveLength(40)
    expect(statuses.at(-1)).toBe(429)
    // The admin's mail is bounded by the cap too.
    expect(await h.outbox(s.tenant, 'access_request')).toHaveLength(40)
  })

  it('records each request in the audit log as a system event', async () => {
    const s = await h.store()
    await h.requestAccess(s.host, h.ask('audit@example.com'))
    const [row] = await h.requests(s.tenant)
    expect(await h.auditActions(s.tenant)).toEqual([
      { action: 'access_request.received', actor_kind: 'system', subject_id: row?.id },
    ])
  })

  it('is not offered by a store without a user database (company sign-in only): 404', async () => {
    const { tenant } = await h.store()
    await gw.db
      .deleteFrom('tenant_directories')
      .where('tenant_id', '=', tenant.id)
      .where('directory_id', '=', tenant.databaseDirectoryId!)
      .execute()
    const host = `${tenant.slug}.localhost`
    expect((await h.browser(host).get('/request-access')).status).toBe(404)
    const post = await h.browser(host).post('/request-access', h.ask('z@example.com'))
    expect(post.status).toBe(404)
    expect(await h.requests(tenant)).toEqual([])
  })
})
