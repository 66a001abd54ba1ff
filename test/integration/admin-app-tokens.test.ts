import * as client from 'openid-client'
import supertest from 'supertest'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { mayCallAdminApi } from '../../src/admin/app-tokens.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { updateApp } from '../../src/tokens/apps.js'
import { runCli } from '../support/cli.js'
import { authorize, relyingParty, tenantFetch, useOidcGateway } from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 11: "API keys and client-credentials tokens keep working for machines". A machine app
// registered for the admin API asks its tenant's provider for `gateway:admin` (RFC 6749 4.4) and
// calls /admin/api/v1 on its own tenant with that bearer token (RFC 6750); OWASP ASVS 5.0 V8.
const gw = await useOidcGateway()
const { member, store } = pageHelpers(gw)

const adminApp = (tenant: Tenant, adminApi = true) =>
  relyingParty(gw, tenant, { name: 'Provisioner', type: 'machine', adminApi })

const call = (token: string, path: string) =>
  supertest(gw.app).get(`/admin/api/v1${path}`).set('Authorization', `Bearer ${token}`)

afterEach(() => {
  vi.useRealTimers()
})

describe('a machine app with a client-credentials token calls the admin API', () => {
  it('acts on its own tenant with gateway:admin, and is audited by its client id', async () => {
    const { tenant } = await store()
    const { app, config } = await adminApp(tenant)
    const grant = await client.clientCredentialsGrant(config, { scope: 'gateway:admin' })
    expect(grant.scope).toBe('gateway:admin')

    const apps = await call(grant.access_token, `/tenants/${tenant.slug}/apps`)
    expect(apps.status).toBe(200)
    expect(apps.body.apps.map((a: { clientId: string }) => a.clientId)).toContain(app.clientId)
    expect(
      apps.body.apps.find((a: { clientId: string }) => a.clientId === app.clientId),
    ).toMatchObject({ adminApi: true })

    const created = await supertest(gw.app)
      .post(`/admin/api/v1/tenants/${tenant.slug}/apps`)
      .set('Authorization', `Bearer ${grant.access_token}`)
      .send({ name: 'Made by a machine', type: 'machine' })
    expect(created.status).toBe(201)
    const audited = await gw.db
      .selectFrom('audit_events')
      .select(['actor_kind', 'actor_id', 'actor_name'])
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'app.created')
      .execute()
    expect(audited).toEqual([
      { actor_kind: 'api_key', actor_id: app.clientId, actor_name: 'Provisioner' },
    ])
  })

  it("gets 404 for another tenant and 403 for the platform's tenant creation", async () => {
    const { tenant } = await store()
    const { tenant: other } = await store()
    const { config } = await adminApp(tenant)
    const { access_token } = await client.clientCredentialsGrant(config, { scope: 'gateway:admin' })
    expect((await call(access_token, `/tenants/${tenant.slug}`)).status).toBe(200)
    const foreign = await call(access_token, `/tenants/${other.slug}`)
    expect(foreign.status).toBe(404)
    expect(foreign.body.error).toBe('not_found')
    expect((await call(access_token, `/tenants/${other.slug}/apps`)).status).toBe(404)
    const creation = await supertest(gw.app)
      .post('/admin/api/v1/tenants')
      .set('Authorization', `Bearer ${access_token}`)
      .send({ slug: 'by-a-machine', name: 'By a machine' })
    expect(creation.status).toBe(403)
  })

  it('is refused without the scope, and an app not registered for it cannot get the scope', async () => {
    const { tenant } = await store()
    const registered = await adminApp(tenant)
    const plain = await client.clientCredentialsGrant(registered.config)
    expect(plain.scope ?? '').not.toContain('gateway:admin')
    const refused = await call(plain.access_token, `/tenants/${tenant.slug}`)
    expect(refused.status).toBe(401)
    expect(refused.body.error).toBe('unauthorized')

    const unregistered = await adminApp(tenant, false)
    await expect(
      client.clientCredentialsGrant(unregistered.config, { scope: 'gateway:admin' }),
    ).rejects.toMatchObject({ error: 'invalid_scope' })
    const { access_token } = await client.clientCredentialsGrant(unregistered.config)
    expect((await call(access_token, `/tenants/${tenant.slug}`)).status).toBe(401)
  })

  it('stops working when the app is no longer registered for the admin API', async () => {
    const { tenant } = await store()
    const { app, config } = await adminApp(tenant)
    const { access_token } = await client.clientCredentialsGrant(config, { scope: 'gateway:admin' })
    expect((await call(access_token, `/tenants/${tenant.slug}`)).status).toBe(200)
    await updateApp(gw.db, tenant.id, app.clientId, { adminApi: false })
    expect((await call(access_token, `/tenants/${tenant.slug}`)).status).toBe(401)
  })

  it('is refused once revoked (RFC 7009) or expired', async () => {
    const { tenant } = await store()
    const { config } = await adminApp(tenant)
    const revoked = await client.clientCredentialsGrant(config, { scope: 'gateway:admin' })
    expect((await call(revoked.access_token, `/tenants/${tenant.slug}`)).status).toBe(200)
    await client.tokenRevocation(config, revoked.access_token)
    expect((await call(revoked.access_token, `/tenants/${tenant.slug}`)).status).toBe(401)

    const expiring = await client.clientCredentialsGrant(config, { scope: 'gateway:admin' })
    expect((await call(expiring.access_token, `/tenants/${tenant.slug}`)).status).toBe(200)
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + (expiring.expires_in! + 60) * 1000 })
    expect((await call(expiring.access_token, `/tenants/${tenant.slug}`)).status).toBe(401)
  })

  it("refuses a person's token: a person's app cannot ask for gateway:admin, and their token is not a machine's", async () => {
    const email = 'ada@example.com'
    const { tenant } = await member(email)
    const rp = await relyingParty(gw, tenant)
    const { tokens } = await authorize(rp.config, { email, password: PASSWORD })
    expect((await call(tokens!.access_token, `/tenants/${tenant.slug}`)).status).toBe(401)
    const asked = await authorize(
      rp.config,
      { email, password: PASSWORD },
      { scope: 'openid gateway:admin' },
    )
    expect(asked.tokens).toBeUndefined()
    expect(asked.at.url.searchParams.get('error')).toBe('invalid_scope')

    // Were a person's token ever to carry the scope, it would still not be a machine's.
    const person = { sub: 'user-1', client_id: rp.app.clientId, scope: 'openid gateway:admin' }
    expect(mayCallAdminApi({ token: person, account: undefined })).toBe(false)
    expect(mayCallAdminApi({ token: { ...person, sub: rp.app.clientId } })).toBe(true)
  })

  it('refuses a token signed by another key or naming an unknown issuer', async () => {
    const { tenant } = await store()
    const { config } = await adminApp(tenant)
    const { access_token } = await client.clientCredentialsGrant(config, { scope: 'gateway:admin' })
    const [header, payload, signature] = access_token.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    const forged = (patch: Record<string, unknown>) =>
      [
        header,
        Buffer.from(JSON.stringify({ ...claims, ...patch })).toString('base64url'),
        signature,
      ].join('.')
    expect(
      (await call(forged({ scope: 'gateway:admin openid' }), `/tenants/${tenant.slug}`)).status,
    ).toBe(401)
    expect(
      (await call(forged({ iss: 'http://nowhere.localhost:1' }), `/tenants/${tenant.slug}`)).status,
    ).toBe(401)
  })

  it('registers a machine app for the admin API with `gateway app create --admin-api`, a web app never', async () => {
    const { tenant } = await store()
    const run = (...argv: string[]) => runCli(gw, 'app', 'create', '--tenant', tenant.slug, ...argv)
    const made = await run('--name', 'Ops bot', '--type', 'machine', '--admin-api')
    expect(made.code).toBe(0)
    expect(made.out).toContain('gateway:admin')
    const clientId = /client_id\s+(\S+)/.exec(made.out)?.[1]
    const secret = /client_secret\s+(\S+)/.exec(made.out)?.[1]
    const config = await client.discovery(
      new URL(tenant.publicUrl),
      clientId!,
      { client_secret: secret! },
      undefined,
      { execute: [client.allowInsecureRequests], [client.customFetch]: tenantFetch },
    )
    const { access_token } = await client.clientCredentialsGrant(config, { scope: 'gateway:admin' })
    expect((await call(access_token, `/tenants/${tenant.slug}`)).status).toBe(200)

    const web = await run(
      '--name',
      'Shop',
      '--type',
      'web',
      '--redirect-uri',
      'https://shop.example/cb',
      '--admin-api',
    )
    expect(web.code).toBe(2)
    expect(web.err).toContain('adminApi')
  })
})
