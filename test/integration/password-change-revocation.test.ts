import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import type { Tenant } from '../../src/tenants/tenants.js'
import { authorize, relyingParty, tenantFetch, useOidcGateway } from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 9: a new password ends every grant the old one opened, in every store of the directory.
const gw = await useOidcGateway()
const { member, store, invite, activate, browser, lastLink } = pageHelpers(gw)
const NEW_PASSWORD = 'copper lantern meadow 47'

const introspect = async (config: client.Configuration, token: string) =>
  (await client.tokenIntrospection(config, token)).active
const bearer = (tenant: Tenant, path: string, token: string) =>
  tenantFetch(`${tenant.publicUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })

/** An app's tokens for `email` at `tenant`, with the browser that holds the gateway session. */
async function appTokens(tenant: Tenant, email: string) {
  const rp = await relyingParty(gw, tenant)
  const flow = await authorize(rp.config, { email, password: PASSWORD })
  expect(flow.tokens?.refresh_token).toBeTruthy()
  return { ...rp, ...flow, tokens: flow.tokens! }
}

async function expectDead(tenant: Tenant, app: Awaited<ReturnType<typeof appTokens>>) {
  await expect(
    client.refreshTokenGrant(app.config, app.tokens.refresh_token!),
  ).rejects.toMatchObject({ error: 'invalid_grant' })
  expect(await introspect(app.config, app.tokens.access_token)).toBe(false)
  expect((await bearer(tenant, '/me', app.tokens.access_token)).status).toBe(401)
  expect((await bearer(tenant, '/auth/verify', app.tokens.access_token)).status).toBe(401)
}

describe('a new password ends the old grants (OWASP ASVS 5.0 V7.4.3, RFC 9700 4.14)', () => {
  it('refuses refresh and access tokens issued before a voluntary change, in every store of the directory', async () => {
    const email = 'change@example.com'
    const a = await member(email)
    const b = await store(undefined, undefined, a.tenant.slug)
    const { token } = await invite(b.tenant, email)
    expect((await activate(browser(b.host), token)).status).toBe(303)
    const atA = await appTokens(a.tenant, email)
    const atB = await appTokens(b.tenant, email)
    expect(await introspect(atA.config, atA.tokens.access_token)).toBe(true)
    expect((await bearer(b.tenant, '/auth/verify', atB.tokens.access_token)).status).toBe(200)

    const changed = await atA.browser.submit(`${a.tenant.publicUrl}/password/change`, {
      current_password: PASSWORD,
      password: NEW_PASSWORD,
      password_confirm: NEW_PASSWORD,
    })
    expect(changed.res.status).toBeLessThan(400)

    await expectDead(a.tenant, atA)
    await expectDead(b.tenant, atB)
  })

  it('refuses them after a password reset too, and a new sign-in works', async () => {
    const email = 'reset@example.com'
    const { tenant, host } = await member(email)
    const app = await appTokens(tenant, email)

    const pages = browser(host)
    expect((await pages.submit('/forgot-password', { email })).status).toBe(200)
    const token = await lastLink(tenant, email, '/reset-password/')
    const path = `/reset-password/${token}`
    const reset = await pages.submit(path, {
      password: NEW_PASSWORD,
      password_confirm: NEW_PASSWORD,
    })
    expect(reset.status).toBe(303)

    await expectDead(tenant, app)
    const again = await authorize(app.config, { email, password: NEW_PASSWORD })
    expect(await introspect(app.config, again.tokens!.access_token)).toBe(true)
  })
})

describe('reset links (OWASP Forgot Password Cheat Sheet)', () => {
  it('die with a password change made after they were asked for', async () => {
    const email = 'stale-link@example.com'
    const { tenant, host } = await member(email)
    const pages = browser(host)
    await pages.submit('/forgot-password', { email })
    const token = await lastLink(tenant, email, '/reset-password/')

    const app = await appTokens(tenant, email)
    await app.browser.submit(`${tenant.publicUrl}/password/change`, {
      current_password: PASSWORD,
      password: NEW_PASSWORD,
      password_confirm: NEW_PASSWORD,
    })

    const path = `/reset-password/${token}`
    expect((await pages.get(path)).status).toBe(400)
  })

  it('live 30 minutes', async () => {
    const email = 'ttl@example.com'
    const { tenant, host } = await member(email)
    const before = Date.now()
    await browser(host).submit('/forgot-password', { email })
    const row = await gw.db
      .selectFrom('password_resets')
      .select('expires_at')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow()
    const lifetime = row.expires_at.getTime() - before
    expect(lifetime).toBeGreaterThan(29 * 60_000)
    expect(lifetime).toBeLessThanOrEqual(30 * 60_000 + 60_000)
  })
})
