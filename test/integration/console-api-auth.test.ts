import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/admin/api-keys.js'
import { useGateway } from '../support/harness.js'
import { consoleHelpers } from '../support/console.js'

// Issue 11: console calls are authorised by the admin's session on the store's host, with CSRF
// protection; API keys keep working. OWASP ASVS 8.4.1 (cross-tenant) and 3.5 (CSRF).
const gw = useGateway()
const h = consoleHelpers(gw)

describe('the admin API with a console session', () => {
  it("lists the store's invitations for its admin, with status colours", async () => {
    const { tenant, call } = await h.adminConsole()
    await h.invite(tenant, 'pending@example.com')
    const res = await call('get', `/tenants/${tenant.slug}/invitations`)
    expect(res.status).toBe(200)
    const byEmail = Object.fromEntries(
      (res.body.items as { email: string; status: string; warning: string | null }[]).map((i) => [
        i.email,
        i,
      ]),
    )
    expect(byEmail['pending@example.com']).toMatchObject({ status: 'pending' })
    expect(byEmail['pending@example.com']).toHaveProperty('warning')
    expect(byEmail['admin@example.com']).toMatchObject({ status: 'accepted' })
  })

  it('writes with the session: an invitation made from the console names the admin', async () => {
    const { tenant, call } = await h.adminConsole('inviter@example.com')
    const res = await call('post', `/tenants/${tenant.slug}/invitations`).send({
      emails: 'new@example.com',
    })
    expect(res.status).toBe(200)
    expect(res.body.counts.invited).toBe(1)
    const row = await gw.db
      .selectFrom('invitations')
      .select('invited_by')
      .where('id', '=', res.body.results[0].invitationId)
      .executeTakeFirstOrThrow()
    expect(row.invited_by).toBe('inviter@example.com')
  })

  it('refuses a console call without the CSRF header, with a wrong one, or from another origin', async () => {
    const { tenant, call, host } = await h.adminConsole()
    const path = `/tenants/${tenant.slug}/invitations`
    const refused = [
      await call('get', path, { 'X-CSRF-Token': undefined }),
      await call('post', path, { 'X-CSRF-Token': undefined }).send({ emails: 'x@example.com' }),
      await call('get', path, { 'X-CSRF-Token': 'forged' }),
      await call('post', path, { Origin: 'http://evil.localhost:3000' }).send({
        emails: 'x@example.com',
      }),
      await call('post', path, { Origin: 'null' }).send({ emails: 'x@example.com' }),
      await call('post', path, { 'Sec-Fetch-Site': 'same-site' }).send({ emails: 'x@example.com' }),
      await call('post', path, { 'Sec-Fetch-Site': 'cross-site' }).send({
        emails: 'x@example.com',
      }),
    ]
    for (const res of refused) {
      expect(res.status).toBe(403)
      expect(res.body.error).toBe('forbidden')
    }
    const sent = await gw.db
      .selectFrom('outbox')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('to_address', '=', 'x@example.com')
      .execute()
    expect(sent).toEqual([])
    // The token of another session (another admin's, on the same store) does not fit this one.
    const other = await h.signedIn(tenant, host, 'second@example.com')
    const otherToken = await h.consoleToken(other)
    expect((await call('get', path, { 'X-CSRF-Token': otherToken })).status).toBe(403)
    // Without Origin and Sec-Fetch-Site (a script, an old browser) the token decides alone.
    expect(
      (await call('get', path, { Origin: undefined, 'Sec-Fetch-Site': undefined })).status,
    ).toBe(200)
  })

  it("answers 404 for another store's things: its slug, and its host with this session", async () => {
    const a = await h.adminConsole('a@example.com')
    const b = await h.adminConsole('b@example.com')
    const res = await a.call('get', `/tenants/${b.tenant.slug}/invitations`)
    expect(res.status).toBe(404)
    expect(res.body.error).toBe('not_found')
    expect((await a.call('get', `/tenants/${b.tenant.slug}`)).status).toBe(404)
    expect(
      (
        await a
          .call('post', `/tenants/${b.tenant.slug}/invitations`)
          .send({ emails: 'z@example.com' })
      ).status,
    ).toBe(404)
    // A's cookie sent to B's host opens nothing there (sessions are per host).
    const crossHost = await h.api(a.b, b.host, 'get', `/tenants/${b.tenant.slug}/invitations`, {
      Cookie: a.b.cookies.header(a.host),
      'X-CSRF-Token': a.csrf,
    })
    expect(crossHost.status).toBe(401)
    // Nor does a store admin list every tenant.
    expect((await a.call('get', '/tenants')).status).toBe(403)
  })

  it('refuses a member who is not an admin, and a visitor without a session', async () => {
    const { tenant, host } = await h.store()
    const b = await h.signedIn(tenant, host, 'user@example.com', 'user')
    const page = await b.get('/')
    expect(page.status).toBe(200)
    // No console page hands a non-admin its token; a request with any token is refused anyway.
    const res = await h.api(b, host, 'get', `/tenants/${tenant.slug}/invitations`, {
      'X-CSRF-Token': 'x',
    })
    expect(res.status).toBe(403)
    const anonymous = await supertest(gw.app)
      .get(`/admin/api/v1/tenants/${tenant.slug}/invitations`)
      .set('Host', host)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="gateway admin"')
  })

  it('keeps API keys working, and a bearer header never falls back to the session', async () => {
    const { tenant, call } = await h.adminConsole()
    const { key } = await createApiKey(gw.db, { tenantId: tenant.id, name: 'script' })
    const keyed = await supertest(gw.app)
      .get(`/admin/api/v1/tenants/${tenant.slug}/invitations`)
      .set('Authorization', `Bearer ${key}`)
    expect(keyed.status).toBe(200)
    const badKey = await call('get', `/tenants/${tenant.slug}/invitations`, {
      Authorization: 'Bearer gwk_nope',
    })
    expect(badKey.status).toBe(401)
  })

  it('ends with the session: signed out, the same token opens nothing', async () => {
    const { tenant, b, call } = await h.adminConsole()
    expect((await call('get', `/tenants/${tenant.slug}/invitations`)).status).toBe(200)
    expect((await b.submit('/logout', {}, '/admin/users')).text).toContain('You are signed out.')
    expect((await call('get', `/tenants/${tenant.slug}/invitations`)).status).toBe(401)
  })
})
