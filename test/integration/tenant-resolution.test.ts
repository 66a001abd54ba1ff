import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { createApp } from '../../src/app.js'
import { memoryLog, useGateway } from '../support/harness.js'

// Issue 2, "Tenant resolution": every request gets its tenant from Host; never a default tenant.
describe('tenant resolution by Host', () => {
  const gw = useGateway()

  it('serves a tenant on its exact host', async () => {
    const tenant = await gw.createTenant({
      name: 'Acme <Store>',
      hosts: ['store.acme-example.com'],
    })
    const res = await gw.get('store.acme-example.com')
    expect(res.status).toBe(200)
    expect(res.text).toContain('Acme &lt;Store&gt;') // escaped, never raw markup
    expect(tenant.publicUrl).toBe('http://store.acme-example.com:3000')
  })

  it('sees the tenant on the host asked: each of its hosts is an issuer of its own, and only its hosts', async () => {
    const tenant = await gw.createTenant({
      hosts: ['one.hosts-example.com', 'two.hosts-example.com'],
    })
    const issuerAt = async (host: string) =>
      (await gw.get(host, '/.well-known/openid-configuration')).body.issuer
    expect(await issuerAt('one.hosts-example.com')).toBe('http://one.hosts-example.com:3000')
    expect(await issuerAt('TWO.hosts-example.com.')).toBe('http://two.hosts-example.com:3000')
    expect(await issuerAt(`${tenant.slug}.localhost`)).toBe(`http://${tenant.slug}.localhost:3000`)
    // Elsewhere (admin API, jobs) the tenant is its primary host's.
    expect(tenant.publicUrl).toBe('http://one.hosts-example.com:3000')
    expect(
      (await gw.get('three.hosts-example.com', '/.well-known/openid-configuration')).status,
    ).toBe(404)
  })

  it('serves a tenant on {slug}.BASE_DOMAIN without a host row', async () => {
    const tenant = await gw.createTenant()
    const res = await gw.get(`${tenant.slug}.localhost`)
    expect(res.status).toBe(200)
    expect(res.text).toContain(tenant.name)
  })

  it.each([
    ['uppercase', (h: string) => h.toUpperCase()],
    ['a port', (h: string) => `${h}:3000`],
    ['a trailing dot', (h: string) => `${h}.`],
    ['all of them', (h: string) => `${h.toUpperCase()}.:8443`],
  ])('normalises a Host header with %s', async (_label, variant) => {
    const tenant = await gw.createTenant({
      hosts: ['login.normalise-example.org'.replace('login', `l${Date.now()}`)],
    })
    const [host] = tenant.hosts as [string]
    expect((await gw.get(variant(host))).status).toBe(200)
    expect((await gw.get(variant(`${tenant.slug}.localhost`))).status).toBe(200)
  })

  it('answers 404 for an unknown host: an HTML page for browsers', async () => {
    const res = await gw.get('unknown.example.net').set('Accept', 'text/html')
    expect(res.status).toBe(404)
    expect(res.type).toBe('text/html')
    expect(res.text).toContain('No store is served at this address.')
  })

  it('answers 404 for an unknown host: JSON {error, message, details} for APIs', async () => {
    const res = await gw.get('nobody.localhost').set('Accept', 'application/json')
    expect(res.status).toBe(404)
    expect(res.body).toEqual({
      error: 'not_found',
      message: 'No store is served at this address.',
      details: null,
    })
  })

  it('never falls back to a tenant for the bare base domain or nested subdomains', async () => {
    const tenant = await gw.createTenant()
    for (const host of [
      'localhost',
      `x.${tenant.slug}.localhost`,
      `${tenant.slug}.localhost.evil.test`,
    ]) {
      expect((await gw.get(host).set('Accept', 'application/json')).status).toBe(404)
    }
  })

  it.each([
    'a b',
    '<script>',
    'exa mple.com:80',
    '[::1]:3000',
    '..',
    'x'.repeat(300),
    'ünïcode.example',
  ])('refuses the garbage Host header %j with a clear 400', async (host) => {
    const res = await gw.get(host).set('Accept', 'application/json')
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(res.body.message).toMatch(/Host header/)
  })

  it('keeps serving other tenants when one tenant row holds invalid settings, and names that tenant in the log', async () => {
    const broken = await gw.createTenant()
    const healthy = await gw.createTenant()
    await sql`update tenants set settings = ${JSON.stringify({ invitationTtl: 'forever' })}::jsonb where id = ${broken.id}`.execute(
      gw.db,
    )

    const res = await gw.get(`${broken.slug}.localhost`).set('Accept', 'application/json')
    expect(res.status).toBe(500)
    expect(res.body.error).toBe('tenant_misconfigured')
    expect(JSON.stringify(res.body)).not.toContain('invitationTtl') // internals stay in the log
    const logged = gw.logs().find((l) => l.code === 'tenant_misconfigured')
    expect(JSON.stringify(logged)).toContain(`tenant \\"${broken.slug}\\" has invalid settings`)

    expect((await gw.get(`${healthy.slug}.localhost`)).status).toBe(200)
  })

  it('sends security headers and a strict CSP with every page', async () => {
    const tenant = await gw.createTenant()
    const res = await gw.get(`${tenant.slug}.localhost`)
    expect(res.headers['content-security-policy']).toContain("default-src 'none'")
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('never shows a stack trace, even for an unexpected error: 500 internal_error, page or JSON', async () => {
    const tenant = await gw.createTenant()
    // A bug of ours, not a failure we know: every query of this app throws a plain Error.
    const bug = new Error('a bug, with a stack')
    const db = gw.db.withPlugin({
      transformQuery: () => {
        throw bug
      },
      transformResult: async ({ result }) => result,
    })
    const { log, lines } = memoryLog()
    const app = createApp({ ...gw, db, log })
    const get = (accept: string) =>
      supertest(app).get('/').set('Host', `${tenant.slug}.localhost`).set('Accept', accept)

    const json = await get('application/json')
    expect(json.status).toBe(500)
    expect(json.body).toEqual({
      error: 'internal_error',
      message: 'Something went wrong on our side.',
      details: null,
    })
    const page = await get('text/html')
    expect(page.status).toBe(500)
    expect(page.type).toBe('text/html')
    for (const res of [json, page]) {
      expect(res.text).not.toMatch(/\n\s+at /)
      expect(res.text).not.toContain(bug.message)
    }
    // The stack goes to the log instead, at error level.
    const logged = lines().filter((l) => l.code === 'internal_error')
    expect(logged).toHaveLength(2)
    expect(JSON.stringify(logged[0])).toContain(bug.message)
  })
})
