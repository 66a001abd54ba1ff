import supertest from 'supertest'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/admin/api-keys.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import {
  authorize,
  relyingParty,
  tenantFetch,
  useOidcGateway,
  verifyAccessToken,
} from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 11: what an admin does to a member reaches the member's tokens at once.
const gw = await useOidcGateway()
const { member, browser } = pageHelpers(gw)

async function adminOf(tenant: Tenant) {
  const { key } = await createApiKey(gw.db, { tenantId: tenant.id, name: 'test' })
  return (method: 'get' | 'post' | 'put' | 'delete' | 'patch', path: string) =>
    supertest(gw.app)
      [method](`/admin/api/v1/tenants/${tenant.slug}${path}`)
      .set('Authorization', `Bearer ${key}`)
}

async function membershipId(api: Awaited<ReturnType<typeof adminOf>>, email: string) {
  const res = await api('get', '/members').query({ q: email }).expect(200)
  return res.body.items[0].id as string
}

describe('disabling a member (OWASP ASVS 5.0 V7.4, RFC 9700 4.14)', () => {
  it('ends their refresh tokens, access tokens and gateway session at once; enabling lets them sign in again', async () => {
    const email = 'disabled@example.com'
    const { tenant, host } = await member(email)
    const api = await adminOf(tenant)
    const rp = await relyingParty(gw, tenant)
    const flow = await authorize(rp.config, { email, password: PASSWORD })
    const tokens = flow.tokens!
    expect(tokens.refresh_token).toBeTruthy()
    const pages = browser(host)
    await pages.submit('/login', { email, password: PASSWORD })
    expect((await pages.get('/')).text).toContain(email)

    const id = await membershipId(api, email)
    expect((await api('post', `/members/${id}/disable`).expect(200)).body.status).toBe('disabled')

    await expect(client.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    expect((await client.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false)
    const verify = await tenantFetch(`${tenant.publicUrl}/auth/verify`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(verify.status).toBe(401)
    expect((await pages.get('/')).text).not.toContain(email)
    // The browser session the app's flow used is gone too: a new flow meets the login page.
    const again = await authorize(
      rp.config,
      { email, password: PASSWORD },
      { browser: flow.browser },
    )
    expect(again.tokens).toBeUndefined()

    await api('post', `/members/${id}/enable`).expect(200)
    const back = await authorize(rp.config, { email, password: PASSWORD })
    expect(back.tokens?.access_token).toBeTruthy()
  })
})

describe("a guest's app grants (seed 002)", () => {
  it('puts exactly the granted apps in the next token, and admits the guest only there', async () => {
    const email = 'guest@example.com'
    const { tenant } = await member(email)
    const api = await adminOf(tenant)
    const id = await membershipId(api, email)
    await gw.db.updateTable('memberships').set({ kind: 'guest' }).where('id', '=', id).execute()
    const shop = await relyingParty(gw, tenant)
    const reports = await relyingParty(gw, tenant, {
      name: 'Reports',
      type: 'web',
      redirectUris: ['https://app.example/callback'],
      product: 'reports',
    })

    const denied = await authorize(reports.config, { email, password: PASSWORD })
    expect(denied.tokens).toBeUndefined()

    await api('put', `/members/${id}/apps/${reports.app.clientId}`).expect(200)
    const grid = await api('get', '/guests').query({ q: 'guest@' }).expect(200)
    expect(grid.body.total).toBe(1)
    expect(grid.body.guests[0]).toMatchObject({ email, apps: [reports.app.clientId] })
    expect(grid.body.apps.map((a: { clientId: string }) => a.clientId).sort()).toEqual(
      [shop.app.clientId, reports.app.clientId].sort(),
    )

    const granted = await authorize(reports.config, { email, password: PASSWORD })
    const claims = (await verifyAccessToken(tenant.publicUrl, granted.tokens!.access_token)).payload
    expect(claims['products']).toEqual(['reports'])
    expect((await authorize(shop.config, { email, password: PASSWORD })).tokens).toBeUndefined()

    // Shop declares no product: its client id is its product.
    await api('put', `/members/${id}/apps/${shop.app.clientId}`).expect(200)
    await api('delete', `/members/${id}/apps/${reports.app.clientId}`).expect(200)
    await expect(
      client.refreshTokenGrant(reports.config, granted.tokens!.refresh_token!),
    ).rejects.toMatchObject({ error: 'invalid_grant' })
    const shopTokens = await authorize(shop.config, { email, password: PASSWORD })
    const shopClaims = (await verifyAccessToken(tenant.publicUrl, shopTokens.tokens!.access_token))
      .payload
    expect(shopClaims['products']).toEqual([shop.app.clientId])
    expect((await authorize(reports.config, { email, password: PASSWORD })).tokens).toBeUndefined()
  })
})
